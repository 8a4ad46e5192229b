/**
 * Preflight's ansible-runner jobs against a fake runner: one job (preflight.yml) when no host
 * key is to be accepted, each subtask judging its own play's results from the job's events;
 * a failed inventory check stops with its fail_msg before the reach; an unreachable ingress
 * with the reach sentence; a changed host key with hostKeyMessage; with
 * --accept-new-host-key, precheck.yml, host-keys.yml and host-facts.yml in that order.
 * The real plays (a failed check contacts no host, an unreachable ingress ends the run):
 * preflight.system.test.ts.
 */
import { describe, expect, test, beforeEach } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { FakeExecRow } from '../../src/adapters/exec.js';
import { PLAYBOOKS_DIR } from '../../src/adapters/ansible.js';
import { INVENTORY_PLAY, REACH_PLAY } from '../../src/app/steps/preflight.js';
import { runDeploy } from '../../src/cli/commands/deploy.js';
import { fakeRunner, preflightOutput } from '../support/fake-runner.js';

const VERSION: FakeExecRow = { match: (f, a) => f === 'ansible-playbook' && a[0] === '--version', result: { stdout: 'ansible-playbook [core 2.14.18]\n' } };
const isPlaybook = (name: string) => (f: string, a: readonly string[]) => f === 'ansible-playbook' && a.at(-1)!.endsWith(`/${name}`);
const recapLine = (h: string, s: { ok?: number; failed?: number; unreachable?: number }) =>
  `${h.padEnd(27)}: ok=${s.ok ?? 0}    changed=0    unreachable=${s.unreachable ?? 0}    failed=${s.failed ?? 0}    skipped=0    rescued=0    ignored=0`;

/** What preflight.yml prints when the ingress does not answer (any_errors_fatal ends the run there). */
const unreachableIngress = (msg: string) =>
  [
    `PLAY [${INVENTORY_PLAY}] ***`,
    `PLAY [${REACH_PLAY}] ***`,
    'TASK [Ping over SSH] ***',
    `fatal: [ingress]: UNREACHABLE! => ${JSON.stringify({ changed: false, msg, unreachable: true })}`,
    'ok: [fe1]',
    'NO MORE HOSTS LEFT ***',
    'PLAY RECAP ***',
    recapLine('fe1', { ok: 1 }),
    recapLine('ingress', { unreachable: 1 }),
    recapLine('localhost', { ok: 5 }),
    '',
  ].join('\n');

let dir: string;
let scenarioFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ew-preflight-'));
  scenarioFile = join(dir, 'scenario.yaml');
  writeFileSync(scenarioFile, readFileSync('examples/seed-practical.yaml', 'utf8'));
});

