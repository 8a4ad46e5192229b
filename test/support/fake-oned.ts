/**
 * A STAND-IN for oned, for tests only: no OpenNebula runs here. It speaks real
 * XML-RPC over HTTP on 127.0.0.1 (random port) for exactly the methods
 * edge-wizard uses, checks each call's parameter count and types against the
 * signatures in OpenNebula/docs api.rst, answers [success, result, code] like
 * oned, and rejects anything else (unknown method: XML-RPC fault, as oned's
 * xmlrpc-c server does; bad parameters: [false, msg, 0x1000 XML_RPC_API]).
 * Info answers follow the element names of OpenNebula/one share/doc/xsd.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeCall, encodeResponse, encodeFault, type XmlRpcValue } from '../../src/adapters/opennebula/xmlrpc.js';

type T = 'string' | 'int' | 'boolean';
/** IN parameters after... including the session string (api.rst tables). */
const SIGNATURES: Record<string, T[][]> = {
  'one.clusterpool.info': [['string']],
  'one.hostpool.info': [['string']],
  'one.datastorepool.info': [['string']],
  'one.vnpool.info': [['string', 'int', 'int', 'int']],
  'one.templatepool.info': [['string', 'int', 'int', 'int']],
  'one.imagepool.info': [['string', 'int', 'int', 'int']],
  'one.vrouterpool.info': [['string', 'int', 'int', 'int']],
  'one.marketapppool.info': [['string', 'int', 'int', 'int']],
  'one.cluster.allocate': [['string', 'string']],
  'one.cluster.addhost': [['string', 'int', 'int']],
  'one.cluster.adddatastore': [['string', 'int', 'int']],
  'one.cluster.addvnet': [['string', 'int', 'int']],
  'one.vn.allocate': [['string', 'string', 'int']],
  'one.image.allocate': [['string', 'string', 'int', 'boolean']],
  'one.template.allocate': [['string', 'string']],
  'one.vrouter.allocate': [['string', 'string']],
  'one.vrouter.instantiate': [['string', 'int', 'int', 'int', 'string', 'boolean', 'string']],
  'one.vrouter.info': [['string', 'int'], ['string', 'int', 'boolean']],
  'one.vm.info': [['string', 'int'], ['string', 'int', 'boolean']],
};
const READS = new Set(Object.keys(SIGNATURES).filter((m) => m.endsWith('.info')));

function typeOf(v: XmlRpcValue): string {
  if (typeof v === 'number') return 'int';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'struct' : typeof v;
}

export interface FakeCluster { id: number; name: string; hosts: number[]; datastores: number[]; vnets: number[] }
export interface FakeHost { id: number; name: string; cluster_id: number; cluster: string }
export interface FakeVnet { id: number; name: string; template: string; clusters: number[]; ips?: string[] }
export interface FakeDatastore { id: number; name: string; type: number; tm_mad: string; clusters: number[] }
export interface FakeApp { id: number; name: string; state: number; type: number; marketplace: string; apptemplate: string; vmtemplate?: string }
export interface FakeObj { id: number; name: string; template: string }
export interface FakeVrouter { id: number; name: string; template: string; vms: number[] }
export interface FakeVm { id: number; name: string; nics: { NIC_ID: number; NETWORK_ID: number; IP: string }[]; extra: string }

export interface FakeState {
  clusters: FakeCluster[];
  hosts: FakeHost[];
  vnets: FakeVnet[];
  datastores: FakeDatastore[];
  apps: FakeApp[];
  templates: FakeObj[];
  images: FakeObj[];
  vrouters: FakeVrouter[];
  vms: FakeVm[];
}

export interface RecordedCall { method: string; params: XmlRpcValue[] }

