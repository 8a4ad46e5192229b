/**
 * Reads what `edge-wizard one` needs from oned and turns the info XML into
 * core/opennebula/state.ts. Element names from OpenNebula/one share/doc/xsd
 * (cluster.xsd, host.xsd, vnet.xsd, datastore.xsd, vmtemplate.xsd, image.xsd,
 * vrouter.xsd, vm.xsd, marketplaceapp.xsd; branch one-6.8).
 *
 * Calls (signatures from OpenNebula/docs api.rst):
 *   one.system.version(session)
 *   one.system.config(session)                     (ONEGATE_ENDPOINT, DATASTORE_CAPACITY_CHECK)
 *   one.clusterpool.info(session)
 *   one.hostpool.info(session)
 *   one.datastorepool.info(session)
 *   one.vnpool.info(session, filter=-2, start=-1, end=-1)
 *   one.templatepool.info(session, -2, -1, -1)
 *   one.imagepool.info(session, -2, -1, -1)
 *   one.vrouterpool.info(session, -2, -1, -1)
 *   one.marketapppool.info(session, -2, -1, -1)   (only when the appliance must be exported)
 *   one.vrouter.info(session, id, false) / one.vm.info(session, id, false)  (the VR's VMs and address)
 */
import { XMLParser } from 'fast-xml-parser';
import type { OneClient } from './xmlrpc.js';
import type { Scenario } from '../../core/scenario.js';
import { findOwn, ROLE, vrouterName } from '../../core/opennebula/plan.js';
import type { Marker, OneImage, OneState, OneMarketApp, OneSystem, OneVm } from '../../core/opennebula/state.js';

const ARRAYS = new Set([
  'CLUSTER_POOL.CLUSTER',
  'CLUSTER_POOL.CLUSTER.HOSTS.ID',
  'CLUSTER_POOL.CLUSTER.DATASTORES.ID',
  'CLUSTER_POOL.CLUSTER.VNETS.ID',
  'HOST_POOL.HOST',
  'VNET_POOL.VNET',
  'VNET_POOL.VNET.CLUSTERS.ID',
  'DATASTORE_POOL.DATASTORE',
  'DATASTORE_POOL.DATASTORE.CLUSTERS.ID',
  'VMTEMPLATE_POOL.VMTEMPLATE',
  'IMAGE_POOL.IMAGE',
  'VROUTER_POOL.VROUTER',
  'VROUTER_POOL.VROUTER.VMS.ID',
  'VROUTER.VMS.ID',
  'MARKETPLACEAPP_POOL.MARKETPLACEAPP',
  'VM.TEMPLATE.NIC',
  'VM.TEMPLATE.DISK',
  'VNET_POOL.VNET.AR_POOL.AR',
  'VMTEMPLATE_POOL.VMTEMPLATE.TEMPLATE.DISK',
  'DOCUMENT_POOL.DOCUMENT',
]);

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (_n, jpath) => ARRAYS.has(String(jpath)) });

type X = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function parseXml(text: string): X {
  return parser.parse(text) as X;
}

const ids = (o: X | undefined): number[] => ((o?.ID as string[] | undefined) ?? []).map(Number);
const num = (v: unknown): number => Number(v ?? -1);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const optStr = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
const optNum = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number(v));
const yes = (v: unknown): boolean | undefined => (v === undefined || v === null || v === '' ? undefined : /^(yes|true|1)$/i.test(String(v).trim()));
const b64 = (v: unknown): string | undefined => (v ? Buffer.from(String(v), 'base64').toString('utf8') : undefined);

/** TEMPLATE/EDGE_WIZARD_SCENARIO and _ROLE (core/opennebula/state.ts Marker). */
const marker = (t: X | undefined): Marker | undefined =>
  t?.EDGE_WIZARD_SCENARIO !== undefined && t?.EDGE_WIZARD_ROLE !== undefined
    ? { scenario: str(t.EDGE_WIZARD_SCENARIO), role: str(t.EDGE_WIZARD_ROLE) }
    : undefined;

async function info(client: OneClient, method: string, ...args: (number | boolean)[]): Promise<X> {
  return parseXml(String(await client.call(method, ...args)));
}

