/**
 * One oned for the OpenNebula tests: the REAL one when ONE_LOCATION points at an install
 * (test/support/real-oned.ts), else the STAND-IN (test/support/fake-oned.ts). Both hold the same
 * estate (test/support/estate.ts: what oneprovision leaves for the seed's two AWS provisions and
 * one more, the "Service Virtual Router" marketplace app), so a test runs unchanged on either
 * and says which one it ran against.
 *
 * On the real oned the estate is laid out through the XML-RPC API, as oneprovision and the
 * marketplace would leave it: provision clusters holding datastores 1 and 2, hosts named by
 * public IP with PROVISION attributes, ssh image/system datastores, elastic public networks
 * whose address ranges carry EXTERNAL_IP, and the appliance as an app of an `http` marketplace
 * served from 127.0.0.1 by this process (its downloads can be slowed to keep the exported image
 * LOCKED while the test runs).
 */
import http from 'node:http';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import {
  createOneClient,
  decodeCall,
  encodeResponse,
  httpTransport,
  type OneCall,
  type OneClient,
  type XmlRpcValue,
} from '../../src/adapters/opennebula/xmlrpc.js';
import { FakeOned, standInEstate } from './fake-oned.js';
import { oneLocation, startRealOned, type RealOned } from './real-oned.js';
import {
  imageDatastoreTemplate,
  LAB_HOSTS,
  provisionAttr,
  publicNetworkTemplate,
  seedProvisions,
  systemDatastoreTemplate,
  VR_APP,
  type ProvisionSpec,
} from './estate.js';

export type OnedKind = 'real' | 'stand-in';

/** Which oned the OpenNebula tests use here, said once per suite. */
export function onedKind(): OnedKind {
  return oneLocation() ? 'real' : 'stand-in';
}

export function announce(suite: string): OnedKind {
  const kind = onedKind();
  const msg =
    kind === 'real'
      ? `${suite}: against a REAL oned from ONE_LOCATION=${process.env.ONE_LOCATION}`
      : `${suite}: ONE_LOCATION is not set, so against the STAND-IN oned (test/support/fake-oned.ts), NOT a real oned: the REAL-oned half is SKIPPED; set ONE_LOCATION to an OpenNebula 6.8 install to run them against oned`;
  console.warn(`\n*** ${msg} ***\n`);
  return kind;
}

export interface StartOptions {
  /** ONEGATE_ENDPOINT (default: set, as one-deploy sets it); false = none, as stock oned.conf. */
  onegate?: boolean;
  provisions?: ProvisionSpec[];
  /** oneadmin's password (default: a random one on the real oned, `opennebula` on the stand-in). */
  password?: string;
  /** How long a new vxlan network stays LOCK_CREATE (real: a sleep before the driver's vnet_create; stand-in: its clock). */
  vxlanCreateMs?: number;
  /**
   * Stand-in only: oned's clock is `clock` (a virtual one whose sleep advances it at once), so waits of
   * minutes take no time; the real oned keeps real time and `clock` is then the real one.
   */
  virtualClock?: boolean;
}

/** The time edge-wizard's waits and the stand-in share (real time on a real oned). */
export interface TestClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}
export function virtualClock(start = Date.now()): TestClock {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
}
const realClock: TestClock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

const OBJ_PARSER = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  // Pool children (X_POOL.X), ID lists, NICs and address ranges are lists; nothing else.
  isArray: (name, jpath) =>
    /^[A-Z]+_POOL\.[A-Z]+$/.test(String(jpath)) ||
    /\.(HOSTS|DATASTORES|VNETS|VMS|CLUSTERS|IMAGES)\.ID$/.test(String(jpath)) ||
    ['NIC', 'NIC_ALIAS', 'AR'].includes(name),
});
type X = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const POOLS = {
  cluster: ['one.clusterpool.info', 'CLUSTER_POOL', 'CLUSTER', []],
  host: ['one.hostpool.info', 'HOST_POOL', 'HOST', []],
  datastore: ['one.datastorepool.info', 'DATASTORE_POOL', 'DATASTORE', []],
  vnet: ['one.vnpool.info', 'VNET_POOL', 'VNET', [-2, -1, -1]],
  template: ['one.templatepool.info', 'VMTEMPLATE_POOL', 'VMTEMPLATE', [-2, -1, -1]],
  image: ['one.imagepool.info', 'IMAGE_POOL', 'IMAGE', [-2, -1, -1]],
  vrouter: ['one.vrouterpool.info', 'VROUTER_POOL', 'VROUTER', [-2, -1, -1]],
  app: ['one.marketapppool.info', 'MARKETPLACEAPP_POOL', 'MARKETPLACEAPP', [-2, -1, -1]],
} as const;
export type PoolName = keyof typeof POOLS;
const INFO: Record<PoolName | 'vm', [string, string]> = {
  cluster: ['one.cluster.info', 'CLUSTER'],
  host: ['one.host.info', 'HOST'],
  datastore: ['one.datastore.info', 'DATASTORE'],
  vnet: ['one.vn.info', 'VNET'],
  template: ['one.template.info', 'VMTEMPLATE'],
  image: ['one.image.info', 'IMAGE'],
  vrouter: ['one.vrouter.info', 'VROUTER'],
  vm: ['one.vm.info', 'VM'],
  app: ['one.marketapp.info', 'MARKETPLACEAPP'],
};