/** The default estate: what a frontend with two provisioned AWS hosts looks like (IDs arbitrary). */
export function seedEstate(): FakeState {
  return {
    clusters: [
      { id: 0, name: 'default', hosts: [], datastores: [0, 1, 2], vnets: [] },
      { id: 100, name: 'london-provision', hosts: [3], datastores: [], vnets: [10] },
      { id: 101, name: 'ncalifornia-provision', hosts: [4], datastores: [], vnets: [11] },
    ],
    hosts: [
      { id: 3, name: '18.134.246.200', cluster_id: 100, cluster: 'london-provision' },
      { id: 4, name: '18.144.25.41', cluster_id: 101, cluster: 'ncalifornia-provision' },
    ],
    vnets: [
      { id: 10, name: 'london-public', template: 'VN_MAD="elastic"', clusters: [100], ips: ['203.0.113.10', '203.0.113.11'] },
      { id: 11, name: 'ncalifornia-public', template: 'VN_MAD="elastic"', clusters: [101], ips: ['198.51.100.10'] },
    ],
    datastores: [
      { id: 0, name: 'system', type: 1, tm_mad: 'ssh', clusters: [0] },
      { id: 1, name: 'default', type: 0, tm_mad: 'ssh', clusters: [0] },
      { id: 2, name: 'files', type: 2, tm_mad: 'ssh', clusters: [0] },
    ],
    apps: [
      {
        id: 42, name: 'Service Virtual Router', state: 1, type: 1, marketplace: 'OpenNebula Public',
        apptemplate: 'DEV_PREFIX="vd"\nFORMAT="qcow2"\nDRIVER="qcow2"\nPATH="https://marketplace.opennebula.io//appliance/vr/download/0"\nTYPE="OS"\n',
        vmtemplate: 'CONTEXT=[NETWORK="YES",ONEAPP_VNF_SDNAT4_ENABLED="$ONEAPP_VNF_SDNAT4_ENABLED",ONEAPP_VNF_SDNAT4_INTERFACES="$ONEAPP_VNF_SDNAT4_INTERFACES",ONEAPP_VNF_ROUTER4_ENABLED="$ONEAPP_VNF_ROUTER4_ENABLED",SSH_PUBLIC_KEY="$USER[SSH_PUBLIC_KEY]",TOKEN="YES"]\nCPU="1"\nMEMORY="512"\nVROUTER="YES"\n',
      },
    ],
    templates: [],
    images: [],
    vrouters: [],
    vms: [],
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const idList = (tag: string, ids: number[]) => `<${tag}>${ids.map((i) => `<ID>${i}</ID>`).join('')}</${tag}>`;
const nameOf = (tpl: string) => /^\s*NAME\s*=\s*"((?:[^"\\]|\\.)*)"/m.exec(tpl)?.[1];

export class FakeOned {
  calls: RecordedCall[] = [];
  /** Make the next call of `method` fail like oned: [false, message, code]. */
  failures = new Map<string, { message: string; code: number }>();
  private server?: http.Server;
  private nextId = 200;
  constructor(public state: FakeState = seedEstate(), readonly session = 'oneadmin:s3cret') {}

  get writeCalls(): RecordedCall[] {
    return this.calls.filter((c) => !READS.has(c.method));
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body: string;
        try {
          body = this.handle(Buffer.concat(chunks).toString('utf8'));
        } catch (e) {
          body = encodeFault(-501, (e as Error).message);
        }
        res.writeHead(200, { 'Content-Type': 'text/xml' });
        res.end(body);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/RPC2`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  private handle(xml: string): string {
    const { method, params } = decodeCall(xml);
    const sigs = SIGNATURES[method];
    if (!sigs) return encodeFault(-506, `Method ${method} not defined`);
    this.calls.push({ method, params: params.slice(1) });
    const types = params.map(typeOf);
    if (!sigs.some((s) => s.length === types.length && s.every((t, i) => t === types[i]))) {
      return encodeResponse([false, `[${method}] Wrong parameters: got (${types.join(', ')}), expected (${sigs[0]!.join(', ')})`, 0x1000]);
    }
    if (params[0] !== this.session) return encodeResponse([false, `[${method}] User couldn't be authenticated, aborting call.`, 0x0100]);
    const fail = this.failures.get(method);
    if (fail) {
      this.failures.delete(method);
      return encodeResponse([false, fail.message, fail.code, -1]);
    }
    const r = this.dispatch(method, params.slice(1));
    return 'error' in r ? encodeResponse([false, r.error, r.code, -1]) : encodeResponse([true, r.ok, 0]);
  }

