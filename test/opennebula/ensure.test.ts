/**
 * What only the stand-in can show: another oned version (6.10's flipped capacity flag), an
 * injected oned failure, exact call lists, and the plan's pure rules. The behaviour against
 * oned itself is test/opennebula/oned.test.ts (real oned with ONE_LOCATION, else this stand-in).
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { applyDefaults } from '../../src/core/defaults.js';
import type { Scenario } from '../../src/core/scenario.js';
import { createOneClient, httpTransport, OneError, endpointPath } from '../../src/adapters/opennebula/xmlrpc.js';
import { ensureOne } from '../../src/adapters/opennebula/ensure.js';
import { publicAddress } from '../../src/adapters/opennebula/pools.js';
import { imageCapacityArg, availableMb, planOne, PlanProblems } from '../../src/core/opennebula/plan.js';
import type { OneState } from '../../src/core/opennebula/state.js';
import { checkSemantics } from '../../src/core/validate.js';
import { FakeOned, standInEstate } from '../support/fake-oned.js';

function seedScenario(): Scenario {
  return applyDefaults(YAML.parse(readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8')));
}
const WAIT = { pollMs: 20, timeoutMs: 10_000 };

describe('edge-wizard one against the stand-in oned (call lists, versions, injected failures)', () => {
  let oned: FakeOned;
  let endpoint: string;
  const start = async (o?: ConstructorParameters<typeof FakeOned>[2]) => {
    oned = new FakeOned(standInEstate(), 'oneadmin:s3cret', o);
    endpoint = await oned.start();
  };
  afterEach(() => oned.stop());
  const client = (password = 's3cret') => createOneClient({ transport: httpTransport(endpoint), user: 'oneadmin', password });

  test('first run: the documented calls in order; the VR instantiated on hold, then released', async () => {
    await start();
    const r = await ensureOne(client(), seedScenario(), { wait: WAIT });
    expect(oned.writeCalls.map((c) => c.method)).toEqual([
      'one.cluster.allocate',
      'one.cluster.update',
      'one.cluster.addhost',
      'one.cluster.addhost',
      'one.cluster.adddatastore',
      'one.cluster.adddatastore',
      'one.cluster.adddatastore',
      'one.cluster.adddatastore',
      'one.cluster.addvnet',
      'one.cluster.addvnet',
      'one.vn.allocate',
      'one.image.allocate',
      'one.template.allocate',
      'one.vrouter.allocate',
      'one.vrouter.instantiate',
      'one.vm.action',
    ]);
    const [imgTpl, dsId, capacity] = oned.writeCalls[11]!.params;
    expect(imgTpl).toContain('FROM_APP = "0"');
    expect(imgTpl).not.toMatch(/FORMAT|DRIVER/);
    expect(dsId).toBe(oned.state.datastores.find((d) => d.name === 'london-image')!.id);
    expect(capacity).toBe(true); // 6.8: check_capacity
    const inst = oned.writeCalls[14]!.params;
    expect(inst.slice(0, 5)).toEqual([r.ids.vrouter, 1, r.ids.vr_template, 'seed-practical-vr-%i', true]);
    expect(inst[5]).toContain('SCHED_REQUIREMENTS = "ID = 0"');
    expect(oned.writeCalls[15]!.params).toEqual(['release', r.vrouter!.vm]);
    expect(r.vrouter).toMatchObject({ ip: '203.0.113.10', private_ip: '10.0.113.10', state: 1 });
  });

  test("oned 6.10 and later: one.image.allocate's 4th parameter is no_check_capacity, so false", async () => {
    await start({ version: '6.10.0' });
    await ensureOne(client(), seedScenario(), { wait: WAIT });
    expect(oned.writeCalls.find((c) => c.method === 'one.image.allocate')!.params[2]).toBe(false);
    expect([imageCapacityArg('6.8.3'), imageCapacityArg('6.10.0'), imageCapacityArg('7.0.0'), imageCapacityArg('5.12.0')]).toEqual([true, false, false, true]);
  });

  test("the old release path, measured: oned's own release fails for a CLONING VM, which lands in HOLD", async () => {
    await start({ imageCopyMs: 60_000 });
    const c = client();
    const ds = oned.state.datastores.find((d) => d.name === 'london-image')!.id;
    const img = Number(await c.call('one.image.allocate', 'NAME = "x"\nFROM_APP = "0"\n', ds, true));
    const tpl = Number(await c.call('one.template.allocate', `VROUTER = "YES"\nNAME = "t"\nDISK = [ IMAGE_ID = "${img}" ]\n`));
    const vr = Number(await c.call('one.vrouter.allocate', 'NAME = "v"\nNIC = [ NETWORK_ID = "0" ]\n'));
    await c.call('one.vrouter.instantiate', vr, 1, tpl, '', false, '');
    const vm = oned.state.vms[0]!;
    expect(vm.state).toBe(10);
    oned.finishCopies();
    expect(vm.state).toBe(2);
  });

  test('the VR is instantiated only once the new EVPN network is READY (the stand-in refuses leases while LOCK_CREATE)', async () => {
    await start({ vnetCreateMs: 400 });
    const r = await ensureOne(client(), seedScenario(), { wait: WAIT });
    expect(r.vrouter).toMatchObject({ state: 1, ip: '203.0.113.10' });
    await oned.stop();
    await start({ vnetCreateMs: 60_000 });
    await expect(ensureOne(client(), seedScenario(), { wait: { ...WAIT, timeoutMs: 300 } })).rejects.toThrow(
      /The virtual network private_evpn-vxlan \(ID \d+\) is still LOCK_CREATE after 0 s/,
    );
    expect(oned.writeCalls.map((c) => c.method)).not.toContain('one.vrouter.instantiate');
  });

  test('an error from oned is reported with its message and nothing is attempted after it', async () => {
    await start();
    oned.failures.set('one.cluster.addvnet', { message: '[one.cluster.addvnet] Error getting virtual network [0].', code: 0x0400 });
    await expect(ensureOne(client(), seedScenario(), { wait: WAIT })).rejects.toThrow(
      /oned refused one.cluster.addvnet: \[one.cluster.addvnet\] Error getting virtual network \[0\]. \(NO_EXISTS\)/,
    );
    const methods = oned.writeCalls.map((c) => c.method);
    expect(methods[methods.length - 1]).toBe('one.cluster.addvnet');
    expect(methods).not.toContain('one.vn.allocate');
  });

  test('a wrong password is reported as oned words it, and the password never appears', async () => {
    await start();
    const err = await ensureOne(client('wrong-pass'), seedScenario()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OneError);
    expect(String((err as Error).message)).toMatch(/AUTHENTICATION/);
    expect(String((err as Error).message)).not.toContain('wrong-pass');
  });

  test('dry run lists the calls without making any write call', async () => {
    await start();
    const lines: string[] = [];
    const r = await ensureOne(client(), seedScenario(), { dryRun: true, log: (l) => lines.push(l) });
    expect(oned.writeCalls).toEqual([]);
    expect(r.plan.steps.length).toBe(16);
    expect(lines[0]).toBe('one.cluster.allocate("seed-practical")  # Create cluster seed-practical');
    expect(lines[1]).toMatch(/^one\.cluster\.update\(<cluster>, "EDGE_WIZARD_SCENARIO = \\"seed-practical\\"\\nEDGE_WIZARD_ROLE = \\"cluster\\"\\n", 1\)/);
    expect(lines[2]).toMatch(/^one\.cluster\.addhost\(<cluster>, 0\)/);
    expect(lines[lines.length - 1]).toMatch(/^one\.vm\.action\("release", <each VM of vrouter on HOLD, once out of CLONING>\)/);
    expect(lines.join('\n')).not.toContain('s3cret');
  });

  test('a VR left on HOLD by an earlier run is released by the next one', async () => {
    await start();
    const s = seedScenario();
    await ensureOne(client(), s, { wait: WAIT });
    const vm = oned.state.vms[0]!;
    vm.state = 2; // what the old release path left behind
    const before = oned.writeCalls.length;
    const r = await ensureOne(client(), s, { wait: WAIT });
    expect(oned.writeCalls.slice(before).map((c) => [c.method, ...c.params])).toEqual([['one.vm.action', 'release', vm.id]]);
    expect(r.vrouter?.state).toBe(1);
  });

  test("the public-IP budget is the scenario validator's, checked once before OpenNebula is reached", () => {
    const s = seedScenario();
    s.clusters[0]!.public_network.ips = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5', '203.0.113.6'];
    expect(
      checkSemantics(s)
        .errors.map((e) => e.message)
        .join('\n'),
    ).toMatch(/clusters\[0\]\.public_network\.ips \(cluster london\) lists 6 public IPs/);
  });
});

describe('plan rules (pure)', () => {
  const base = (): OneState => ({
    system: { version: '6.8.3', onegate_endpoint: 'http://10.0.1.87:5030', capacity_check: true },
    clusters: [],
    hosts: [
      { id: 0, name: '18.134.246.200', cluster_id: 100, cluster: 'london', provision_id: '3', provider_name: 'aws' },
      { id: 1, name: '18.144.25.41', cluster_id: 101, cluster: 'ncalifornia', provision_id: '4', provider_name: 'aws' },
    ],
    vnets: [
      { id: 0, name: 'london-public', clusters: [100], vn_mad: 'elastic', state: 1, provision_id: '3' },
      { id: 1, name: 'ncalifornia-public', clusters: [101], vn_mad: 'elastic', state: 1, provision_id: '4' },
    ],
    datastores: [
      { id: 1, name: 'default', type: 0, tm_mad: 'ssh', clusters: [0], free_mb: 1e5, used_mb: 0 },
      { id: 100, name: 'london-image', type: 0, tm_mad: 'ssh', clusters: [100], provision_id: '3', free_mb: 1e5, used_mb: 0 },
      { id: 101, name: 'london-system', type: 1, tm_mad: 'ssh', clusters: [100], provision_id: '3', free_mb: 1e5, used_mb: 0 },
      { id: 102, name: 'ncalifornia-image', type: 0, tm_mad: 'ssh', clusters: [101], provision_id: '4', free_mb: 1e5, used_mb: 0 },
      { id: 103, name: 'ncalifornia-system', type: 1, tm_mad: 'ssh', clusters: [101], provision_id: '4', free_mb: 1e5, used_mb: 0 },
      { id: 104, name: 'tokyo-image', type: 0, tm_mad: 'ssh', clusters: [102], provision_id: '5', free_mb: 1e5, used_mb: 0 },
    ],
    templates: [],
    images: [],
    vrouters: [],
    vrouter_vms: [],
    apps: [
      {
        id: 7,
        name: 'Service Virtual Router',
        state: 1,
        type: 1,
        marketplace: 'OpenNebula Public',
        size_mb: 2048,
        app_template: 'TYPE = "OS"\n',
        vm_template: 'VROUTER = "YES"\nCONTEXT = [ TOKEN = "YES" ]\n',
      },
    ],
  });

  test("the image datastore is the VR cluster's own provision's, whatever order the pool lists", () => {
    for (const order of [(x: OneState['datastores']) => x, (x: OneState['datastores']) => [...x].reverse()]) {
      const st = base();
      st.datastores = order(st.datastores);
      const img = planOne(seedScenario(), st).steps.find((s) => s.method === 'one.image.allocate')!;
      expect(img.args[1]).toBe(100);
    }
  });

  test("only the scenario's provisions' datastores join the cluster", () => {
    const added = planOne(seedScenario(), base())
      .steps.filter((s) => s.method === 'one.cluster.adddatastore')
      .map((s) => s.args[1]);
    expect(added).toEqual([100, 101, 102, 103]);
  });

  test('a VM template of ID 0 is a template', () => {
    const st = base();
    st.templates = [{ id: 0, name: 'Service Virtual Router', vrouter: true, token: true }];
    const inst = planOne(seedScenario(), st).steps.find((s) => s.method === 'one.vrouter.instantiate')!;
    expect(inst.args[2]).toEqual({ ref: 'vr_template' });
    expect(planOne(seedScenario(), st).known.vr_template).toBe(0);
  });

  test('every precondition at once, each one sentence, before any step', () => {
    const st = base();
    st.system.onegate_endpoint = '';
    st.datastores[1]!.limit_mb = 0;
    let problems: string[] = [];
    try {
      planOne(seedScenario(), st);
    } catch (e) {
      problems = (e as PlanProblems).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(
        /^The image datastore london-image \(ID 100\) has 0 MB available but the "Service Virtual Router" appliance needs 2048 MB: free space there/,
      ),
      expect.stringMatching(/^oned\.conf has no ONEGATE_ENDPOINT and the "Service Virtual Router" template asks for a OneGate token/),
    ]);
    st.templates = [{ id: 3, name: 'Service Virtual Router', vrouter: false, token: false }];
    st.datastores[1]!.limit_mb = undefined;
    expect(() => planOne(seedScenario(), st)).toThrow(/has no VROUTER="YES"/);
  });

  test('available space as oned computes it: FREE_MB capped by LIMIT_MB - USED_MB', () => {
    expect(availableMb({ id: 1, name: 'd', type: 0, tm_mad: 'ssh', clusters: [], free_mb: 500, used_mb: 100, limit_mb: 300 })).toBe(200);
    expect(availableMb({ id: 1, name: 'd', type: 0, tm_mad: 'ssh', clusters: [], free_mb: 500, used_mb: 400, limit_mb: 300 })).toBe(0);
  });

  test("the VR's public address: EXTERNAL_IP on an elastic network, IP otherwise", () => {
    expect(publicAddress([{ NIC_ID: '0', IP: '10.0.113.10', EXTERNAL_IP: '203.0.113.10', VN_MAD: 'elastic' }])).toEqual({
      ip: '203.0.113.10',
      private_ip: '10.0.113.10',
    });
    expect(publicAddress([{ NIC_ID: '0', IP: '10.0.113.10', VN_MAD: 'elastic' }])).toEqual({ ip: undefined, private_ip: '10.0.113.10' });
    expect(publicAddress([{ NIC_ID: '0', IP: '203.0.113.9', VN_MAD: 'bridge' }])).toEqual({ ip: '203.0.113.9' });
  });

  test('an endpoint without a path posts to /RPC2', () => {
    expect(endpointPath(new URL('http://127.0.0.1:2633'))).toBe('/RPC2');
    expect(endpointPath(new URL('http://127.0.0.1:2633/'))).toBe('/RPC2');
    expect(endpointPath(new URL('http://127.0.0.1:2633/RPC2'))).toBe('/RPC2');
    expect(endpointPath(new URL('http://h/one/RPC2'))).toBe('/one/RPC2');
  });
});
