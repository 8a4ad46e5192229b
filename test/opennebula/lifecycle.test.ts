/**
 * OpenNebula over time (issue 27): objects renamed or deleted by hand, a failed appliance download,
 * oned restarting during the copy, two runs at once, the appliance exported under another name, hosts
 * added to a provision after the move, the OneGate warning, and the estate's own shapes.
 * Against a REAL oned when ONE_LOCATION names one, else the STAND-IN (announced loudly); on the
 * stand-in the waits run on a virtual clock, so minutes of waiting take none.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import YAML from 'yaml';
import { applyDefaults } from '../../src/core/defaults.js';
import type { Scenario } from '../../src/core/scenario.js';
import { ensureOne, takeLock, type EnsureOptions } from '../../src/adapters/opennebula/ensure.js';
import { httpTransport, type OneCall, type OneClient } from '../../src/adapters/opennebula/xmlrpc.js';
import { runOne, type OneDeps } from '../../src/cli/commands/one.js';
import { announce, isWrite, startOned, type OnedBackend } from '../support/oned.js';
import { LAB_HOSTS, seedProvisions, VR_APP } from '../support/estate.js';

const KIND = announce('OpenNebula over time (test/opennebula/lifecycle.test.ts)');
const SLOW = KIND === 'real' ? 300_000 : 30_000;
const seedText = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');

/** The seed under another name; `third` gives its EVPN network addresses of its own (172.17.<third>.0/24). */
function scenarioText(name: string, password: string, third?: number): string {
  const doc = YAML.parseDocument(seedText);
  doc.set('name', name);
  doc.setIn(['clusters', 0, 'hosts', 0, 'public_ip'], LAB_HOSTS.london);
  doc.setIn(['clusters', 1, 'hosts', 0, 'public_ip'], LAB_HOSTS.ncalifornia);
  if (third !== undefined) {
    doc.setIn(['networks', 0, 'name'], `${name}-evpn`);
    doc.setIn(['networks', 0, 'network_address'], `172.17.${third}.0`);
    doc.setIn(['networks', 0, 'gateway'], `172.17.${third}.1`);
    doc.setIn(['networks', 0, 'ar_start'], `172.17.${third}.1`);
  }
  return doc.toString().replace('password: opennebula', `password: ${password}`);
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
const cliDeps = (): OneDeps => ({
  env: {},
  spawn: () => {
    throw new Error('no tunnel in this test');
  },
  exec: async () => {
    throw new Error('no exec in this test');
  },
  transport: (e) => httpTransport(e),
});

/**
 * One oned for most of the file; each test works on a scenario of its own name (its own cluster,
 * network, router), so london's public network has an Elastic IP for each router. Tests that need
 * the appliance exported afresh get an oned of their own (`fresh`).
 */
let shared: OnedBackend;
let oned: OnedBackend;
const manyIps = () => {
  const p = seedProvisions(LAB_HOSTS);
  p[0]!.elastic = Array.from({ length: 8 }, (_, i) => `203.0.113.${10 + i}`);
  return p;
};
beforeAll(async () => {
  shared = await startOned({ virtualClock: true, provisions: manyIps() });
  oned = shared;
}, SLOW);
async function fresh(fn: () => Promise<void>): Promise<void> {
  oned = await startOned({ virtualClock: true });
  try {
    await fn();
  } finally {
    await oned.stop();
    oned = shared;
  }
}
afterAll(async () => {
  await shared?.stop();
}, 60_000);

/** ensureOne with the backend's clock: waits of minutes are virtual on the stand-in. */
function opts(extra: Partial<EnsureOptions> = {}, log?: string[], warnings?: string[]): EnsureOptions {
  const { now, sleep } = oned.clock;
  return {
    log: (l) => log?.push(l),
    warn: (w) => warnings?.push(w),
    wait: { pollMs: 200, timeoutMs: 600_000, stallMs: KIND === 'real' ? 20_000 : 120_000, progressMs: 30_000, now, sleep, ...extra.wait },
    lock: { waitMs: 600_000, pollMs: 500, now, sleep, ...(extra.lock || {}) },
    ...(extra.dryRun ? { dryRun: true } : {}),
  };
}
/** Each scenario's EVPN network gets its own addresses, so scenarios sharing this oned never overlap. */
const own = (name: string, third: number): Scenario => applyDefaults(YAML.parse(scenarioText(name, oned.password, third)));
const run = async (s: Scenario, extra: Partial<EnsureOptions> = {}, log?: string[], warnings?: string[]) => {
  const calls: OneCall[] = [];
  const r = await ensureOne(oned.client(calls), s, opts(extra, log, warnings));
  return { r, writes: calls.filter(isWrite) };
};
const fail = async (s: Scenario, extra: Partial<EnsureOptions> = {}) => {
  const calls: OneCall[] = [];
  const err = (await ensureOne(oned.client(calls), s, opts(extra)).then(
    () => undefined,
    (e: unknown) => e,
  )) as Error | undefined;
  return { err, writes: calls.filter(isWrite) };
};
const vmOf = async (vrName: string) => {
  const vr = await oned.info('vrouter', await oned.id('vrouter', vrName));
  const ids = ((vr.VMS?.ID as string[] | undefined) ?? []).map(Number);
  return { vr, vm: ids.length ? await oned.info('vm', ids[0]!) : undefined };
};
/** Runs the oned commands a sentence names ("onevm recover --delete N", "oneimage delete N", ...), through the API, in order. */
async function runNamedCommands(sentence: string): Promise<string[]> {
  const done: string[] = [];
  for (const m of sentence.matchAll(/"(onevm recover --delete|oneimage delete|onetemplate delete) (\d+)"/g)) {
    const id = Number(m[2]);
    if (m[1] === 'onevm recover --delete') await oned.admin.call('one.vm.recover', id, 3);
    else if (m[1] === 'oneimage delete') await oned.admin.call('one.image.delete', id);
    else await oned.admin.call('one.template.delete', id);
    done.push(`${m[1]} ${id}`);
  }
  return done;
}
describe(`issue 27 against ${KIND === 'real' ? 'a REAL oned' : 'the STAND-IN oned'}`, () => {
  test(
    "11. the estate is what oneprovision 6.8 leaves: PROVISION per kind, IDs from 100, the 6.8.1 appliance's own templates",
    async () => {
      const host = (await oned.list('host')).find((h) => h.NAME === LAB_HOSTS.london)!;
      expect(host.TEMPLATE.PROVISION).toMatchObject({ ID: '3', PROVIDER_NAME: 'aws', HOSTNAME: 'edge-host0', INDEX: '0', COUNT: '1', ANSIBLE_PLAYBOOK: 'aws' });
      const ds = (await oned.list('datastore')).find((d) => d.NAME === 'london-image')!;
      expect(ds.TEMPLATE.PROVISION).toEqual({ ID: '3' });
      const vnet = (await oned.list('vnet')).find((v) => v.NAME === 'london-public')!;
      expect(vnet.TEMPLATE.PROVISION).toEqual({ COUNT: String(manyIps()[0]!.elastic.length), ID: '3' });
      const clusters = (await oned.list('cluster')).filter((c) => ['london', 'ncalifornia', 'tokyo'].includes(c.NAME));
      expect(Math.min(...clusters.map((c) => Number(c.ID)))).toBeGreaterThanOrEqual(100);
      expect(Number(ds.ID)).toBeGreaterThanOrEqual(100);
      const app = (await oned.list('app')).find((a) => a.NAME === VR_APP.name)!;
      expect(Buffer.from(app.TEMPLATE.APPTEMPLATE64, 'base64').toString()).toBe('DEV_PREFIX="vd"\nTYPE="OS"\n');
      const vmt = Buffer.from(app.TEMPLATE.VMTEMPLATE64, 'base64').toString();
      expect(vmt).toMatch(/ONEAPP_VNF_ROUTER4_ENABLED {2}="YES"/);
      expect(vmt).not.toMatch(/REPORT_READY/);
      expect(vmt).toMatch(/VROUTER = "YES"/);
    },
    SLOW,
  );

  test(
    '1. a network renamed by hand is adopted (no second network over its addresses); one made without markers and renamed is refused with the fix',
    async () => {
      const s = own('ren', 40);
      await run(s);
      const id = await oned.id('vnet', 'ren-evpn');
      await oned.admin.call('one.vn.rename', id, 'ren-evpn-renamed');
      const warnings: string[] = [];
      const { writes } = await run(s, {}, undefined, warnings);
      expect(writes.map((c) => c.method)).not.toContain('one.vn.allocate');
      expect(warnings.join('\n')).toMatch(new RegExp(`"ren-evpn" was renamed by hand to "ren-evpn-renamed" \\(ID ${id}\\).*"onevnet rename ${id} ren-evpn"`));
      const { vr } = await vmOf('ren-vr');
      expect((vr.TEMPLATE.NIC as Record<string, string>[]).map((n) => Number(n.NETWORK_ID))).toContain(id);
      expect((await oned.list('vnet')).filter((v) => (v.AR_POOL?.AR ?? []).some((a: Record<string, string>) => a.IP === '172.17.40.1'))).toHaveLength(1);
      const again = await run(s);
      expect(again.writes).toEqual([]);

      // A network nobody marked (made by hand, by one-deploy or by an older edge-wizard), renamed: refused before any write.
      const t = own('old', 41);
      t.virtual_router.enabled = false;
      await oned.admin.call(
        'one.vn.allocate',
        'NAME = "old-evpn-renamed"\nVN_MAD = "vxlan"\nPHYDEV = "wg0"\nAUTOMATIC_VLAN_ID = "YES"\nAR = [ TYPE = "IP4", IP = "172.17.41.1", SIZE = "20" ]\n',
        -1,
      );
      const { err, writes: w2 } = await fail(t);
      expect(err?.message).toMatch(
        /networks\[0\] \(old-evpn, 20 addresses from 172\.17\.41\.1\) overlaps the virtual network "old-evpn-renamed" \(ID \d+\).*rename it back \("onevnet rename \d+ old-evpn"\)/,
      );
      expect(w2).toEqual([]);
    },
    SLOW,
  );

  test(
    "2. the router VM is pinned to its own provision's system datastore (SCHED_DS_REQUIREMENTS)",
    async () => {
      const { r } = await run(own('pin', 42));
      const vm = await oned.info('vm', r.vrouter!.vm!);
      const sched = vm.USER_TEMPLATE?.SCHED_DS_REQUIREMENTS ?? vm.TEMPLATE?.SCHED_DS_REQUIREMENTS;
      expect(sched).toBe(`ID = ${await oned.id('datastore', 'london-system')}`);
    },
    SLOW,
  );

  test(
    '7. the appliance exported by hand under another name ("onemarketapp export ... vr") is used, not exported again',
    () =>
      fresh(async () => {
        const app = await oned.id('app', VR_APP.name);
        const ds = await oned.id('datastore', 'london-image');
        const img = Number(await oned.admin.call('one.image.allocate', `${VR_APP.appTemplate}NAME = "vr"\nFROM_APP = "${app}"\n`, ds));
        const tpl = Number(await oned.admin.call('one.template.allocate', `${VR_APP.vmTemplate}\nNAME = "vr"\nDISK = [ IMAGE_ID = "${img}" ]\n`));
        const warnings: string[] = [];
        const { writes, r } = await run(own('byhand', 43), {}, undefined, warnings);
        const methods = writes.map((c) => c.method);
        expect(methods).not.toContain('one.image.allocate');
        expect(methods).not.toContain('one.template.allocate');
        expect(writes.find((c) => c.method === 'one.vrouter.instantiate')?.params[2]).toBe(tpl);
        expect(warnings.join('\n')).toMatch(/already exported as the VM template "vr"/);
        expect(r.vrouter?.state).toBe(1);
      }),
    SLOW,
  );

  test(
    '3. a failed appliance download: every leftover named in one sentence, run after run; after those commands and the marketplace back, one rerun repairs it',
    () =>
      fresh(async () => {
        oned.setMarketReachable(false);
        const s = own('mkt', 44);
        let first: Error | undefined;
        try {
          first = (await fail(s)).err;
        } finally {
          oned.setMarketReachable(true);
        }
        // The VM is named when it was made before the copy failed (it is then in CLONING_FAILURE); if the copy failed first, oned refused to make it.
        const leftover = /Remove what it left with (?:"onevm recover --delete \d+", )?"oneimage delete \d+" and "onetemplate delete \d+", in that order/;
        expect(first?.message).toMatch(
          /The "Service Virtual Router" appliance could not be copied: image "Service Virtual Router" \(ID \d+\) is in ERROR: Error copying image in the datastore/,
        );
        expect(first?.message).toMatch(leftover);
        // Run 2 looks at the image in ERROR: the same sentence, nothing written.
        const second = await fail(s);
        expect(second.err?.message ?? 'no error').toMatch(leftover);
        expect(second.writes).toEqual([]);
        // The operator runs exactly what it says, in that order: oned accepts each.
        expect((await runNamedCommands(second.err!.message)).length).toBeGreaterThanOrEqual(2);
        const third = await run(s);
        expect(third.writes.map((c) => c.method)).toEqual(
          expect.arrayContaining(['one.image.allocate', 'one.template.allocate', 'one.vrouter.instantiate', 'one.vm.action']),
        );
        expect(third.r.vrouter?.state).toBe(1);
      }),
    SLOW,
  );

  test(
    '4. oned restarted during the copy: the rerun names the stalled copy within the stall window, with the commands that clear it',
    () =>
      fresh(async () => {
        oned.setCopyDelay(KIND === 'real' ? 600_000 : 3_600_000);
        const s = own('rst', 45);
        try {
          const waitLog: string[] = [];
          const firstErr = await ensureOne(oned.client(), s, opts({ wait: { timeoutMs: KIND === 'real' ? 65_000 : 90_000 } as never }, waitLog)).then(
            () => undefined,
            (e: Error) => e,
          );
          expect(firstErr?.message).toMatch(/still CLONING/);
          // Not silent while it waits: a line at least every 30 s, with how long the copy has run.
          expect(waitLog.filter((l) => /still waiting for image \d+ \(LOCKED_USED, \d+ s since the copy began\)/.test(l)).length).toBeGreaterThanOrEqual(2);
          await oned.restart();
          const t0 = oned.clock.now();
          const second = await fail(s);
          const waited = oned.clock.now() - t0;
          expect(second.err?.message).toMatch(
            /The "Service Virtual Router" image "Service Virtual Router" \(ID (\d+)\) has been LOCKED_USED since .* and nothing about it or VM \d+ changed in \d+ s: oned never resumes a copy interrupted by its restart.*"onevm recover --delete \d+", "oneimage delete \d+" and "onetemplate delete \d+", in that order/,
          );
          // Within a minute or two (stallMs, plus one poll), not the 30-minute wait.
          expect(waited).toBeLessThan(opts().wait!.stallMs! + 10_000);
          expect(second.writes).toEqual([]);
          oned.setCopyDelay(0);
          expect(await runNamedCommands(second.err!.message)).toHaveLength(3);
          const third = await run(s).catch((e: Error) => {
            throw new Error(`third run: ${e.message}`);
          });
          expect(third.r.vrouter?.state).toBe(1);
        } finally {
          oned.setCopyDelay(0);
        }
      }),
    SLOW,
  );

  test(
    '5. two runs at once take turns: the second waits for the first and changes nothing; with no time to wait it refuses in one sentence',
    () =>
      fresh(async () => {
        const s = own('twin', 46);
        oned.setCopyDelay(KIND === 'real' ? 4_000 : 60_000);
        let started: () => void = () => {};
        const firstWrote = new Promise<void>((r) => (started = r));
        const aCalls: OneCall[] = [];
        const inner = oned.client(aCalls);
        const a: OneClient = {
          async call(method, ...params) {
            if (method === 'one.cluster.allocate') started();
            return inner.call(method, ...params);
          },
        };
        const logB: string[] = [];
        const runA = ensureOne(a, s, opts());
        await firstWrote;
        const refused = await fail(s, { lock: { waitMs: 0 } });
        expect(refused.err?.message).toMatch(
          /^Another edge-wizard one run on scenario "twin" holds its lock in OpenNebula \(document \d+, taken at .* by .* pid \d+\): wait for it to finish and run again; if that run is gone, release the lock with "edge-wizard one -f <scenario file> --unlock"\.$/,
        );
        expect(refused.writes).toEqual([]);
        const bCalls: OneCall[] = [];
        const runB = ensureOne(oned.client(bCalls), s, opts({}, logB));
        const [ra, rb] = await Promise.all([runA, runB]);
        oned.setCopyDelay(0);
        expect(logB.join('\n')).toMatch(/waiting for another edge-wizard one run on scenario twin/);
        expect(bCalls.filter(isWrite)).toEqual([]);
        expect(rb.vrouter?.id).toBe(ra.vrouter?.id);
        expect((await oned.list('vnet')).filter((v) => v.NAME === 'twin-evpn')).toHaveLength(1);
      }),
    SLOW,
  );

  test(
    '5b. a lock left by a run that died: taken over when that run was on this host, released by --unlock otherwise',
    async () => {
      const s = own('dead', 51);
      s.virtual_router.enabled = false;
      const { now, sleep } = oned.clock;
      // A run of this host that no longer exists (the PID is not running) left the lock taken.
      await takeLock(oned.client(), s, { waitMs: 0, pollMs: 10, owner: `${hostname()} pid 999999`, now, sleep, alive: () => false }, () => {});
      const log: string[] = [];
      await run(s, { lock: { waitMs: 0, alive: () => false } }, log);
      expect(log.join('\n')).toMatch(/was left by .* pid 999999, which no longer runs: taking it over/);
      // One from another controller: refused, then released with --unlock, then the run goes through.
      await takeLock(oned.client(), s, { waitMs: 0, pollMs: 10, owner: 'controller-b pid 4242', now, sleep }, () => {});
      expect((await fail(s, { lock: { waitMs: 0 } })).err?.message).toMatch(/taken at .* by controller-b pid 4242\)/);
      const dir = mkdtempSync(join(tmpdir(), 'ew-one-unlock-'));
      const file = join(dir, 'edge-wizard.yaml');
      writeFileSync(file, scenarioText('dead', oned.password, 51));
      const t = io();
      expect(await runOne(['-f', file, '--endpoint', oned.endpoint, '--unlock'], t.io, cliDeps())).toBe(0);
      expect(t.text().out).toMatch(/released the lock of scenario dead \(document \d+\)/);
      await run(s, { lock: { waitMs: 0 } });
    },
    SLOW,
  );

  test(
    '8. hosts moving out of their provision clusters: said once for all; a host oneprovision adds later is named',
    async () => {
      const warnings: string[] = [];
      await run(own('move', 47), {}, undefined, warnings);
      const moves = warnings.filter((w) => /move/.test(w) && /oneprovision host add/.test(w));
      // Earlier tests moved the hosts already (a host belongs to one cluster only): the warning names whatever moved now.
      expect(moves.length).toBeLessThanOrEqual(1);
      const london = await oned.id('cluster', 'london');
      const hid = Number(await oned.admin.call('one.host.allocate', '198.18.0.11', 'dummy', 'dummy', london));
      await oned.admin.call('one.host.update', hid, 'PROVISION = [ ID = "3", PROVIDER_NAME = "aws", HOSTNAME = "edge-host1", INDEX = "1", COUNT = "1" ]', 1);
      const later: string[] = [];
      await run(own('move', 47), {}, undefined, later);
      expect(later.join('\n')).toMatch(
        new RegExp(`Host 198\\.18\\.0\\.11 \\(ID ${hid}\\) of provision 3 is in cluster "london", not in "move".*edge-wizard import`),
      );
    },
    SLOW,
  );

  test(
    '8b. the move warning is one line for all the hosts that move (a fresh oned)',
    () =>
      fresh(async () => {
        const warnings: string[] = [];
        await run(own('fresh', 49), {}, undefined, warnings);
        const moves = warnings.filter((w) => /oneprovision host add/.test(w));
        expect(moves).toHaveLength(1);
        expect(moves[0]).toMatch(/^kvm_london \(198\.18\.0\.10\), kvm_ncalifornia \(198\.18\.0\.20\) move from cluster "london", "ncalifornia" to "fresh"/);
      }),
    SLOW,
  );

  test(
    '6. edge-wizard one takes --yes (and -y), as init, deploy and import do',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ew-one-yes-'));
      const file = join(dir, 'edge-wizard.yaml');
      writeFileSync(file, scenarioText('yes', oned.password, 50));
      await run(own('yes', 50)); // the copy's wait runs on the backend's clock; the command then has nothing to wait for
      for (const flag of ['--yes', '-y']) {
        const t = io();
        expect(await runOne(['-f', file, '--endpoint', oned.endpoint, flag], t.io, cliDeps())).toBe(0);
      }
    },
    SLOW,
  );

  test(
    '9. the OneGate/SDNAT warning is printed when the router is made, not on a run with nothing to change',
    async () => {
      const s = own('gate', 48);
      const w1: string[] = [];
      await run(s, {}, undefined, w1);
      expect(w1.join('\n')).toMatch(/SDNAT needs the Virtual Router to reach OneGate/);
      const dir = mkdtempSync(join(tmpdir(), 'ew-one-gate-'));
      const file = join(dir, 'edge-wizard.yaml');
      writeFileSync(file, scenarioText('gate', oned.password, 48));
      const t = io();
      expect(await runOne(['-f', file, '--endpoint', oned.endpoint], t.io, cliDeps())).toBe(0);
      expect(t.text().out).toContain('nothing to change');
      expect(t.text().err).not.toMatch(/OneGate/);
    },
    SLOW,
  );
});
