import { mkdtempSync, readFileSync, writeFileSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseScenario, renderInventory } from '../../src/core/index.js';
import { parseOneprovision, parseOneform } from '../../src/core/import/provision.js';
import { runImport } from '../../src/cli/commands/import.js';

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
  writeFileSync(join(dir, 'show.json'), fixture('oneprovision/show-7.json'));
  writeFileSync(join(dir, 'hosts.json'), fixture('oneprovision/onehost-list.json'));
  writeFileSync(join(dir, 'oneform.yml'), fixture('oneform/hosts.yml'));
  return { dir, file };
}

describe('import parsers', () => {
  test('oneprovision show + onehost list: the provision\'s hosts by public IP', () => {
    const p = parseOneprovision(fixture('oneprovision/show-7.json'), fixture('oneprovision/onehost-list.json'));
    expect(p).toMatchObject({ format: 'oneprovision', name: 'london', provider: 'aws', networks: ['london-public', 'london-private-host-only-nat'] });
    expect(p.hosts).toEqual([{ public_ip: '18.134.246.200', one_id: 3 }, { public_ip: '18.135.1.7', one_id: 9 }]);
  });
  test('oneprovision show alone falls back to the infrastructure host names', () => {
    expect(parseOneprovision(fixture('oneprovision/show-7.json')).hosts.map((h) => h.public_ip)).toEqual(['18.134.246.200', '18.135.1.7']);
  });
  test('OneForm inventory: node group ansible_host', () => {
    expect(parseOneform(fixture('oneform/hosts.yml')).hosts.map((h) => h.public_ip)).toEqual(['18.134.246.200', '18.135.1.7']);
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
    const expected = scenarioText.replace(
      '      # decommissioned next week\n      - name: kvm_london_b\n        public_ip: 18.130.10.20\n        wireguard_address: 192.168.0.9\n',
      '      - name: kvm_london_1\n        public_ip: 18.135.1.7\n',
    ).replace('opennebula        #', 'opennebula #'); // the yaml package re-spaces inline comments
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
    expect(await runImport(['-f', file, '--from', join(dir, 'oneform.yml'), '--dry-run', '--yes'], i)).toBe(0);
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
