/**
 * edge-wizard one against an oned holding what oneprovision leaves (test/support/estate.ts):
 * a REAL oned when ONE_LOCATION points at an OpenNebula 6.8 install (test/support/real-oned.ts),
 * else the stand-in (test/support/fake-oned.ts); the suite says which, loudly. Same assertions on
 * both: first run creates, second changes nothing, pre-existing objects adopted, preconditions
 * refused before the first write, oned's errors reported with nothing attempted after.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import YAML from 'yaml';
import { applyDefaults } from '../../src/core/defaults.js';
import type { Scenario } from '../../src/core/scenario.js';
import { ensureOne } from '../../src/adapters/opennebula/ensure.js';
import { encodeCall, decodeResponse, httpTransport, XmlRpcFault, type OneCall, type OneClient } from '../../src/adapters/opennebula/xmlrpc.js';
import { runOne, type OneDeps } from '../../src/cli/commands/one.js';
import { announce, isWrite, startOned, type OnedBackend } from '../support/oned.js';
import { LAB_HOSTS, VR_APP } from '../support/estate.js';

const KIND = announce('OpenNebula tests (test/opennebula/oned.test.ts)');
const SLOW = KIND === 'real' ? 240_000 : 30_000;
const seedText = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');

/** The seed, its KVM hosts at the lab's documentation addresses (oned's hosts are named by them). */
function labScenarioText(name = 'seed-practical'): string {
  const doc = YAML.parseDocument(seedText);
  doc.set('name', name);
  doc.setIn(['clusters', 0, 'hosts', 0, 'public_ip'], LAB_HOSTS.london);
  doc.setIn(['clusters', 1, 'hosts', 0, 'public_ip'], LAB_HOSTS.ncalifornia);
  return doc.toString();
}
function scenario(name?: string): Scenario {
  return applyDefaults(YAML.parse(labScenarioText(name)));
}

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (b: Buffer) => (o += b.toString()));
  err.on('data', (b: Buffer) => (e += b.toString()));
  return { io: { out, err, debug: false }, text: () => ({ out: o, err: e }) };
}
const deps = (): OneDeps => ({
  env: {},
  spawn: () => {
    throw new Error('no tunnel in this test');
  },
  exec: async () => {
    throw new Error('no exec in this test');
  },
  transport: (e) => httpTransport(e),
});

const WAIT = { pollMs: 200, timeoutMs: 120_000 };
const ids = (o: { ID?: string[] } | undefined) => (o?.ID ?? []).map(Number).sort((a, b) => a - b);

// One oned for the first and the last group (an oned start and its estate take most of a minute).
let shared: OnedBackend;
beforeAll(async () => {
  // A new vxlan network stays LOCK_CREATE 3 s (its driver's vnet_create), as on a busy frontend.
  shared = await startOned({ vxlanCreateMs: 3000 });
}, SLOW);
afterAll(async () => {
  await shared?.stop();
}, 60_000);