const READ_METHODS = /(\.info|^one\.system\.version|^one\.system\.config)$/;

export interface OnedBackend {
  kind: OnedKind;
  /** A recording proxy in front of oned (same answers, byte for byte): what edge-wizard is pointed at. */
  endpoint: string;
  /** oned's own endpoint. */
  directEndpoint: string;
  /** Every call that reached oned through `endpoint` (parameters after the session). */
  calls: OneCall[];
  readonly writeCalls: OneCall[];
  /**
   * The next call of a method through `endpoint` fails like oned ([false, message, code, -1, i8])
   * without reaching it: for a failure no real oned call can be made to produce on demand.
   */
  failures: Map<string, { message: string; code: number }>;
  password: string;
  /** oneadmin client for the test's own reads and set-up (not recorded). */
  admin: OneClient;
  /** A client as edge-wizard's, recording every call it makes into `calls`. */
  client(calls?: OneCall[]): OneClient;
  /** Objects of a pool, as parsed info XML (newest first on oned). */
  list(pool: PoolName): Promise<X[]>;
  /** ID of the object of that name; throws when there is none. */
  id(pool: PoolName, name: string): Promise<number>;
  info(pool: PoolName | 'vm', id: number): Promise<X>;
  /** Slows the appliance's download (real: the HTTP server; stand-in: the image copy) to `ms`. */
  setCopyDelay(ms: number): void;
  /** The marketplace unreachable (false) or back (true): an export's download fails (real: the HTTP server answers 503). */
  setMarketReachable(ok: boolean): void;
  /** Restarts oned with the same DB and oned.conf, as an admin or a crash would (stand-in: copies in flight are lost, as oned loses them). */
  restart(): Promise<void>;
  /** The clock edge-wizard's waits should use against this oned. */
  clock: TestClock;
  /** Resolves when no image is LOCKED any more. */
  imagesSettled(timeoutMs?: number): Promise<void>;
  /** Sets ONEGATE_ENDPOINT (undefined: none) as an admin does: oned.conf edited, oned restarted (same DB). */
  setOnegate(endpoint: string | undefined): Promise<void>;
  /** The tail of oned.log (real) for failure messages. */
  logTail(): string;
  stop(): Promise<void>;
}

/** A call that changes an object, apart from the scenario's lock (one.document.*: every run takes and releases it). */
export const isWrite = (c: OneCall) => !READ_METHODS.test(c.method) && !c.method.startsWith('one.document.') && c.method !== 'one.documentpool.info';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Serves the http marketplace's PUBLIC_DIR on 127.0.0.1, each download held back `delayMs`. */
class ApplianceServer {
  delayMs = 0;
  /** Answer every download with 503, as an unreachable marketplace ends up. */
  failing = false;
  private server?: http.Server;
  constructor(readonly dir: string) {}
  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const file = join(this.dir, basename(decodeURIComponent((req.url ?? '/').split('?')[0]!)));
      if (!existsSync(file) || (this.failing && req.method !== 'HEAD')) {
        res.writeHead(404);
        res.end();
        return;
      }
      // The datastore's stat action sizes a remote image from a HEAD's Content-Length (libfs.sh fs_size).
      const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(statSync(file).size) };
      if (req.method === 'HEAD') {
        res.writeHead(200, headers);
        res.end();
        return;
      }
      setTimeout(() => {
        res.writeHead(200, headers);
        createReadStream(file).pipe(res);
      }, this.delayMs);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/`;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** Forwards XML-RPC to oned unchanged, recording each call; injects the failures asked for. */
class RecordingProxy {
  calls: OneCall[] = [];
  failures = new Map<string, { message: string; code: number }>();
  private server?: http.Server;
  constructor(readonly target: string) {}
  async start(): Promise<string> {
    const t = new URL(this.target);
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        try {
          const { method, params } = decodeCall(body.toString('utf8'));
          this.calls.push({ method, params: params.slice(1) });
          const fail = this.failures.get(method);
          if (fail) {
            this.failures.delete(method);
            res.writeHead(200, { 'Content-Type': 'text/xml' });
            res.end(encodeResponse([false, fail.message, fail.code, -1, BigInt(-1)]));
            return;
          }
        } catch {
          // not a methodCall: oned answers it
        }
        const fwd = http.request({ hostname: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host } }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        fwd.on('error', (e) => {
          res.writeHead(502);
          res.end(String(e));
        });
        fwd.end(body);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/RPC2`;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/**
 * Lays out oneprovision's estate on a real oned. Every call is a documented XML-RPC method
 * (api.rst); attributes as oneprovision writes them (test/support/estate.ts).
 */
