/**
 * The deploy task list against a fake exec table: no Ansible, no hosts.
 * Asserts on task state by title, on the per-host report, on --limit for a
 * failed host, and on the log holding no secret.
 */
import { describe, expect, test, beforeEach, afterEach } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeExecRow } from '../../src/adapters/exec.js';
import { runDeploy, type DeployRunDeps } from '../../src/cli/commands/deploy.js';
import { announce, startOned, type OnedBackend } from '../support/oned.js';
import { LAB_HOSTS } from '../support/estate.js';
import { fakeRunner, preflightOutput } from '../support/fake-runner.js';
import { hostCounter, progressTitle } from '../../src/app/steps/playbook.js';

const recapLine = (h: string, changed = 1, failed = 0, unreachable = 0) =>
  `${h.padEnd(27)}: ok=3    changed=${changed}    unreachable=${unreachable}    failed=${failed}    skipped=0    rescued=0    ignored=0`;

function recap(hosts: string[], opts: { changed?: number; bad?: Record<string, 'failed' | 'unreachable'> } = {}) {
  return `PLAY RECAP *********\n${hosts.map((h) => recapLine(h, opts.changed ?? 1, opts.bad?.[h] === 'failed' ? 1 : 0, opts.bad?.[h] === 'unreachable' ? 1 : 0)).join('\n')}\n`;
}

/** The hosts a run's `--limit all,!a,!b` leaves in, as Ansible would: a host limited out has no recap line. */
const ran = (args: readonly string[], hosts: string[]) => {
  const limit = args.includes('--limit') ? args[args.indexOf('--limit') + 1]!.split(',') : [];
  return hosts.filter((h) => !limit.includes(`!${h}`));
};
const recapOf =
  (hosts: string[], opts: { changed?: number } = {}) =>
  (_f: string, args: readonly string[]) => ({ stdout: recap(ran(args, hosts), opts) });

const playbook = (name: string) => (file: string, args: readonly string[]) => file === 'ansible-playbook' && args[args.length - 1]!.endsWith(`/${name}`);

const KVM = ['kvm_london', 'kvm_ncalifornia'];
const MESH = ['ingress', ...KVM];

/** What verify.yml reads on each host (core/drift.ts): tests change one to make drift. */
let marks: Record<string, string> = {};
const marksOf = (h: string) => marks[h] ?? `host_key=ssh-ed25519 HK${h}\nwg_conf=aaaa\nfrr_conf=bbbb\nfrr_running=cccc\nfirewall=dddd\nreject_rule=0`;

function observations(dir: string) {
  const keys: Record<string, string> = { ingress: 'KI=', kvm_london: 'KL=', kvm_ncalifornia: 'KN=' };
  const addr: Record<string, string> = { ingress: '192.168.0.1', kvm_london: '192.168.0.2', kvm_ncalifornia: '192.168.0.3' };
  mkdirSync(dir, { recursive: true });
  for (const h of MESH) {
    const peers = MESH.filter((p) => p !== h);
    writeFileSync(
      join(dir, `${h}.json`),
      JSON.stringify({
        host: h,
        router: h === 'ingress',
        wireguard_address: `${addr[h]}/24`,
        mtu: 1420,
        now: 1000,
        wg_handshakes: peers.map((p) => `${keys[p]}\t990`).join('\n'),
        wg_rc: 0,
        public_key: keys[h],
        bgp_summary: h === 'ingress' ? JSON.stringify({ peers: Object.fromEntries(KVM.map((k) => [`*${addr[k]}`, { state: 'Established', pfxRcd: 2 }])) }) : '',
        pings: peers.map((p) => [p, 0]),
        peers,
        peer_addresses: peers.map((p) => `${addr[p]}/32`),
        marks: marksOf(h),
      }),
    );
  }
}