/** oned's version and the oned.conf settings that decide whether a call will be refused. */
export async function readSystem(client: OneClient): Promise<OneSystem> {
  const version = String(await client.call('one.system.version'));
  let conf: X | undefined;
  try {
    conf = (await info(client, 'one.system.config')).OPENNEBULA_CONFIGURATION as X | undefined;
  } catch {
    // one.system.config is for the oneadmin group only; without it ONEGATE_ENDPOINT is unknown.
    return { version, onegate_endpoint: undefined, capacity_check: true };
  }
  return {
    version,
    onegate_endpoint: str(conf?.ONEGATE_ENDPOINT).trim(),
    capacity_check: yes(conf?.DATASTORE_CAPACITY_CHECK) ?? true,
  };
}

export async function readVm(client: OneClient, id: number): Promise<OneVm & { nics: X[]; images: number[] }> {
  const v = (await info(client, 'one.vm.info', id, false)).VM as X | undefined;
  const disks = (v?.TEMPLATE?.DISK as X[] | undefined) ?? [];
  return {
    id,
    name: str(v?.NAME),
    state: num(v?.STATE),
    nics: (v?.TEMPLATE?.NIC as X[] | undefined) ?? [],
    images: disks.flatMap((d) => (d.IMAGE_ID !== undefined && d.IMAGE_ID !== '' ? [Number(d.IMAGE_ID)] : [])),
  };
}

/** One image: its state, REGTIME and TEMPLATE/ERROR. */
export async function readImage(client: OneClient, id: number): Promise<OneImage> {
  const i = (await info(client, 'one.image.info', id, false)).IMAGE as X | undefined;
  return {
    id,
    name: str(i?.NAME),
    state: num(i?.STATE),
    datastore_id: num(i?.DATASTORE_ID),
    from_app_name: optStr(i?.TEMPLATE?.FROM_APP_NAME),
    error: optStr(i?.TEMPLATE?.ERROR),
    regtime: optNum(i?.REGTIME),
  };
}

/** A network's STATE (vnet.xsd) and, in ERROR, its TEMPLATE/ERROR. */
export async function readVnetState(client: OneClient, id: number): Promise<{ name: string; state: number; error?: string }> {
  const v = (await info(client, 'one.vn.info', id, false)).VNET as X | undefined;
  return { name: str(v?.NAME), state: num(v?.STATE), error: optStr(v?.TEMPLATE?.ERROR) };
}

export async function vrouterVmIds(client: OneClient, vrouterId: number): Promise<number[]> {
  const vr = (await info(client, 'one.vrouter.info', vrouterId, false)).VROUTER as X | undefined;
  return ids(vr?.VMS);
}

