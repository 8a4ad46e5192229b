/**
 * FRR pin on hosts that already have FRR: one-deploy's frr.common installs FRR with
 * `state: present`, so preflight names each host whose FRR is outside the series the
 * pinned one-deploy installs (read from its roles/repository), newer (stops: what it
 * pinned away from) or older (a warning), with the fix. With `ansible.repos_enabled`
 * leaving `frr` out, FRR comes from the distribution and no pin applies (the lab's
 * Debian 12 FRR 8.4). Pure parts (src/core/frr-pin.ts) and the step with a fake runner.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeExecRow } from '../../src/adapters/exec.js';
import { readFrrPin } from '../../src/adapters/one-deploy.js';
import { runDeploy } from '../../src/cli/commands/deploy.js';
import { parseHostReports } from '../../src/core/families.js';
import { frrOutsidePin, frrPinApplies, pinFromRepositoryTasks } from '../../src/core/frr-pin.js';
import { fakeRunner, preflightOutput } from '../support/fake-runner.js';

/**
 * A stand-in for one-deploy's roles/repository/tasks/frr.yml, written here (not copied from one-deploy):
 * an apt source line naming FRR's series, the shape readFrrPin looks for. The real file is read by the
 * last test below, from the one-deploy this machine has.
 */
const REPOSITORY_TASKS = `- name: Add FRR's repository (stand-in)
  ansible.builtin.copy:
    content: |
      deb https://repo.example.invalid/frr bookworm frr-10.5
    dest: /etc/apt/sources.list.d/frr.list
`;

const line = (host: string, id: string, ver: string, pretty: string, frr: string) =>
  `ok: [${host}] => {\n    "msg": "EW_HOST|${host}|direct|${id}|${ver}||${pretty}|${frr}|"\n}\n`;
const DEB12 = 'Debian GNU/Linux 12 (bookworm)';

describe('core/frr-pin', () => {
  test("the series from one-deploy's repository tasks", () => {
    expect(pinFromRepositoryTasks(REPOSITORY_TASKS)).toBe('10.5');
    expect(pinFromRepositoryTasks('deb http://x bookworm main\n')).toBeUndefined();
  });

  test.each([
    [undefined, true],
    [['frr'], true],
    [['opennebula', 'frr'], true],
    [[], false],
    [['opennebula'], false],
  ])('repos_enabled %j: pin applies %s', (repos, applies) => {
    expect(frrPinApplies({ ansible: { repos_enabled: repos } } as never)).toBe(applies);
  });

  test('newer stops, older warns, the pinned series, an epoch and no FRR pass', () => {
    const reports = parseHostReports(
      line('ingress', 'debian', '12', DEB12, '10.6.0-0~deb12u1') +
        line('kvm_a', 'debian', '12', DEB12, '8.4.4-1.1~deb12u1') +
        line('kvm_b', 'debian', '12', DEB12, '10.5.3-0~deb12u1') +
        line('kvm_c', 'debian', '12', DEB12, '1:10.5.1-1') +
        line('kvm_d', 'almalinux', '9.5', 'AlmaLinux 9.5', '10.5.3-1.el9') +
        line('kvm_e', 'debian', '12', DEB12, 'none') +
        line('kvm_f', 'almalinux', '9.5', 'AlmaLinux 9.5', '11.0.0-1.el9'),
    );
    const p = frrOutsidePin(reports, '10.5', 'site.yaml');
    expect(p.errors).toEqual([
      "ingress has FRR 10.6.0-0~deb12u1, newer than the FRR 10.5 the pinned one-deploy installs (it pinned away from 10.6 and later, OpenNebula/one#7589) and one-deploy keeps an installed FRR: install FRR 10.5 on ingress (from FRR's frr-10.5 repository: apt-get install --allow-downgrades frr=10.5.* frr-pythontools=10.5.*, or dnf downgrade frr-10.5* frr-pythontools-10.5*) and deploy again, or, to keep the FRR the hosts have, set ansible.repos_enabled: [] in site.yaml.",
      expect.stringMatching(/^kvm_f has FRR 11\.0\.0-1\.el9, newer than the FRR 10\.5 /),
    ]);
    expect(p.warnings).toEqual([
      "kvm_a has FRR 8.4.4-1.1~deb12u1, older than the FRR 10.5 the pinned one-deploy installs, and one-deploy keeps an installed FRR: upgrade it on kvm_a to FRR 10.5 (from FRR's frr-10.5 repository, which the frr step adds) to run what one-deploy pins, or, to keep the FRR the hosts have, set ansible.repos_enabled: [] in site.yaml.",
    ]);
  });

  test('the pinned one-deploy on this machine pins 10.5 (SKIPPED without /opt/one-deploy)', () => {
    const dir = process.env.ONE_DEPLOY_DIR ?? '/opt/one-deploy';
    if (!existsSync(join(dir, 'ansible_collections/opennebula/deploy/roles/repository'))) {
      console.warn(`SKIPPED: no one-deploy in ${dir}: its FRR series is not read.`);
      return;
    }
    expect(readFrrPin(join(dir, 'ansible_collections'))).toBe('10.5');
  });
});