describe(`edge-wizard one against ${KIND === 'real' ? 'a REAL oned' : 'the STAND-IN oned'}: a provisioned estate, OneGate configured`, () => {
  let oned: OnedBackend;
  beforeAll(() => {
    oned = shared;
  });

  test(
    'a full image datastore is refused before the first write, naming the datastore (capacity checked as onemarketapp export does)',
    async () => {
      const ds = await oned.id('datastore', 'london-image');
      await oned.admin.call('one.datastore.update', ds, 'LIMIT_MB = "0"', 1);
      const calls: OneCall[] = [];
      try {
        await expect(ensureOne(oned.client(calls), scenario(), { wait: WAIT })).rejects.toThrow(
          /The image datastore london-image \(ID \d+\) has 0 MB available but the "Service Virtual Router" appliance needs \d+ MB/,
        );
        expect(calls.filter(isWrite)).toEqual([]);
      } finally {
        await oned.admin.call('one.datastore.update', ds, 'LIMIT_MB = "1000000"', 1);
      }
    },
    SLOW,
  );

  test(
    'dry run lists the calls and makes none',
    async () => {
      const calls: OneCall[] = [];
      const lines: string[] = [];
      const r = await ensureOne(oned.client(calls), scenario(), { dryRun: true, log: (l) => lines.push(l) });
      expect(calls.filter(isWrite)).toEqual([]);
      expect(lines[0]).toBe('one.cluster.allocate("seed-practical")  # Create cluster seed-practical');
      expect(r.plan.steps.map((s) => s.method)).toContain('one.vrouter.instantiate');
      expect(lines.join('\n')).not.toContain(oned.password);
    },
    SLOW,
  );

  let first: Awaited<ReturnType<typeof ensureOne>>;
  let firstCalls: OneCall[];
  test(
    "first run: cluster with only the scenario's provisions' datastores, EVPN network, VR exported into its own provision's datastore and released, Elastic IP reported",
    async () => {
      oned.setCopyDelay(4000); // the appliance's download is still running when the VR is instantiated
      firstCalls = [];
      // The EVPN network's STATE when the VR's VM takes its lease on it (oned refuses leases now and then while LOCK_CREATE).
      let evpnStateAtInstantiate: string | undefined;
      const inner = oned.client(firstCalls);
      const client: OneClient = {
        async call(method, ...params) {
          if (method === 'one.vrouter.instantiate') evpnStateAtInstantiate = (await oned.info('vnet', await oned.id('vnet', 'private_evpn-vxlan'))).STATE;
          return inner.call(method, ...params);
        },
      };
      first = await ensureOne(client, scenario(), { wait: WAIT });
      oned.setCopyDelay(0);
      expect(evpnStateAtInstantiate).toBe('1');

      const cid = await oned.id('cluster', 'seed-practical');
      const cluster = await oned.info('cluster', cid);
      const dsId = async (n: string) => oned.id('datastore', n);
      expect(ids(cluster.DATASTORES)).toEqual(
        [await dsId('london-image'), await dsId('london-system'), await dsId('ncalifornia-image'), await dsId('ncalifornia-system')].sort((a, b) => a - b),
      );
      expect(ids(cluster.HOSTS)).toEqual([await oned.id('host', LAB_HOSTS.london), await oned.id('host', LAB_HOSTS.ncalifornia)].sort((a, b) => a - b));
      const evpnId = await oned.id('vnet', 'private_evpn-vxlan');
      expect(ids(cluster.VNETS)).toEqual([await oned.id('vnet', 'london-public'), await oned.id('vnet', 'ncalifornia-public'), evpnId].sort((a, b) => a - b));

      const evpn = await oned.info('vnet', evpnId);
      expect(evpn.VN_MAD).toBe('vxlan');
      // oned consumes AUTOMATIC_VLAN_ID: it picks the VNI and says so with VLAN_ID_AUTOMATIC.
      expect([evpn.VLAN_ID_AUTOMATIC, evpn.VLAN_ID]).toEqual(['1', expect.stringMatching(/^\d+$/)]);
      expect(evpn.TEMPLATE).toMatchObject({
        VXLAN_MODE: 'evpn',
        VXLAN_TEP: 'local_ip',
        PHYDEV: 'wg0',
        MTU: '1370',
        GUEST_MTU: '1370',
        GATEWAY: '172.17.2.1',
        DNS: '1.1.1.1',
        NETWORK_ADDRESS: '172.17.2.0',
        NETWORK_MASK: '255.255.255.0',
        IP_LINK_CONF: 'nolearning=,dstport=4789',
      });
      expect(evpn.AR_POOL.AR[0]).toMatchObject({ IP: '172.17.2.1', SIZE: '20' });

      const image = await oned.info('image', await oned.id('image', VR_APP.name));
      expect(Number(image.DATASTORE_ID)).toBe(await dsId('london-image'));
      const tpl = await oned.info('template', await oned.id('template', VR_APP.name));
      expect(tpl.TEMPLATE.VROUTER).toBe('YES');
      expect(tpl.TEMPLATE.DISK).toMatchObject({ IMAGE_ID: image.ID });

      const vr = await oned.info('vrouter', await oned.id('vrouter', 'seed-practical-vr'));
      const [nic0, nic1] = vr.TEMPLATE.NIC as Record<string, string>[];
      expect(Number(nic0!.NETWORK_ID)).toBe(await oned.id('vnet', 'london-public'));
      expect([Number(nic1!.NETWORK_ID), nic1!.IP]).toEqual([evpnId, '172.17.2.1']);
      const vmIds = ids(vr.VMS);
      expect(vmIds).toHaveLength(1);
      const vm = await oned.info('vm', vmIds[0]!);
      // Released, not left on HOLD (2) or CLONING (10): PENDING for the scheduler (no scheduler runs here).
      expect(vm.STATE).toBe('1');
      expect(vm.TEMPLATE.CONTEXT).toMatchObject({
        ONEAPP_VNF_ROUTER4_ENABLED: 'YES',
        ONEAPP_VNF_SDNAT4_ENABLED: 'YES',
        ONEAPP_VNF_SDNAT4_INTERFACES: 'eth0 eth1',
        TOKEN: 'YES',
      });
      const sched = vm.USER_TEMPLATE?.SCHED_REQUIREMENTS ?? vm.TEMPLATE?.SCHED_REQUIREMENTS;
      expect(sched).toBe(`ID = ${await oned.id('host', LAB_HOSTS.london)}`);
      const vmNic0 = (vm.TEMPLATE.NIC as Record<string, string>[]).find((n) => n.NIC_ID === '0')!;
      expect([vmNic0.IP, vmNic0.EXTERNAL_IP]).toEqual(['10.0.113.10', '203.0.113.10']);
      // The public address is the Elastic IP (EXTERNAL_IP), not the VPC address.
      expect(first.vrouter).toMatchObject({ ip: '203.0.113.10', vm: vmIds[0], state: 1 });
    },
    SLOW,
  );

  test(
    'the VR stays released once its image is READY (not CLONING, not HOLD)',
    async () => {
      await oned.imagesSettled();
      const vmId = first.vrouter!.vm!;
      // oned moves a CLONING VM on within a moment of its image being READY.
      let state = (await oned.info('vm', vmId)).STATE;
      for (let i = 0; i < 60 && state === '10'; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        state = (await oned.info('vm', vmId)).STATE;
      }
      expect({ vm: vmId, state }).toEqual({ vm: vmId, state: '1' });
    },
    SLOW,
  );

  test(
    "one.image.allocate's capacity argument makes this oned check the datastore's space",
    async () => {
      const call = firstCalls.find((c) => c.method === 'one.image.allocate')!;
      expect(call).toBeDefined();
      const ds = await oned.id('datastore', 'ncalifornia-image');
      await oned.admin.call('one.datastore.update', ds, 'LIMIT_MB = "0"', 1);
      try {
        const tpl = String(call.params[0]).replace(`NAME = "${VR_APP.name}"`, 'NAME = "capacity-probe"');
        await expect(oned.admin.call('one.image.allocate', tpl, ds, call.params[2]!)).rejects.toThrow(/Not enough space in datastore/);
      } finally {
        await oned.admin.call('one.datastore.update', ds, 'LIMIT_MB = "1000000"', 1);
      }
    },
    SLOW,
  );

  test(
    'second run makes no write call; --endpoint without /RPC2 reaches oned',
    async () => {
      const calls: OneCall[] = [];
      const r = await ensureOne(oned.client(calls), scenario(), { wait: WAIT });
      expect(r.plan.steps).toEqual([]);
      expect(calls.filter(isWrite)).toEqual([]);
      expect(r.vrouter?.ip).toBe('203.0.113.10');

      const dir = mkdtempSync(join(tmpdir(), 'ew-one-cli-'));
      const file = join(dir, 'edge-wizard.yaml');
      writeFileSync(file, labScenarioText().replace('password: opennebula', `password: ${oned.password}`));
      const t = io();
      expect(await runOne(['-f', file, '--endpoint', oned.endpoint.replace(/\/RPC2$/, '')], t.io, deps())).toBe(0);
      expect(t.text().out).toContain('nothing to change');
      expect(t.text().out).toMatch(/public address 203\.0\.113\.10 \(private 10\.0\.113\.10\)/);
      expect(t.text().out + t.text().err).not.toContain(oned.password);
    },
    SLOW,
  );

  test(
    'the SDNAT recipe of docs/opennebula.md is accepted: NIC_ALIAS EXTERNAL on the public network, PARENT the unnamed NIC0',
    async () => {
      const recipe = `NAME = "sdnat-recipe"\nCPU = "0.1"\nMEMORY = "64"\nNIC = [ NETWORK = "private_evpn-vxlan" ]\nNIC_ALIAS = [ NETWORK = "london-public", PARENT = "NIC0", EXTERNAL = "YES" ]\n`;
      const id = Number(await oned.admin.call('one.vm.allocate', recipe, true));
      const vm = await oned.info('vm', id);
      const alias = (vm.TEMPLATE.NIC_ALIAS as Record<string, string>[])[0]!;
      expect(alias).toMatchObject({ PARENT: 'NIC0', EXTERNAL: 'YES', EXTERNAL_IP: '203.0.113.11', IP: '10.0.113.11' });
      // The trap the old recipe fell into: oned renames a user NIC NAME like NIC0 to _NIC0.
      const named = `NAME = "sdnat-named"\nCPU = "0.1"\nMEMORY = "64"\nNIC = [ NETWORK = "private_evpn-vxlan", NAME = "NIC0" ]\nNIC_ALIAS = [ NETWORK = "london-public", PARENT = "NIC0", EXTERNAL = "YES" ]\n`;
      await expect(oned.admin.call('one.vm.allocate', named, true)).rejects.toThrow(/NIC named NIC0 not found for alias/);
    },
    SLOW,
  );

  test(
    'an oned error mid-run is reported with its message and nothing is attempted after it',
    async () => {
      // The public network of ncalifornia disappears between the read and the write (someone deletes it).
      const victim = await oned.id('vnet', 'ncalifornia-public');
      const calls: OneCall[] = [];
      const inner = oned.client(calls);
      let struck = false;
      const client: OneClient = {
        async call(method, ...params) {
          if (!struck && method === 'one.cluster.allocate') {
            struck = true;
            await oned.admin.call('one.vn.delete', victim);
          }
          return inner.call(method, ...params);
        },
      };
      await expect(ensureOne(client, scenario('seed-race'), { wait: WAIT })).rejects.toThrow(
        new RegExp(`oned refused one.cluster.addvnet: .*\\[${victim}\\].*\\(NO_EXISTS\\)`),
      );
      const writes = calls.filter(isWrite);
      expect(writes[writes.length - 1]).toMatchObject({ method: 'one.cluster.addvnet', params: [expect.any(Number), victim] });
      expect(writes.map((c) => c.method)).not.toContain('one.vrouter.allocate');
    },
    SLOW,
  );
});

