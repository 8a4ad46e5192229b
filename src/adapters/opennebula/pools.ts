/**
 * Reads the pools `edge-wizard one` needs and turns oned's info XML into
 * core/opennebula/state.ts. Element names from OpenNebula/one share/doc/xsd
 * (cluster.xsd, host.xsd, vnet.xsd, datastore.xsd, vmtemplate.xsd, image.xsd,
 * vrouter.xsd, marketplaceapp.xsd; branch one-6.8).
 *
 * Calls (signatures from OpenNebula/docs api.rst):
 *   one.clusterpool.info(session)
 *   one.hostpool.info(session)
 *   one.datastorepool.info(session)
 *   one.vnpool.info(session, filter=-2, start=-1, end=-1)
 *   one.templatepool.info(session, -2, -1, -1)
 *   one.imagepool.info(session, -2, -1, -1)
 *   one.vrouterpool.info(session, -2, -1, -1)
 *   one.marketapppool.info(session, -2, -1, -1)   (only when the appliance must be exported)
 *   one.vrouter.info(session, id, false) / one.vm.info(session, id, false)  (the VR's address)
 */
import { XMLParser } from 'fast-xml-parser';
import type { OneClient } from './xmlrpc.js';
import type { OneState, OneMarketApp } from '../../core/opennebula/state.js';

const ARRAYS = new Set([
  'CLUSTER_POOL.CLUSTER', 'CLUSTER_POOL.CLUSTER.HOSTS.ID', 'CLUSTER_POOL.CLUSTER.DATASTORES.ID', 'CLUSTER_POOL.CLUSTER.VNETS.ID',
  'HOST_POOL.HOST', 'VNET_POOL.VNET', 'VNET_POOL.VNET.CLUSTERS.ID', 'DATASTORE_POOL.DATASTORE', 'DATASTORE_POOL.DATASTORE.CLUSTERS.ID',
  'VMTEMPLATE_POOL.VMTEMPLATE', 'IMAGE_POOL.IMAGE', 'VROUTER_POOL.VROUTER', 'VROUTER_POOL.VROUTER.VMS.ID', 'VROUTER.VMS.ID',
  'MARKETPLACEAPP_POOL.MARKETPLACEAPP', 'VM.TEMPLATE.NIC',
]);

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (_n, jpath) => ARRAYS.has(String(jpath)) });

type X = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function parseXml(text: string): X {
  return parser.parse(text) as X;
}

const ids = (o: X | undefined): number[] => ((o?.ID as string[] | undefined) ?? []).map(Number);
const num = (v: unknown): number => Number(v ?? -1);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const b64 = (v: unknown): string | undefined => (v ? Buffer.from(String(v), 'base64').toString('utf8') : undefined);

async function info(client: OneClient, method: string, ...args: (number | boolean)[]): Promise<X> {
  return parseXml(String(await client.call(method, ...args)));
}

export async function readState(client: OneClient): Promise<OneState> {
  const clusters = (await info(client, 'one.clusterpool.info')).CLUSTER_POOL?.CLUSTER ?? [];
  const hosts = (await info(client, 'one.hostpool.info')).HOST_POOL?.HOST ?? [];
  const dss = (await info(client, 'one.datastorepool.info')).DATASTORE_POOL?.DATASTORE ?? [];
  const vnets = (await info(client, 'one.vnpool.info', -2, -1, -1)).VNET_POOL?.VNET ?? [];
  const templates = (await info(client, 'one.templatepool.info', -2, -1, -1)).VMTEMPLATE_POOL?.VMTEMPLATE ?? [];
  const images = (await info(client, 'one.imagepool.info', -2, -1, -1)).IMAGE_POOL?.IMAGE ?? [];
  const vrouters = (await info(client, 'one.vrouterpool.info', -2, -1, -1)).VROUTER_POOL?.VROUTER ?? [];
  return {
    clusters: clusters.map((c: X) => ({ id: num(c.ID), name: str(c.NAME), hosts: ids(c.HOSTS), datastores: ids(c.DATASTORES), vnets: ids(c.VNETS) })),
    hosts: hosts.map((h: X) => ({ id: num(h.ID), name: str(h.NAME), cluster_id: num(h.CLUSTER_ID), cluster: str(h.CLUSTER) })),
    datastores: dss.map((d: X) => ({ id: num(d.ID), name: str(d.NAME), type: num(d.TYPE), tm_mad: str(d.TM_MAD), clusters: ids(d.CLUSTERS) })),
    vnets: vnets.map((v: X) => ({ id: num(v.ID), name: str(v.NAME), clusters: ids(v.CLUSTERS) })),
    templates: templates.map((t: X) => ({ id: num(t.ID), name: str(t.NAME) })),
    images: images.map((i: X) => ({ id: num(i.ID), name: str(i.NAME) })),
    vrouters: vrouters.map((v: X) => ({ id: num(v.ID), name: str(v.NAME), vms: ids(v.VMS) })),
  };
}

export async function readApps(client: OneClient): Promise<OneMarketApp[]> {
  const apps = (await info(client, 'one.marketapppool.info', -2, -1, -1)).MARKETPLACEAPP_POOL?.MARKETPLACEAPP ?? [];
  return apps.map((a: X) => ({
    id: num(a.ID),
    name: str(a.NAME),
    state: num(a.STATE),
    type: num(a.TYPE),
    marketplace: str(a.MARKETPLACE),
    app_template: b64(a.TEMPLATE?.APPTEMPLATE64) ?? '',
    vm_template: b64(a.TEMPLATE?.VMTEMPLATE64),
  }));
}

/** The VR VM's eth0 (NIC_ID 0) address, or undefined while it has none. */
export async function vrouterAddress(client: OneClient, vrouterId: number): Promise<{ vm?: number; ip?: string }> {
  const vr = (await info(client, 'one.vrouter.info', vrouterId, false)).VROUTER as X | undefined;
  const vm = ids(vr?.VMS)[0];
  if (vm === undefined) return {};
  const v = (await info(client, 'one.vm.info', vm, false)).VM as X | undefined;
  const nics = (v?.TEMPLATE?.NIC as X[] | undefined) ?? [];
  const nic0 = nics.find((n) => str(n.NIC_ID) === '0') ?? nics[0];
  return { vm, ip: nic0?.IP ? str(nic0.IP) : undefined };
}
