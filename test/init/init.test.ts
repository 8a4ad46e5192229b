import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../../src/core/index.js';
import { runInit } from '../../src/cli/commands/init.js';
import { fakeDeps, fakePrompt } from './fake.js';
import { seedAnswers } from './seed-answers.js';

const SEED = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
const seedScenario = () => parseScenario(SEED, 'seed').scenario;

describe('init: a new scenario from nothing', () => {
  it('builds the seed practical scenario from answers given by name', async () => {
    const deps = fakeDeps(fakePrompt(seedAnswers));
    expect(await runInit({}, deps)).toBe(0);
    const written = deps.fs.files.get('edge-wizard.yaml')!;
    expect(parseScenario(written.content).scenario).toEqual(seedScenario());
    expect(written.mode).toBe(0o600); // plain password
    expect(deps.output()).not.toContain('opennebula\n');
    expect(deps.output()).toContain('oneadmin password (set');
    expect(deps.output()).toMatch(/kvm_london\s+18\.134\.246\.200\s+wg 192\.168\.0\.2\/24/);
  });
});

describe('init: answers are checked at the prompt with the validate sentences', () => {
  it('refuses a bad IP with the same sentence validate prints, and asks again', async () => {
    const prompt = fakePrompt({ ...seedAnswers, 'ingress.public_ip': ['13.58.199', '13.58.199.98'] });
    const deps = fakeDeps(prompt);
    expect(await runInit({}, deps)).toBe(0);
    expect(prompt.refused).toEqual([
      { name: 'ingress.public_ip', value: '13.58.199', message: 'ingress.public_ip "13.58.199" is not a valid IP address: write it like 203.0.113.10.' },
    ]);
    // The same sentence the validate command prints for that file.
    const bad = SEED.replace('public_ip: 13.58.199.98', 'public_ip: 13.58.199');
    expect(() => parseScenario(bad)).toThrow('ingress.public_ip "13.58.199" is not a valid IP address: write it like 203.0.113.10.');
  });

  it('refuses a duplicate host IP, an IP inside the WireGuard subnet and an overlapping subnet', async () => {
    const prompt = fakePrompt({
      ...seedAnswers,
      'host.public_ip': ['13.58.199.98', '192.168.0.9', '18.134.246.200', '18.144.25.41'],
      'wireguard.subnet': ['10.0.1.0/24', '192.168.0.1/24', '192.168.0.0/24'],
    });
    const deps = fakeDeps(prompt);
    expect(await runInit({}, deps)).toBe(0);
    expect(prompt.refused.map((r) => r.message)).toEqual([
      'clusters[0].hosts[0].public_ip 13.58.199.98 is already used by ingress.public_ip: every public address must be different.',
      expect.stringMatching(/^clusters\[0\]\.hosts\[0\]\.public_ip 192\.168\.0\.9 lies inside the wireguard\.subnet 192\.168\.0\.0\/24: /),
      'wireguard.subnet 10.0.1.0/24 overlaps control_subnet 10.0.1.0/24: choose subnets that do not overlap.',
      'wireguard.subnet 192.168.0.1/24 has host bits set: write the network address, 192.168.0.0/24.',
    ]);
    expect(parseScenario(deps.fs.files.get('edge-wizard.yaml')!.content).scenario).toEqual(seedScenario());
  });

  it('stores an environment variable reference instead of a plain password, mode 0644', async () => {
    const deps = fakeDeps(fakePrompt({ ...seedAnswers, 'opennebula.password_kind': 'env', 'opennebula.password_env': 'ONE_PASS' }));
    expect(await runInit({}, deps)).toBe(0);
    const f = deps.fs.files.get('edge-wizard.yaml')!;
    expect(parseScenario(f.content).scenario.opennebula.password).toEqual({ env: 'ONE_PASS' });
    expect(f.mode).toBe(0o644);
    expect(deps.output()).toContain('oneadmin password from $ONE_PASS');
  });
});

const EXISTING = SEED.replace('name: seed-practical', 'name: seed-practical  # my comment on the name').replace(
  '        public_ip: 18.144.25.41\n',
  '        public_ip: 18.144.25.41\n        wireguard_address: 192.168.0.7   # pinned by hand\n',
);