describe(`edge-wizard one against ${KIND === 'real' ? 'a REAL oned' : 'the STAND-IN oned'}: stock oned.conf (no ONEGATE_ENDPOINT), appliance imported by hand`, () => {
  let oned: OnedBackend;
  beforeAll(async () => {
    oned = await startOned({ onegate: false });
  }, SLOW);
  afterAll(async () => {
    await oned?.stop();
  }, 60_000);

  test(
    'hand-made objects: the appliance imported (template ID 0), a cluster and the EVPN network',
    async () => {
      const appId = await oned.id('app', VR_APP.name);
      const imageDs = await oned.id('datastore', 'london-image');
      const image = Number(await oned.admin.call('one.image.allocate', `${VR_APP.appTemplate}NAME = "${VR_APP.name}"\nFROM_APP = "${appId}"\n`, imageDs));
      const tpl = Number(await oned.admin.call('one.template.allocate', `${VR_APP.vmTemplate}NAME = "${VR_APP.name}"\nDISK = [ IMAGE_ID = "${image}" ]\n`));
      expect(tpl).toBe(0);
      const cid = Number(await oned.admin.call('one.cluster.allocate', 'seed-practical'));
      await oned.admin.call('one.cluster.addhost', cid, await oned.id('host', LAB_HOSTS.london));
      await oned.admin.call(
        'one.vn.allocate',
        'NAME = "private_evpn-vxlan"\nVN_MAD = "vxlan"\nPHYDEV = "wg0"\nAUTOMATIC_VLAN_ID = "YES"\nAR = [ TYPE = "IP4", IP = "172.17.2.1", SIZE = "20" ]\n',
        -1,
      );
      await oned.imagesSettled();
    },
    SLOW,
  );

  test(
    'no ONEGATE_ENDPOINT: refused in one sentence before the first write',
    async () => {
      const calls: OneCall[] = [];
      const err = (await ensureOne(oned.client(calls), scenario(), { wait: WAIT }).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(
        /oned\.conf has no ONEGATE_ENDPOINT and the "Service Virtual Router" template asks for a OneGate token \(CONTEXT TOKEN="YES"\).*: set ONEGATE_ENDPOINT in oned\.conf/,
      );
      expect(calls.filter(isWrite)).toEqual([]);
    },
    SLOW,
  );

  test(
    'the same check through edge-wizard one: exit 1, the sentence, no step run',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ew-one-cli-'));
      const file = join(dir, 'edge-wizard.yaml');
      writeFileSync(file, labScenarioText().replace('password: opennebula', `password: ${oned.password}`));
      const t = io();
      await expect(runOne(['-f', file, '--endpoint', oned.endpoint], t.io, deps())).rejects.toMatchObject({
        exitCode: 1,
        message: expect.stringMatching(/ONEGATE_ENDPOINT/),
      });
      expect(t.text().out).not.toMatch(/^- /m);
    },
    SLOW,
  );

  test(
    'ONEGATE_ENDPOINT set and oned restarted: the hand-made objects are adopted, template ID 0 included',
    async () => {
      await oned.setOnegate('http://127.0.0.1:5030');
      const calls: OneCall[] = [];
      const r = await ensureOne(oned.client(calls), scenario(), { wait: WAIT });
      const writes = calls.filter(isWrite);
      const methods = writes.map((c) => c.method);
      for (const m of ['one.cluster.allocate', 'one.vn.allocate', 'one.image.allocate', 'one.template.allocate']) expect(methods).not.toContain(m);
      const cid = await oned.id('cluster', 'seed-practical');
      expect(writes.find((c) => c.method === 'one.cluster.addhost')?.params).toEqual([cid, await oned.id('host', LAB_HOSTS.ncalifornia)]);
      expect(writes.find((c) => c.method === 'one.vrouter.instantiate')?.params[2]).toBe(0);
      expect(r.vrouter).toMatchObject({ ip: '203.0.113.10', state: 1 });
      const again: OneCall[] = [];
      await ensureOne(oned.client(again), scenario(), { wait: WAIT });
      expect(again.filter(isWrite)).toEqual([]);
    },
    SLOW,
  );
});

