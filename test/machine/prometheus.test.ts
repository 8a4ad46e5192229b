/**
 * verify --prometheus: node_exporter textfile-collector content, checked
 * against the rules of the text exposition format (0.0.4) by a strict reader
 * written from the spec, and written atomically (a new inode, no temp left).
 */
import { describe, expect, test, beforeEach } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeRunner } from '../support/fake-runner.js';
import { runVerifyCommand } from '../../src/cli/commands/verify.js';
import { overlayFacts } from '../../src/core/observed.js';
import { escapeLabelValue, renderPrometheus } from '../../src/core/prometheus.js';
import { judge } from '../../src/core/verify.js';
import { cli } from '../support/cli.js';
import { ansibleTable, readExposition, splitIO, type Faults } from './support.js';

const SEED = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
let dir: string;
let file: string;
let out: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ew-prom-'));
  file = join(dir, 'scenario.yaml');
  writeFileSync(file, SEED);
  out = join(dir, 'inv');
  expect((await cli('generate', '-f', file, '--out', out)).code).toBe(0);
});

const deps = (faults: Faults = {}) => ({ exec: fakeRunner(ansibleTable(faults)), now: () => 1_767_225_600_000, env: {} as NodeJS.ProcessEnv });

describe('verify --prometheus', () => {
  test('per host: BGP state on each reflector, BFD, handshake ages, MTU probes; the format holds', async () => {
    const prom = join(dir, 'textfile', 'edge-wizard.prom');
    const s = splitIO();
    const faults: Faults = {
      bgpState: { kvm_ncalifornia: 'Active' },
      noHandshake: [['kvm_london', 'ingress']],
      pingFails: [['ingress', 'kvm_london']],
      bfdDown: [['kvm_london', 'kvm_ncalifornia', 'down']],
      vteps: ['kvm_ncalifornia'],
    };
    const r = await runVerifyCommand({ file, out, prometheus: prom }, s.io, deps(faults));
    expect(r.report.ok).toBe(false);
    expect(s.err()).toBe(`metrics: ${prom}\n`);
    const text = readFileSync(prom, 'utf8');
    const { families } = readExposition(text);
    for (const [name, f] of families) {
      expect(name.startsWith('edge_wizard_')).toBe(true);
      expect(f.type).toBe('gauge');
      expect(f.help.length).toBeGreaterThan(10);
    }
    const value = (name: string, labels: Record<string, string>) =>
      families.get(name)?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
    expect(value('edge_wizard_verify_success', {})).toBe(0);
    expect(value('edge_wizard_verify_last_run_timestamp_seconds', {})).toBe(1_767_225_600);
    expect(value('edge_wizard_bgp_session_up', { host: 'kvm_ncalifornia', reflector: 'ingress' })).toBe(0);
    expect(value('edge_wizard_bgp_session_up', { host: 'kvm_ncalifornia', reflector: 'kvm_london' })).toBe(0);
    expect(value('edge_wizard_bgp_session_up', { host: 'kvm_london', reflector: 'ingress' })).toBe(1);
    expect(value('edge_wizard_bgp_session_state', { host: 'kvm_ncalifornia', reflector: 'ingress', state: 'Active' })).toBe(1);
    expect(value('edge_wizard_bfd_session_up', { host: 'kvm_london', peer: 'kvm_ncalifornia' })).toBe(0);
    expect(value('edge_wizard_bfd_receive_interval_seconds', { host: 'kvm_ncalifornia', peer: 'ingress' })).toBe(0.3);
    // BFD between reflectors too (roles/frr_layer).
    expect(value('edge_wizard_bfd_session_up', { host: 'kvm_london', peer: 'ingress' })).toBeDefined();
    expect(value('edge_wizard_wireguard_handshake_age_seconds', { host: 'kvm_london', peer: 'ingress' })).toBe(Infinity);
    expect(value('edge_wizard_wireguard_handshake_age_seconds', { host: 'ingress', peer: 'kvm_london' })).toBe(10);
    expect(value('edge_wizard_mtu_probe_success', { host: 'ingress', peer: 'kvm_london' })).toBe(0);
    expect(value('edge_wizard_mtu_probe_bytes', { host: 'ingress', peer: 'kvm_london' })).toBe(1420);
    expect(value('edge_wizard_host_answered', { host: 'kvm_london', cluster: 'london' })).toBe(1);
    expect(text).toContain('edge_wizard_wireguard_handshake_age_seconds{scenario="seed-practical",host="kvm_london",peer="ingress"} +Inf\n');
  });

  test('written atomically: a new file replaces the old one by rename, no temp file is left, mode 0644', async () => {
    const prom = join(dir, 'edge-wizard.prom');
    // A previous textfile of ours (anything else is refused: test/hostile/files-and-input.test.ts).
    writeFileSync(prom, '# HELP edge_wizard_verify_success old\n');
    const before = statSync(prom).ino;
    await runVerifyCommand({ file, out, prometheus: prom }, splitIO().io, deps());
    const st = statSync(prom);
    expect(st.ino).not.toBe(before);
    expect(st.mode & 0o777).toBe(0o644);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readExposition(readFileSync(prom, 'utf8')).families.get('edge_wizard_verify_success')!.samples[0]!.value).toBe(1);
  });

  test('--json and --prometheus together: stdout keeps only the JSON; a name without .prom is noted', async () => {
    const s = splitIO();
    await runVerifyCommand({ file, out, json: true, prometheus: join(dir, 'metrics.txt') }, s.io, deps());
    expect(JSON.parse(s.out()).kind).toBe('verify');
    expect(s.err()).toContain('only reads *.prom files');
  });

  test('label values and HELP are escaped per the format, and read back the same', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const hostile = 'kvm"x\\y\nz';
    const obs = [
      {
        host: hostile,
        router: true,
        wireguard_address: '192.168.0.1/24',
        mtu: 1420,
        now: 5,
        wg_handshakes: '',
        wg_rc: 0,
        public_key: 'K=',
        bgp_summary: '{}',
        pings: [['p"q', 1]] as Array<[string, number]>,
        peers: [],
        peer_addresses: [],
      },
    ];
    const text = renderPrometheus({ scenario: 's\\"', facts: overlayFacts(obs, [hostile]), report: judge(obs, [hostile]), finishedAt: 5 });
    const { families } = readExposition(text);
    const probe = families.get('edge_wizard_mtu_probe_success')!.samples[0]!;
    expect(probe.labels).toEqual({ scenario: 's\\"', host: hostile, peer: 'p"q' });
  });
});

test('the reader refuses what the collector refuses (so the test above means something)', () => {
  const ok = '# HELP edge_wizard_x An x.\n# TYPE edge_wizard_x gauge\nedge_wizard_x{a="1"} 1\n';
  expect(() => readExposition(ok)).not.toThrow();
  expect(() => readExposition(ok.slice(0, -1))).toThrow(/line feed/);
  expect(() => readExposition(`${ok}edge_wizard_x{a="1"} 2\n`)).toThrow(/same series/);
  expect(() => readExposition(ok.replace('} 1', '} 1 1700000000000'))).toThrow(/timestamp/);
  expect(() => readExposition(ok.replace('a="1"', 'a="1\n"'))).toThrow();
  expect(() => readExposition('edge_wizard_y 1\n')).toThrow(/HELP\/TYPE/);
  const two = `${ok}# HELP edge_wizard_y A y.\n# TYPE edge_wizard_y gauge\nedge_wizard_y 1\n`;
  expect(() => readExposition(two)).not.toThrow();
  expect(() => readExposition(`${two}# HELP edge_wizard_x again.\n`)).toThrow(/again/);
});
