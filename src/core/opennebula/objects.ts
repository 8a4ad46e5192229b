/**
 * The OpenNebula objects edge-wizard plans, as core knows them: their names, the markers that
 * make them this scenario's, how each is found in oned's pools, the Virtual Router appliance and
 * what oned's version and datastores mean for it. Pure; the planners (planners/) and the
 * adapter use them; plan.ts re-exports them.
 */
import type { EvpnNetwork, Scenario } from '../scenario.js';
import {
  IMAGE_ERROR,
  type Marked,
  type OneDatastore,
  type OneHost,
  type OneImage,
  type OneMarketApp,
  type OneObject,
  type OneState,
  type OneVmTemplate,
  type OneVnet,
} from './state.js';
import { renderTemplate, type OneTemplate } from './template.js';
import type { Step } from './planners/planner.js';
import { vnTemplate } from '../inventory.js';

/** Marketplace app name of the VR appliance (OpenNebula Public marketplace). */
export const VR_APP_NAME = 'Service Virtual Router';

export function clusterName(s: Scenario): string {
  return s.name;
}
export function vrouterName(s: Scenario): string {
  return `${s.name}-vr`;
}

/** TM_MAD of the datastores the cluster uses, from `datastores.mode`. */
export function tmMad(s: Scenario): string {
  return s.datastores.mode;
}

/**
 * The EVPN VNET template for one.vn.allocate: NAME plus core's `vnTemplate`
 * (core/inventory.ts), the same template one-deploy's `vn` entry carries, so
 * whichever of the two creates the network, it is the same network.
 */
export function vnOneTemplate(s: Scenario, n: EvpnNetwork): OneTemplate {
  const t: OneTemplate = [['NAME', n.name]];
  for (const [k, v] of Object.entries(vnTemplate(s, n))) {
    if (v === undefined || v === null) continue;
    t.push([k, typeof v === 'object' ? (v as Record<string, string | number>) : (v as string | number)]);
  }
  return t;
}

/** The attributes edge-wizard writes into the objects it makes (state.ts Marker). */
export const MARKER_SCENARIO = 'EDGE_WIZARD_SCENARIO';
export const MARKER_ROLE = 'EDGE_WIZARD_ROLE';
export const ROLE = {
  cluster: 'cluster',
  vrouter: 'vrouter',
  network: (name: string) => `network ${name}`,
};
export function markerTemplate(s: Scenario, role: string): OneTemplate {
  return [
    [MARKER_SCENARIO, s.name],
    [MARKER_ROLE, role],
  ];
}

const isMine = (o: Marked, s: Scenario, role: string) => o.marker?.scenario === s.name && o.marker.role === role;

/**
 * The scenario's object in a pool: by name (unless its marker says it is another scenario's object
 * of that role... it is then still the named one), else by its EDGE_WIZARD_* marker, which survives a
 * rename by hand (`renamed`).
 */
export function findOwn<T extends OneObject & Marked>(xs: T[], s: Scenario, name: string, role: string): { obj?: T; renamed?: boolean } {
  const byName = xs.find((x) => x.name === name);
  if (byName) return { obj: byName };
  const byMarker = xs.filter((x) => isMine(x, s, role)).sort((a, b) => a.id - b.id)[0];
  return byMarker ? { obj: byMarker, renamed: true } : {};
}

/**
 * The VR's VM template: the one named like the app, else any VROUTER="YES" template whose disk is an
 * image exported from the app (`onemarketapp export "Service Virtual Router" vr` names both "vr"):
 * known by what it is, so the 2 GiB appliance is not exported twice.
 */
export function findVrTemplate(state: Pick<OneState, 'templates' | 'images'>): OneVmTemplate | undefined {
  const byName = state.templates.find((t) => t.name === VR_APP_NAME);
  if (byName) return byName;
  const fromApp = new Set(state.images.filter((i) => i.from_app_name === VR_APP_NAME).map((i) => i.id));
  const candidates = state.templates.filter((t) => t.vrouter && (t.disk_images ?? []).some((id) => fromApp.has(id))).sort((a, b) => a.id - b.id);
  const usable = candidates.filter((t) => (t.disk_images ?? []).every((id) => state.images.find((i) => i.id === id)?.state !== IMAGE_ERROR));
  return usable[0] ?? candidates[0];
}

/** An image of the appliance that can still serve (not in ERROR): by name, else by FROM_APP_NAME. */
export function findVrImage(state: Pick<OneState, 'images'>): OneImage | undefined {
  const ok = (i: OneImage) => i.state !== IMAGE_ERROR;
  return (
    state.images.find((i) => i.name === VR_APP_NAME) ?? state.images.filter((i) => i.from_app_name === VR_APP_NAME && ok(i)).sort((a, b) => a.id - b.id)[0]
  );
}

/** True when the VR's VM template is absent, so the marketplace must be read to export the appliance. */
export function needsAppliance(s: Scenario, state: Pick<OneState, 'vrouters' | 'templates' | 'images'>): boolean {
  if (!s.virtual_router.enabled) return false;
  const vr = findOwn(state.vrouters, s, vrouterName(s), ROLE.vrouter).obj;
  if (vr && vr.vms.length) return false;
  return !findVrTemplate(state);
}

/**
 * One sentence naming every object a failed (or lost) appliance copy left behind, in the order oned
 * accepts their removal: the VMs first (an image with VMs waiting on it is LOCKED_USED, which
 * oneimage delete refuses: "There are N VMs using it", src/image/ImageManagerActions.cc delete_image),
 * then the image (ERROR and LOCKED images may be deleted, same function), then the templates using it
 * (a template whose image is gone cannot be instantiated).
 */