describe(`${KIND === 'real' ? 'the REAL oned' : 'the STAND-IN'} answers like oned 6.8 (the stand-in is held to the same assertions)`, () => {
  let oned: OnedBackend;
  beforeAll(() => {
    oned = shared;
  });
  const raw = async (method: string, ...params: Parameters<typeof encodeCall>[1]) =>
    decodeResponse(await httpTransport(oned.endpoint)(encodeCall(method, params)));
  const session = () => `oneadmin:${oned.password}`;

  test('a wrong parameter type or a missing parameter is an XML-RPC fault -501; an extra parameter is ignored', async () => {
    const fault = await raw('one.cluster.addhost', session(), '1', 2).catch((e: unknown) => e);
    expect(fault).toBeInstanceOf(XmlRpcFault);
    expect((fault as XmlRpcFault).faultCode).toBe(-501);
    const missing = await raw('one.cluster.allocate', session()).catch((e: unknown) => e);
    expect((missing as XmlRpcFault).faultCode).toBe(-501);
    const extra = (await raw('one.system.version', session(), 1, 'x')) as unknown[];
    expect(extra[0]).toBe(true);
  });

  test('an unknown method is a fault; a failure is [false, message, code, id, i8]', async () => {
    await expect(raw('one.nosuch.method', session())).rejects.toBeInstanceOf(XmlRpcFault);
    const r = (await raw('one.vrouter.info', session(), 4242)) as unknown[];
    expect(r).toHaveLength(5);
    expect(r.slice(0, 4)).toEqual([false, expect.stringContaining('[one.vrouter.info]'), 0x0400, 4242]);
    expect(typeof r[4]).toBe('number');
  });

  test('a wrong password is AUTHENTICATION', async () => {
    const r = (await raw('one.clusterpool.info', 'oneadmin:wrong-password')) as unknown[];
    expect(r.slice(0, 3)).toEqual([false, expect.stringContaining("User couldn't be authenticated"), 0x0100]);
  });

  test('names are unique per pool; adding a member to its cluster again succeeds and changes nothing', async () => {
    const cid = Number(await oned.admin.call('one.cluster.allocate', 'uniq'));
    await expect(oned.admin.call('one.cluster.allocate', 'uniq')).rejects.toThrow(new RegExp(`NAME is already taken by CLUSTER ${cid}`));
    const vn = Number(await oned.admin.call('one.vn.allocate', 'NAME = "uniq-net"\nVN_MAD = "dummy"\nBRIDGE = "br9"\n', cid));
    await expect(oned.admin.call('one.vn.allocate', 'NAME = "uniq-net"\nVN_MAD = "dummy"\nBRIDGE = "br9"\n', cid)).rejects.toThrow(
      /NAME is already taken by NET/,
    );
    await expect(oned.admin.call('one.cluster.addvnet', cid, vn)).resolves.toBe(cid);
    expect(ids((await oned.info('cluster', cid)).VNETS)).toEqual([vn]);
    const host = await oned.id('host', LAB_HOSTS.london);
    await oned.admin.call('one.cluster.addhost', cid, host);
    await expect(oned.admin.call('one.cluster.addhost', cid, host)).resolves.toBe(cid);
    expect(ids((await oned.info('cluster', cid)).HOSTS)).toEqual([host]);
  });

  test('templates are parsed: a syntax error is refused; a network needs VN_MAD', async () => {
    await expect(oned.admin.call('one.template.allocate', 'NAME = "broken"\nCPU = [ 1')).rejects.toThrow(/\[one\.template\.allocate\] .*(syntax|Parse)/i);
    await expect(oned.admin.call('one.vn.allocate', 'NAME = "no-mad"\nBRIDGE = "br9"\n', -1)).rejects.toThrow(/VN_MAD/);
    await expect(oned.admin.call('one.vn.allocate', 'NAME = "no-vni"\nVN_MAD = "vxlan"\nPHYDEV = "wg0"\n', -1)).rejects.toThrow(
      /\[one\.vn\.allocate\] VLAN_ID \(or AUTOMATIC_VLAN_ID\) is mandatory for driver vxlan/,
    );
  });

  test('one.vrouter.instantiate refuses a template without VROUTER=YES', async () => {
    const tpl = Number(await oned.admin.call('one.template.allocate', 'NAME = "plain"\nCPU = "1"\nMEMORY = "64"\n'));
    const vr = Number(await oned.admin.call('one.vrouter.allocate', `NAME = "plain-vr"\nNIC = [ NETWORK_ID = "${await oned.id('vnet', 'london-public')}" ]\n`));
    await expect(oned.admin.call('one.vrouter.instantiate', vr, 1, tpl, '', false, '')).rejects.toThrow(/Only virtual router templates are allowed/);
  });

  test('pools are listed newest first', async () => {
    const names = (await oned.list('datastore')).map((d) => d.NAME as string);
    expect(names.indexOf('tokyo-image')).toBeLessThan(names.indexOf('london-image'));
  });
});
