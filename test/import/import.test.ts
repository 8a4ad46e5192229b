import { mkdtempSync, readFileSync, writeFileSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseScenario, renderInventory } from '../../src/core/index.js';
import { detectFormat, parseAnsibleInventory, parseOneprovision, parseOneprovision7, parseProvision } from '../../src/core/import/provision.js';
import { runImport } from '../../src/cli/commands/import.js';
import { cli } from '../support/cli.js';

const fixture = (p: string) => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');
const seed = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');

/** The seed with a second London host that the provision no longer lists. */
const scenarioText = seed.replace(
  '        public_interface: enp125s0\n  - name: ncalifornia',
  '        public_interface: enp125s0\n      # decommissioned next week\n      - name: kvm_london_b\n        public_ip: 18.130.10.20\n        wireguard_address: 192.168.0.9\n  - name: ncalifornia',
);

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  const t = { out: '', err: '' };
  out.on('data', (b: Buffer) => (t.out += b.toString()));
  err.on('data', (b: Buffer) => (t.err += b.toString()));
  return { io: { out, err, debug: false }, t };
}

function workdir() {
  const dir = mkdtempSync(join(tmpdir(), 'ew-import-'));
  const file = join(dir, 'edge-wizard.yaml');
  writeFileSync(file, scenarioText);
  chmodSync(file, 0o640);
  writeFileSync(join(dir, 'show.json'), fixture('oneprovision-6/show-7.json'));
  writeFileSync(join(dir, 'hosts.json'), fixture('oneprovision-6/onehost-list.json'));
  writeFileSync(join(dir, 'show7.json'), fixture('oneprovision-7/show-5.json'));
  writeFileSync(join(dir, 'inventory.json'), fixture('ansible-inventory/list.json'));
  writeFileSync(join(dir, 'inventory.yml'), fixture('ansible-inventory/list.yaml'));
  return { dir, file };
}

const LONDON = [
  { public_ip: '18.134.246.200', one_id: 3 },
  { public_ip: '18.135.1.7', one_id: 9 },
];

describe('OpenNebula 6.x: oneprovision show + onehost list', () => {
  test("the provision's hosts by public IP, its public network, the provider from the hosts", () => {
    const p = parseOneprovision(fixture('oneprovision-6/show-7.json'), fixture('oneprovision-6/onehost-list.json'));
    // BODY.provider is the provider object's name ("aws-london"); the hosts say aws.
    expect(p).toEqual({ format: 'oneprovision-6', id: 7, name: 'london', provider: 'aws', hosts: LONDON, networks: ['london-public'] });
  });
  test('show alone: the infrastructure host names, the provider from BODY.provider when it names one', () => {
    const p = parseOneprovision(fixture('oneprovision-6/show-7.json'));
    expect(p.hosts).toEqual(LONDON);
    expect(p.provider).toBe('aws');
  });
  test('a provider name that names no cloud, no AMI on the hosts: the provider is not guessed', () => {
    const show = fixture('oneprovision-6/show-7.json').replace('"aws-london"', '"my-cloud"');
    const pool = fixture('oneprovision-6/onehost-list.json')
      .replace(/"AMI": "default",\n\s*/g, '')
      .replace(/"PROVIDER_NAME": "aws"/g, '"PROVIDER_NAME": "my-cloud"');
    expect(parseOneprovision(show, pool).provider).toBeUndefined();
  });
});