function table(opts: { rootAccessFails?: boolean; echoSecret?: boolean } = {}): FakeExecRow[] {
  return [
    { match: (f, a) => f === 'ansible-playbook' && a[0] === '--version', result: { stdout: 'ansible-playbook [core 2.14.18]\n' } },
    // Preflight's one job: the inventory check (localhost), the reach (ingress, fe1), the host facts.
    { match: playbook('preflight.yml'), result: { stdout: preflightOutput() } },
    {
      match: playbook('root-access.yml'),
      result: opts.rootAccessFails
        ? {
            exitCode: 2,
            stdout:
              `TASK [root_access : Add the controller's key to root's authorized_keys] ***\nchanged: [kvm_london -> fe1]\n` +
              `fatal: [kvm_ncalifornia -> fe1]: FAILED! => {"changed": false, "msg": "non-zero return code", "rc": 255, "stderr": "ssh: connect to host 18.144.25.41 port 22: Connection timed out"}\n` +
              recap(KVM, { bad: { kvm_ncalifornia: 'failed' } }),
          }
        : { stdout: recap(KVM) },
    },
    { match: playbook('firewall.yml'), result: recapOf(KVM) },
    {
      match: playbook('wireguard.yml'),
      // As Ansible would: a task that prints one_pass prints the value the run was given.
      result: (_f, args) => {
        const given = args.flatMap((a) => (a.startsWith('{') ? [(JSON.parse(a) as { one_pass?: string }).one_pass] : [])).find((v) => v !== undefined);
        return { stdout: `${opts.echoSecret ? `ok: [ingress] => {"one_pass": "${given}"}\none_pass: ${given}\n` : ''}${recap(ran(args, MESH))}` };
      },
    },
    { match: playbook('frr-evpn.yml'), result: recapOf([...MESH, 'fe1']) },
    { match: playbook('frr-layer.yml'), result: recapOf(MESH) },
    {
      match: playbook('verify.yml'),
      result: (_f, args) => {
        const vars = JSON.parse(args[args.indexOf('-e', args.indexOf('-e') + 1) + 1]!) as { ew_verify_dir: string };
        observations(vars.ew_verify_dir);
        return { stdout: recap(ran(args, MESH), { changed: 0 }) };
      },
    },
  ];
}

