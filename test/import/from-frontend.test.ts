/**
 * `import --from-frontend` with a fake ssh answering in the real formats (frontend-fakes.ts):
 * the plan against the scenario, removals only when confirmed (or --yes), a host at a new
 * address keeps its name and WireGuard address, the offer to deploy, dry run, read-only
 * commands only, an unreachable frontend in one sentence.
 */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseScenario, type Scenario } from '../../src/core/index.js';
import { runImport, type ImportDeps } from '../../src/cli/commands/import.js';
import { planFrontendImport } from '../../src/core/import/frontend.js';
import { provisionIds, remoteScript } from '../../src/adapters/frontend.js';
import { fakePrompt, type Answers } from '../init/fake.js';
import { fakeSsh, frontend6, frontend7, type FakeProvision } from './frontend-fakes.js';

const seed = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8').replace(
  'name: seed-practical',
  'name: seed-practical # ours',
);

const LONDON: FakeProvision = {
  id: 7,
  name: 'london',
  hosts: [
    { id: 3, ip: '18.134.246.200' },
    { id: 9, ip: '18.135.1.7' },
  ],
};
const TOKYO: FakeProvision = {
  id: 12,
  name: 'tokyo',
  hosts: [
    { id: 20, ip: '198.51.100.40' },
    { id: 21, ip: '198.51.100.41' },
  ],
};

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  const t = { out: '', err: '' };
  out.on('data', (b: Buffer) => (t.out += b.toString()));
  err.on('data', (b: Buffer) => (t.err += b.toString()));
  return { io: { out, err, debug: false }, t };
}

