/** What oned already holds, as far as `edge-wizard one` cares (read with the *pool.info methods). */
export interface OneObject {
  id: number;
  name: string;
}
export interface OneCluster extends OneObject {
  hosts: number[];
  datastores: number[];
  vnets: number[];
}
export interface OneHost extends OneObject {
  cluster_id: number;
  cluster: string;
}
export interface OneVnet extends OneObject {
  clusters: number[];
}
export interface OneDatastore extends OneObject {
  /** 0 image, 1 system, 2 file (datastore.xsd TYPE). */
  type: number;
  tm_mad: string;
  clusters: number[];
}
export interface OneMarketApp extends OneObject {
  /** 1 = READY (marketplaceapp.xsd STATE). */
  state: number;
  /** 1 = IMAGE (marketplaceapp.xsd TYPE). */
  type: number;
  marketplace: string;
  /** TEMPLATE/APPTEMPLATE64 decoded: the image template. */
  app_template: string;
  /** TEMPLATE/VMTEMPLATE64 decoded: the VM template, when the app has one. */
  vm_template?: string;
}
export interface OneVrouter extends OneObject {
  vms: number[];
}
export interface OneState {
  clusters: OneCluster[];
  hosts: OneHost[];
  vnets: OneVnet[];
  datastores: OneDatastore[];
  templates: OneObject[];
  images: OneObject[];
  vrouters: OneVrouter[];
  /** Only read when the appliance must be exported (undefined = not read). */
  apps?: OneMarketApp[];
}