describe('OpenNebula 7.2+: oneprovision show (OneForm)', () => {
  const expected = {
    format: 'oneprovision-7',
    id: 5,
    name: 'london',
    provider: 'aws',
    hosts: LONDON,
    networks: ['private_aws_network (provision_5)', 'public_aws_network (provision_5)'],
    publicNetwork: 'public_aws_network (provision_5)',
  };
  test('hosts by public IP with their OpenNebula IDs, the elastic network, the driver of its address range', () => {
    expect(parseOneprovision7(fixture('oneprovision-7/show-5.json'))).toEqual(expected);
  });
  test('the same document as the OneForm API returns it (under DOCUMENT)', () => {
    const api = JSON.stringify({ DOCUMENT: JSON.parse(fixture('oneprovision-7/show-5.json')) });
    expect(parseProvision(api)).toEqual(expected);
  });
  test('no public IP yet: the provider from the driver logo; an onprem provision from its host input', () => {
    const doc = JSON.parse(fixture('oneprovision-7/show-5.json'));
    doc.TEMPLATE.PROVISION_BODY.one_objects.networks[1].template.ar = [];
    expect(parseOneprovision7(JSON.stringify(doc)).provider).toBe('aws');
    doc.TEMPLATE.PROVISION_BODY.fireedge = { logo: '/fireedge/client/assets/images/providers/onprem.png' };
    doc.TEMPLATE.PROVISION_BODY.user_inputs_values = { oneform_onprem_hosts: ['10.0.0.5'] };
    expect(parseOneprovision7(JSON.stringify(doc)).provider).toBe('onprem');
    doc.TEMPLATE.PROVISION_BODY.fireedge = { logo: '/fireedge/client/assets/images/providers/scaleway.png' };
    doc.TEMPLATE.PROVISION_BODY.user_inputs_values = {};
    expect(parseOneprovision7(JSON.stringify(doc)).provider).toBeUndefined();
  });
  test('a host whose OpenNebula object is not made yet (id null) is read without an ID', () => {
    const doc = JSON.parse(fixture('oneprovision-7/show-5.json'));
    doc.TEMPLATE.PROVISION_BODY.one_objects.hosts[1].id = null;
    expect(parseOneprovision7(JSON.stringify(doc)).hosts).toEqual([LONDON[0], { public_ip: '18.135.1.7' }]);
  });
});

describe('ansible-inventory --list of a OneForm provision (rendered by the real opennebula_form plugin)', () => {
  const expected = {
    format: 'ansible-inventory',
    id: 5,
    hosts: [{ public_ip: '18.134.246.200' }, { public_ip: '18.135.1.7' }],
    networks: ['private_aws_network (provision_5)', 'public_aws_network (provision_5)'],
    publicNetwork: 'public_aws_network (provision_5)',
  };
  test.each([
    ['--list', 'list.json'],
    ['--list --yaml', 'list.yaml'],
    ['--list --export', 'list-export.json'],
  ])("%s: the node group's ansible_host, not the frontend or the router listed again", (_what, file) => {
    const p = parseAnsibleInventory(fixture(`ansible-inventory/${file}`));
    // --export keeps the -e variables out of the host variables: no provision ID then.
    expect(p).toEqual(file === 'list-export.json' ? { ...expected, id: undefined } : expected);
    expect(p.provider).toBeUndefined();
  });
});

describe('detectFormat', () => {
  test.each([
    ['oneprovision-6/show-7.json', 'oneprovision-6'],
    ['oneprovision-7/show-5.json', 'oneprovision-7'],
    ['ansible-inventory/list.json', 'ansible-inventory'],
    ['ansible-inventory/list-export.json', 'ansible-inventory'],
    ['ansible-inventory/list.yaml', 'ansible-inventory'],
    ['oneprovision-6/onehost-list.json', undefined],
  ])('%s -> %s', (file, format) => {
    expect(detectFormat(fixture(file))).toBe(format);
  });
  test('the OneForm API form, a hand-written inventory, broken JSON, a list', () => {
    expect(detectFormat(JSON.stringify({ DOCUMENT: JSON.parse(fixture('oneprovision-7/show-5.json')) }))).toBe('oneprovision-7');
    expect(detectFormat('node:\n  hosts:\n    n1: {}\n')).toBeUndefined();
    expect(detectFormat('{"DOCUMENT": ')).toBeUndefined();
    expect(detectFormat('[1]')).toBeUndefined();
  });
});