export function leftoverCommands(image: OneImage, state: Pick<OneState, 'templates' | 'vrouter_vms'>, vmIds?: number[]): string {
  const vms = vmIds ?? state.vrouter_vms.map((v) => v.id);
  const templates = state.templates.filter((t) => (t.disk_images ?? []).includes(image.id));
  const cmds = [...vms.map((id) => `onevm recover --delete ${id}`), `oneimage delete ${image.id}`, ...templates.map((t) => `onetemplate delete ${t.id}`)];
  const quoted = cmds.map((c) => `"${c}"`);
  return quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

export function applianceFailed(image: OneImage, state: Pick<OneState, 'templates' | 'vrouter_vms'>): string {
  const why = image.error ? `: ${image.error.replace(/\s+/g, ' ').replace(/[.\s]+$/, '')}` : '';
  return `The "${VR_APP_NAME}" appliance could not be copied: image "${image.name}" (ID ${image.id}) is in ERROR${why}. Remove what it left with ${leftoverCommands(image, state)}, in that order, then run edge-wizard one again once the marketplace is reachable: it exports the appliance again and instantiates the router.`;
}

export function pickApp(apps: OneMarketApp[]): OneMarketApp | undefined {
  // Preferred marketplace first, then the lowest ID: never the pool's listing order.
  const ready = apps.filter((a) => a.name === VR_APP_NAME && a.state === 1 && a.type === 1).sort((a, b) => a.id - b.id);
  return ready.find((a) => a.marketplace === 'OpenNebula Public') ?? ready[0];
}

/** Strips FORMAT and DRIVER, as the ruby export does after allocating (marketplaceapp_ext.rb export_image). */
export function stripFormatDriver(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*(FORMAT|DRIVER)\s*=/i.test(l))
    .join('\n');
}

/** `6.8.3` -> [6, 8, 3]; undefined when oned's version string is not dotted numbers. */
export function parseVersion(v: string): number[] | undefined {
  const m = /^\s*(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/**
 * one.image.allocate's 4th parameter, so that oned checks the datastore's capacity as
 * `onemarketapp export` does. Its meaning flipped in 6.10 (OpenNebula/one
 * src/rm/RequestManagerAllocate.cc): up to 6.8 it is `check_capacity` (true = check),
 * from 6.10 on `no_check_capacity` (`check_capacity = !params.getBoolean(3)`).
 */
export function imageCapacityArg(version: string): boolean {
  const v = parseVersion(version);
  const before610 = !!v && (v[0]! < 6 || (v[0] === 6 && v[1]! < 10));
  return before610;
}

/** What oned compares an image's SIZE with (Datastore::get_avail_mb): FREE_MB, capped by LIMIT_MB - USED_MB. */
export function availableMb(d: OneDatastore): number {
  let avail = d.free_mb;
  if (d.limit_mb !== undefined) avail = Math.min(avail, d.limit_mb - d.used_mb);
  return Math.max(avail, 0);
}

/** CONTEXT TOKEN = YES in a template's text: the VM asks oned for a OneGate token. */
export function templateWantsToken(text: string): boolean {
  return /\bTOKEN\s*=\s*"?\s*YES\s*"?/i.test(text);
}

export const listIds = (ids: Iterable<string>) => [...ids].sort((a, b) => Number(a) - Number(b)).join(', ');

/**
 * The scenario's datastores: those of the provisions its KVM hosts came from (TEMPLATE/PROVISION/ID),
 * plus the hand-made ones (no PROVISION) when some host is hand-made too. Another provision's
 * datastores (e.g. a system datastore whose REPLICA_HOST is in another region) never join.
 */
export function ownDatastores(state: OneState, hosts: (OneHost | undefined)[], tm: string): OneDatastore[] {
  const provisions = new Set(hosts.flatMap((h) => (h?.provision_id ? [h.provision_id] : [])));
  const handMade = hosts.some((h) => h && !h.provision_id);
  return state.datastores
    .filter((d) => (d.type === 0 || d.type === 1) && d.tm_mad === tm)
    .filter((d) => (d.provision_id ? provisions.has(d.provision_id) : handMade))
    .sort((a, b) => a.id - b.id);
}

const ipNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/** A VXLAN network on the same PHYDEV whose IPv4 ranges overlap the scenario network's: the same L2 addresses twice. */
export function overlapping(state: OneState, s: Scenario, n: EvpnNetwork): OneVnet | undefined {
  const lo = ipNum(n.ar_start);
  const hi = lo + n.ar_size;
  return state.vnets.find(
    (v) =>
      v.vn_mad === 'vxlan' &&
      (v.phydev === undefined || v.phydev === s.wireguard.interface) &&
      (v.ars ?? []).some((a) => ipNum(a.ip) < hi && lo < ipNum(a.ip) + a.size),
  );
}

export function renamedWarning(what: string, cmd: string, name: string, o: OneObject): string {
  return `The ${what} "${name}" was renamed by hand to "${o.name}" (ID ${o.id}): it is still this scenario's (its ${MARKER_SCENARIO}/${MARKER_ROLE} attributes say so) and is used as it is; "${cmd} rename ${o.id} ${name}" gives it back its name.`;
}

/** The call that marks an object found without its marker (by name) as this scenario's: `Mark <what> NAME (ID N) as this scenario's`. */
export function markStep(s: Scenario, role: string, method: string, what: string, o: OneObject): Step {
  return {
    method,
    args: [o.id, renderTemplate(markerTemplate(s, role)), 1],
    title: `Mark ${what} ${o.name} (ID ${o.id}) as this scenario's (${MARKER_SCENARIO}, ${MARKER_ROLE})`,
  };
}
