/**
 * A STAND-IN for oned, for tests only. It speaks real XML-RPC over HTTP on 127.0.0.1
 * (random port, path /RPC2 only: anything else is a 404, as oned's xmlrpc-c server answers)
 * for the methods edge-wizard and its tests use, and behaves like a real OpenNebula 6.8 oned
 * where that was measured against one (test/opennebula/oned.test.ts runs the same assertions
 * on both; docs/opennebula.md lists them):
 *   - a parameter of the wrong type, or too few: XML-RPC fault -501 (xmlrpc-c), not [false, ...];
 *     extra parameters are ignored; unknown methods: fault -506;
 *   - failures are [false, message, code, id, <i8>]; successes [true, result, 0];
 *   - one ID sequence per pool, as oned's (clusters and datastores start at 100 after the
 *     bootstrapped ones), and pools listed newest first... as measured (see POOL_ORDER);
 *   - templates are parsed (OpenNebula syntax; a syntax error is refused) and names are unique
 *     per pool; vn.allocate needs VN_MAD;
 *   - cluster.addhost/adddatastore/addvnet of a member succeeds and changes nothing;
 *   - one.image.allocate's 4th parameter is check_capacity up to 6.8 and no_check_capacity from
 *     6.10 on (`version`), checked against FREE_MB, LIMIT_MB and USED_MB;
 *   - an exported image is LOCKED for `imageCopyMs`, and a VM created from it is CLONING until
 *     then; one.vrouter.instantiate creates its VMs on hold and releases them unless asked to
 *     hold, silently failing for a CLONING VM (which then lands in HOLD), as oned does;
 *   - one.vrouter.instantiate refuses a template without VROUTER=YES, and a CONTEXT TOKEN=YES
 *     without ONEGATE_ENDPOINT;
 *   - NIC leases copy the address range's attributes (EXTERNAL_IP on an elastic network);
 *     a NIC named like NIC<n> is renamed _NIC<n>, so a NIC_ALIAS whose PARENT names it fails.
 * Info answers follow the element names of OpenNebula/one share/doc/xsd.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { decodeCall, encodeResponse, encodeFault, type XmlRpcValue } from '../../src/adapters/opennebula/xmlrpc.js';
import { IMAGE_STATE } from '../../src/core/opennebula/state.js';
import { imageDatastoreTemplate, provisionAttr, publicNetworkTemplate, seedProvisions, systemDatastoreTemplate, VR_APP, type ProvisionSpec } from './estate.js';

// ---------------------------------------------------------------------------------------------
// OpenNebula template syntax: NAME = value | "value" | [ K = "v", ... ], # comments.
// ---------------------------------------------------------------------------------------------
export type TplValue = string | Record<string, string>;
export type Tpl = Array<[string, TplValue]>;

export class TemplateSyntaxError extends Error {}

export function parseTemplate(text: string): Tpl {
  const out: Tpl = [];
  let i = 0;
  const n = text.length;
  const ws = () => {
    for (;;) {
      while (i < n && /\s/.test(text[i]!)) i++;
      if (text[i] === '#') while (i < n && text[i] !== '\n') i++;
      else break;
    }
  };
  const word = (): string => {
    const m = /^[A-Za-z_][\w\-.:]*/.exec(text.slice(i));
    if (!m) throw new TemplateSyntaxError(`syntax error at offset ${i}`);
    i += m[0].length;
    return m[0].toUpperCase();
  };
  const value = (inVector: boolean): string => {
    if (text[i] === '"') {
      let v = '';
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n) i++;
        v += text[i++];
      }
      if (text[i] !== '"') throw new TemplateSyntaxError('unterminated string');
      i++;
      return v;
    }
    const stop = inVector ? /[,\]\n]/ : /\n/;
    let v = '';
    while (i < n && !stop.test(text[i]!)) v += text[i++];
    return v.trim();
  };
  ws();
  while (i < n) {
    const key = word();
    ws();
    if (text[i] !== '=') throw new TemplateSyntaxError(`syntax error, expecting EQUAL after ${key}`);
    i++;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (text[i] === '[') {
      i++;
      const vec: Record<string, string> = {};
      ws();
      while (text[i] !== ']') {
        if (i >= n) throw new TemplateSyntaxError(`unterminated vector ${key}`);
        const k = word();
        ws();
        if (text[i] !== '=') throw new TemplateSyntaxError(`syntax error, expecting EQUAL after ${k}`);
        i++;
        ws();
        vec[k] = value(true);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
      out.push([key, vec]);
    } else {
      out.push([key, value(false)]);
    }
    ws();
  }
  return out;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export function tplXml(t: Tpl, root = 'TEMPLATE'): string {
  const body = t
    .map(([k, v]) =>
      typeof v === 'string'
        ? `<${k}>${esc(v)}</${k}>`
        : `<${k}>${Object.entries(v)
            .map(([ik, iv]) => `<${ik}>${esc(iv)}</${ik}>`)
            .join('')}</${k}>`,
    )
    .join('');
  return `<${root}>${body}</${root}>`;
}
const tget = (t: Tpl, key: string): string | undefined => {
  const a = t.find(([k, v]) => k === key && typeof v === 'string');
  return a ? (a[1] as string) : undefined;
};
const tvecs = (t: Tpl, key: string): Record<string, string>[] =>
  t.filter(([k, v]) => k === key && typeof v === 'object').map(([, v]) => v as Record<string, string>);
const yes = (v: string | undefined) => !!v && /^(yes|true|1)$/i.test(v.trim());

// ---------------------------------------------------------------------------------------------
// The estate.
// ---------------------------------------------------------------------------------------------
type T = 'string' | 'int' | 'boolean';
/** Parameters including the session string (api.rst tables); `?` marks optional trailing ones. */
const SIGNATURES: Record<string, T[]> = {
  'one.system.version': ['string'],
  'one.system.config': ['string'],
  'one.clusterpool.info': ['string'],
  'one.hostpool.info': ['string'],
  'one.datastorepool.info': ['string'],
  'one.vnpool.info': ['string', 'int', 'int', 'int'],
  'one.templatepool.info': ['string', 'int', 'int', 'int'],
  'one.imagepool.info': ['string', 'int', 'int', 'int'],
  'one.vrouterpool.info': ['string', 'int', 'int', 'int'],
  'one.marketapppool.info': ['string', 'int', 'int', 'int'],
  'one.cluster.info': ['string', 'int'],
  'one.host.info': ['string', 'int'],
  'one.datastore.info': ['string', 'int'],
  'one.vn.info': ['string', 'int'],
  'one.template.info': ['string', 'int'],
  'one.image.info': ['string', 'int'],
  'one.vrouter.info': ['string', 'int'],
  'one.vm.info': ['string', 'int'],
  'one.cluster.allocate': ['string', 'string'],
  'one.cluster.addhost': ['string', 'int', 'int'],
  'one.cluster.adddatastore': ['string', 'int', 'int'],
  'one.cluster.addvnet': ['string', 'int', 'int'],
  'one.vn.allocate': ['string', 'string', 'int'],
  'one.image.allocate': ['string', 'string', 'int'],
  'one.template.allocate': ['string', 'string'],
  'one.vrouter.allocate': ['string', 'string'],
  'one.vrouter.instantiate': ['string', 'int', 'int', 'int', 'string', 'boolean', 'string'],
  'one.vm.action': ['string', 'string', 'int'],
  'one.vm.allocate': ['string', 'string', 'boolean'],
  'one.datastore.update': ['string', 'int', 'string', 'int'],
  'one.vn.delete': ['string', 'int'],
  'one.marketapp.info': ['string', 'int'],
  'one.cluster.update': ['string', 'int', 'string', 'int'],
  'one.vn.update': ['string', 'int', 'string', 'int'],
  'one.vrouter.update': ['string', 'int', 'string', 'int'],
  'one.vn.rename': ['string', 'int', 'string'],
  'one.cluster.rename': ['string', 'int', 'string'],
  'one.template.rename': ['string', 'int', 'string'],
  'one.image.delete': ['string', 'int'],
  'one.template.delete': ['string', 'int'],
  'one.vm.recover': ['string', 'int', 'int'],
  'one.host.allocate': ['string', 'string', 'string', 'string', 'int'],
  'one.host.update': ['string', 'int', 'string', 'int'],
  'one.documentpool.info': ['string', 'int', 'int', 'int', 'int'],
  'one.document.allocate': ['string', 'string', 'int'],
  'one.document.info': ['string', 'int'],
  'one.document.update': ['string', 'int', 'string', 'int'],
  'one.document.delete': ['string', 'int'],
  'one.document.lock': ['string', 'int', 'int'],
  'one.document.unlock': ['string', 'int'],
};
/** Optional trailing parameters oned reads when present. */
const OPTIONAL: Record<string, T[]> = {
  'one.image.allocate': ['boolean'],
  'one.cluster.info': ['boolean'],
  'one.host.info': ['boolean'],
  'one.datastore.info': ['boolean'],
  'one.vn.info': ['boolean'],
  'one.template.info': ['boolean', 'boolean'],
  'one.image.info': ['boolean'],
  'one.vrouter.info': ['boolean'],
  'one.vm.info': ['boolean'],
  'one.marketapp.info': ['boolean'],
  'one.template.delete': ['boolean'],
  'one.document.info': ['boolean'],
  // RequestManagerLock.cc request_execute: a 4th parameter `test` (fail when already locked).
  'one.document.lock': ['boolean'],
};
const READS = new Set(Object.keys(SIGNATURES).filter((m) => m.endsWith('.info') || m.startsWith('one.system.')));

const TYPE_NAMES: Record<T, string> = { string: 'string', int: 'integer', boolean: 'boolean' };
function typeOf(v: XmlRpcValue): string {
  if (typeof v === 'number' || typeof v === 'bigint') return 'int';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'struct' : typeof v;
}

export interface FakeCluster {
  id: number;
  name: string;
  hosts: number[];
  datastores: number[];
  vnets: number[];
  template?: Tpl;
}
export interface FakeHost {
  id: number;
  name: string;
  cluster_id: number;
  cluster: string;
  template: Tpl;
}
export interface FakeAr {
  ar_id: number;
  ip: string;
  size: number;
  attrs: Record<string, string>;
  used: Set<number>;
}
export interface FakeVnet {
  id: number;
  name: string;
  template: Tpl;
  clusters: number[];
  ars: FakeAr[];
  state?: number;
  ready_at?: number;
}
export interface FakeDatastore {
  id: number;
  name: string;
  type: number;
  ds_mad: string;
  tm_mad: string;
  clusters: number[];
  template: Tpl;
  free_mb: number;
  used_mb: number;
  total_mb: number;
}
export interface FakeApp {
  id: number;
  name: string;
  state: number;
  type: number;
  marketplace: string;
  apptemplate: string;
  vmtemplate?: string;
  size_mb: number;
}
export interface FakeObj {
  id: number;
  name: string;
  template: Tpl;
}
export interface FakeImage {
  id: number;
  name: string;
  template: Tpl;
  state: number;
  datastore_id: number;
  ready_at: number;
  regtime: number;
  copy_fails?: boolean;
  delete_at?: number;
}
/** A document (one.document.*) with oned's object lock (PoolObjectSQL::lock_db: LOCKED level, OWNER uid, TIME). */
export interface FakeDocument {
  id: number;
  name: string;
  type: number;
  template: Tpl;
  lock?: { level: number; owner: number; time: number };
}
export interface FakeVrouter {
  id: number;
  name: string;
  template: Tpl;
  vms: number[];
}
export interface FakeVm {
  id: number;
  name: string;
  state: number;
  on_hold: boolean;
  template: Tpl;
  user_template: Tpl;
  images: number[];
}

export interface FakeState {
  clusters: FakeCluster[];
  hosts: FakeHost[];
  vnets: FakeVnet[];
  datastores: FakeDatastore[];
  apps: FakeApp[];
  templates: FakeObj[];
  images: FakeImage[];
  vrouters: FakeVrouter[];
  vms: FakeVm[];
  documents?: FakeDocument[];
}

export interface RecordedCall {
  method: string;
  params: XmlRpcValue[];
}

export interface FakeOnedOptions {
  /** one.system.version (decides one.image.allocate's 4th parameter). */
  version?: string;
  /** ONEGATE_ENDPOINT in "oned.conf"; '' for none (stock oned.conf). */
  onegateEndpoint?: string;
  /** How long an exported image stays LOCKED (its copy). */
  imageCopyMs?: number;
  /** How long a new network stays LOCK_CREATE (the driver's vnet_create). */
  vnetCreateMs?: number;
  /** The clock the stand-in reads (copies, REGTIME, locks); Date.now by default. */
  now?: () => number;
}

function arFrom(v: Record<string, string>, arId: number): FakeAr {
  const { TYPE: _t, IP, SIZE, ...attrs } = v;
  return { ar_id: arId, ip: IP ?? '', size: Number(SIZE ?? 1), attrs, used: new Set() };
}

function ipAdd(ip: string, k: number): string {
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0) + k;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
function ipIndex(ar: FakeAr, ip: string): number {
  const a = ar.ip.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const b = ip.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  return b - a;
}

/** What oneprovision leaves for `provisions` (test/support/estate.ts), plus oned's bootstrapped objects. */
export function standInEstate(provisions: ProvisionSpec[] = seedProvisions()): FakeState {
  const s: FakeState = {
    clusters: [{ id: 0, name: 'default', hosts: [], datastores: [0, 1, 2], vnets: [] }],
    hosts: [],
    vnets: [],
    datastores: [
      { id: 0, name: 'system', type: 1, ds_mad: '-', tm_mad: 'ssh', clusters: [0], template: [], free_mb: 50000, used_mb: 1000, total_mb: 51000 },
      { id: 1, name: 'default', type: 0, ds_mad: 'fs', tm_mad: 'ssh', clusters: [0], template: [], free_mb: 50000, used_mb: 1000, total_mb: 51000 },
      { id: 2, name: 'files', type: 2, ds_mad: 'fs', tm_mad: 'ssh', clusters: [0], template: [], free_mb: 50000, used_mb: 1000, total_mb: 51000 },
    ],
    apps: [
      {
        id: 0,
        name: VR_APP.name,
        state: 1,
        type: 1,
        marketplace: 'OpenNebula Public',
        apptemplate: VR_APP.appTemplate,
        vmtemplate: VR_APP.vmTemplate,
        size_mb: VR_APP.sizeMb,
      },
    ],
    templates: [],
    images: [],
    vrouters: [],
    vms: [],
  };
  let cid = 100;
  let hid = 0;
  let dsid = 100;
  let vnid = 0;
  for (const p of provisions) {
    const c: FakeCluster = { id: cid++, name: p.name, hosts: [], datastores: [1, 2], vnets: [] };
    s.clusters.push(c);
    for (const d of [1, 2]) s.datastores[d]!.clusters.push(c.id);
    for (const [i, h] of p.hosts.entries()) {
      s.hosts.push({ id: hid, name: h, cluster_id: c.id, cluster: c.name, template: parseTemplate(provisionAttr(p, 'host', i)) });
      c.hosts.push(hid++);
    }
    for (const [type, tpl] of [
      [0, imageDatastoreTemplate(p)],
      [1, systemDatastoreTemplate(p)],
    ] as const) {
      const t = parseTemplate(tpl);
      s.datastores.push({
        id: dsid,
        name: tget(t, 'NAME')!,
        type,
        ds_mad: tget(t, 'DS_MAD') ?? '-',
        tm_mad: 'ssh',
        clusters: [c.id],
        template: t.filter(([k]) => !['NAME', 'TYPE', 'DS_MAD', 'TM_MAD'].includes(k)),
        free_mb: 50000,
        used_mb: 1000,
        total_mb: 51000,
      });
      c.datastores.push(dsid++);
    }
    const t = parseTemplate(publicNetworkTemplate(p));
    s.vnets.push({
      id: vnid,
      name: tget(t, 'NAME')!,
      template: t.filter(([k]) => k !== 'AR' && k !== 'NAME'),
      clusters: [c.id],
      ars: tvecs(t, 'AR').map(arFrom),
    });
    c.vnets.push(vnid++);
  }
  return s;
}

/** The default estate: the seed's two AWS provisions and one more (test/support/estate.ts). */
export function seedEstate(): FakeState {
  return standInEstate();
}

const idList = (tag: string, ids: number[]) => `<${tag}>${ids.map((i) => `<ID>${i}</ID>`).join('')}</${tag}>`;

/** oned lists pools newest first (measured on 6.8: PoolSQL dump ORDER BY oid DESC). */
const POOL_ORDER = <X extends { id: number }>(xs: X[]) => [...xs].sort((a, b) => b.id - a.id);

type Result = { ok: XmlRpcValue } | { error: string; code: number; id?: number };

export class FakeOned {
  calls: RecordedCall[] = [];
  /** Make the next call of `method` fail like oned: [false, message, code, id, i8]. */
  failures = new Map<string, { message: string; code: number }>();
  readonly version: string;
  onegateEndpoint: string;
  imageCopyMs: number;
  vnetCreateMs: number;
  /** False: the marketplace cannot be reached, so an export's copy fails (image ERROR) when it ends. */
  marketReachable = true;
  now: () => number;
  private server?: http.Server | https.Server;
  private next: Record<string, number>;

  constructor(
    public state: FakeState = seedEstate(),
    readonly session = 'oneadmin:s3cret',
    opts: FakeOnedOptions = {},
  ) {
    this.version = opts.version ?? '6.8.3';
    this.onegateEndpoint = opts.onegateEndpoint ?? 'http://127.0.0.1:5030';
    this.imageCopyMs = opts.imageCopyMs ?? 50;
    this.vnetCreateMs = opts.vnetCreateMs ?? 30;
    this.now = opts.now ?? Date.now;
    const after = (xs: { id: number }[], min: number) => Math.max(min, ...xs.map((x) => x.id + 1));
    this.next = {
      cluster: after(state.clusters, 100),
      host: after(state.hosts, 0),
      datastore: after(state.datastores, 100),
      vnet: after(state.vnets, 0),
      template: after(state.templates, 0),
      image: after(state.images, 0),
      vrouter: after(state.vrouters, 0),
      vm: after(state.vms, 0),
      document: after(state.documents ?? [], 0),
    };
  }

  /** Calls that change an object, apart from the scenario's lock (one.document.*, taken and released by every run). */
  get writeCalls(): RecordedCall[] {
    return this.calls.filter((c) => !READS.has(c.method) && !c.method.startsWith('one.document.'));
  }

  /** Serves XML-RPC on 127.0.0.1; with `tls`, over https (as oned behind a TLS proxy). */
  async start(tls?: { key: string; cert: string }): Promise<string> {
    const handler: http.RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url !== '/RPC2') {
          res.writeHead(404, { 'Content-Type': 'text/html' });
          res.end('<html><body>404 Not Found</body></html>');
          return;
        }
        let body: string;
        try {
          body = this.handle(Buffer.concat(chunks).toString('utf8'));
        } catch (e) {
          body = encodeFault(-503, (e as Error).message);
        }
        res.writeHead(200, { 'Content-Type': 'text/xml' });
        res.end(body);
      });
    };
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server!.address() as AddressInfo).port}/RPC2`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  private handle(xml: string): string {
    const { method, params } = decodeCall(xml);
    const sig = SIGNATURES[method];
    if (!sig) return encodeFault(-506, `Unknown method '${method}'`);
    this.calls.push({ method, params: params.slice(1) });
    const want = [...sig, ...(OPTIONAL[method] ?? [])];
    for (let i = 0; i < want.length; i++) {
      if (i >= params.length) {
        if (i < sig.length) return encodeFault(-501, 'Not enough parameters');
        break;
      }
      if (typeOf(params[i]!) !== want[i]) return encodeFault(-501, `Type mismatch: expected ${TYPE_NAMES[want[i]!]}`);
    }
    const p = params.slice(1, want.length);
    if (params[0] !== this.session) return this.fail(method, { error: `[${method}] User couldn't be authenticated, aborting call.`, code: 0x0100 });
    const fail = this.failures.get(method);
    if (fail) {
      this.failures.delete(method);
      return this.fail(method, { error: fail.message, code: fail.code });
    }
    this.tick();
    const r = this.dispatch(method, p);
    return 'error' in r ? this.fail(method, r) : encodeResponse([true, r.ok, 0]);
  }

  private fail(_method: string, r: { error: string; code: number; id?: number }): string {
    return encodeResponse([false, r.error, r.code, r.id ?? -1, BigInt(-1)]);
  }

  /** VMs holding an image (Image running_vms). */
  private running(img: FakeImage): number {
    return this.state.vms.filter((v) => v.images.includes(img.id)).length;
  }

  /**
   * Time passes. A copy that ends: READY (USED with VMs waiting) and the waiting VMs leave CLONING
   * (Image::set_state_unlock, src/image/Image.cc:1028-1046); or, when it fails (the marketplace
   * unreachable), ERROR with "Error copying image in the datastore: ..." in TEMPLATE/ERROR
   * (ImageManager::_cp, src/image/ImageManagerProtocol.cc:131-144) and each waiting VM to
   * CLONING_FAILURE (Image::set_state, Image.cc:1001-1009, trigger_disk_lock_failure).
   * A DELETE image is gone once its datastore rm has run.
   */
  private tick(now = this.now()): void {
    for (const vn of this.state.vnets) if (vn.state === 2 && (vn.ready_at ?? 0) <= now) vn.state = 1;
    this.state.images = this.state.images.filter((img) => !(img.state === 7 && (img.delete_at ?? 0) <= now));
    for (const img of this.state.images) {
      if ((img.state !== 4 && img.state !== 9) || img.ready_at > now) continue;
      if (img.copy_fails) {
        img.state = 5;
        img.template.push(['ERROR', 'Error copying image in the datastore: Could not download the appliance from the marketplace (connection timed out)']);
        for (const vm of this.state.vms) if (vm.state === 10 && vm.images.includes(img.id)) vm.state = 11;
      } else {
        img.state = this.running(img) ? 2 : 1;
      }
    }
    for (const vm of this.state.vms) {
      if (vm.state !== 10) continue;
      if (vm.images.every((id) => ![4, 9].includes(this.state.images.find((i) => i.id === id)?.state ?? -1))) vm.state = vm.on_hold ? 2 : 1;
    }
  }

  /** Advances the stand-in's clock: every image copy and network creation finishes. */
  finishCopies(): void {
    for (const img of this.state.images) if (Number.isFinite(img.ready_at)) img.ready_at = 0;
    for (const vn of this.state.vnets) vn.ready_at = 0;
    this.tick();
  }

  /**
   * oned restarted while images were being copied: the driver's answer is lost and nothing in oned
   * resumes the copy (no LOCKED image is touched at start-up: src/image/ has no such recovery), so
   * the images stay LOCKED / LOCKED_USED and their VMs CLONING for good.
   */
  restartDuringCopies(): void {
    for (const img of this.state.images) if (img.state === 4 || img.state === 9) img.ready_at = Infinity;
  }

  private id(pool: string): number {
    return this.next[pool]!++;
  }

  private taken(method: string, what: string, xs: { id: number; name: string }[], name: string): Result | undefined {
    const x = xs.find((o) => o.name === name);
    return x ? { error: `[${method}] NAME is already taken by ${what} ${x.id}.`, code: 0x4000 } : undefined;
  }

  private parse(method: string, text: string): Tpl | Result {
    try {
      return parseTemplate(text);
    } catch (e) {
      return { error: `[${method}] Parse error: ${(e as Error).message}`, code: 0x2000 };
    }
  }

  private lease(vn: FakeVnet, ip: string | undefined): { ar: FakeAr; ip: string } | undefined {
    // oned 6.8 refuses a lease on a network whose vnet_create is still running now and then
    // (measured: 1 in 4 right after one.vn.allocate); the stand-in always does, so the race shows.
    if ((vn.state ?? 1) === 2) return undefined;
    for (const ar of vn.ars) {
      if (ip) {
        const k = ipIndex(ar, ip);
        if (k >= 0 && k < ar.size && !ar.used.has(k)) {
          ar.used.add(k);
          return { ar, ip };
        }
        continue;
      }
      for (let k = 0; k < ar.size; k++) {
        if (!ar.used.has(k)) {
          ar.used.add(k);
          return { ar, ip: ipAdd(ar.ip, k) };
        }
      }
    }
    return undefined;
  }

  /**
   * NIC and NIC_ALIAS leases, as oned's VirtualMachineNics::get_network_leases: NICs first (named
   * NIC<id>; a user NAME like NIC<n> becomes _NIC<n>), then each alias, whose PARENT must name a NIC
   * (checked before its lease), numbered after the NICs and named <parent>_ALIAS<n>.
   */
  private nics(method: string, tpl: Tpl): Tpl | Result {
    const out: Tpl = [];
    const parents = new Map<string, { id: number; aliases: number }>();
    let nicId = 0;
    const leaseFor = (v: Record<string, string>): { vn: FakeVnet; l: { ar: FakeAr; ip: string } } | { error: string; code: number } => {
      const vn = v.NETWORK_ID !== undefined ? this.state.vnets.find((n) => n.id === Number(v.NETWORK_ID)) : this.state.vnets.find((n) => n.name === v.NETWORK);
      if (!vn) return { error: `[${method}] Error getting virtual network [${v.NETWORK_ID ?? v.NETWORK}].`, code: 0x0400 };
      const l = this.lease(vn, v.IP);
      if (!l) return { error: `[${method}] Cannot get IP/MAC lease from virtual network ${vn.id}.`, code: 0x2000 };
      return { vn, l };
    };
    const nicAttrs = (vn: FakeVnet, l: { ar: FakeAr; ip: string }) => ({
      ...Object.fromEntries(Object.entries(l.ar.attrs).filter(([a]) => ['EXTERNAL_IP', 'AWS_ALLOCATION_ID', 'GATEWAY'].includes(a))),
      NETWORK: vn.name,
      NETWORK_ID: String(vn.id),
      IP: l.ip,
      VN_MAD: tget(vn.template, 'VN_MAD') ?? '',
      AR_ID: String(l.ar.ar_id),
    });
    for (const v of tvecs(tpl, 'NIC')) {
      const r = leaseFor(v);
      if ('error' in r) return r;
      const name = v.NAME ? (/^NIC\d+(_ALIAS\d+)?$/.test(v.NAME) ? `_${v.NAME}` : v.NAME) : `NIC${nicId}`;
      parents.set(name, { id: nicId, aliases: 0 });
      out.push(['NIC', { ...v, ...nicAttrs(r.vn, r.l), NAME: name, NIC_ID: String(nicId) }]);
      nicId++;
    }
    for (const v of tvecs(tpl, 'NIC_ALIAS')) {
      const parent = parents.get(v.PARENT ?? '');
      if (!parent) return { error: `[${method}] NIC named ${v.PARENT ?? ''} not found for alias`, code: 0x2000 };
      const r = leaseFor(v);
      if ('error' in r) return r;
      out.push([
        'NIC_ALIAS',
        {
          ...v,
          ...nicAttrs(r.vn, r.l),
          NAME: `NIC${parent.id}_ALIAS${parent.aliases}`,
          NIC_ID: String(nicId),
          PARENT_ID: String(parent.id),
          ALIAS_ID: String(parent.aliases),
        },
      ]);
      parent.aliases++;
      nicId++;
    }
    return out;
  }

  /** A VM as oned makes one: NIC leases, CLONING while a disk image is LOCKED, CONTEXT variables resolved, user attributes in USER_TEMPLATE. */
  private createVm(method: string, tpl: Tpl, name: string, onHold: boolean, user: Tpl = []): Result {
    const id = this.next.vm!;
    const images = tvecs(tpl, 'DISK').flatMap((d) => (d.IMAGE_ID !== undefined ? [Number(d.IMAGE_ID)] : []));
    for (const img of images) if (!this.state.images.some((i) => i.id === img)) return { error: `[${method}] Error getting image [${img}].`, code: 0x0400 };
    // ImageManager::acquire_image (src/image/ImageManagerActions.cc:118-216): READY -> USED, LOCKED ->
    // LOCKED_USED (the VM waits, CLONING); INIT, DISABLED, ERROR, DELETE and CLONE are refused.
    for (const id of images) {
      const img = this.state.images.find((i) => i.id === id)!;
      if (![1, 2, 4, 9].includes(img.state))
        return { error: `[${method}] Cannot acquire image ${id}, it is in state: ${IMAGE_STATE[img.state] ?? img.state}`, code: 0x2000 };
    }
    // Leases after the disks are known to be usable: a refused VM holds none (oned releases them on failure).
    const nics = this.nics(method, tpl);
    if (!Array.isArray(nics)) return nics;
    const cloning = images.some((i) => [4, 9].includes(this.state.images.find((x) => x.id === i)!.state));
    for (const id of images) {
      const img = this.state.images.find((i) => i.id === id)!;
      img.state = img.state === 1 ? 2 : img.state === 4 ? 9 : img.state;
    }
    const all = [...user, ...tpl];
    const context = tvecs(tpl, 'CONTEXT')[0];
    if (context && yes(context.TOKEN) && !this.onegateEndpoint)
      return { error: `[${method}] TOKEN set, but onegate endpoint was not defined in oned.conf.`, code: 0x2000 };
    const resolved = context
      ? Object.fromEntries(
          Object.entries(context).map(([k, v]) => [
            k,
            v.replace(/\$USER\[\w+\]/g, '').replace(/\$(\w+)/g, (_m, n: string) => tget(all, n.toUpperCase()) ?? ''),
          ]),
        )
      : undefined;
    this.id('vm');
    const base = tpl.filter(([k]) => !['NIC', 'NIC_ALIAS', 'NAME', 'CONTEXT'].includes(k));
    this.state.vms.push({
      id,
      name,
      state: cloning ? 10 : onHold ? 2 : 1,
      on_hold: onHold,
      template: [...base, ...nics, ...(resolved ? [['CONTEXT', resolved] as [string, TplValue]] : [])],
      user_template: user,
      images,
    });
    return { ok: id };
  }

  private dispatch(method: string, p: XmlRpcValue[]): Result {
    const s = this.state;
    const notFound = (what: string, id: unknown) => ({ error: `[${method}] Error getting ${what} [${String(id)}].`, code: 0x0400, id: Number(id) });
    const cluster = (id: number) => s.clusters.find((c) => c.id === id);
    switch (method) {
      case 'one.system.version':
        return { ok: this.version };
      case 'one.system.config':
        return {
          ok: `<OPENNEBULA_CONFIGURATION><DATASTORE_CAPACITY_CHECK><![CDATA[yes]]></DATASTORE_CAPACITY_CHECK>${this.onegateEndpoint ? `<ONEGATE_ENDPOINT><![CDATA[${this.onegateEndpoint}]]></ONEGATE_ENDPOINT>` : ''}<PORT><![CDATA[2633]]></PORT></OPENNEBULA_CONFIGURATION>`,
        };
      case 'one.clusterpool.info':
        return {
          ok: `<CLUSTER_POOL>${POOL_ORDER(s.clusters)
            .map((c) => this.clusterXml(c))
            .join('')}</CLUSTER_POOL>`,
        };
      case 'one.hostpool.info':
        return {
          ok: `<HOST_POOL>${POOL_ORDER(s.hosts)
            .map((h) => this.hostXml(h))
            .join('')}</HOST_POOL>`,
        };
      case 'one.datastorepool.info':
        return {
          ok: `<DATASTORE_POOL>${POOL_ORDER(s.datastores)
            .map((d) => this.dsXml(d))
            .join('')}</DATASTORE_POOL>`,
        };
      case 'one.vnpool.info':
        return {
          ok: `<VNET_POOL>${POOL_ORDER(s.vnets)
            .map((v) => this.vnetXml(v))
            .join('')}</VNET_POOL>`,
        };
      case 'one.templatepool.info':
        return {
          ok: `<VMTEMPLATE_POOL>${POOL_ORDER(s.templates)
            .map((t) => this.templateXml(t))
            .join('')}</VMTEMPLATE_POOL>`,
        };
      case 'one.imagepool.info':
        return {
          ok: `<IMAGE_POOL>${POOL_ORDER(s.images)
            .map((i) => this.imageXml(i))
            .join('')}</IMAGE_POOL>`,
        };
      case 'one.vrouterpool.info':
        return {
          ok: `<VROUTER_POOL>${POOL_ORDER(s.vrouters)
            .map((v) => this.vrouterXml(v))
            .join('')}</VROUTER_POOL>`,
        };
      case 'one.marketapppool.info':
        return {
          ok: `<MARKETPLACEAPP_POOL>${POOL_ORDER(s.apps)
            .map((a) => this.appXml(a))
            .join('')}</MARKETPLACEAPP_POOL>`,
        };
      case 'one.cluster.info': {
        const c = cluster(Number(p[0]));
        return c ? { ok: this.clusterXml(c) } : notFound('cluster', p[0]);
      }
      case 'one.host.info': {
        const h = s.hosts.find((x) => x.id === p[0]);
        return h ? { ok: this.hostXml(h) } : notFound('host', p[0]);
      }
      case 'one.datastore.info': {
        const d = s.datastores.find((x) => x.id === p[0]);
        return d ? { ok: this.dsXml(d) } : notFound('datastore', p[0]);
      }
      case 'one.vn.info': {
        const v = s.vnets.find((x) => x.id === p[0]);
        return v ? { ok: this.vnetXml(v) } : notFound('virtual network', p[0]);
      }
      case 'one.template.info': {
        const t = s.templates.find((x) => x.id === p[0]);
        return t ? { ok: this.templateXml(t) } : notFound('template', p[0]);
      }
      case 'one.image.info': {
        const i = s.images.find((x) => x.id === p[0]);
        return i ? { ok: this.imageXml(i) } : notFound('image', p[0]);
      }
      case 'one.vrouter.info': {
        const v = s.vrouters.find((x) => x.id === p[0]);
        return v ? { ok: this.vrouterXml(v) } : notFound('virtual router', p[0]);
      }
      case 'one.vm.info': {
        const vm = s.vms.find((x) => x.id === p[0]);
        return vm ? { ok: this.vmXml(vm) } : notFound('virtual machine', p[0]);
      }
      case 'one.marketapp.info': {
        const a = s.apps.find((x) => x.id === p[0]);
        return a ? { ok: this.appXml(a) } : notFound('marketplace app', p[0]);
      }
      case 'one.vn.delete': {
        const v = s.vnets.find((x) => x.id === p[0]);
        if (!v) return notFound('virtual network', p[0]);
        s.vnets = s.vnets.filter((x) => x !== v);
        for (const c of s.clusters) c.vnets = c.vnets.filter((x) => x !== v.id);
        return { ok: v.id };
      }
      case 'one.cluster.allocate': {
        const name = String(p[0]);
        const t = this.taken(method, 'CLUSTER', s.clusters, name);
        if (t) return t;
        const id = this.id('cluster');
        s.clusters.push({ id, name, hosts: [], datastores: [], vnets: [] });
        return { ok: id };
      }
      case 'one.cluster.addhost': {
        const c = cluster(Number(p[0]));
        const h = s.hosts.find((x) => x.id === p[1]);
        if (!c) return notFound('cluster', p[0]);
        if (!h) return notFound('host', p[1]);
        if (h.cluster_id === c.id) return { ok: c.id };
        const old = cluster(h.cluster_id);
        if (old) old.hosts = old.hosts.filter((x) => x !== h.id);
        c.hosts.push(h.id);
        h.cluster_id = c.id;
        h.cluster = c.name;
        return { ok: c.id };
      }
      case 'one.cluster.adddatastore':
      case 'one.cluster.addvnet': {
        const c = cluster(Number(p[0]));
        if (!c) return notFound('cluster', p[0]);
        const ds = method.endsWith('datastore');
        const obj = ds ? s.datastores.find((d) => d.id === p[1]) : s.vnets.find((v) => v.id === p[1]);
        if (!obj) return notFound(ds ? 'datastore' : 'virtual network', p[1]);
        const list = ds ? c.datastores : c.vnets;
        if (!list.includes(obj.id)) {
          list.push(obj.id);
          obj.clusters.push(c.id);
        }
        return { ok: c.id };
      }
      case 'one.vn.allocate': {
        const t = this.parse(method, String(p[0]));
        if (!Array.isArray(t)) return t;
        const name = tget(t, 'NAME');
        if (!name) return { error: `[${method}] No NAME in template for Virtual Network.`, code: 0x2000 };
        const vnMad = tget(t, 'VN_MAD');
        if (!vnMad) return { error: `[${method}] No VN_MAD in template for Virtual Network.`, code: 0x2000 };
        // VirtualNetwork::parse_template: what each driver needs.
        const auto = yes(tget(t, 'AUTOMATIC_VLAN_ID'));
        if (['vxlan', '802.1Q'].includes(vnMad)) {
          if (!tget(t, 'PHYDEV')) return { error: `[${method}] PHYDEV is mandatory for driver ${vnMad}`, code: 0x2000 };
          if (!auto && !tget(t, 'VLAN_ID')) return { error: `[${method}] VLAN_ID (or AUTOMATIC_VLAN_ID) is mandatory for driver ${vnMad}`, code: 0x2000 };
        }
        if (vnMad === 'dummy' && !tget(t, 'BRIDGE')) return { error: `[${method}] BRIDGE is mandatory for driver ${vnMad}`, code: 0x2000 };
        const taken = this.taken(method, 'NET', s.vnets, name);
        if (taken) return taken;
        const cid = Number(p[1]) === -1 ? 0 : Number(p[1]);
        if (!cluster(cid)) return notFound('cluster', cid);
        const id = this.id('vnet');
        // AUTOMATIC_VLAN_ID is consumed: VXLAN_IDS START (2) + the network's ID, VLAN_ID_AUTOMATIC = 1 (VirtualNetworkPool::set_vlan_id).
        const tpl = t.filter(([k]) => !['AR', 'NAME', 'AUTOMATIC_VLAN_ID'].includes(k));
        if (auto && vnMad === 'vxlan') tpl.push(['VLAN_ID', String(2 + id)], ['VLAN_ID_AUTOMATIC', '1']);
        if (!tget(tpl, 'BRIDGE')) tpl.push(['BRIDGE', `onebr${id}`]);
        // STATE LOCK_CREATE until the driver's vnet_create answers (VirtualNetworkPool::allocate).
        s.vnets.push({ id, name, template: tpl, clusters: [cid], ars: tvecs(t, 'AR').map(arFrom), state: 2, ready_at: Date.now() + this.vnetCreateMs });
        cluster(cid)!.vnets.push(id);
        return { ok: id };
      }
      case 'one.image.allocate': {
        const t = this.parse(method, String(p[0]));
        if (!Array.isArray(t)) return t;
        const name = tget(t, 'NAME');
        if (!name) return { error: `[${method}] No NAME in template for Image.`, code: 0x2000 };
        const taken = this.taken(method, 'IMAGE', s.images, name);
        if (taken) return taken;
        const ds = s.datastores.find((d) => d.id === p[1]);
        if (!ds) return notFound('datastore', p[1]);
        if (ds.type === 1) return { error: `[${method}] New images can only be allocated in a files or image datastore.`, code: 0x4000 };
        let size = 0;
        const fromApp = tget(t, 'FROM_APP');
        if (fromApp !== undefined) {
          const app = s.apps.find((a) => a.id === Number(fromApp));
          if (!app) return { error: `[${method}] Cannot determine image SIZE.`, code: 0x2000 };
          size = app.size_mb;
        }
        // 6.8: check_capacity (default true); 6.10+: no_check_capacity (default false).
        const v = this.version.split('.').map(Number);
        const before610 = v[0]! < 6 || (v[0] === 6 && v[1]! < 10);
        const arg = p[2] as boolean | undefined;
        const check = arg === undefined ? true : before610 ? arg : !arg;
        const dsCheck = tget(ds.template, 'DATASTORE_CAPACITY_CHECK');
        const limit = tget(ds.template, 'LIMIT_MB');
        const avail = Math.max(0, limit !== undefined ? Math.min(ds.free_mb, Number(limit) - ds.used_mb) : ds.free_mb);
        if (check && (dsCheck === undefined || yes(dsCheck)) && size > avail) return { error: `[${method}] Not enough space in datastore`, code: 0x0800 };
        const id = this.id('image');
        const tpl = t.filter(([k]) => k !== 'NAME');
        const app = fromApp !== undefined ? s.apps.find((a) => a.id === Number(fromApp)) : undefined;
        // MarketPlaceApp::to_template (src/market/MarketPlaceApp.cc:423-429): what an exported image carries.
        if (app)
          tpl.push(
            ['FROM_APP_NAME', app.name],
            ['PATH', `https://marketplace.opennebula.io/appliance/${app.id}/download/0`],
            ['FORMAT', 'qcow2'],
            ['FROM_APP_MD5', 'aaec08c5d33e81bd12dde55dad22609c'],
          );
        s.images.push({
          id,
          name,
          template: tpl,
          state: 4,
          datastore_id: ds.id,
          ready_at: this.now() + this.imageCopyMs,
          regtime: Math.floor(this.now() / 1000),
          copy_fails: !!app && !this.marketReachable,
        });
        return { ok: id };
      }
      case 'one.template.allocate':
      case 'one.vrouter.allocate': {
        const t = this.parse(method, String(p[0]));
        if (!Array.isArray(t)) return t;
        const tpl = method === 'one.template.allocate';
        const name = tget(t, 'NAME') ?? '';
        const taken = this.taken(method, tpl ? 'TEMPLATE' : 'VROUTER', tpl ? s.templates : s.vrouters, name);
        if (taken) return taken;
        if (tpl) {
          const id = this.id('template');
          s.templates.push({ id, name, template: t.filter(([k]) => k !== 'NAME') });
          return { ok: id };
        }
        for (const nic of tvecs(t, 'NIC')) {
          if (!s.vnets.some((v) => v.id === Number(nic.NETWORK_ID) || v.name === nic.NETWORK))
            return notFound('virtual network', nic.NETWORK_ID ?? nic.NETWORK);
        }
        const id = this.id('vrouter');
        s.vrouters.push({ id, name, template: t.filter(([k]) => k !== 'NAME'), vms: [] });
        return { ok: id };
      }
      case 'one.vrouter.instantiate': {
        const vr = s.vrouters.find((v) => v.id === p[0]);
        if (!vr) return notFound('virtual router', p[0]);
        const tmpl = s.templates.find((t) => t.id === p[2]);
        if (!tmpl) return notFound('template', p[2]);
        if (!yes(tget(tmpl.template, 'VROUTER'))) return { error: `[${method}] Only virtual router templates are allowed`, code: 0x0800 };
        const extra = this.parse(method, String(p[5]));
        if (!Array.isArray(extra)) return extra;
        const created: number[] = [];
        for (let i = 0; i < Number(p[1]); i++) {
          const tpl: Tpl = [...tmpl.template, ...tvecs(vr.template, 'NIC').map((n): [string, TplValue] => ['NIC', n]), ['VROUTER_ID', String(vr.id)]];
          const r = this.createVm(method, tpl, String(p[3]).replace('%i', String(i)), true, extra);
          if ('error' in r) {
            s.vms = s.vms.filter((v) => !created.includes(v.id));
            return r;
          }
          created.push(Number(r.ok));
        }
        vr.vms.push(...created);
        // oned (RequestManagerVirtualRouter.cc) releases each VM unless asked to hold, ignoring a failure:
        // a VM still CLONING stays on hold when its image is ready.
        if (!p[4]) for (const id of created) this.release(id);
        return { ok: vr.id };
      }
      case 'one.vm.allocate': {
        const t = this.parse(method, String(p[0]));
        if (!Array.isArray(t)) return t;
        return this.createVm(method, t, tget(t, 'NAME') ?? `one-${this.next.vm}`, !!p[1]);
      }
      case 'one.vm.action': {
        const vm = s.vms.find((v) => v.id === p[1]);
        if (!vm) return notFound('virtual machine', p[1]);
        if (p[0] === 'release') {
          const r = this.release(vm.id);
          return r ? { error: `[${method}] ${r}`, code: 0x0800, id: vm.id } : { ok: vm.id };
        }
        if (p[0] === 'hold' && vm.state === 1) {
          vm.state = 2;
          return { ok: vm.id };
        }
        return { error: `[${method}] Could not ${String(p[0])} VM ${vm.id}, wrong state ${vm.state}.`, code: 0x0800, id: vm.id };
      }
      case 'one.cluster.update':
      case 'one.vn.update':
      case 'one.vrouter.update':
      case 'one.host.update': {
        const pool = { 'one.cluster.update': 'cluster', 'one.vn.update': 'vnet', 'one.vrouter.update': 'vrouter', 'one.host.update': 'host' }[
          method
        ] as 'cluster';
        const obj = this.byPool(pool).find((x) => x.id === p[0]) as { id: number; template?: Tpl } | undefined;
        if (!obj) return notFound(pool, p[0]);
        const t = this.parse(method, String(p[1]));
        if (!Array.isArray(t)) return t;
        const keys = new Set(t.map(([k]) => k));
        const old = obj.template ?? [];
        obj.template = p[2] === 1 ? [...old.filter(([k]) => !keys.has(k)), ...t] : t;
        return { ok: obj.id };
      }
      case 'one.vn.rename':
      case 'one.cluster.rename':
      case 'one.template.rename': {
        const pool = ({ 'one.vn.rename': 'vnet', 'one.cluster.rename': 'cluster', 'one.template.rename': 'template' } as const)[method];
        const obj = this.byPool(pool).find((x) => x.id === p[0]);
        if (!obj) return notFound(pool, p[0]);
        const taken = this.taken(
          method,
          pool === 'vnet' ? 'NET' : pool.toUpperCase(),
          this.byPool(pool).filter((x) => x !== obj),
          String(p[1]),
        );
        if (taken) return taken;
        obj.name = String(p[1]);
        if (pool === 'cluster') for (const h of s.hosts) if (h.cluster_id === obj.id) h.cluster = obj.name;
        return { ok: obj.id };
      }
      case 'one.image.delete': {
        // ImageManager::delete_image (src/image/ImageManagerActions.cc:530-571) and RequestManagerDelete.cc:170.
        const img = s.images.find((x) => x.id === p[0]);
        if (!img) return notFound('image', p[0]);
        const n = this.running(img);
        if ((img.state === 1 && n) || [2, 8, 9, 10].includes(img.state))
          return { error: `[${method}] Cannot delete image. There are ${n} VMs using it.`, code: 0x0800, id: img.id };
        if (img.state === 6) return { error: `[${method}] Cannot delete image. There are 1 active clone operations.`, code: 0x0800, id: img.id };
        // No SOURCE yet (a copy that never finished): dropped at once; else DELETE until the datastore's rm (ImageManagerActions.cc:577-620).
        if ([4, 5, 0].includes(img.state)) s.images = s.images.filter((x) => x !== img);
        else {
          img.state = 7;
          img.delete_at = this.now();
        }
        return { ok: img.id };
      }
      case 'one.template.delete': {
        const t = s.templates.find((x) => x.id === p[0]);
        if (!t) return notFound('template', p[0]);
        s.templates = s.templates.filter((x) => x !== t);
        return { ok: t.id };
      }
      case 'one.vm.recover': {
        // 3 = DELETE: the VM goes, its images are released (an image whose VMs are gone is LOCKED again, or READY).
        const vm = s.vms.find((x) => x.id === p[0]);
        if (!vm) return notFound('virtual machine', p[0]);
        if (p[1] !== 3) return { error: `[${method}] the stand-in only implements recover --delete`, code: 0x1000 };
        s.vms = s.vms.filter((x) => x !== vm);
        for (const vr of s.vrouters) vr.vms = vr.vms.filter((x) => x !== vm.id);
        // Its leases go back to their address ranges.
        for (const nic of [...tvecs(vm.template, 'NIC'), ...tvecs(vm.template, 'NIC_ALIAS')]) {
          const ar = s.vnets.find((v) => v.id === Number(nic.NETWORK_ID))?.ars.find((a) => a.ar_id === Number(nic.AR_ID));
          if (ar && nic.IP) ar.used.delete(ipIndex(ar, nic.IP));
        }
        for (const img of s.images) {
          if (!vm.images.includes(img.id) || this.running(img)) continue;
          if (img.state === 9) img.state = 4;
          else if (img.state === 2) img.state = 1;
        }
        return { ok: vm.id };
      }
      case 'one.host.allocate': {
        const name = String(p[0]);
        const taken = this.taken(method, 'HOST', s.hosts, name);
        if (taken) return taken;
        const cid = Number(p[3]) === -1 ? 0 : Number(p[3]);
        const c = cluster(cid);
        if (!c) return notFound('cluster', cid);
        const id = this.id('host');
        s.hosts.push({ id, name, cluster_id: cid, cluster: c.name, template: [] });
        c.hosts.push(id);
        return { ok: id };
      }
      case 'one.documentpool.info': {
        const docs = (s.documents ?? []).filter((d) => d.type === p[3]);
        return {
          ok: `<DOCUMENT_POOL>${[...docs]
            .sort((a, b) => a.id - b.id)
            .map((d) => this.docXml(d))
            .join('')}</DOCUMENT_POOL>`,
        };
      }
      case 'one.document.allocate': {
        // DocumentAllocate::pool_allocate (src/rm/RequestManagerAllocate.cc:1105-1124): no name check.
        const t = this.parse(method, String(p[0]));
        if (!Array.isArray(t)) return t;
        const id = this.id('document');
        (s.documents ??= []).push({ id, name: tget(t, 'NAME') ?? '', type: Number(p[1]), template: t.filter(([k]) => k !== 'NAME') });
        return { ok: id };
      }
      case 'one.document.info': {
        const d = (s.documents ?? []).find((x) => x.id === p[0]);
        return d ? { ok: this.docXml(d) } : notFound('document', p[0]);
      }
      case 'one.document.update': {
        const d = (s.documents ?? []).find((x) => x.id === p[0]);
        if (!d) return notFound('document', p[0]);
        // update is a MANAGE operation: refused on an object locked at USE or MANAGE level, even to oneadmin
        // (AclManager::oneadmin_authorize, src/acl/AclManager.cc:385-398; message: AuthManager.cc:100-114).
        if (d.lock && d.lock.level <= 2) return { error: `[${method}] DOCUMENT is locked. [${d.id}]`, code: 0x0200, id: d.id };
        const t = this.parse(method, String(p[1]));
        if (!Array.isArray(t)) return t;
        const keys = new Set(t.map(([k]) => k));
        d.template = p[2] === 1 ? [...d.template.filter(([k]) => !keys.has(k)), ...t] : t;
        return { ok: d.id };
      }
      case 'one.document.delete': {
        const d = (s.documents ?? []).find((x) => x.id === p[0]);
        if (!d) return notFound('document', p[0]);
        s.documents = (s.documents ?? []).filter((x) => x !== d);
        return { ok: d.id };
      }
      case 'one.document.lock': {
        // RequestManagerLock::request_execute (src/rm/RequestManagerLock.cc:31-101): levels 1-4; with
        // `test`, an object already locked is refused with the lock's TIME as the message
        // (PoolObjectSQL::test_lock_db, include/PoolObjectSQL.h:568-578); without it, oneadmin
        // overrides any lock (PoolObjectSQL::lock_db, src/pool/PoolObjectSQL.cc:592-613).
        const d = (s.documents ?? []).find((x) => x.id === p[0]);
        if (!d) return notFound('document', p[0]);
        const level = Number(p[1]);
        if (level < 1 || level > 4) return { error: `[${method}] Wrong lock level specified`, code: 0x0800, id: d.id };
        if (p[2] === true && d.lock) return { error: `[${method}] ${d.lock.time}`, code: 0x0800, id: d.id };
        d.lock = { level: level === 4 ? 1 : level, owner: 0, time: Math.floor(this.now() / 1000) };
        return { ok: d.id };
      }
      case 'one.document.unlock': {
        const d = (s.documents ?? []).find((x) => x.id === p[0]);
        if (!d) return notFound('document', p[0]);
        d.lock = undefined;
        return { ok: d.id };
      }
      case 'one.datastore.update': {
        const d = s.datastores.find((x) => x.id === p[0]);
        if (!d) return notFound('datastore', p[0]);
        const t = this.parse(method, String(p[1]));
        if (!Array.isArray(t)) return t;
        const keys = new Set(t.map(([k]) => k));
        d.template = p[2] === 1 ? [...d.template.filter(([k]) => !keys.has(k)), ...t] : t;
        return { ok: d.id };
      }
    }
    return { error: `[${method}] not implemented by the stand-in`, code: 0x1000 };
  }

  /** DispatchManager::release: only from HOLD; returns oned's message otherwise. */
  private release(id: number): string | undefined {
    const vm = this.state.vms.find((v) => v.id === id)!;
    vm.on_hold = false;
    if (vm.state !== 2) {
      vm.on_hold = vm.state === 10; // a CLONING VM created on hold stays on hold
      return `Could not release VM ${id}, wrong state ${vm.state === 10 ? 'CLONING' : vm.state}.`;
    }
    vm.state = 1;
    return undefined;
  }

  private byPool(pool: 'cluster' | 'vnet' | 'vrouter' | 'host' | 'template'): { id: number; name: string; template?: Tpl }[] {
    const s = this.state;
    return { cluster: s.clusters, vnet: s.vnets, vrouter: s.vrouters, host: s.hosts, template: s.templates }[pool];
  }
  private docXml(d: FakeDocument): string {
    const lock = d.lock ? `<LOCK><LOCKED>${d.lock.level}</LOCKED><OWNER>${d.lock.owner}</OWNER><TIME>${d.lock.time}</TIME><REQ_ID>-1</REQ_ID></LOCK>` : '';
    return `<DOCUMENT><ID>${d.id}</ID><UID>0</UID><GID>0</GID><UNAME>oneadmin</UNAME><GNAME>oneadmin</GNAME><NAME>${esc(d.name)}</NAME><TYPE>${d.type}</TYPE>${lock}${tplXml(d.template)}</DOCUMENT>`;
  }
  private clusterXml(c: FakeCluster & { template?: Tpl }): string {
    return `<CLUSTER><ID>${c.id}</ID><NAME>${esc(c.name)}</NAME>${idList('HOSTS', c.hosts)}${idList('DATASTORES', c.datastores)}${idList('VNETS', c.vnets)}${tplXml(c.template ?? [])}</CLUSTER>`;
  }
  private hostXml(h: FakeHost): string {
    return `<HOST><ID>${h.id}</ID><NAME>${esc(h.name)}</NAME><STATE>2</STATE><IM_MAD>dummy</IM_MAD><VM_MAD>dummy</VM_MAD><CLUSTER_ID>${h.cluster_id}</CLUSTER_ID><CLUSTER>${esc(h.cluster)}</CLUSTER>${tplXml(h.template)}</HOST>`;
  }
  private dsXml(d: FakeDatastore): string {
    return `<DATASTORE><ID>${d.id}</ID><NAME>${esc(d.name)}</NAME><DS_MAD>${d.ds_mad}</DS_MAD><TM_MAD>${d.tm_mad}</TM_MAD><TYPE>${d.type}</TYPE>${idList('CLUSTERS', d.clusters)}<TOTAL_MB>${d.total_mb}</TOTAL_MB><FREE_MB>${d.free_mb}</FREE_MB><USED_MB>${d.used_mb}</USED_MB>${tplXml(d.template)}</DATASTORE>`;
  }
  private vnetXml(v: FakeVnet): string {
    const ars = v.ars
      .map(
        (a) =>
          `<AR><AR_ID>${a.ar_id}</AR_ID><IP>${a.ip}</IP><SIZE>${a.size}</SIZE><TYPE>IP4</TYPE>${Object.entries(a.attrs)
            .map(([k, x]) => `<${k}>${esc(x)}</${k}>`)
            .join('')}</AR>`,
      )
      .join('');
    const top =
      `<STATE>${v.state ?? 1}</STATE>` +
      ['BRIDGE', 'VN_MAD', 'PHYDEV', 'VLAN_ID', 'VLAN_ID_AUTOMATIC'].map((k) => `<${k}>${esc(tget(v.template, k) ?? '')}</${k}>`).join('');
    const tpl = v.template.filter(([k]) => k !== 'VLAN_ID_AUTOMATIC' && k !== 'VLAN_ID');
    return `<VNET><ID>${v.id}</ID><NAME>${esc(v.name)}</NAME>${idList('CLUSTERS', v.clusters)}${top}${tplXml(tpl)}<AR_POOL>${ars}</AR_POOL></VNET>`;
  }
  private templateXml(t: FakeObj): string {
    return `<VMTEMPLATE><ID>${t.id}</ID><NAME>${esc(t.name)}</NAME>${tplXml(t.template)}</VMTEMPLATE>`;
  }
  private imageXml(i: FakeImage): string {
    return `<IMAGE><ID>${i.id}</ID><NAME>${esc(i.name)}</NAME><REGTIME>${i.regtime}</REGTIME><STATE>${i.state}</STATE><RUNNING_VMS>${this.running(i)}</RUNNING_VMS><DATASTORE_ID>${i.datastore_id}</DATASTORE_ID>${tplXml(i.template)}</IMAGE>`;
  }
  private vrouterXml(v: FakeVrouter): string {
    return `<VROUTER><ID>${v.id}</ID><NAME>${esc(v.name)}</NAME>${idList('VMS', v.vms)}${tplXml(v.template)}</VROUTER>`;
  }
  private vmXml(vm: FakeVm): string {
    return `<VM><ID>${vm.id}</ID><NAME>${esc(vm.name)}</NAME><STATE>${vm.state}</STATE><LCM_STATE>0</LCM_STATE>${tplXml(vm.template)}${tplXml(vm.user_template, 'USER_TEMPLATE')}</VM>`;
  }
  private appXml(a: FakeApp): string {
    return `<MARKETPLACEAPP><ID>${a.id}</ID><NAME>${esc(a.name)}</NAME><MARKETPLACE>${esc(a.marketplace)}</MARKETPLACE><STATE>${a.state}</STATE><TYPE>${a.type}</TYPE><SIZE>${a.size_mb}</SIZE><TEMPLATE><APPTEMPLATE64>${Buffer.from(a.apptemplate).toString('base64')}</APPTEMPLATE64>${a.vmtemplate ? `<VMTEMPLATE64>${Buffer.from(a.vmtemplate).toString('base64')}</VMTEMPLATE64>` : ''}</TEMPLATE></MARKETPLACEAPP>`;
  }
}