describe('preflight with a fake runner', () => {
  let dir: string;
  let collections: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ew-frr-pin-'));
    collections = join(dir, 'collections', 'ansible_collections');
    mkdirSync(join(collections, 'opennebula/deploy/roles/repository/tasks'), { recursive: true });
    writeFileSync(join(collections, 'opennebula/deploy/roles/repository/tasks/frr.yml'), REPOSITORY_TASKS);
  });
  const rows = (facts: string): FakeExecRow[] => [
    { match: (f, a) => f === 'ansible-playbook' && a[0] === '--version', result: { stdout: 'ansible-playbook [core 2.14.18]\n' } },
    // Preflight's one job (preflight.yml): the inventory check, the reach, then the host facts.
    { match: (f, a) => f === 'ansible-playbook' && a.at(-1)!.endsWith('/preflight.yml'), result: { stdout: preflightOutput(facts) } },
  ];
  const run = async (facts: string, scenarioText = readFileSync('examples/seed-practical.yaml', 'utf8')) => {
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, scenarioText);
    const chunks: string[] = [];
    const w = { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream;
    const d = {
      exec: fakeRunner(rows(facts)),
      now: () => Date.parse('2026-01-01T00:00:00Z'),
      env: { NODE_ENV: 'test' },
      isTTY: false,
      confirm: async () => true,
      findCollections: () => collections,
    };
    const r = await runDeploy(
      { file, out: join(dir, 'inv'), yes: true, only: 'preflight', opennebula: false, renderer: 'silent' },
      { out: w, err: w, debug: false },
      d,
    );
    return { r, text: chunks.join(''), log: r.logPath ? readFileSync(r.logPath, 'utf8') : '' };
  };
  const hosts = (ingress: string, london: string) =>
    line('ingress', 'debian', '12', DEB12, ingress) +
    line('kvm_london', 'debian', '12', DEB12, london) +
    line('kvm_ncalifornia', 'debian', '12', DEB12, 'none');

  test('a host with FRR 10.6 stops the deploy in preflight, named with the fix', async () => {
    const { r, text } = await run(hosts('10.5.3-0~deb12u1', '10.6.0-0~deb12u1'));
    expect(r.ok).toBe(false);
    expect(text).toContain('kvm_london has FRR 10.6.0-0~deb12u1, newer than the FRR 10.5 the pinned one-deploy installs');
    expect(text).toContain(`set ansible.repos_enabled: [] in ${join(dir, 'scenario.yaml')}`);
    expect(text).not.toContain('ingress has FRR');
  });

  test('a host with an older FRR: a warning naming it, the deploy goes on', async () => {
    const { r, log } = await run(hosts('8.4.4-1.1~deb12u1', 'none'));
    expect(r.ok).toBe(true);
    const t = r.tasks!.find((x) => x.title.startsWith("Hosts' OS and FRR:"))!;
    expect(t.title).toContain('one-deploy pins FRR 10.5\n  warning: ingress has FRR 8.4.4-1.1~deb12u1, older than the FRR 10.5 the pinned one-deploy installs');
    expect(log).toContain('warning: ingress has FRR 8.4.4-1.1~deb12u1, older');
    expect(log).toContain("FRR pin: 10.5 (one-deploy's roles/repository)");
  });

  test("repos_enabled: [] (the lab: Debian 12's FRR 8.4, or a 10.6 kept knowingly): no pin, no word", async () => {
    const scenario = `${readFileSync('examples/seed-practical.yaml', 'utf8').trimEnd()}\n`;
    const withRepos = /^ansible:/m.test(scenario)
      ? scenario.replace(/^ansible:\n/m, 'ansible:\n  repos_enabled: []\n')
      : `${scenario}ansible:\n  repos_enabled: []\n`;
    const { r, text, log } = await run(hosts('8.4.4-1.1~deb12u1', '10.6.0-0~deb12u1'), withRepos);
    expect(r.ok).toBe(true);
    expect(text).not.toContain('has FRR');
    expect(log).toContain("FRR pin: none (ansible.repos_enabled leaves out frr: the distribution's FRR)");
  });

  test('every host on the pinned series: nothing said but the pin', async () => {
    const { r, text } = await run(hosts('10.5.3-0~deb12u1', '10.5.1-0~deb12u1'));
    expect(r.ok).toBe(true);
    expect(text).not.toContain('has FRR');
    expect(r.tasks!.find((x) => x.title.startsWith("Hosts' OS and FRR:"))!.title).toMatch(/one-deploy pins FRR 10\.5$/);
  });
});