let dir: string;
let scenarioFile: string;
let deps: (rows: FakeExecRow[]) => DeployRunDeps & { exec: ReturnType<typeof fakeRunner> };
const io = () => {
  const chunks: string[] = [];
  const w = { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream;
  return { io: { out: w, err: w, debug: false }, text: () => chunks.join('') };
};

beforeEach(() => {
  marks = {};
  dir = mkdtempSync(join(tmpdir(), 'ew-deploy-'));
  scenarioFile = join(dir, 'scenario.yaml');
  const seed = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
  writeFileSync(scenarioFile, seed.replace('password: opennebula ', 'password: s3cret-pass '));
  writeFileSync(join(dir, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests controller\n');
  deps = (rows) => ({
    exec: fakeRunner(rows),
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    env: { NODE_ENV: 'test' },
    isTTY: false,
    confirm: async () => true,
    findCollections: () => '/opt/one-deploy/ansible_collections',
  });
});

describe('deploy task list (fake exec)', () => {
  test('every step and host task completes; verify passes', async () => {
    const { io: cio, text } = io();
    const d = deps(table());
    const r = await runDeploy(
      { file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), yes: true, opennebula: false, renderer: 'silent' },
      cio,
      d,
    );
    const state = (title: string) => r.tasks?.find((t) => t.title.startsWith(title))?.state;
    expect(r.ok).toBe(true);
    expect(state('Distribute root key to kvm_london')).toBe('COMPLETED');
    expect(state('Distribute root key to kvm_ncalifornia')).toBe('COMPLETED');
    expect(state('Remove the AWS REJECT rule on kvm_london (enp125s0)')).toBe('COMPLETED');
    expect(state('Configure wg0 on ingress')).toBe('COMPLETED');
    expect(state('Configure FRR EVPN on ingress (route reflector)')).toBe('COMPLETED');
    expect(state('kvm_london (192.168.0.2) Established on ingress')).toBe('COMPLETED');
    expect(text()).toContain('verify: all');
    // The controller key went to the extra vars, the oneprovision key path from the scenario.
    const vars = JSON.parse(readFileSync(join(dir, 'inv', '.deploy-vars.json'), 'utf8')) as Record<string, string>;
    expect(vars.root_access_public_key).toMatch(/^ssh-ed25519 /);
    expect(vars.root_access_oneprovision_key).toBe('/var/lib/one/.ssh-oneprovision/id_rsa');
    // Argument arrays with the generated inventory and ansible.cfg.
    const wg = d.exec.calls.find((c) => c.args[c.args.length - 1]!.endsWith('wireguard.yml'))!;
    expect(wg.args.slice(0, 2)).toEqual(['-i', join(dir, 'inv', 'hosts.yml')]);
    expect(wg.opts?.env?.ANSIBLE_CONFIG).toBe(join(dir, 'inv', 'ansible.cfg'));
  });

  test("facts gathered once per deploy: every step's run names the deploy's fact cache, which a new deploy empties first", async () => {
    const inv = join(dir, 'inv');
    const opts = { file: scenarioFile, out: inv, identity: join(dir, 'id_ed25519'), yes: true, opennebula: false, renderer: 'silent' as const, full: true };
    expect((await runDeploy(opts, io().io, deps(table()))).ok).toBe(true);
    mkdirSync(join(inv, 'facts'), { recursive: true });
    writeFileSync(join(inv, 'facts', 'kvm_london'), '{"ansible_os_family": "from the deploy before"}');
    const d = deps(table());
    const r = await runDeploy(opts, io().io, d);
    expect(r.ok).toBe(true);
    expect(existsSync(join(inv, 'facts', 'kvm_london'))).toBe(false);
    const steps = d.exec.runnerCalls.filter((c) => /-(root-access|firewall|wireguard|frr|frr-layer|verify)(-[0-9]+)?$/.test(c.args[1]!));
    expect(steps.length).toBeGreaterThanOrEqual(6);
    for (const c of steps) {
      expect(JSON.parse(readFileSync(join(c.args[1]!, 'env', 'settings'), 'utf8'))).toEqual({ fact_cache_type: 'jsonfile', fact_cache: join(inv, 'facts') });
      expect(c.opts?.env?.ANSIBLE_GATHERING).toBe('smart');
    }
  });

  test("wireguard.topology hub: the extra vars carry every host's planned peers for precheck.yml", async () => {
    writeFileSync(scenarioFile, readFileSync(scenarioFile, 'utf8').replace(/^wireguard:\n/m, 'wireguard:\n  topology: hub\n  hubs: [kvm_london]\n'));
    await runDeploy(
      { file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), yes: true, opennebula: false, renderer: 'silent' },
      io().io,
      deps(table()),
    );
    const vars = JSON.parse(readFileSync(join(dir, 'inv', '.deploy-vars.json'), 'utf8')) as Record<string, unknown>;
    expect(vars.ew_wireguard_hubs).toEqual(['kvm_london']);
    // The ingress and kvm_ncalifornia (its cluster has no hub) home at the first hub.
    expect(vars.ew_wireguard_peers).toEqual({ ingress: ['kvm_london'], kvm_london: ['ingress', 'kvm_ncalifornia'], kvm_ncalifornia: ['kvm_london'] });
  });

  test('one failing KVM host: named with step and cause, the others finish, later steps leave it out', async () => {
    const { io: cio, text } = io();
    const d = deps(table({ rootAccessFails: true }));
    const r = await runDeploy(
      { file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), yes: true, opennebula: false, renderer: 'silent' },
      cio,
      d,
    );
    const state = (title: string) => r.tasks?.find((t) => t.title.startsWith(title))?.state;
    expect(r.ok).toBe(false);
    expect(state('Distribute root key to kvm_london')).toBe('COMPLETED');
    expect(state('Distribute root key to kvm_ncalifornia')).toBe('FAILED');
    expect(state('Remove the AWS REJECT rule on kvm_london')).toBe('COMPLETED');
    expect(state('Remove the AWS REJECT rule on kvm_ncalifornia')).toBe('SKIPPED');
    expect(state('Configure wg0 on kvm_london')).toBe('COMPLETED');
    const fw = d.exec.calls.find((c) => c.args[c.args.length - 1]!.endsWith('firewall.yml'))!;
    expect(fw.args).toContain('all,!kvm_ncalifornia');
    expect(text()).toMatch(/kvm_ncalifornia: root-access failed at "root_access : Add the controller's key to root's authorized_keys": .*Connection timed out/);
  });

  test('--check passes --check --diff and skips verify; --only runs preflight and that step', async () => {
    const { io: cio } = io();
    const d = deps(table());
    const r = await runDeploy(
      { file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), only: 'wireguard', check: true, renderer: 'silent' },
      cio,
      d,
    );
    expect(r.ok).toBe(true);
    const pbs = d.exec.calls.filter((c) => c.file === 'ansible-playbook' && c.args[0] !== '--version').map((c) => c.args[c.args.length - 1]!.split('/').pop());
    expect(pbs).toEqual(['preflight.yml', 'wireguard.yml']);
    const wg = d.exec.calls.find((c) => c.args[c.args.length - 1]!.endsWith('wireguard.yml'))!;
    expect(wg.args).toEqual(expect.arrayContaining(['--check', '--diff']));
  });

  test('--check on hosts without root access yet: they are left out of later steps, named in the report, and the run is not a failure', async () => {
    const { io: cio, text } = io();
    const d = deps(table());
    const r = await runDeploy(
      { file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), check: true, opennebula: false, renderer: 'silent' },
      cio,
      d,
    );
    expect(r.ok).toBe(true);
    const state = (title: string) => r.tasks?.find((t) => t.title.startsWith(title))?.state;
    expect(state('Check: Distribute root key to kvm_london')).toBe('COMPLETED');
    expect(state('Check: Configure wg0 on kvm_london')).toBe('SKIPPED');
    expect(state('Check: Configure wg0 on ingress')).toBe('COMPLETED');
    const fw = d.exec.calls.find((c) => c.args[c.args.length - 1]!.endsWith('wireguard.yml'))!;
    expect(fw.args).toContain('all,!kvm_london,!kvm_ncalifornia');
    expect(text()).toContain('check mode: kvm_london, kvm_ncalifornia would first get root access; the later steps were not checked on them.');
  });

  test('missing collection: preflight fails with the install command', async () => {
    const { io: cio, text } = io();
    const d = { ...deps(table()), findCollections: () => undefined };
    const r = await runDeploy(
      { file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), yes: true, opennebula: false, renderer: 'silent' },
      cio,
      d,
    );
    expect(r.ok).toBe(false);
    expect(r.tasks?.find((t) => t.title === 'Find the opennebula.deploy collection')?.state).toBe('FAILED');
    expect(text()).toContain('ansible-galaxy collection install');
    expect(d.exec.calls.some((c) => c.args[c.args.length - 1]?.endsWith('root-access.yml'))).toBe(false);
  });

  test('the run log never holds one_pass', async () => {
    const { io: cio } = io();
    const r = await runDeploy(
      { file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), yes: true, opennebula: false, renderer: 'silent' },
      cio,
      deps(table({ echoSecret: true })),
    );
    const log = readFileSync(r.logPath!, 'utf8');
    expect(log).toContain('one_pass: (withheld by edge-wizard)');
    expect(log).not.toContain('s3cret-pass');
  });

  test('--dry-run prints the ansible-runner commands and runs nothing', async () => {
    const { io: cio, text } = io();
    const d = deps(table());
    await runDeploy({ file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), dryRun: true, renderer: 'silent' }, cio, d);
    expect(d.exec.calls).toHaveLength(0);
    expect(text()).toMatch(
      /root-access: ansible-runner run \S+\/inv\/runner\/\S+-root-access --project-dir \S+\/playbooks --inventory \S+\/hosts\.yml .*-p \S+\/playbooks\/root-access\.yml/,
    );
  });

  test('--dry-run lists the OpenNebula step as the edge-wizard one call', async () => {
    const { io: cio, text } = io();
    await runDeploy(
      {
        file: scenarioFile,
        out: join(dir, 'inv'),
        identity: join(dir, 'id_ed25519'),
        dryRun: true,
        oneEndpoint: 'http://127.0.0.1:1/RPC2',
        renderer: 'silent',
      },
      cio,
      deps(table()),
    );
    expect(text()).toContain(`opennebula: edge-wizard one -f ${scenarioFile} --endpoint http://127.0.0.1:1/RPC2`);
  });
});

