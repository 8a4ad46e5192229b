/**
 * What oned already holds, as far as `edge-wizard one` cares (read with the *pool.info,
 * one.system.version and one.system.config methods). Element names from OpenNebula/one
 * share/doc/xsd (one-6.8).
 */
export interface OneObject {
  id: number;
  name: string;
}
/**
 * TEMPLATE/EDGE_WIZARD_SCENARIO and TEMPLATE/EDGE_WIZARD_ROLE: written by edge-wizard into every
 * object it creates (and adopts), so the object is still known after `one<x> rename`.
 */
export interface Marker {
  scenario: string;
  role: string;
}
export interface Marked {
  marker?: Marker;
}
export interface OneCluster extends OneObject, Marked {
  hosts: number[];
  datastores: number[];
  vnets: number[];
}
/** oneprovision tags every object it creates with TEMPLATE/PROVISION/ID (provision.rb create_resources). */
export interface Provisioned {
  /** TEMPLATE/PROVISION/ID: the oneprovision document the object belongs to; undefined for hand-made objects. */
  provision_id?: string;
}
export interface OneHost extends OneObject, Provisioned {
  cluster_id: number;
  cluster: string;
  /** TEMPLATE/PROVISION/PROVIDER_NAME (e.g. `aws`). */
  provider_name?: string;
}
/** An IPv4 address range of a network (AR_POOL/AR: IP, SIZE). */
export interface OneAr {
  ip: string;
  size: number;
}
export interface OneVnet extends OneObject, Provisioned, Marked {
  clusters: number[];
  /** IPv4 address ranges. */
  ars?: OneAr[];
  /** PHYDEV (vxlan). */
  phydev?: string;
  /** VN_MAD: `elastic` for oneprovision's AWS public networks. */
  vn_mad: string;
  /** vnet.xsd STATE: 0 INIT, 1 READY, 2 LOCK_CREATE (driver's vnet_create running), 3 LOCK_DELETE, 4 DONE, 5 ERROR, 6 UPDATE_FAILURE. */
  state: number;
}
export const VNET_READY = 1;
export const VNET_ERROR = 5;
export const VNET_UPDATE_FAILURE = 6;
export const VNET_STATE: Record<number, string> = { 0: 'INIT', 1: 'READY', 2: 'LOCK_CREATE', 3: 'LOCK_DELETE', 4: 'DONE', 5: 'ERROR', 6: 'UPDATE_FAILURE' };
export interface OneDatastore extends OneObject, Provisioned {
  /** 0 image, 1 system, 2 file (datastore.xsd TYPE). */
  type: number;
  tm_mad: string;
  clusters: number[];
  free_mb: number;
  used_mb: number;
  /** TEMPLATE/LIMIT_MB, when set. */
  limit_mb?: number;
  /** TEMPLATE/DATASTORE_CAPACITY_CHECK, when set (overrides oned.conf's). */
  capacity_check?: boolean;
}
export interface OneVmTemplate extends OneObject, Marked {
  /** DISK/IMAGE_ID of each disk. */
  disk_images?: number[];
  /** TEMPLATE/VROUTER = YES: oned instantiates virtual routers only from such templates. */
  vrouter: boolean;
  /** TEMPLATE/CONTEXT/TOKEN = YES: the VM gets a OneGate token, which oned refuses without ONEGATE_ENDPOINT. */
  token: boolean;
}
/** image.xsd STATE (include/Image.h ImageState). */
export const IMAGE_STATE: Record<number, string> = {
  0: 'INIT',
  1: 'READY',
  2: 'USED',
  3: 'DISABLED',
  4: 'LOCKED',
  5: 'ERROR',
  6: 'CLONE',
  7: 'DELETE',
  8: 'USED_PERS',
  9: 'LOCKED_USED',
  10: 'LOCKED_USED_PERS',
};
export const IMAGE_ERROR = 5;
/** LOCKED: being copied; LOCKED_USED(_PERS): being copied with VMs waiting for it (ImageManager::acquire_image). */
export const IMAGE_COPYING = new Set([4, 9, 10]);
export interface OneImage extends OneObject {
  state: number;
  datastore_id: number;
  /** TEMPLATE/FROM_APP_NAME: the marketplace app the image was exported from (MarketPlaceApp::to_template). */
  from_app_name?: string;
  /** TEMPLATE/ERROR: why the copy failed. */
  error?: string;
  /** REGTIME (epoch seconds): when the image was allocated, i.e. when its copy began. */
  regtime?: number;
}
export interface OneMarketApp extends OneObject {
  /** 1 = READY (marketplaceapp.xsd STATE). */
  state: number;
  /** 1 = IMAGE (marketplaceapp.xsd TYPE). */
  type: number;
  marketplace: string;
  /** SIZE in MB (what one.image.allocate with FROM_APP checks against the datastore). */
  size_mb: number;
  /** TEMPLATE/APPTEMPLATE64 decoded: the image template. */
  app_template: string;
  /** TEMPLATE/VMTEMPLATE64 decoded: the VM template, when the app has one. */
  vm_template?: string;
}
export interface OneVrouter extends OneObject, Marked {
  vms: number[];
}
/** vm.xsd STATE values edge-wizard looks at. */
export const VM_STATE: Record<number, string> = {
  0: 'INIT',
  1: 'PENDING',
  2: 'HOLD',
  3: 'ACTIVE',
  4: 'STOPPED',
  5: 'SUSPENDED',
  6: 'DONE',
  7: 'FAILED',
  8: 'POWEROFF',
  9: 'UNDEPLOYED',
  10: 'CLONING',
  11: 'CLONING_FAILURE',
};
export const VM_HOLD = 2;
export const VM_CLONING = 10;
export const VM_CLONING_FAILURE = 11;
export interface OneVm extends OneObject {
  state: number;
}
export interface OneSystem {
  /** one.system.version, e.g. "6.8.3". */
  version: string;
  /** ONEGATE_ENDPOINT from one.system.config; '' when oned.conf has none; undefined when it could not be read. */
  onegate_endpoint?: string;
  /** DATASTORE_CAPACITY_CHECK from one.system.config (oned's default: yes). */
  capacity_check: boolean;
}
export interface OneState {
  system: OneSystem;
  clusters: OneCluster[];
  hosts: OneHost[];
  vnets: OneVnet[];
  datastores: OneDatastore[];
  templates: OneVmTemplate[];
  images: OneImage[];
  vrouters: OneVrouter[];
  /** The VMs of the scenario's virtual router, when it exists. */
  vrouter_vms: OneVm[];
  /** Only read when the appliance must be exported (undefined = not read). */
  apps?: OneMarketApp[];
}