describe('edge-wizard import', () => {
  test('one host added, one missing: kept and reported without confirmation, nothing renumbered', async () => {
    const { dir, file } = workdir();
    const { io: i, t } = io();
    expect(await runImport(['-f', file, '--from', join(dir, 'show.json'), '--hosts', join(dir, 'hosts.json')], i)).toBe(0);
    const after = readFileSync(file, 'utf8');
    expect(t.out).toContain('+ kvm_london_1 (18.135.1.7) added');
    expect(t.err).toContain('kvm_london_b (18.130.10.20) is no longer in the provision; kept');
    expect(after).toContain('# decommissioned next week');
    expect(after).toContain('# The seed does not list the Elastic IPs; replace these placeholders.');
    const s = parseScenario(after).scenario;
    expect(s.clusters[0]!.hosts.map((h) => [h.name, h.public_ip, h.wireguard_address])).toEqual([
      ['kvm_london', '18.134.246.200', undefined],
      ['kvm_london_b', '18.130.10.20', '192.168.0.9'],
      ['kvm_london_1', '18.135.1.7', undefined],
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  test('--remove-missing: the expected scenario diff and inventory diff', async () => {
    const { dir, file } = workdir();
    const before = parseScenario(scenarioText).scenario;
    const { io: i, t } = io();
    expect(await runImport(['-f', file, '--from', join(dir, 'show.json'), '--hosts', join(dir, 'hosts.json'), '--remove-missing'], i)).toBe(0);
    expect(t.out).toContain('- kvm_london_b (18.130.10.20) removed');
    const after = readFileSync(file, 'utf8');
    const expected = scenarioText
      .replace(
        '      # decommissioned next week\n      - name: kvm_london_b\n        public_ip: 18.130.10.20\n        wireguard_address: 192.168.0.9\n',
        '      - name: kvm_london_1\n        public_ip: 18.135.1.7\n',
      )
      .replace('opennebula        #', 'opennebula #'); // the yaml package re-spaces inline comments
    expect(after).toBe(expected);
    // Inventory: kvm_london_b leaves the node group, kvm_london_1 joins it; other hosts unchanged.
    const invBefore = renderInventory(before);
    const invAfter = renderInventory(parseScenario(after).scenario);
    expect(invBefore).toContain('kvm_london_b');
    expect(invAfter).not.toContain('kvm_london_b');
    expect(invAfter).toMatch(/kvm_london_1:\n\s+ansible_host: 18\.135\.1\.7/);
    expect(invAfter).toMatch(/kvm_ncalifornia:\n\s+ansible_host: 18\.144\.25\.41/);
    // Second run: nothing to do.
    const r2 = io();
    expect(await runImport(['-f', file, '--from', join(dir, 'show.json'), '--hosts', join(dir, 'hosts.json'), '--yes'], r2.io)).toBe(0);
    expect(r2.t.out).toContain('already up to date');
  });

  test('--dry-run prints the diff and writes nothing', async () => {
    const { dir, file } = workdir();
    const { io: i, t } = io();
    expect(await runImport(['-f', file, '--from', join(dir, 'inventory.json'), '--dry-run', '--yes'], i)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(scenarioText);
    expect(t.out).toContain('+      - name: kvm_london_1');
    expect(t.out).toContain('-      - name: kvm_london_b');
  });

  test('usage errors exit 2', async () => {
    const { file } = workdir();
    await expect(runImport(['-f', file], io().io)).rejects.toMatchObject({ exitCode: 2 });
    await expect(runImport(['-f', file, '--from', file, '--format', 'csv'], io().io)).rejects.toMatchObject({ exitCode: 2 });
  });
});

describe('edge-wizard import of each format into the seed', () => {
  test.each([
    ['oneprovision-6', ['--from', 'show.json', '--hosts', 'hosts.json']],
    ['oneprovision-7', ['--from', 'show7.json']],
    ['ansible-inventory', ['--from', 'inventory.json']],
    ['ansible-inventory', ['--from', 'inventory.yml']],
  ])('%s %s: the second London host joins london, by public IP', async (format, args) => {
    const { dir, file } = workdir();
    const { io: i, t } = io();
    const argv = args.map((a) => (a.startsWith('--') ? a : join(dir, a)));
    expect(await runImport(['-f', file, ...argv, '--remove-missing'], i)).toBe(0);
    expect(t.out).toContain(`from ${format} provision`);
    expect(t.out).toContain('into cluster london.');
    expect(t.err).toBe('');
    const s = parseScenario(readFileSync(file, 'utf8')).scenario;
    expect(s.clusters.map((c) => [c.name, c.provider, c.hosts.map((h) => h.public_ip)])).toEqual([
      ['london', 'aws', ['18.134.246.200', '18.135.1.7']],
      ['ncalifornia', 'aws', ['18.144.25.41']],
    ]);
  });

  /** The 7.2 fixture as another provision: other addresses and name. */
  function frankfurt(dir: string): void {
    const doc = JSON.parse(fixture('oneprovision-7/show-5.json'));
    const body = doc.TEMPLATE.PROVISION_BODY;
    body.name = 'frankfurt';
    body.one_objects.hosts = [
      { id: 12, resource_id: 'i-0f1', name: '3.120.7.8' },
      { id: 13, resource_id: 'i-0f2', name: '3.120.7.9' },
    ];
    writeFileSync(join(dir, 'frankfurt.json'), JSON.stringify(doc));
    const inv = fixture('ansible-inventory/list.json').replace('18.134.246.200', '3.120.7.8').replace('18.135.1.7', '3.120.7.9');
    writeFileSync(join(dir, 'frankfurt-inventory.json'), inv);
  }

  test('oneprovision-7: a new provision becomes a new cluster named like it, on AWS, with its elastic network', async () => {
    const { dir, file } = workdir();
    frankfurt(dir);
    const { io: i, t } = io();
    expect(await runImport(['-f', file, '--from', join(dir, 'frankfurt.json')], i)).toBe(0);
    expect(t.out).toContain('Read 2 host(s) from oneprovision-7 provision "frankfurt" into cluster frankfurt (new).');
    expect(t.err).toBe('');
    const c = parseScenario(readFileSync(file, 'utf8')).scenario.clusters[2]!;
    expect([c.name, c.provider, c.public_network.name, c.hosts.map((h) => [h.name, h.public_ip])]).toEqual([
      'frankfurt',
      'aws',
      'public_aws_network (provision_5)',
      [
        ['kvm_frankfurt_1', '3.120.7.8'],
        ['kvm_frankfurt_2', '3.120.7.9'],
      ],
    ]);
  });

  test('ansible-inventory of a new provision: --cluster is needed; the provider is not guessed but warned about, or given', async () => {
    const { dir, file } = workdir();
    frankfurt(dir);
    const from = join(dir, 'frankfurt-inventory.json');
    await expect(runImport(['-f', file, '--from', from], io().io)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('pass --cluster NAME'),
    });
    const r1 = io();
    expect(await runImport(['-f', file, '--from', from, '--cluster', 'frankfurt', '--dry-run'], r1.io)).toBe(0);
    expect(r1.t.out).toContain('Read 2 host(s) from ansible-inventory provision 5 into cluster frankfurt (new).');
    expect(r1.t.err).toBe(
      'warning: The ansible-inventory input does not say which cloud the hosts run on, so the new cluster frankfurt has provider other (no AWS REJECT rule handling): pass --provider, or set clusters[2].provider.\n',
    );
    expect(r1.t.out).toContain('+    provider: other');
    const r2 = io();
    expect(await runImport(['-f', file, '--from', from, '--cluster', 'frankfurt', '--provider', 'aws'], r2.io)).toBe(0);
    expect(r2.t.err).toBe('');
    const c = parseScenario(readFileSync(file, 'utf8')).scenario.clusters[2]!;
    expect([c.name, c.provider, c.public_network.name]).toEqual(['frankfurt', 'aws', 'public_aws_network (provision_5)']);
  });

  test('the one_auth the inventory carries (OneForm passes it with -e) is never printed', async () => {
    const { dir, file } = workdir();
    const bad = JSON.parse(fixture('ansible-inventory/list.json'));
    expect(JSON.stringify(bad)).toContain('one-auth-secret');
    bad._meta.hostvars.n1.ansible_host = ['x'];
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const runs = [
      await cli('import', '-f', file, '--from', join(dir, 'inventory.json'), '--dry-run', '--yes'),
      await cli('import', '-f', file, '--from', join(dir, 'inventory.yml'), '--dry-run', '--yes'),
      await cli('import', '-f', file, '--from', join(dir, 'bad.json'), '--yes'),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 2]);
    for (const r of runs) expect(r.out + r.err).not.toContain('one-auth-secret');
  });

  test('--format and --provider are checked; --format forces a reader', async () => {
    const { dir, file } = workdir();
    await expect(runImport(['-f', file, '--from', join(dir, 'show7.json'), '--format', 'oneform'], io().io)).rejects.toMatchObject({
      exitCode: 2,
      message: '--format is "oneform": use oneprovision-6, oneprovision-7, ansible-inventory.',
    });
    await expect(runImport(['-f', file, '--from', join(dir, 'show7.json'), '--provider', 'gcp'], io().io)).rejects.toMatchObject({
      exitCode: 2,
      message: '--provider is "gcp": use aws, equinix, vultr, onprem, other.',
    });
    await expect(runImport(['-f', file, '--from', join(dir, 'show7.json'), '--format', 'oneprovision-6'], io().io)).rejects.toMatchObject({
      exitCode: 2,
      message: `--from ${join(dir, 'show7.json')} has no DOCUMENT at the top level: save the output of "oneprovision show ID --json" again.`,
    });
  });
});
