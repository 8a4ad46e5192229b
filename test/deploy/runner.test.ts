/**
 * ansible-runner (src/adapters/runner.ts, steps/playbook.ts): the private data
 * dir and argv, the clean environment, job events read into per-host results,
 * rotation (the real runner on localhost: runner.system.test.ts).
 */
import { describe, expect, test, beforeEach } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  KEEP_RUNS,
  problemsFromEvents,
  recapFromEvents,
  rotateRuns,
  runnerArgv,
  runnerEnv,
  runnerFiles,
  runnerIdent,
  type JobEvent,
} from '../../src/adapters/runner.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ew-runner-'));
});

// One ident for every test (runnerIdent makes a second one of the same instant unique).
const IDENT = runnerIdent(Date.parse('2026-01-01T00:00:00Z'), 'wireguard');
const run = () => ({
  outDir: '/inv',
  ident: IDENT,
  playbook: '/pkg/playbooks/wireguard.yml',
  inventory: '/inv/hosts.yml',
  extraVars: { root_access_frontend: 'fe1', one_pass: 'would-be-real' },
});

describe('the runner job', () => {
  test('argv: private data dir under the inventory, project dir, inventory, ident, limit, playbook last', () => {
    expect(runnerArgv({ ...run(), limit: 'all,!kvm_b' })).toEqual([
      'run',
      '/inv/runner/2026-01-01T00-00-00-000Z-wireguard',
      '--project-dir',
      '/pkg/playbooks',
      '--inventory',
      '/inv/hosts.yml',
      '--ident',
      '2026-01-01T00-00-00-000Z-wireguard',
      '--limit',
      'all,!kvm_b',
      '-p',
      '/pkg/playbooks/wireguard.yml',
    ]);
  });

  test('env/extravars: the vars, one_pass withheld last whatever came before; check mode in env/cmdline', () => {
    const files = runnerFiles({ ...run(), check: true, diff: true });
    expect(files.map((f) => [relative('/inv/runner', f.path), f.mode])).toEqual([
      ['2026-01-01T00-00-00-000Z-wireguard/env/extravars', 0o600],
      ['2026-01-01T00-00-00-000Z-wireguard/env/cmdline', 0o600],
    ]);
    expect(JSON.parse(files[0]!.content)).toEqual({ root_access_frontend: 'fe1', one_pass: '(withheld by edge-wizard)' });
    expect(files[1]!.content).toBe('--check --diff');
    expect(runnerFiles(run())).toHaveLength(1);
  });

  test("env/settings: a deploy's runs share one fact cache (facts gathered once per deploy), given as an absolute path", () => {
    const files = runnerFiles({ ...run(), factCache: '/inv/facts' });
    expect(files.map((f) => [relative('/inv/runner', f.path), f.mode])).toEqual([
      ['2026-01-01T00-00-00-000Z-wireguard/env/extravars', 0o600],
      ['2026-01-01T00-00-00-000Z-wireguard/env/settings', 0o600],
    ]);
    expect(JSON.parse(files[1]!.content)).toEqual({ fact_cache_type: 'jsonfile', fact_cache: '/inv/facts' });
  });

  test("the runner's environment: tools, locale, agent and Ansible settings; nothing secret-like, nothing else; host key checking stays on", () => {
    const env = runnerEnv(
      {
        PATH: '/usr/bin',
        HOME: '/root',
        LANG: 'C.UTF-8',
        SSH_AUTH_SOCK: '/tmp/agent',
        ONE_PASS: 'x',
        AWS_SECRET_ACCESS_KEY: 'y',
        ANSIBLE_BECOME_PASSWORD: 'z',
        ANSIBLE_FORKS: '5',
        GITHUB_TOKEN: 't',
      },
      { ANSIBLE_CONFIG: '/inv/ansible.cfg' },
    );
    expect(env).toEqual({
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      PATH: '/usr/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      SSH_AUTH_SOCK: '/tmp/agent',
      ANSIBLE_FORKS: '5',
      ANSIBLE_CONFIG: '/inv/ansible.cfg',
    });
    expect(runnerEnv({ ANSIBLE_HOST_KEY_CHECKING: 'False' }, {}).ANSIBLE_HOST_KEY_CHECKING).toBe('False');
  });

  test('rotation keeps the newest KEEP_RUNS private data dirs', async () => {
    const root = join(dir, 'runner');
    const idents = Array.from({ length: KEEP_RUNS + 5 }, (_, i) => runnerIdent(Date.parse('2026-01-01T00:00:00Z') + i * 1000, 'frr'));
    for (const i of idents) mkdirSync(join(root, i, 'artifacts'), { recursive: true });
    const removed = await rotateRuns(dir);
    expect(removed).toEqual(idents.slice(0, 5));
    expect(readdirSync(root).sort()).toEqual(idents.slice(5));
    expect(await rotateRuns(join(dir, 'none'))).toEqual([]);
  });
});