async function layoutReal(c: OneClient, dir: string, provisions: ProvisionSpec[], marketBase: string): Promise<void> {
  const parse = (xml: XmlRpcValue) => OBJ_PARSER.parse(String(xml)) as X;
  // Nothing may reach marketplace.opennebula.io: the bootstrapped OpenNebula Public marketplace is disabled
  // (and its driver is not even loaded: MARKET_MAD -m http).
  await c.call('one.market.enable', 0, false);
  for (const p of provisions) {
    const cid = Number(await c.call('one.cluster.allocate', p.name));
    await c.call('one.cluster.adddatastore', cid, 1);
    await c.call('one.cluster.adddatastore', cid, 2);
    for (const [i, h] of p.hosts.entries()) {
      const hid = Number(await c.call('one.host.allocate', h, 'dummy', 'dummy', cid));
      await c.call('one.host.update', hid, provisionAttr(p, 'host', i), 1);
    }
    await c.call('one.datastore.allocate', imageDatastoreTemplate(p), cid);
    await c.call('one.datastore.allocate', systemDatastoreTemplate(p), cid);
    await c.call('one.vn.allocate', publicNetworkTemplate(p), cid);
  }
  // The appliance: an image in the default datastore, published as an app of an http marketplace.
  // Served by the harness's own HTTP server on 127.0.0.1 (a local path would be refused: RESTRICTED_DIRS covers /).
  const publicDir = join(dir, 'market');
  mkdirSync(publicDir, { recursive: true });
  writeFileSync(join(publicDir, 'service-vr-origin.qcow2'), Buffer.alloc(2 * 1024 * 1024, 0));
  // No capacity check for the harness's own image (datastore 1 may not be monitored yet): the 4th
  // parameter is check_capacity up to 6.8, no_check_capacity from 6.10 (RequestManagerAllocate.cc).
  const [major, minor] = String(await c.call('one.system.version'))
    .split('.')
    .map(Number);
  const noCheck = major! < 6 || (major === 6 && minor! < 10) ? false : true;
  const origin = Number(
    await c.call('one.image.allocate', `NAME = "service-vr-origin"\nPATH = "${marketBase}service-vr-origin.qcow2"\nTYPE = "OS"\n`, 1, noCheck),
  );
  await waitFor('the appliance origin image', 120_000, async () => {
    const img = parse(await c.call('one.image.info', origin)).IMAGE;
    if (img?.STATE === '5') throw new Error(`the harness's appliance image went to ERROR: ${JSON.stringify(img?.TEMPLATE?.ERROR ?? img)}`);
    return img?.STATE === '1' ? true : undefined;
  });
  const mid = Number(
    await c.call('one.market.allocate', `NAME = "harness-http"\nMARKET_MAD = "http"\nBASE_URL = "${marketBase}"\nPUBLIC_DIR = "${publicDir}"\n`),
  );
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const app = Number(
    await c.call(
      'one.marketapp.allocate',
      `NAME = "${VR_APP.name}"\nORIGIN_ID = "${origin}"\nTYPE = "IMAGE"\nVERSION = "6.8.1-1"\nDESCRIPTION = "harness copy of the OpenNebula Public VR appliance"\nAPPTEMPLATE64 = "${b64(VR_APP.appTemplate)}"\nVMTEMPLATE64 = "${b64(VR_APP.vmTemplate)}"\n`,
      mid,
    ),
  );
  await waitFor('the marketplace app', 180_000, async () => {
    const a = parse(await c.call('one.marketapp.info', app)).MARKETPLACEAPP;
    if (a?.STATE === '3') throw new Error(`the harness's marketplace app went to ERROR: ${JSON.stringify(a?.TEMPLATE?.ERROR ?? a)}`);
    return a?.STATE === '1' ? true : undefined;
  });
  // What edge-wizard checks an export against: every image datastore's FREE_MB, known once monitored.
  const monitored = async (id: number) => Number(parse(await c.call('one.datastore.info', id)).DATASTORE?.FREE_MB ?? 0) > 0;
  const ds = (await c.call('one.datastorepool.info').then(parse)).DATASTORE_POOL.DATASTORE.filter((d: X) => d.TYPE === '0').map((d: X) => Number(d.ID));
  await waitFor('the image datastores to be monitored', 120_000, async () => ((await Promise.all(ds.map(monitored))).every(Boolean) ? true : undefined));
}