function setup(outputs = frontend6([LONDON, TOKYO]), opts: { answers?: Answers; interactive?: boolean; unreachable?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ew-ff-'));
  const file = join(dir, 'edge-wizard.yaml');
  writeFileSync(file, seed);
  chmodSync(file, 0o600);
  const ssh = fakeSsh(outputs, { unreachable: opts.unreachable });
  const deployed: Scenario[] = [];
  const prompt = fakePrompt(opts.answers ?? {});
  const deps: ImportDeps = {
    exec: ssh.exec as ImportDeps['exec'],
    prompt,
    interactive: opts.interactive ?? false,
    deploy: async (s) => {
      deployed.push(s);
      return 0;
    },
  };
  const o = io();
  const run = (...args: string[]) => runImport(['-f', file, '--from-frontend', ...args], o.io, deps);
  return { dir, file, ssh, deployed, prompt, run, t: o.t, read: () => readFileSync(file, 'utf8') };
}

const hostsOf = (text: string) => parseScenario(text).scenario.clusters.map((c) => [c.name, c.hosts.map((h) => `${h.name} ${h.public_ip}`)]);

describe('import --from-frontend', () => {
  it('--yes: adds the new host and the new cluster, removes the cluster no provision holds; comments and mode kept', async () => {
    const x = setup();
    expect(await x.run('--yes')).toBe(0);
    expect(hostsOf(x.read())).toEqual([
      ['london', ['kvm_london 18.134.246.200', 'kvm_london_1 18.135.1.7']],
      ['tokyo', ['kvm_tokyo_1 198.51.100.40', 'kvm_tokyo_2 198.51.100.41']],
    ]);
    expect(x.read()).toContain('name: seed-practical # ours');
    expect(statSync(x.file).mode & 0o777).toBe(0o600);
    expect(x.t.out).toContain('2 provision(s) on the frontend: 7 "london" (2 host(s)), 12 "tokyo" (2 host(s)).');
    expect(x.t.out).toContain('+ cluster tokyo (provision 12 "tokyo", new; provider aws)');
    expect(x.t.out).toContain('- cluster ncalifornia: no provision on the frontend holds it (hosts kvm_ncalifornia 18.144.25.41)');
    expect(x.t.out).toContain('+   kvm_london_1 18.135.1.7');
    expect(x.deployed).toEqual([]);
    // A second run finds nothing to do.
    const again = setup();
    writeFileSync(again.file, x.read());
    expect(await again.run('--yes')).toBe(0);
    expect(again.t.out).toContain('already matches the frontend: nothing to change.');
  });

  it('without a terminal and without --yes: additions applied, removals kept with a warning', async () => {
    const x = setup();
    expect(await x.run()).toBe(0);
    expect(hostsOf(x.read()).map(([c]) => c)).toEqual(['london', 'ncalifornia', 'tokyo']);
    expect(x.t.err).toContain(
      'warning: the frontend no longer provisions cluster ncalifornia and host kvm_ncalifornia (18.144.25.41); kept. Run again with --yes to remove',
    );
    expect(x.t.out).toContain('! cluster ncalifornia: no provision on the frontend holds it (hosts kvm_ncalifornia 18.144.25.41); kept');
  });

  it('in a terminal: asks before removing (saying what deploy then removes), applies after confirmation, offers to deploy', async () => {
    const x = setup(undefined, { interactive: true, answers: { 'import.remove': true, 'import.apply': true, 'import.deploy': true } });
    expect(await x.run()).toBe(0);
    expect(x.prompt.asked).toEqual(['import.remove', 'import.apply', 'import.deploy']);
    expect(x.prompt.configs['import.remove']!.message).toMatch(
      /^Remove cluster ncalifornia and host kvm_ncalifornia \(18\.144\.25\.41\) from .*edge-wizard\.yaml\? \(the next deploy drops them from the inventory and from every remaining host's WireGuard peers/,
    );
    expect(x.prompt.configs['import.remove']!.default).toBe(false);
    expect(x.deployed.map((s) => s.clusters.map((c) => c.name))).toEqual([['london', 'tokyo']]);

    const no = setup(undefined, { interactive: true, answers: { 'import.remove': false, 'import.apply': true, 'import.deploy': false } });
    expect(await no.run()).toBe(0);
    expect(hostsOf(no.read()).map(([c]) => c)).toEqual(['london', 'ncalifornia', 'tokyo']);
    expect(no.deployed).toEqual([]);
    expect(no.t.out).toContain('Run "edge-wizard deploy -f');

    const refused = setup(undefined, { interactive: true, answers: { 'import.remove': true, 'import.apply': false } });
    expect(await refused.run()).toBe(0);
    expect(refused.read()).toBe(seed);
    expect(refused.t.out).toContain('Nothing written.');
  });

  it('a host at a new address keeps its name and WireGuard address when the user says so', async () => {
    const moved = { ...LONDON, hosts: [{ id: 3, ip: '18.134.246.201' }] };
    const x = setup(frontend6([moved, { id: 8, name: 'ncalifornia', hosts: [{ id: 4, ip: '18.144.25.41' }] }]), {
      interactive: true,
      answers: { 'import.readdress': 'kvm_london', 'import.apply': true, 'import.deploy': false },
    });
    expect(await x.run()).toBe(0);
    expect(x.prompt.asked).not.toContain('import.remove');
    expect(x.t.out).toContain('~   kvm_london 18.134.246.200 -> 18.134.246.201 (keeps its name and WireGuard address)');
    expect(hostsOf(x.read())).toEqual([
      ['london', ['kvm_london 18.134.246.201']],
      ['ncalifornia', ['kvm_ncalifornia 18.144.25.41']],
    ]);
  });

  it('--dry-run prints the diff and writes nothing', async () => {
    const x = setup();
    expect(await x.run('--dry-run', '--yes')).toBe(0);
    expect(x.read()).toBe(seed);
    expect(x.t.out).toMatch(/\+ {6}- name: kvm_london_1/);
  });

  it('OpenNebula 7.2+ (OneForm documents) reads the same', async () => {
    const x = setup(frontend7([LONDON, TOKYO]));
    expect(await x.run('--yes')).toBe(0);
    expect(hostsOf(x.read()).map(([c]) => c)).toEqual(['london', 'tokyo']);
  });

  it("runs only read-only commands, as oneadmin, along the scenario's path to the frontend", async () => {
    const x = setup();
    await x.run('--yes');
    expect(x.ssh.scripts).toHaveLength(2);
    const commands = x.ssh.scripts.flatMap((s) => [...s.matchAll(/then ([^;]+); elif/g)].map((m) => m[1]));
    expect(commands).toEqual(['oneprovision list --json', 'onehost list --json', 'oneprovision show 7 --json', 'oneprovision show 12 --json']);
    expect(x.ssh.argvs[0]!.slice(-4, -1)).toEqual(['-J', 'root@ec2-13-58-199-98.us-east-2.compute.amazonaws.com', 'root@10.0.1.87']);
    expect(x.ssh.argvs[0]).toContain('BatchMode=yes');
    expect(() => remoteScript(['oneprovision delete 7 --json'])).toThrow('not a read-only frontend command');
    expect(() => remoteScript(['oneprovision show 7; rm -rf / --json'])).toThrow('not a read-only frontend command');
  });

  it('an unreachable frontend, a provision list that is not JSON, hostile IDs: one sentence each', async () => {
    const x = setup(undefined, { unreachable: true });
    await expect(x.run('--yes')).rejects.toThrow(
      /^Could not run oneprovision on the frontend root@10\.0\.1\.87 through root@ec2-13-58-199-98\.us-east-2\.compute\.amazonaws\.com \(ssh: connect to host 10\.0\.1\.87 port 22: Connection refused\): check frontend\.address/,
    );
    expect(x.read()).toBe(seed);
    const y = setup({ ...frontend6([LONDON]), 'oneprovision list --json': 'oneprovision: command not found' });
    await expect(y.run('--yes')).rejects.toThrow(
      '"oneprovision list --json" on the frontend did not print JSON: check that oneprovision runs there as oneadmin.',
    );
    expect(provisionIds(JSON.stringify({ DOCUMENT_POOL: { DOCUMENT: [{ ID: '7' }, { ID: '1; reboot' }, { ID: 8 }] } }))).toEqual(['7', '8']);
    expect(provisionIds(JSON.stringify({ DOCUMENT_POOL: {} }))).toEqual([]);
    const z = setup({ ...frontend6([LONDON]), 'oneprovision show 7 --json': '{"DOCUMENT": 1}' });
    await expect(z.run('--yes')).rejects.toThrow(/^"oneprovision show 7 --json" on the frontend /);
  });

  it('a hostile provision name: escaped in the terminal, a safe cluster name in the file; twice in a row is a no-op', async () => {
    const x = setup(frontend6([LONDON, { ...TOKYO, name: 'evil\u001b[2J"; rm -rf /\nnext' }]));
    expect(await x.run('--yes')).toBe(0);
    expect(x.t.out).not.toContain('\u001b');
    expect(x.t.out).toContain('12 "evil\\x1b[2J"; rm -rf /\\x0anext" (2 host(s))');
    expect(hostsOf(x.read()).map(([c]) => c)).toEqual(['london', 'evil_2J_rm_-rf_next']);
    const again = setup(frontend6([LONDON, { ...TOKYO, name: 'evil\u001b[2J"; rm -rf /\nnext' }]));
    writeFileSync(again.file, x.read());
    expect(await again.run('--yes')).toBe(0);
    expect(again.read()).toBe(x.read());
  });

  it('--from-frontend with --from is a usage error', async () => {
    const x = setup();
    await expect(runImport(['-f', x.file, '--from-frontend', '--from', 'x.json'], io().io, {} as ImportDeps)).rejects.toMatchObject({ exitCode: 2 });
  });
});

describe('planFrontendImport', () => {
  const s = parseScenario(seed).scenario;
  it('matches provisions to clusters by host, then by name; a new name never collides', () => {
    const plan = planFrontendImport(s, [
      { format: 'oneprovision-6', id: 1, name: 'london', hosts: [], networks: [] },
      { format: 'oneprovision-6', id: 2, name: 'london', hosts: [{ public_ip: '203.0.113.99' }], networks: [] },
    ]);
    expect(plan.changes.map((c) => [c.cluster, c.isNew])).toEqual([
      ['london', false],
      ['london2', true],
    ]);
    expect(plan.changes[0]!.removed.map((h) => h.name)).toEqual(['kvm_london']);
    expect(plan.deletedClusters.map((d) => d.name)).toEqual(['ncalifornia']);
  });
});