describe('job events -> per-host results', () => {
  const ev = (counter: number, event: string, event_data: JobEvent['event_data']): JobEvent => ({ counter, event, event_data });
  const events: JobEvent[] = [
    ev(1, 'playbook_on_start', {}),
    ev(2, 'runner_on_failed', {
      host: 'kvm_b',
      task: "Add the controller's key to root's authorized_keys",
      role: 'root_access',
      ignore_errors: null,
      res: {
        msg: 'non-zero return code',
        rc: 255,
        stderr: 'ssh: connect to host 18.144.25.41 port 22: Connection timed out',
        _ansible_delegated_vars: { ansible_delegated_host: 'fe1' },
      },
    }),
    ev(3, 'runner_on_failed', { host: 'kvm_a', task: 'Probe', ignore_errors: true, res: { msg: 'ignored' } }),
    ev(4, 'runner_on_unreachable', {
      host: 'kvm_c',
      task: 'Gathering Facts',
      res: { msg: 'Failed to connect to the host via ssh: timed out', unreachable: true },
    }),
    ev(5, 'runner_on_failed', {
      host: 'kvm_a',
      task: 'Loop',
      ignore_errors: null,
      res: {
        msg: 'One or more items failed',
        results: [
          { item: 'a', failed: false },
          { item: 'b', _ansible_item_label: 'b', failed: true, msg: 'item b broke' },
        ],
      },
    }),
    ev(6, 'playbook_on_stats', {
      ok: { kvm_a: 4, kvm_b: 1 },
      changed: { kvm_a: 2 },
      dark: { kvm_c: 1 },
      failures: { kvm_a: 1, kvm_b: 1 },
      ignored: { kvm_a: 1 },
      skipped: {},
      rescued: {},
      processed: { kvm_a: 1, kvm_b: 1, kvm_c: 1 },
    }),
  ];

  test('playbook_on_stats is the recap', () => {
    expect(recapFromEvents(events)).toEqual({
      kvm_a: { ok: 4, changed: 2, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 1 },
      kvm_b: { ok: 1, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 },
      kvm_c: { ok: 0, changed: 0, unreachable: 1, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
    });
    expect(recapFromEvents([])).toEqual({});
  });

  test('failures named like the default callback (role : task, via the delegate, the failed item); ignored ones left out', () => {
    expect(problemsFromEvents(events)).toEqual([
      {
        host: 'kvm_b',
        via: 'fe1',
        task: "root_access : Add the controller's key to root's authorized_keys",
        kind: 'failed',
        message: 'ssh: connect to host 18.144.25.41 port 22: Connection timed out',
      },
      { host: 'kvm_c', task: 'Gathering Facts', kind: 'unreachable', message: 'Failed to connect to the host via ssh: timed out' },
      { host: 'kvm_a', task: 'Loop', kind: 'failed', item: 'b', message: 'item b broke' },
    ]);
  });
});