export async function startOned(opts: StartOptions = {}): Promise<OnedBackend> {
  const provisions = opts.provisions ?? seedProvisions(LAB_HOSTS);
  const onegate = opts.onegate ?? true;
  const parse = (xml: XmlRpcValue) => OBJ_PARSER.parse(String(xml)) as X;

  let real: RealOned | undefined;
  let fake: FakeOned | undefined;
  let market: ApplianceServer | undefined;
  let endpoint: string;
  let password: string;
  let clock = realClock;
  let onegateNow: string | undefined = onegate ? 'http://127.0.0.1:5030' : undefined;
  if (onedKind() === 'real') {
    real = await startRealOned({ onegateEndpoint: onegate ? 'http://127.0.0.1:5030' : undefined, password: opts.password });
    try {
      if (opts.vxlanCreateMs) {
        // The instance's own copy of the drivers: the vxlan vnet_create action takes this long.
        const script = join(real.dir, 'var', 'remotes', 'vnm', 'vxlan', 'vnet_create');
        writeFileSync(script, readFileSync(script, 'utf8').replace(/^(#!.*\n)/, `$1sleep ${opts.vxlanCreateMs / 1000}\n`));
      }
      market = new ApplianceServer(join(real.dir, 'market'));
      const base = await market.start();
      await layoutReal(real.client, real.dir, provisions, base);
    } catch (e) {
      const tail = real.logTail();
      await market?.stop();
      await real.stop();
      throw new Error(`${(e as Error).message}\n--- oned.log ---\n${tail}`);
    }
    endpoint = real.endpoint;
    password = real.password;
  } else {
    password = opts.password ?? 'opennebula';
    fake = new FakeOned(standInEstate(provisions), `oneadmin:${password}`, {
      onegateEndpoint: onegate ? 'http://127.0.0.1:5030' : '',
      vnetCreateMs: opts.vxlanCreateMs,
      now: opts.virtualClock ? (clock = virtualClock()).now : undefined,
    });
    endpoint = await fake.start();
  }

  const proxy = new RecordingProxy(endpoint);
  const proxied = await proxy.start();
  const admin = createOneClient({ transport: httpTransport(endpoint, 120_000), user: 'oneadmin', password });
  const list = async (pool: PoolName) => {
    const [method, root, child, args] = POOLS[pool];
    return ((parse(await admin.call(method, ...args))[root] as X | undefined)?.[child] as X[] | undefined) ?? [];
  };
  const backend: OnedBackend = {
    kind: real ? 'real' : 'stand-in',
    endpoint: proxied,
    directEndpoint: endpoint,
    calls: proxy.calls,
    get writeCalls() {
      return proxy.calls.filter(isWrite);
    },
    failures: proxy.failures,
    password,
    admin,
    client(calls) {
      return createOneClient({ transport: httpTransport(proxied, 120_000), user: 'oneadmin', password, onCall: (c) => calls?.push(c) });
    },
    list,
    async id(pool, name) {
      const o = (await list(pool)).find((x) => x.NAME === name);
      if (!o) throw new Error(`no ${pool} named ${name}`);
      return Number(o.ID);
    },
    async info(pool, id) {
      const [method, root] = INFO[pool];
      return parse(await admin.call(method, id))[root] as X;
    },
    setCopyDelay(ms) {
      if (market) market.delayMs = ms;
      if (fake) fake.imageCopyMs = ms;
    },
    setMarketReachable(ok) {
      if (market) market.failing = !ok;
      if (fake) fake.marketReachable = ok;
    },
    async restart() {
      await real?.restart({ onegateEndpoint: onegateNow });
      fake?.restartDuringCopies();
    },
    clock,
    async imagesSettled(timeoutMs = 120_000) {
      await waitFor('images to leave LOCKED', timeoutMs, async () => ((await list('image')).some((i) => i.STATE === '4') ? undefined : true));
    },
    async setOnegate(ep) {
      onegateNow = ep;
      await real?.restart({ onegateEndpoint: ep });
      if (fake) fake.onegateEndpoint = ep ?? '';
    },
    logTail: () => real?.logTail() ?? '(stand-in: no oned.log)',
    async stop() {
      await proxy.stop();
      await market?.stop();
      await real?.stop();
      await fake?.stop();
    },
  };
  return backend;
}
