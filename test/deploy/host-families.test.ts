/**
 * Preflight reports each mesh host's OS family and FRR version (playbooks/host-facts.yml)
 * and stops, with one sentence per host, on a release the roles do not support.
 * Pure parsing in src/core/families.ts; the step against a fake runner; the playbook
 * itself against this machine (connection=local) and an unreachable KVM host.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeExecRow } from '../../src/adapters/exec.js';
import { runDeploy } from '../../src/cli/commands/deploy.js';
import { describeHost, parseHostReports, unsupportedHosts } from '../../src/core/families.js';
import { fakeRunner, preflightOutput } from '../support/fake-runner.js';

const line = (host: string, via: string, id: string, ver: string, like: string, pretty: string, frr: string, err = '') =>
  `ok: [${host}] => {\n    "msg": "EW_HOST|${host}|${via}|${id}|${ver}|${like}|${pretty}|${frr}|${err}"\n}\n`;

const GOOD =
  line('ingress', 'direct', 'debian', '12', '', 'Debian GNU/Linux 12 (bookworm)', '8.4.4-1.1~deb12u1') +
  line('kvm_london', 'frontend', 'ubuntu', '22.04', 'debian', 'Ubuntu 22.04.5 LTS', '10.5.1-0~ubuntu22.04.1') +
  line('kvm_ncalifornia', 'frontend', 'almalinux', '9.5', 'rhel centos fedora', 'AlmaLinux 9.5 (Teal Serval)', 'none');

describe('core/families', () => {
  test('parse, describe, judge', () => {
    const r = parseHostReports(GOOD);
    expect(r.map(describeHost)).toEqual([
      'ingress: Debian GNU/Linux 12 (bookworm) (Debian family), FRR 8.4.4-1.1~deb12u1',
      'kvm_london: Ubuntu 22.04.5 LTS (Debian family), FRR 10.5.1-0~ubuntu22.04.1, read through the frontend',
      'kvm_ncalifornia: AlmaLinux 9.5 (Teal Serval) (RedHat family), FRR not installed (one-deploy installs it), read through the frontend',
    ]);
    expect(unsupportedHosts(r)).toEqual([]);
  });

  test.each([
    ['rocky', '9.4', 'rhel centos fedora', 'Rocky Linux 9.4 (Blue Onyx)', 'RedHat'],
    ['debian', '11', '', 'Debian GNU/Linux 11 (bullseye)', 'Debian'],
    ['ubuntu', '18.04', 'debian', 'Ubuntu 18.04.6 LTS', 'Debian'],
    ['almalinux', '10.0', 'rhel centos fedora', 'AlmaLinux 10.0 (Purple Lion)', 'RedHat'],
    ['sles', '15.6', 'suse', 'SUSE Linux Enterprise Server 15 SP6', 'Suse'],
  ])('%s %s is refused in one sentence', (id, ver, like, pretty, family) => {
    const r = parseHostReports(line('kvm_x', 'direct', id, ver, like, pretty, 'none'));
    expect(unsupportedHosts(r)).toEqual([
      `kvm_x runs ${pretty} (${family} family), which edge-wizard's roles do not support: use Debian 12/13, Ubuntu 20.04/22.04/24.04 and AlmaLinux/RHEL 8/9 for the ingress and the KVM hosts.`,
    ]);
  });

  test('a host that could not be read is reported, not refused', () => {
    const r = parseHostReports(line('kvm_x', 'none', '', '', '', '', '', 'ssh: connect to host 18.1.1.1 port 22: Connection timed out'));
    expect(r.map(describeHost)).toEqual(['kvm_x: not read (ssh: connect to host 18.1.1.1 port 22: Connection timed out)']);
    expect(unsupportedHosts(r)).toEqual([]);
  });
});

describe('preflight with a fake runner', () => {
  let dir: string;
  let scenarioFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ew-families-'));
    scenarioFile = join(dir, 'scenario.yaml');
    writeFileSync(scenarioFile, readFileSync('examples/seed-practical.yaml', 'utf8'));
  });
  const rows = (facts: string, exitCode = 0): FakeExecRow[] => [
    { match: (f, a) => f === 'ansible-playbook' && a[0] === '--version', result: { stdout: 'ansible-playbook [core 2.14.18]\n' } },
    // Preflight's one job (preflight.yml): the inventory check, the reach, then the host facts.
    { match: (f, a) => f === 'ansible-playbook' && a.at(-1)!.endsWith('/preflight.yml'), result: { stdout: preflightOutput(facts), exitCode } },
  ];
  const run = async (facts: string, exitCode = 0) => {
    const chunks: string[] = [];
    const w = { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream;
    const d = {
      exec: fakeRunner(rows(facts, exitCode)),
      now: () => Date.parse('2026-01-01T00:00:00Z'),
      env: { NODE_ENV: 'test' },
      isTTY: false,
      confirm: async () => true,
      findCollections: () => '/opt/one-deploy/ansible_collections',
    };
    const r = await runDeploy(
      { file: scenarioFile, out: join(dir, 'inv'), yes: true, only: 'preflight', opennebula: false, renderer: 'silent' },
      { out: w, err: w, debug: false },
      d,
    );
    return { r, text: chunks.join(''), log: r.logPath ? readFileSync(r.logPath, 'utf8') : '' };
  };

  test('supported hosts: one line each, with family and FRR', async () => {
    const { r, log } = await run(GOOD);
    expect(r.ok).toBe(true);
    const t = r.tasks!.find((x) => x.title.startsWith("Hosts' OS and FRR:"))!;
    expect(t.state).toBe('COMPLETED');
    expect(t.title).toContain('kvm_london: Ubuntu 22.04.5 LTS (Debian family), FRR 10.5.1-0~ubuntu22.04.1, read through the frontend');
    expect(log).toContain('ingress: Debian GNU/Linux 12 (bookworm) (Debian family), FRR 8.4.4-1.1~deb12u1');
  });

  test('an unsupported release stops the deploy in preflight, one sentence', async () => {
    const { r, text } = await run(GOOD + line('kvm_ncalifornia', 'frontend', 'rocky', '9.4', 'rhel centos fedora', 'Rocky Linux 9.4 (Blue Onyx)', 'none'));
    expect(r.ok).toBe(false);
    expect(text).toContain(
      "kvm_ncalifornia runs Rocky Linux 9.4 (Blue Onyx) (RedHat family), which edge-wizard's roles do not support: use Debian 12/13, Ubuntu 20.04/22.04/24.04 and AlmaLinux/RHEL 8/9 for the ingress and the KVM hosts.",
    );
  });

  test('nothing read: a warning, not a failure', async () => {
    const { r } = await run('', 2);
    expect(r.ok).toBe(true);
    expect(r.tasks!.some((x) => x.title.startsWith("Hosts' OS and FRR: not read (host-facts.yml exit 2"))).toBe(true);
  });
});
