import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { applyDefaults } from '../../src/core/defaults.js';
import type { Scenario } from '../../src/core/scenario.js';
import { createOneClient, httpTransport, OneError, encodeCall, decodeResponse, XmlRpcFault } from '../../src/adapters/opennebula/xmlrpc.js';
import { ensureOne } from '../../src/adapters/opennebula/ensure.js';
import { checkSemantics } from '../../src/core/validate.js';
import { FakeOned } from '../support/fake-oned.js';

function seedScenario(): Scenario {
  return applyDefaults(YAML.parse(readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8')));
}

describe('edge-wizard one against the stand-in oned', () => {
  let oned: FakeOned;
  let endpoint: string;
  beforeEach(async () => {
    oned = new FakeOned();
    endpoint = await oned.start();
  });
  afterEach(() => oned.stop());
  const client = (password = 's3cret') => createOneClient({ transport: httpTransport(endpoint), user: 'oneadmin', password });

  test('first run creates the cluster, the EVPN VNET and the VR with the documented calls', async () => {
    const s = seedScenario();
    const r = await ensureOne(client(), s);
    expect(oned.writeCalls.map((c) => c.method)).toEqual([
      'one.cluster.allocate',
      'one.cluster.addhost',
      'one.cluster.addhost',
      'one.cluster.adddatastore',
      'one.cluster.adddatastore',
      'one.cluster.addvnet',
      'one.cluster.addvnet',
      'one.vn.allocate',
      'one.image.allocate',
      'one.template.allocate',
      'one.vrouter.allocate',
      'one.vrouter.instantiate',
    ]);
    const cid = r.ids.cluster!;
    expect(oned.writeCalls[0]!.params).toEqual(['seed-practical']);
    expect(oned.writeCalls[1]!.params).toEqual([cid, 3]);
    expect(oned.writeCalls[2]!.params).toEqual([cid, 4]);
    // datastores 0 (system, ssh) and 1 (image, ssh); the files datastore stays out
    expect(oned.writeCalls.slice(3, 5).map((c) => c.params[1]).sort()).toEqual([0, 1]);
    expect(oned.writeCalls.slice(5, 7).map((c) => c.params)).toEqual([[cid, 10], [cid, 11]]);
    const [vnTpl, vnCluster] = oned.writeCalls[7]!.params as [string, number];
    expect(vnCluster).toBe(cid);
    for (const line of ['NAME = "private_evpn-vxlan"', 'VN_MAD = "vxlan"', 'VXLAN_MODE = "evpn"', 'PHYDEV = "wg0"', 'MTU = "1370"', 'GUEST_MTU = "1370"', 'GATEWAY = "172.17.2.1"', 'AUTOMATIC_VLAN_ID = "YES"']) {
      expect(vnTpl).toContain(line);
    }
    const [imgTpl, dsId, noCheck] = oned.writeCalls[8]!.params;
    expect(imgTpl).toContain('FROM_APP = "42"');
    expect(imgTpl).not.toMatch(/FORMAT|DRIVER/);
    expect([dsId, noCheck]).toEqual([1, false]);
    expect(oned.writeCalls[9]!.params[0]).toContain(`DISK = [ IMAGE_ID = "${r.ids.vr_image}" ]`);
    const vrTpl = String(oned.writeCalls[10]!.params[0]);
    expect(vrTpl).toContain('NETWORK_ID = "10"');
    expect(vrTpl).toContain(`NETWORK_ID = "${r.ids.evpn}",\n  IP = "172.17.2.1"`);
    const inst = oned.writeCalls[11]!.params;
    expect(inst.slice(0, 5)).toEqual([r.ids.vrouter, 1, r.ids.vr_template, 'seed-practical-vr-%i', false]);
    expect(inst[5]).toContain('ONEAPP_VNF_SDNAT4_ENABLED = "YES"');
    expect(inst[5]).toContain('ONEAPP_VNF_SDNAT4_INTERFACES = "eth0 eth1"');
    expect(inst[5]).toContain('SCHED_REQUIREMENTS = "ID = 3"');
    expect(r.vrouter?.ip).toBe('203.0.113.10');
    expect(r.plan.warnings.join('\n')).toMatch(/OneGate/);
  });

  test('second run makes no write call', async () => {
    const s = seedScenario();
    await ensureOne(client(), s);
    const before = oned.writeCalls.length;
    const r = await ensureOne(client(), s);
    expect(r.plan.steps).toEqual([]);
    expect(oned.writeCalls.length).toBe(before);
    expect(r.vrouter?.ip).toBe('203.0.113.10');
  });

  test('pre-existing objects are adopted, not recreated', async () => {
    oned.state.clusters.push({ id: 150, name: 'seed-practical', hosts: [3], datastores: [0, 1], vnets: [10] });
    oned.state.hosts[0]!.cluster_id = 150;
    oned.state.vnets.push({ id: 60, name: 'private_evpn-vxlan', template: 'user-made', clusters: [0] });
    oned.state.templates.push({ id: 70, name: 'Service Virtual Router', template: 'user-made' });
    const r = await ensureOne(client(), seedScenario());
    expect(oned.writeCalls.map((c) => [c.method, ...c.params.slice(0, 2)])).toEqual([
      ['one.cluster.addhost', 150, 4],
      ['one.cluster.addvnet', 150, 11],
      ['one.cluster.addvnet', 150, 60],
      ['one.vrouter.allocate', expect.stringContaining('NETWORK_ID = "60"')],
      ['one.vrouter.instantiate', r.ids.vrouter, 1],
    ]);
    expect(oned.writeCalls[4]!.params[2]).toBe(70);
    expect(oned.calls.some((c) => c.method === 'one.marketapppool.info')).toBe(false);
    expect(oned.state.vnets.find((v) => v.id === 60)!.template).toBe('user-made');
  });

  test('an error from oned is reported with its message and nothing is attempted after it', async () => {
    oned.failures.set('one.cluster.addvnet', { message: '[one.cluster.addvnet] Error getting virtual network [10].', code: 0x0400 });
    await expect(ensureOne(client(), seedScenario())).rejects.toThrow(/oned refused one.cluster.addvnet: \[one.cluster.addvnet\] Error getting virtual network \[10\]. \(NO_EXISTS\)/);
    const methods = oned.writeCalls.map((c) => c.method);
    expect(methods[methods.length - 1]).toBe('one.cluster.addvnet');
    expect(methods.filter((m) => m === 'one.cluster.addvnet')).toHaveLength(1);
    expect(methods).not.toContain('one.vn.allocate');
  });

  test('a wrong password is reported as oned words it, and the password never appears', async () => {
    const err = await ensureOne(client('wrong-pass'), seedScenario()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OneError);
    expect(String((err as Error).message)).toMatch(/AUTHENTICATION/);
    expect(String((err as Error).message)).not.toContain('wrong-pass');
  });

  test('the public-IP budget is the scenario validator\'s, checked once before OpenNebula is reached', () => {
    const s = seedScenario();
    s.clusters[0]!.public_network.ips = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5', '203.0.113.6'];
    expect(checkSemantics(s).errors.map((e) => e.message).join('\n')).toMatch(/clusters\[0\]\.public_network\.ips \(cluster london\) lists 6 public IPs/);
  });

  test('dry run lists the calls without making any write call', async () => {
    const lines: string[] = [];
    const r = await ensureOne(client(), seedScenario(), { dryRun: true, log: (l) => lines.push(l) });
    expect(oned.writeCalls).toEqual([]);
    expect(r.plan.steps.length).toBe(12);
    expect(lines[0]).toBe('one.cluster.allocate("seed-practical")  # Create cluster seed-practical');
    expect(lines[1]).toMatch(/^one\.cluster\.addhost\(<cluster>, 3\)/);
    expect(lines.join('\n')).not.toContain('s3cret');
  });

  test('the stand-in rejects unknown methods and wrong parameter types', async () => {
    const t = httpTransport(endpoint);
    expect(() => decodeResponse('')).toThrow();
    await expect(t(encodeCall('one.vm.delete', ['oneadmin:s3cret', 1])).then(decodeResponse)).rejects.toBeInstanceOf(XmlRpcFault);
    const bad = decodeResponse(await t(encodeCall('one.cluster.addhost', ['oneadmin:s3cret', '1', 2]))) as unknown[];
    expect(bad.slice(0, 1)).toEqual([false]);
    expect(bad[2]).toBe(0x1000);
  });
});
