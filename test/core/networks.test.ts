/** Several EVPN networks (issue 13): one `vn` entry and VNET each; the older one-network form still read. */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseScenario, planFiles } from '../../src/core/index.js';
import { vnOneTemplate } from '../../src/core/opennebula/plan.js';
import { demoVnis } from '../../src/lab/vms.js';
import { cli } from '../support/cli.js';

const TWO = readFileSync('examples/two-networks.yaml', 'utf8');

function hostsYml(text: string): { all: { vars: { vn: Record<string, { managed: boolean; template: Record<string, unknown> }>; evpn_as: number } } } {
  const { scenario } = parseScenario(text);
  return parse(planFiles(scenario).files.find((f) => f.path === 'hosts.yml')!.content, { version: '1.1' });
}

test('each network is its own vn entry: automatic VNI or a fixed VLAN_ID, its own range and MTU', () => {
  const inv = hostsYml(TWO);
  expect(Object.keys(inv.all.vars.vn)).toEqual(['private_evpn-vxlan', 'tenant-b']);
  expect(inv.all.vars.vn['private_evpn-vxlan']!.template).toMatchObject({
    AUTOMATIC_VLAN_ID: 'YES',
    NETWORK_ADDRESS: '172.17.2.0',
    PHYDEV: 'wg0',
    VXLAN_MODE: 'evpn',
  });
  expect(inv.all.vars.vn['tenant-b']!.template).toMatchObject({
    VLAN_ID: '100',
    NETWORK_ADDRESS: '172.18.0.0',
    AR: { TYPE: 'IP4', IP: '172.18.0.1', SIZE: 20 },
    MTU: 1370,
  });
  expect(inv.all.vars.vn['tenant-b']!.template.AUTOMATIC_VLAN_ID).toBeUndefined();
  expect(inv.all.vars.evpn_as).toBe(65000);
  const { scenario } = parseScenario(TWO);
  expect(vnOneTemplate(scenario, scenario.networks[1]!)[0]).toEqual(['NAME', 'tenant-b']);
  // The demo's VNIs as OpenNebula hands them out: automatic ones from 2, fixed ones kept.
  expect(demoVnis(scenario)).toEqual([2, 100]);
});

test('the one-network evpn block reads as networks[0] and bgp.as, with one note; its fields keep their names in messages', () => {
  const legacy = TWO.replace(/\nbgp:\n {2}as: 65000\n/, '\n').replace(
    /networks:\n {2}- name: private_evpn-vxlan\n([\s\S]*?)\n {2}# A second[\s\S]*?vni: 100\n/,
    (_m, body: string) => `evpn:\n  as: 65001\n  name: private_evpn-vxlan\n${body.replace(/^ {4}/gm, '  ')}\n`,
  );
  const { scenario, warnings } = parseScenario(legacy);
  expect(scenario.networks).toHaveLength(1);
  expect(scenario.bgp.as).toBe(65001);
  expect(warnings.map((w) => w.message)).toEqual([
    'evpn is the one-network form of the file: it reads as networks[0] with bgp.as; write networks: (and bgp.as) to add a second network.',
  ]);
  expect(hostsYml(legacy).all.vars.evpn_as).toBe(65001);
  expect(() => parseScenario(legacy.replace('ar_start: 172.17.2.1', 'ar_start: 172.17.3.1'))).toThrow(/evpn\.ar_start 172\.17\.3\.1 is not a host address/);
});

test("regeneration: a network removed from the scenario leaves hosts.yml; the user's own vn entries stay", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ew-nets-'));
  const file = join(dir, 's.yaml');
  const out = join(dir, 'inv');
  await writeFile(file, TWO);
  expect((await cli('generate', '-f', file, '--out', out)).code).toBe(0);
  const hosts = join(out, 'hosts.yml');
  await writeFile(hosts, (await readFile(hosts, 'utf8')).replace('    vn:\n', '    vn:\n      mine:\n        template: { VN_MAD: bridge }\n'));
  await writeFile(file, TWO.replace(/\n {2}# A second[\s\S]*?vni: 100\n/, '\n'));
  expect((await cli('generate', '-f', file, '--out', out)).code).toBe(0);
  const vn = parse(await readFile(hosts, 'utf8'), { version: '1.1' }).all.vars.vn;
  expect(Object.keys(vn).sort()).toEqual(['mine', 'private_evpn-vxlan']);
});