describe('steps unchanged since the last verified deploy', () => {
  const ranPlaybooks = (d: { exec: { calls: Array<{ file: string; args: readonly string[] }> } }, from: number) =>
    d.exec.calls
      .slice(from)
      .filter((c) => c.file === 'ansible-playbook' && c.args[0] !== '--version')
      .map((c) => c.args[c.args.length - 1]!.split('/').pop());
  const run = (d: DeployRunDeps, extra: Record<string, unknown> = {}) =>
    runDeploy(
      { file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), yes: true, opennebula: false, renderer: 'silent', ...extra },
      io().io,
      d,
    );

  test('a second deploy verifies and skips every unchanged step; --full runs them; a changed input runs again', async () => {
    const d = deps(table());
    const first = await run(d);
    expect(first.ok).toBe(true);
    expect(first.tasks?.find((t) => t.title.startsWith('Steps unchanged'))?.state).toBe('SKIPPED');
    const state = JSON.parse(readFileSync(join(dir, 'inv', '.deploy-state.json'), 'utf8')) as { steps: Record<string, string> };
    expect(Object.keys(state.steps)).toEqual(['root-access', 'firewall', 'wireguard', 'frr', 'frr-layer']);

    let n = d.exec.calls.length;
    const warm = await run(d);
    expect(warm.ok).toBe(true);
    // Only the checks ran: preflight's one job (inventory, reach, host facts), and one verify.
    expect(ranPlaybooks(d, n)).toEqual(['preflight.yml', 'verify.yml']);
    expect(warm.report).toContain('unchanged since 2026-01-01T00:00:00.000Z, skipped: root-access, firewall, wireguard, frr, frr-layer');
    expect(warm.ctx!.verify!.ok).toBe(true);

    n = d.exec.calls.length;
    const full = await run(d, { full: true });
    expect(full.ok).toBe(true);
    expect(ranPlaybooks(d, n)).toEqual(['preflight.yml', 'root-access.yml', 'firewall.yml', 'wireguard.yml', 'frr-evpn.yml', 'frr-layer.yml', 'verify.yml']);

    // A changed scenario changes the inventory every step reads.
    writeFileSync(scenarioFile, readFileSync(scenarioFile, 'utf8').replace('guest_mtu: 1370', 'guest_mtu: 1360'));
    n = d.exec.calls.length;
    const changed = await run(d);
    expect(changed.ok).toBe(true);
    expect(ranPlaybooks(d, n)).toEqual(['preflight.yml', 'root-access.yml', 'firewall.yml', 'wireguard.yml', 'frr-evpn.yml', 'frr-layer.yml', 'verify.yml']);
  });

  test('an overlay that does not verify runs every step; a failed deploy records nothing', async () => {
    const d = deps(table());
    expect((await run(d)).ok).toBe(true);
    // The hosts drifted: verify sees a session down, so nothing is skipped.
    const rows = table();
    const verifyRow = rows.findIndex((r) => r.match('ansible-playbook', ['-e', '{}', '-e', '{}', 'x/verify.yml']));
    const good = rows[verifyRow]!.result as (f: string, a: readonly string[]) => { stdout: string };
    let calls = 0;
    rows[verifyRow] = {
      match: rows[verifyRow]!.match,
      result: (f, a) => {
        const r = good(f, a);
        calls += 1;
        if (calls === 1) {
          const vars = JSON.parse(a[a.indexOf('-e', a.indexOf('-e') + 1) + 1]!) as { ew_verify_dir: string };
          const file = join(vars.ew_verify_dir, 'ingress.json');
          writeFileSync(file, readFileSync(file, 'utf8').replace(/Established/g, 'Active'));
        }
        return r;
      },
    };
    const d2 = deps(rows);
    const second = await run(d2);
    expect(second.ok).toBe(true);
    expect(second.tasks?.find((t) => t.title.startsWith('Steps unchanged'))?.title).toMatch(/verify checks? failed.*, every step runs/);
    expect(ranPlaybooks(d2, 0)).toEqual([
      'preflight.yml',
      'verify.yml',
      'root-access.yml',
      'firewall.yml',
      'wireguard.yml',
      'frr-evpn.yml',
      'frr-layer.yml',
      'verify.yml',
    ]);
  });

  /** The verify row, its first call answered by `first` (the unchanged step's probe), the others as usual. */
  const probeAnswers = (first: (f: string, a: readonly string[]) => { exitCode?: number; stdout: string }) => {
    const rows = table();
    const i = rows.findIndex((r) => r.match('ansible-playbook', ['-e', '{}', '-e', '{}', 'x/verify.yml']));
    const good = rows[i]!.result as (f: string, a: readonly string[]) => { stdout: string };
    let calls = 0;
    rows[i] = { match: rows[i]!.match, result: (f, a) => (++calls === 1 ? first(f, a) : good(f, a)) };
    return rows;
  };

  test('hosts built again (a lab torn down and up, hosts re-created): the probe reaches none, every step runs on every host, in one deploy', async () => {
    expect((await run(deps(table()))).ok).toBe(true);
    // The fresh KVM hosts do not let the controller in yet: verify finds them unreachable.
    const rows = probeAnswers(() => ({
      exitCode: 4,
      stdout:
        KVM.map(
          (h) =>
            `fatal: [${h}]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh: root@${h}: Permission denied (publickey).", "unreachable": true}`,
        ).join('\n') + `\n${recap(MESH, { changed: 0, bad: Object.fromEntries(KVM.map((h) => [h, 'unreachable' as const])) })}`,
    }));
    const d = deps(rows);
    const second = await run(d);
    expect(second.tasks?.find((t) => t.title.startsWith('Steps unchanged'))?.title).toMatch(/failed .*every step runs/);
    expect([...second.ctx!.failedHosts.keys()]).toEqual([]);
    expect(ranPlaybooks(d, 0)).toEqual([
      'preflight.yml',
      'verify.yml',
      'root-access.yml',
      'firewall.yml',
      'wireguard.yml',
      'frr-evpn.yml',
      'frr-layer.yml',
      'verify.yml',
    ]);
    // No step left a host out.
    for (const c of d.exec.calls.filter((x) => x.file === 'ansible-playbook' && !x.args.includes('--version'))) expect(c.args).not.toContain('--limit');
    expect(second.ok).toBe(true);
  });

  test('a state recorded for other hosts is not trusted; one recorded for these hosts is', async () => {
    expect((await run(deps(table()))).ok).toBe(true);
    const file = join(dir, 'inv', '.deploy-state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as { version: number; hosts: Record<string, unknown> };
    expect(state.version).toBe(2);
    expect(Object.keys(state.hosts).sort()).toEqual([...MESH].sort());
    expect((state.hosts.kvm_london as { host_key: string }).host_key).toBe('ssh-ed25519 HKkvm_london');
    const renamed = { ...state, hosts: { ...state.hosts, kvm_paris: state.hosts.kvm_london } };
    delete (renamed.hosts as Record<string, unknown>).kvm_london;
    writeFileSync(file, JSON.stringify(renamed));
    const d = deps(table());
    const r = await run(d);
    expect(r.tasks?.find((t) => t.title.startsWith('Steps unchanged'))?.title).toContain(
      'the last verified deploy was on other hosts (kvm_london new, kvm_paris gone), every step runs',
    );
    expect(ranPlaybooks(d, 0)).toContain('wireguard.yml');
  });

  test('drift made by hand is named by the probe and repaired by running the steps; verify names it too', async () => {
    expect((await run(deps(table()))).ok).toBe(true);
    marks = {
      kvm_london: marksOf('kvm_london')
        .replace('wg_conf=aaaa', 'wg_conf=eeee')
        .replace('firewall=dddd', 'firewall=ffff')
        .replace('reject_rule=0', 'reject_rule=1'),
    };
    const rows = table();
    // After the steps ran, the host holds what the deploy writes again.
    const i = rows.findIndex((r) => r.match('ansible-playbook', ['-e', '{}', '-e', '{}', 'x/wireguard.yml']));
    const wg = rows[i]!.result as (f: string, a: readonly string[]) => { stdout: string };
    rows[i] = { match: rows[i]!.match, result: (f, a) => ((marks = {}), wg(f, a)) };
    const d = deps(rows);
    const r = await run(d);
    const title = r.tasks?.find((t) => t.title.startsWith('Steps unchanged'))?.title ?? '';
    expect(title).toContain('drift found: the WireGuard configuration (wg0.conf) on kvm_london changed since the last deploy');
    expect(title).toContain('the INPUT firewall rules on kvm_london changed since the last deploy (the AWS REJECT rule is back)');
    expect(ranPlaybooks(d, 0)).toEqual([
      'preflight.yml',
      'verify.yml',
      'root-access.yml',
      'firewall.yml',
      'wireguard.yml',
      'frr-evpn.yml',
      'frr-layer.yml',
      'verify.yml',
    ]);
    expect(r.ok).toBe(true);
  });

  test('wireguard.subnet changed on deployed hosts: refused before anything is written (exit 2), with the plan; --renumber goes ahead', async () => {
    expect((await run(deps(table()))).ok).toBe(true);
    const hostVars = readFileSync(join(dir, 'inv', 'host_vars', 'kvm_london.yml'), 'utf8');
    writeFileSync(scenarioFile, readFileSync(scenarioFile, 'utf8').replace(/subnet: 192\.168\.0\.0\/24/, 'subnet: 10.77.0.0/24'));
    const d = deps(table());
    await expect(run(d)).rejects.toThrow(
      /wireguard.subnet is now 10.77.0.0\/24, but ingress has 192.168.0.1 from the last deploy in .*: renumbering gives every host a new overlay address at once .*run deploy again with --renumber/,
    );
    expect(d.exec.calls).toEqual([]);
    expect(readFileSync(join(dir, 'inv', 'host_vars', 'kvm_london.yml'), 'utf8')).toBe(hostVars);
    const r = await run(deps(table()), { renumber: true });
    expect(r.ctx?.stepNames).toContain('wireguard');
    expect(readFileSync(join(dir, 'inv', 'host_vars', 'kvm_london.yml'), 'utf8')).toContain('wireguard_address: 10.77.0.');
  });

  test('a deploy interrupted in its steps is never taken for a finished one: the steps run again next time', async () => {
    expect((await run(deps(table()))).ok).toBe(true);
    const file = join(dir, 'inv', '.deploy-state.json');
    // Killed in the firewall step (SIGKILL: nothing after it ran, nothing recorded at the end).
    const rows = table();
    const fw = rows.findIndex((r) => r.match('ansible-playbook', ['-e', '{}', '-e', '{}', 'x/firewall.yml']));
    let seen: Record<string, string> = {};
    rows[fw] = {
      match: rows[fw]!.match,
      result: () => {
        seen = (JSON.parse(readFileSync(file, 'utf8')) as { steps: Record<string, string> }).steps;
        throw new Error('killed');
      },
    };
    await run(deps(rows), { full: true }).catch(() => undefined);
    // The steps that were about to run left the state before the first of them started.
    expect(seen).toEqual({});
    const d = deps(table());
    const again = await run(d);
    expect(again.tasks?.find((t) => t.title.startsWith('Steps unchanged'))?.title).toContain('every step runs');
    expect(ranPlaybooks(d, 0)).toContain('firewall.yml');
    expect(again.ok).toBe(true);
  });
});