async function preflight(rows: FakeExecRow[], extra: { acceptNewHostKey?: string[] } = {}) {
  const chunks: string[] = [];
  const w = { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream;
  const exec = fakeRunner([VERSION, ...rows]);
  const r = await runDeploy(
    { file: scenarioFile, out: join(dir, 'inv'), yes: true, only: 'preflight', opennebula: false, renderer: 'silent', ...extra },
    { out: w, err: w, debug: false },
    {
      exec,
      now: () => Date.parse('2026-01-01T00:00:00Z'),
      env: { NODE_ENV: 'test' },
      isTTY: false,
      confirm: async () => true,
      findCollections: () => '/opt/one-deploy/ansible_collections',
    },
  );
  const state = (title: string) => r.tasks?.find((t) => t.title.startsWith(title))?.state;
  const playbooks = exec.calls.filter((c) => c.file === 'ansible-playbook' && c.args[0] !== '--version').map((c) => c.args.at(-1)!.split('/').pop());
  return { r, text: chunks.join(''), state, playbooks, exec };
}

describe('preflight as one ansible-runner job (fake runner)', () => {
  test('every check passes from one job: each subtask resolves from its own play', async () => {
    const { r, state, playbooks, exec } = await preflight([{ match: isPlaybook('preflight.yml'), result: { stdout: preflightOutput() } }]);
    expect(r.ok).toBe(true);
    expect(playbooks).toEqual(['preflight.yml']);
    expect(exec.calls.some((c) => c.file === 'ansible')).toBe(false);
    expect(state('Inventory is consistent (precheck.yml)')).toBe('COMPLETED');
    expect(state('Reached ingress and fe1 over SSH')).toBe('COMPLETED');
    // The job is told whom to reach.
    const call = exec.calls.find((c) => c.args.at(-1)!.endsWith('/preflight.yml'))!;
    expect(JSON.parse(call.args[call.args.indexOf('-e', call.args.indexOf('-e') + 1) + 1]!).ew_reach_hosts).toEqual(['ingress', 'fe1']);
  });

  test('a failed inventory check stops with its fail_msg; the reach and the host facts are not judged', async () => {
    const msg = 'The inventory needs the route reflectors in `router` (the ingress first), ... Regenerate it with `edge-wizard generate`.';
    const out = [
      `PLAY [${INVENTORY_PLAY}] ***`,
      'TASK [Check the inventory groups] ***',
      `fatal: [localhost]: FAILED! => ${JSON.stringify({ assertion: 'x', changed: false, evaluated_to: false, msg })}`,
      'NO MORE HOSTS LEFT ***',
      'PLAY RECAP ***',
      recapLine('localhost', { ok: 1, failed: 1 }),
      '',
    ].join('\n');
    const { r, state, playbooks } = await preflight([{ match: isPlaybook('preflight.yml'), result: { stdout: out, exitCode: 2 } }]);
    expect(r.ok).toBe(false);
    expect(r.stopped).toBe(msg);
    expect(state('Inventory is consistent (precheck.yml)')).toBe('FAILED');
    expect(state('Reach the ingress ingress')).not.toBe('COMPLETED');
    expect(playbooks).toEqual(['preflight.yml']);
  });

  test('an unreachable ingress: the reach sentence, with ssh own words', async () => {
    const out = unreachableIngress('Failed to connect to the host via ssh: ssh: connect to host 203.0.113.10 port 22: Connection timed out');
    const { r, state } = await preflight([{ match: isPlaybook('preflight.yml'), result: { stdout: out, exitCode: 4 } }]);
    expect(r.ok).toBe(false);
    expect(state('Inventory is consistent (precheck.yml)')).toBe('COMPLETED');
    expect(r.stopped).toBe(
      'ingress is not reachable over SSH: Failed to connect to the host via ssh: ssh: connect to host 203.0.113.10 port 22: Connection timed out — check the address, the user and your SSH key.',
    );
    expect(r.tasks!.some((t) => t.title.startsWith("Hosts' OS and FRR"))).toBe(false);
  });

  test("the ingress's host key changed: the host key sentence with the command that accepts it", async () => {
    const out = unreachableIngress(
      'Failed to connect to the host via ssh: @@@@@@@@@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@@@@@@@@@ ... Host key verification failed.',
    );
    const { r } = await preflight([{ match: isPlaybook('preflight.yml'), result: { stdout: out, exitCode: 4 } }]);
    expect(r.ok).toBe(false);
    expect(r.stopped).toMatch(
      /^ingress's SSH host key changed since this controller last saw it \(rebuilt\?\): nothing was changed on any host; .*--accept-new-host-key ingress$/,
    );
  });

  test('a host that the job never reached (no recap line) is not reachable: no answer, with the exit', async () => {
    const out = preflightOutput('', ['ingress']);
    const { r } = await preflight([{ match: isPlaybook('preflight.yml'), result: { stdout: out } }]);
    expect(r.stopped).toBe('fe1 is not reachable over SSH: no answer (exit 0) — check the address, the user and your SSH key.');
  });

  test('--accept-new-host-key: the inventory check, then the keys, then the reach and the host facts, as three jobs', async () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc+/=';
    const { r, playbooks } = await preflight(
      [
        { match: isPlaybook('precheck.yml'), result: { stdout: `PLAY [${INVENTORY_PLAY}] ***\nPLAY RECAP ***\n${recapLine('localhost', { ok: 5 })}\n` } },
        {
          match: isPlaybook('host-keys.yml'),
          result: { stdout: `ok: [fe1] => (item=kvm_london) => {"msg": "EW_SCANNED|kvm_london|18.134.246.200 ${key}"}\n` },
        },
        { match: (f, a) => f === 'ssh' && a.includes('-G'), result: { stdout: `userknownhostsfile ${join(dir, 'known_hosts')}\n` } },
        { match: (f) => f === 'ssh-keygen', result: { stdout: '' } },
        { match: isPlaybook('host-facts.yml'), result: { stdout: preflightOutput() } },
      ],
      { acceptNewHostKey: ['kvm_london'] },
    );
    expect(r.stopped).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(playbooks).toEqual(['precheck.yml', 'host-keys.yml', 'host-facts.yml']);
    expect(readFileSync(join(dir, 'known_hosts'), 'utf8')).toBe(`18.134.246.200 ${key}\n`);
  });

  test('--accept-new-host-key after a failed inventory check: no key is read', async () => {
    const out = `PLAY [${INVENTORY_PLAY}] ***\nTASK [Check the inventory groups] ***\nfatal: [localhost]: FAILED! => {"msg": "bad inventory"}\nPLAY RECAP ***\n${recapLine('localhost', { failed: 1 })}\n`;
    const { r, playbooks } = await preflight([{ match: isPlaybook('precheck.yml'), result: { stdout: out, exitCode: 2 } }], {
      acceptNewHostKey: ['kvm_london'],
    });
    expect(r.stopped).toBe('bad inventory');
    expect(playbooks).toEqual(['precheck.yml']);
  });

  test("the play names preflight reads are the playbooks' own; preflight.yml imports precheck.yml, then host-facts.yml", () => {
    const plays = (f: string) =>
      (parse(readFileSync(join(PLAYBOOKS_DIR, f), 'utf8')) as Array<Record<string, unknown>>).map((p) => p.name ?? p['ansible.builtin.import_playbook']);
    expect(plays('precheck.yml')).toEqual([INVENTORY_PLAY]);
    expect(plays('host-facts.yml')[0]).toBe(REACH_PLAY);
    const imports = (parse(readFileSync(join(PLAYBOOKS_DIR, 'preflight.yml'), 'utf8')) as Array<Record<string, string>>).map(
      (p) => p['ansible.builtin.import_playbook'],
    );
    expect(imports).toEqual(['precheck.yml', 'host-facts.yml']);
  });
});