export async function readState(client: OneClient, scenario?: Scenario): Promise<OneState> {
  const system = await readSystem(client);
  const clusters = (await info(client, 'one.clusterpool.info')).CLUSTER_POOL?.CLUSTER ?? [];
  const hosts = (await info(client, 'one.hostpool.info')).HOST_POOL?.HOST ?? [];
  const dss = (await info(client, 'one.datastorepool.info')).DATASTORE_POOL?.DATASTORE ?? [];
  const vnets = (await info(client, 'one.vnpool.info', -2, -1, -1)).VNET_POOL?.VNET ?? [];
  const templates = (await info(client, 'one.templatepool.info', -2, -1, -1)).VMTEMPLATE_POOL?.VMTEMPLATE ?? [];
  const images = (await info(client, 'one.imagepool.info', -2, -1, -1)).IMAGE_POOL?.IMAGE ?? [];
  const vrouters = (await info(client, 'one.vrouterpool.info', -2, -1, -1)).VROUTER_POOL?.VROUTER ?? [];
  const state: OneState = {
    system,
    clusters: clusters.map((c: X) => ({
      id: num(c.ID),
      name: str(c.NAME),
      hosts: ids(c.HOSTS),
      datastores: ids(c.DATASTORES),
      vnets: ids(c.VNETS),
      marker: marker(c.TEMPLATE),
    })),
    hosts: hosts.map((h: X) => ({
      id: num(h.ID),
      name: str(h.NAME),
      cluster_id: num(h.CLUSTER_ID),
      cluster: str(h.CLUSTER),
      provision_id: optStr(h.TEMPLATE?.PROVISION?.ID),
      provider_name: optStr(h.TEMPLATE?.PROVISION?.PROVIDER_NAME),
    })),
    datastores: dss.map((d: X) => ({
      id: num(d.ID),
      name: str(d.NAME),
      type: num(d.TYPE),
      tm_mad: str(d.TM_MAD),
      clusters: ids(d.CLUSTERS),
      provision_id: optStr(d.TEMPLATE?.PROVISION?.ID),
      free_mb: Number(d.FREE_MB ?? 0),
      used_mb: Number(d.USED_MB ?? 0),
      limit_mb: optNum(d.TEMPLATE?.LIMIT_MB),
      capacity_check: yes(d.TEMPLATE?.DATASTORE_CAPACITY_CHECK),
    })),
    vnets: vnets.map((v: X) => ({
      id: num(v.ID),
      name: str(v.NAME),
      clusters: ids(v.CLUSTERS),
      vn_mad: str(v.VN_MAD),
      state: Number(v.STATE ?? 1),
      provision_id: optStr(v.TEMPLATE?.PROVISION?.ID),
      phydev: optStr(v.PHYDEV ?? v.TEMPLATE?.PHYDEV),
      marker: marker(v.TEMPLATE),
      ars: ((v.AR_POOL?.AR as X[] | undefined) ?? [])
        .filter((a) => a.IP && str(a.TYPE ?? 'IP4').startsWith('IP4'))
        .map((a) => ({ ip: str(a.IP), size: Number(a.SIZE ?? 0) })),
    })),
    templates: templates.map((t: X) => ({
      id: num(t.ID),
      name: str(t.NAME),
      vrouter: yes(t.TEMPLATE?.VROUTER) ?? false,
      token: yes(t.TEMPLATE?.CONTEXT?.TOKEN) ?? false,
      disk_images: ((t.TEMPLATE?.DISK as X[] | undefined) ?? []).flatMap((d) => (d.IMAGE_ID !== undefined && d.IMAGE_ID !== '' ? [Number(d.IMAGE_ID)] : [])),
      marker: marker(t.TEMPLATE),
    })),
    images: images.map((i: X) => ({
      id: num(i.ID),
      name: str(i.NAME),
      state: num(i.STATE),
      datastore_id: num(i.DATASTORE_ID),
      from_app_name: optStr(i.TEMPLATE?.FROM_APP_NAME),
      error: optStr(i.TEMPLATE?.ERROR),
      regtime: optNum(i.REGTIME),
    })),
    vrouters: vrouters.map((v: X) => ({ id: num(v.ID), name: str(v.NAME), vms: ids(v.VMS), marker: marker(v.TEMPLATE) })),
    vrouter_vms: [],
  };
  const vr = scenario?.virtual_router.enabled ? findOwn(state.vrouters, scenario, vrouterName(scenario), ROLE.vrouter).obj : undefined;
  for (const id of vr?.vms ?? []) {
    const { nics: _nics, images: _images, ...vm } = await readVm(client, id);
    state.vrouter_vms.push(vm);
  }
  return state;
}

export async function readApps(client: OneClient): Promise<OneMarketApp[]> {
  const apps = (await info(client, 'one.marketapppool.info', -2, -1, -1)).MARKETPLACEAPP_POOL?.MARKETPLACEAPP ?? [];
  return apps.map((a: X) => ({
    id: num(a.ID),
    name: str(a.NAME),
    state: num(a.STATE),
    type: num(a.TYPE),
    marketplace: str(a.MARKETPLACE),
    size_mb: Number(a.SIZE ?? 0),
    app_template: b64(a.TEMPLATE?.APPTEMPLATE64) ?? '',
    vm_template: b64(a.TEMPLATE?.VMTEMPLATE64),
  }));
}

/**
 * The VR VM's public address: eth0's (NIC_ID 0). On an elastic network (oneprovision's AWS public
 * networks) the NIC's IP is a private VPC address and the Elastic IP is its EXTERNAL_IP
 * (src/ipamm_mad/remotes/aws/register_address_range; oned.conf INHERIT_VNET_ATTR = "EXTERNAL_IP").
 */
export function publicAddress(nics: X[]): { ip?: string; private_ip?: string } {
  const nic0 = nics.find((n) => str(n.NIC_ID) === '0') ?? nics[0];
  if (!nic0) return {};
  const ip = optStr(nic0.IP);
  if (str(nic0.VN_MAD) === 'elastic' || optStr(nic0.EXTERNAL_IP)) return { ip: optStr(nic0.EXTERNAL_IP), private_ip: ip };
  return { ip };
}

/** The VR's first VM, its state and eth0's public address (undefined while it has none). */
export async function vrouterAddress(client: OneClient, vrouterId: number): Promise<{ vm?: number; ip?: string; private_ip?: string; state?: number }> {
  const vm = (await vrouterVmIds(client, vrouterId))[0];
  if (vm === undefined) return {};
  const v = await readVm(client, vm);
  return { vm, state: v.state, ...publicAddress(v.nics) };
}