  private dispatch(method: string, p: XmlRpcValue[]): { ok: XmlRpcValue } | { error: string; code: number } {
    const s = this.state;
    const notFound = (what: string, id: unknown) => ({ error: `[${method}] Error getting ${what} [${id}].`, code: 0x0400 });
    const cluster = (id: number) => s.clusters.find((c) => c.id === id);
    switch (method) {
      case 'one.clusterpool.info':
        return { ok: `<CLUSTER_POOL>${s.clusters.map((c) => `<CLUSTER><ID>${c.id}</ID><NAME>${esc(c.name)}</NAME>${idList('HOSTS', c.hosts)}${idList('DATASTORES', c.datastores)}${idList('VNETS', c.vnets)}<TEMPLATE/></CLUSTER>`).join('')}</CLUSTER_POOL>` };
      case 'one.hostpool.info':
        return { ok: `<HOST_POOL>${s.hosts.map((h) => `<HOST><ID>${h.id}</ID><NAME>${esc(h.name)}</NAME><STATE>2</STATE><IM_MAD>kvm</IM_MAD><VM_MAD>kvm</VM_MAD><CLUSTER_ID>${h.cluster_id}</CLUSTER_ID><CLUSTER>${esc(h.cluster)}</CLUSTER><TEMPLATE/></HOST>`).join('')}</HOST_POOL>` };
      case 'one.datastorepool.info':
        return { ok: `<DATASTORE_POOL>${s.datastores.map((d) => `<DATASTORE><ID>${d.id}</ID><NAME>${esc(d.name)}</NAME><TM_MAD>${d.tm_mad}</TM_MAD><TYPE>${d.type}</TYPE>${idList('CLUSTERS', d.clusters)}<TEMPLATE/></DATASTORE>`).join('')}</DATASTORE_POOL>` };
      case 'one.vnpool.info':
        return { ok: `<VNET_POOL>${s.vnets.map((v) => `<VNET><ID>${v.id}</ID><NAME>${esc(v.name)}</NAME>${idList('CLUSTERS', v.clusters)}<TEMPLATE/></VNET>`).join('')}</VNET_POOL>` };
      case 'one.templatepool.info':
        return { ok: `<VMTEMPLATE_POOL>${s.templates.map((t) => `<VMTEMPLATE><ID>${t.id}</ID><NAME>${esc(t.name)}</NAME><TEMPLATE/></VMTEMPLATE>`).join('')}</VMTEMPLATE_POOL>` };
      case 'one.imagepool.info':
        return { ok: `<IMAGE_POOL>${s.images.map((t) => `<IMAGE><ID>${t.id}</ID><NAME>${esc(t.name)}</NAME><TEMPLATE/></IMAGE>`).join('')}</IMAGE_POOL>` };
      case 'one.vrouterpool.info':
        return { ok: `<VROUTER_POOL>${s.vrouters.map((v) => `<VROUTER><ID>${v.id}</ID><NAME>${esc(v.name)}</NAME>${idList('VMS', v.vms)}<TEMPLATE/></VROUTER>`).join('')}</VROUTER_POOL>` };
      case 'one.marketapppool.info':
        return {
          ok: `<MARKETPLACEAPP_POOL>${s.apps.map((a) => `<MARKETPLACEAPP><ID>${a.id}</ID><NAME>${esc(a.name)}</NAME><MARKETPLACE>${esc(a.marketplace)}</MARKETPLACE><STATE>${a.state}</STATE><TYPE>${a.type}</TYPE><TEMPLATE><APPTEMPLATE64>${Buffer.from(a.apptemplate).toString('base64')}</APPTEMPLATE64>${a.vmtemplate ? `<VMTEMPLATE64>${Buffer.from(a.vmtemplate).toString('base64')}</VMTEMPLATE64>` : ''}</TEMPLATE></MARKETPLACEAPP>`).join('')}</MARKETPLACEAPP_POOL>`,
        };
      case 'one.cluster.allocate': {
        const name = String(p[0]);
        if (s.clusters.some((c) => c.name === name)) return { error: `[one.cluster.allocate] NAME is already taken by CLUSTER ${s.clusters.find((c) => c.name === name)!.id}.`, code: 0x4000 };
        const id = this.nextId++;
        s.clusters.push({ id, name, hosts: [], datastores: [], vnets: [] });
        return { ok: id };
      }
      case 'one.cluster.addhost': {
        const c = cluster(Number(p[0]));
        const h = s.hosts.find((x) => x.id === p[1]);
        if (!c) return notFound('cluster', p[0]);
        if (!h) return notFound('host', p[1]);
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
        (ds ? c.datastores : c.vnets).push(obj.id);
        obj.clusters.push(c.id);
        return { ok: c.id };
      }
      case 'one.vn.allocate': {
        const tpl = String(p[0]);
        const name = nameOf(tpl);
        if (!name) return { error: '[one.vn.allocate] No NAME in template for Virtual Network.', code: 0x4000 };
        const cid = Number(p[1]) === -1 ? 0 : Number(p[1]);
        if (!cluster(cid)) return notFound('cluster', cid);
        const id = this.nextId++;
        s.vnets.push({ id, name, template: tpl, clusters: [cid] });
        cluster(cid)!.vnets.push(id);
        return { ok: id };
      }
      case 'one.image.allocate': {
        const name = nameOf(String(p[0]));
        if (!s.datastores.some((d) => d.id === p[1] && d.type === 0)) return notFound('datastore', p[1]);
        const id = this.nextId++;
        s.images.push({ id, name: name ?? `image-${id}`, template: String(p[0]) });
        return { ok: id };
      }
      case 'one.template.allocate':
      case 'one.vrouter.allocate': {
        const tpl = String(p[0]);
        const id = this.nextId++;
        const name = nameOf(tpl) ?? `obj-${id}`;
        if (method === 'one.template.allocate') s.templates.push({ id, name, template: tpl });
        else s.vrouters.push({ id, name, template: tpl, vms: [] });
        return { ok: id };
      }
      case 'one.vrouter.instantiate': {
        const vr = s.vrouters.find((v) => v.id === p[0]);
        if (!vr) return notFound('virtual router', p[0]);
        if (!s.templates.some((t) => t.id === p[2])) return notFound('template', p[2]);
        const nics = [...vr.template.matchAll(/NIC = \[([^\]]*)\]/g)].map((m, i) => {
          const net = Number(/NETWORK_ID = "(\d+)"/.exec(m[1]!)?.[1]);
          const ip = /IP = "([^"]+)"/.exec(m[1]!)?.[1] ?? s.vnets.find((v) => v.id === net)?.ips?.[0] ?? '';
          return { NIC_ID: i, NETWORK_ID: net, IP: ip };
        });
        for (let i = 0; i < Number(p[1]); i++) {
          const id = this.nextId++;
          s.vms.push({ id, name: String(p[3]).replace('%i', String(i)), nics, extra: String(p[5]) });
          vr.vms.push(id);
        }
        return { ok: vr.id };
      }
      case 'one.vrouter.info': {
        const vr = s.vrouters.find((v) => v.id === p[0]);
        if (!vr) return notFound('virtual router', p[0]);
        return { ok: `<VROUTER><ID>${vr.id}</ID><NAME>${esc(vr.name)}</NAME>${idList('VMS', vr.vms)}<TEMPLATE/></VROUTER>` };
      }
      case 'one.vm.info': {
        const vm = s.vms.find((v) => v.id === p[0]);
        if (!vm) return notFound('virtual machine', p[0]);
        return { ok: `<VM><ID>${vm.id}</ID><NAME>${esc(vm.name)}</NAME><TEMPLATE>${vm.nics.map((n) => `<NIC><IP>${n.IP}</IP><NETWORK_ID>${n.NETWORK_ID}</NETWORK_ID><NIC_ID>${n.NIC_ID}</NIC_ID></NIC>`).join('')}</TEMPLATE></VM>` };
      }
    }
    return { error: `[${method}] not implemented by the stand-in`, code: 0x1000 };
  }
}