describe('init: starting from an existing file', () => {
  it('adds a third host to a cluster, keeping the other hosts, their addresses and the comments', async () => {
    const prompt = fakePrompt({
      section: ['clusters', 'review'],
      'clusters.action': ['addhost:0', 'done'],
      'host.name': 'kvm_london2',
      'host.public_ip': '18.134.246.201',
      generate: false,
    });
    const deps = fakeDeps(prompt, { 'edge-wizard.yaml': EXISTING });
    expect(await runInit({}, deps)).toBe(0);
    const text = deps.fs.files.get('edge-wizard.yaml')!.content;
    expect(text).toContain('# my comment on the name');
    expect(text).toContain('# The seed does not list the Elastic IPs; replace these placeholders.');
    expect(text).toMatch(/wireguard_address: 192\.168\.0\.7 +# pinned by hand/);
    expect(text).toContain('ips: [203.0.113.10, 203.0.113.11]');
    const s = parseScenario(text).scenario;
    expect(s.clusters[0]!.hosts.map((h) => h.name)).toEqual(['kvm_london', 'kvm_london2']);
    expect(s.clusters[0]!.hosts[1]).toMatchObject({ public_ip: '18.134.246.201', public_interface: 'enp125s0', aws_reject_rule: true });
    // Only the new host was added: the rest of the file says the same (yaml may respace a comment).
    const norm = (t: string) => t.replace(/ +#/g, ' #');
    expect(norm(text.replace(/ {6}- name: kvm_london2\n( {8}.*\n)+/, ''))).toBe(norm(EXISTING));
    expect(deps.output()).toMatch(/kvm_ncalifornia\s+18\.144\.25\.41\s+wg 192\.168\.0\.7\/24/);
    expect(deps.output()).toMatch(/kvm_london2\s+18\.134\.246\.201\s+wg 192\.168\.0\.3\/24/);
  });

  it('writes nothing when nothing changed and the defaults are accepted', async () => {
    const deps = fakeDeps(fakePrompt({ generate: false }), { 'edge-wizard.yaml': EXISTING });
    expect(await runInit({}, deps)).toBe(0);
    expect(deps.fs.writes).toEqual([]);
    expect(deps.output()).toContain('edge-wizard.yaml is unchanged.');
  });
});

describe('init: without prompts', () => {
  const notty = (files: Record<string, string>) => fakeDeps(fakePrompt({}), files, { interactive: false });

  it('--answers with --yes writes the scenario from a partial answers file over the existing one', async () => {
    const answers =
      'clusters:\n  - name: london\n    hosts:\n      - name: kvm_london2\n        public_ip: 18.134.246.201\n        public_interface: enp125s0\n';
    const deps = fakeDeps(fakePrompt({}), { 'edge-wizard.yaml': EXISTING, 'a.yaml': answers });
    expect(await runInit({ answers: 'a.yaml', yes: true }, deps)).toBe(0);
    const s = parseScenario(deps.fs.files.get('edge-wizard.yaml')!.content).scenario;
    expect(s.clusters[0]!.hosts.map((h) => h.name)).toEqual(['kvm_london', 'kvm_london2']);
    expect(deps.output()).toContain('generated');
  });

  it('--answers alone builds the seed scenario from a JSON answers file, with no prompt', async () => {
    const json = JSON.stringify(parseScenario(SEED).scenario);
    const prompt = fakePrompt({});
    const deps = fakeDeps(prompt, { 'answers.json': json });
    expect(await runInit({ answers: 'answers.json', generate: false }, deps)).toBe(0);
    expect(prompt.asked).toEqual([]);
    expect(parseScenario(deps.fs.files.get('edge-wizard.yaml')!.content).scenario).toEqual(seedScenario());
  });

  it('without a TTY, lists every missing field at once and exits 2', async () => {
    const deps = notty({ 'a.yaml': 'clusters:\n  - name: london\n    hosts:\n      - name: kvm_london\n' });
    const run = runInit({ answers: 'a.yaml' }, deps);
    await expect(run).rejects.toMatchObject({
      exitCode: 2,
      problems: [
        'name is missing: add it to the scenario file.',
        'ingress.public_ip is missing: add it to the scenario file.',
        'frontend.address is missing: add it to the scenario file.',
        'clusters[0].hosts[0].public_ip is missing: add it to the scenario file.',
        "clusters[0].public_network.ips (cluster london) is empty but the Virtual Router needs one public IP there: add the provision's public IPs.",
      ],
    });
    expect(deps.fs.writes).toEqual([]);
  });

  it('without a TTY and without any answers, refuses to guess', async () => {
    const deps = notty({});
    await expect(runInit({}, deps)).rejects.toMatchObject({
      exitCode: 2,
      problems: expect.arrayContaining(['clusters is missing: add it to the scenario file.']),
    });
  });
});

describe('init: Ctrl-C and dry run', () => {
  it.each(['cluster.region', 'host.public_ip', 'write'])('Ctrl-C at %s writes nothing and exits 130', async (at) => {
    const deps = fakeDeps(fakePrompt(seedAnswers, { abortAt: at }));
    expect(await runInit({}, deps)).toBe(130);
    expect(deps.fs.writes).toEqual([]);
    expect(deps.output()).toContain('Aborted, nothing written.');
  });

  it('--dry-run prints the YAML and writes nothing', async () => {
    const deps = fakeDeps(fakePrompt(seedAnswers));
    expect(await runInit({ dryRun: true }, deps)).toBe(0);
    expect(deps.fs.writes).toEqual([]);
    expect(deps.output()).toContain('name: seed-practical');
  });

  it('offers generate then deploy; deploy gets the scenario just written, in memory', async () => {
    const calls: Array<{ name: string; source: string; outDir: string }> = [];
    const deps = fakeDeps(
      fakePrompt({ ...seedAnswers, generate: true, deploy: true }),
      {},
      {
        deploy: async (scenario, source, outDir) => (calls.push({ name: scenario.name, source, outDir }), 0),
      },
    );
    expect(await runInit({ file: 's.yaml' }, deps)).toBe(0);
    expect(deps.output()).toContain('generated');
    expect(calls).toEqual([{ name: 'seed-practical', source: 's.yaml', outDir: join('inventories', 'seed-practical') }]);
  });
});