describe('step titles and the summary table', () => {
  const opts = () => ({
    file: scenarioFile,
    out: join(dir, 'inv'),
    identity: join(dir, 'id_ed25519'),
    yes: true,
    opennebula: false,
    renderer: 'silent' as const,
  });
  const title = (r: { tasks?: Array<{ title: string }> }, start: string) => r.tasks?.find((t) => t.title.startsWith(`${start} (`))?.title;

  test('a step title counts hosts done as each one finishes, and its elapsed time', () => {
    let clock = 0;
    const task = { title: 'WireGuard mesh' };
    const seen: string[] = [];
    // As for the interactive renderer (the others get the final title only).
    const count = hostCounter(task, 'WireGuard mesh', { total: 5 }, { now: () => clock, progress: true });
    seen.push(task.title);
    clock = 12_400;
    count.stop();
    clock = 99_000; // after the playbook: the clock stays at its end
    for (const ok of [true, true, false]) {
      count.finished(ok);
      seen.push(task.title);
    }
    expect(seen).toEqual([
      'WireGuard mesh (0/5 hosts, 0 s)',
      'WireGuard mesh (1/5 hosts, 12 s)',
      'WireGuard mesh (2/5 hosts, 12 s)',
      'WireGuard mesh (3/5 hosts, 1 failed, 12 s)',
    ]);
    count.finished(true);
    count.finished(true);
    expect(task.title).toBe('WireGuard mesh (5/5 hosts, 1 failed, 12 s)');
    // Not interactive: one title change, when the last host is judged.
    const titles: string[] = [];
    const quiet = {
      set title(t: string) {
        titles.push(t);
      },
      get title() {
        return titles.at(-1) ?? 'Firewall on the KVM hosts';
      },
    };
    const c2 = hostCounter(quiet, 'Firewall on the KVM hosts', { total: 2 }, { now: () => clock });
    c2.stop();
    c2.finished(true);
    c2.finished(true);
    expect(titles).toEqual(['Firewall on the KVM hosts (2/2 hosts, 0 s)']);
    expect(progressTitle('Firewall on the KVM hosts', { done: 1, total: 1, skipped: 1 }, 999)).toBe('Firewall on the KVM hosts (1/1 host, 1 skipped, 0 s)');
  });

  test('a full deploy: final titles keep the count and elapsed; the report opens with step x host', async () => {
    const { io: cio, text } = io();
    let clock = Date.parse('2026-01-01T00:00:00Z');
    // The WireGuard playbook takes 12 s on the injected clock (the first matching row answers).
    const slowWireguard: FakeExecRow = { match: playbook('wireguard.yml'), result: (f, a) => ((clock += 12_000), recapOf(MESH)(f, a)) };
    const r = await runDeploy(opts(), cio, { ...deps([slowWireguard, ...table()]), now: () => clock });
    expect(r.ok).toBe(true);
    expect(title(r, 'WireGuard mesh')).toBe('WireGuard mesh (3/3 hosts, 12 s)');
    expect(title(r, 'Root access on the KVM hosts')).toBe('Root access on the KVM hosts (2/2 hosts, 0 s)');
    expect(title(r, 'Verify the overlay')).toBe('Verify the overlay (3/3 hosts, 0 s)');
    const out = text();
    expect(out).toContain(
      [
        'step         host             ok  changed  failed',
        'root-access  kvm_london        3        1       0',
        'root-access  kvm_ncalifornia   3        1       0',
        'firewall     kvm_london        3        1       0',
        'firewall     kvm_ncalifornia   3        1       0',
        'wireguard    ingress           3        1       0',
        'wireguard    kvm_london        3        1       0',
        'wireguard    kvm_ncalifornia   3        1       0',
        'frr          ingress           3        1       0',
        'frr          kvm_london        3        1       0',
        'frr          kvm_ncalifornia   3        1       0',
        'frr          fe1               3        1       0',
        'frr-layer    ingress           3        1       0',
      ].join('\n'),
    );
    expect(out).toContain('verify       kvm_ncalifornia   3        0       0\n');
    expect(out).toMatch(/^time: root-access 0\.0 s, firewall 0\.0 s, wireguard \d+\.\d s, frr 0\.0 s, frr-layer 0\.0 s, verify 0\.0 s$/m);
    // Plain text: no escape sequences in the report.
    expect(out).not.toContain('\u001b[');
  });

  test('a failed deploy still ends with the table: the failed host, then skipped in the later steps', async () => {
    const { io: cio, text } = io();
    const r = await runDeploy(opts(), cio, deps(table({ rootAccessFails: true })));
    expect(r.ok).toBe(false);
    expect(title(r, 'Root access on the KVM hosts')).toBe('Root access on the KVM hosts (2/2 hosts, 1 failed, 0 s)');
    expect(title(r, 'Firewall on the KVM hosts')).toBe('Firewall on the KVM hosts (1/1 host, 1 skipped, 0 s)');
    expect(title(r, 'WireGuard mesh')).toBe('WireGuard mesh (2/2 hosts, 1 skipped, 0 s)');
    const out = text();
    expect(out).toContain('root-access  kvm_ncalifornia   3        1       1\n');
    expect(out).toContain('firewall     kvm_ncalifornia   -        -       -  skipped: failed in root-access\n');
    expect(out).toContain('wireguard    kvm_ncalifornia   -        -       -  skipped: failed in root-access\n');
    expect(out).toContain('wireguard    kvm_london        3        1       0\n');
  });

  test('--json: stdout holds the JSON document only, the table is not in it', async () => {
    const out = io();
    const err = io();
    await runDeploy({ ...opts(), json: true }, { out: out.io.out, err: err.io.err, debug: false }, deps(table()));
    const doc = JSON.parse(out.text()) as { kind: string };
    expect(doc.kind).toBe('deploy');
    expect(out.text()).not.toContain('step         host');
  });

  test('an unreachable host and a check-mode host left out are named in the note column', async () => {
    const { io: cio, text } = io();
    const unreachable: FakeExecRow = {
      match: playbook('firewall.yml'),
      result: {
        exitCode: 4,
        stdout: `TASK [firewall : Read the rules] ***\nfatal: [kvm_london]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh", "unreachable": true}\n${recap(KVM, { bad: { kvm_london: 'unreachable' } })}`,
      },
    };
    await runDeploy(opts(), cio, deps([unreachable, ...table()]));
    expect(text()).toContain('firewall     kvm_london        3        1       0  unreachable\n');
    // Its own directory: with the fixed clock, runs in one directory would share ansible-runner's artifact dirs.
    const { io: cio2, text: text2 } = io();
    await runDeploy({ ...opts(), out: join(dir, 'check'), yes: false, check: true }, cio2, deps(table()));
    expect(text2()).toContain('wireguard    kvm_london        -        -       -  skipped: root access not granted yet (check mode)\n');
    expect(text2()).toContain('wireguard    ingress           3        1       0\n');
  });
});

