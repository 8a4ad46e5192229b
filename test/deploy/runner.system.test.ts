/**
 * The real ansible-runner on localhost (src/adapters/runner.ts, steps/playbook.ts): results
 * from its job events and no artifact holding the real password (inventory one_pass or an
 * environment one). The job files and event reading against fixtures: runner.test.ts.
 */
import { describe, expect, test, beforeEach, afterEach } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PLAYBOOKS_DIR } from '../../src/adapters/ansible.js';
import { realExec } from '../../src/adapters/exec.js';
import { runPlaybook } from '../../src/app/steps/playbook.js';
import type { DeployContext, DeployStep } from '../../src/app/steps/types.js';
import { parseScenario } from '../../src/core/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ew-runner-'));
});

const hasRunner = spawnSync('ansible-runner', ['--version']).status === 0 && spawnSync('ansible-playbook', ['--version']).status === 0;

describe('the real ansible-runner on localhost', () => {
  if (!hasRunner) {
    test.skip('SKIPPED: ansible-runner is not installed (apt-get install python3-ansible-runner; scripts/bootstrap.sh installs it)', () => undefined);
    console.warn(
      '\n!!! SKIPPED: ansible-runner is not installed: the runner path and its artifacts were NOT checked with the real runner (apt-get install python3-ansible-runner) !!!\n',
    );
    return;
  }
  const REAL = 'REAL-s3cret-pass';
  const ENV_SECRET = 'env-s3cret-value';
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.EW_RUNNER_TEST_PASS;
    process.env.EW_RUNNER_TEST_PASS = ENV_SECRET;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.EW_RUNNER_TEST_PASS;
    else process.env.EW_RUNNER_TEST_PASS = saved;
  });

  test('results from its job events; artifacts kept; neither password in any file it wrote', async () => {
    const inv = join(dir, 'inv');
    mkdirSync(inv);
    writeFileSync(
      join(inv, 'hosts.yml'),
      `all:\n  vars:\n    one_pass: ${REAL}\n    ansible_connection: local\n    ansible_python_interpreter: /usr/bin/python3\n  hosts:\n    h1: {}\n    h2: {}\n`,
      { mode: 0o600 },
    );
    writeFileSync(join(inv, 'ansible.cfg'), '[defaults]\ninterpreter_python = auto_silent\n');
    const { scenario } = parseScenario(readFileSync('examples/seed-practical.yaml', 'utf8'));
    const ctx: DeployContext = { scenario, inventoryDir: inv, check: false, results: [], failedHosts: new Map(), scenarioSource: 'x', warnings: [] };
    const step: DeployStep = {
      name: 'wireguard',
      title: 'Leaky test playbook',
      help: [],
      playbook: relative(PLAYBOOKS_DIR, new URL('./fixtures/runner/leak.yml', import.meta.url).pathname),
      extraVars: () => ({ ew_marker: 'step-var' }),
    };
    const log: string[] = [];
    const r = await runPlaybook(
      ctx,
      { exec: realExec, log: { write: (t) => void log.push(t) }, now: Date.now, readObservations: async () => [], resetDir: async () => undefined },
      step,
    );

    expect(r.recap).toEqual({
      h1: { ok: 3, changed: 1, unreachable: 0, failed: 1, skipped: 1, rescued: 0, ignored: 1 },
      h2: { ok: 1, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 },
    });
    expect(r.problems).toEqual([
      { host: 'h2', task: 'leaky : Fail on h2', kind: 'failed', message: 'non-zero return code' },
      { host: 'h1', task: 'Loop with a failing item', kind: 'failed', item: '/bin/false', message: expect.stringContaining('non-zero return code') },
    ]);
    expect([...ctx.failedHosts.keys()]).toEqual(['h2', 'h1']);
    expect(r.argv![0]).toBe('ansible-runner');

    // The artifacts are kept, and the playbook saw the withheld value and no environment password.
    const stdout = readFileSync(join(r.artifacts!, 'stdout'), 'utf8');
    expect(stdout).toContain('one_pass=(withheld by edge-wizard) env=');
    expect(readdirSync(join(r.artifacts!, 'job_events')).length).toBeGreaterThan(10);
    const command = JSON.parse(readFileSync(join(r.artifacts!, 'command'), 'utf8')) as { command: string[]; env: Record<string, string> };
    expect(command.command).toEqual(expect.arrayContaining(['ansible-playbook', '-i', join(inv, 'hosts.yml')]));
    expect(command.env.EW_RUNNER_TEST_PASS).toBeUndefined();
    expect(command.env.ANSIBLE_HOST_KEY_CHECKING).toBe('True');
    expect(statSync(join(inv, 'runner', readdirSync(join(inv, 'runner'))[0]!, 'env', 'extravars')).mode & 0o777).toBe(0o600);

    // Every file the runner and edge-wizard wrote, and the run log: no password in any.
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk : (p: string) => files.push(p))(join(d, e.name));
    };
    walk(join(inv, 'runner'));
    expect(files.length).toBeGreaterThan(15);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect({ f, leaks: text.includes(REAL) || text.includes(ENV_SECRET) }).toEqual({ f, leaks: false });
    }
    expect(log.join('')).not.toContain(REAL);
    expect(log.join('')).not.toContain(ENV_SECRET);
  }, 120_000);
});