// A real oned when ONE_LOCATION is set (test/support/real-oned.ts), else the stand-in; the run says which.
describe(`deploy with the OpenNebula step against ${announce('test/deploy/tasks.test.ts, OpenNebula part') === 'real' ? 'a REAL oned' : 'the STAND-IN oned'}`, () => {
  let oned: OnedBackend;
  let endpoint: string;
  beforeEach(async () => {
    oned = await startOned({ password: 's3cret-pass' });
    endpoint = oned.endpoint;
    // oned's hosts are named by the lab's documentation addresses (test/support/estate.ts).
    writeFileSync(scenarioFile, readFileSync(scenarioFile, 'utf8').replace('18.134.246.200', LAB_HOSTS.london).replace('18.144.25.41', LAB_HOSTS.ncalifornia));
  }, 240_000);
  afterEach(async () => {
    await oned.stop();
  }, 60_000);

  test('a full deploy creates the cluster, the VNET and the VR; a second deploy makes no write call', async () => {
    const { io: cio, text } = io();
    const run = () =>
      runDeploy(
        { file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), yes: true, oneEndpoint: endpoint, renderer: 'silent' },
        cio,
        deps(table()),
      );
    const first = await run();
    expect(first.ok).toBe(true);
    expect(first.tasks?.find((t) => t.title === 'Ensure the OpenNebula cluster, EVPN network and Virtual Router')?.state).toBe('COMPLETED');
    const methods = oned.writeCalls.map((c) => c.method);
    expect(methods).toEqual(expect.arrayContaining(['one.cluster.allocate', 'one.vn.allocate', 'one.vrouter.allocate', 'one.vrouter.instantiate']));
    expect(text()).toContain('opennebula: done');
    const writes = oned.writeCalls.length;
    const second = await run();
    expect(second.ok).toBe(true);
    expect(oned.writeCalls.length).toBe(writes);
    // The session string never reaches the output or the log.
    expect(text()).not.toContain('s3cret-pass');
    expect(readFileSync(second.logPath!, 'utf8')).not.toContain('s3cret-pass');
  }, 120_000);

  test('an error from oned fails the step with its message; the report says so', async () => {
    oned.failures.set('one.cluster.allocate', { message: '[one.cluster.allocate] NAME is already taken by CLUSTER 7.', code: 0x2000 });
    const { io: cio, text } = io();
    const r = await runDeploy(
      { file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), yes: true, oneEndpoint: endpoint, renderer: 'silent' },
      cio,
      deps(table()),
    );
    expect(r.ok).toBe(false);
    expect(text()).toMatch(/deploy stopped: OpenNebula step: .*NAME is already taken by CLUSTER 7/);
    const after = oned.calls.slice(oned.calls.findIndex((c) => c.method === 'one.cluster.allocate') + 1);
    // Only reads after it, and the release of the scenario's lock (one.document.unlock), which every run gives back.
    expect(after.filter((c) => !c.method.endsWith('.info') && !c.method.startsWith('one.document.'))).toEqual([]);
  }, 120_000);
});
