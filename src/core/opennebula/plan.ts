/**
 * Which one.* calls bring OpenNebula to the seed's shape, given what oned holds.
 * Pure: the adapter (src/adapters/opennebula/ensure.ts) reads the pools, calls
 * `planOne`, then runs the steps in order, resolving `{ ref }` arguments from the
 * IDs earlier steps returned. Everything is ensured by name; nothing is deleted
 * or rewritten; a second run over the result plans no write call. Every
 * precondition oned would otherwise refuse half-way (hosts, networks, datastores,
 * the appliance, its datastore's free space, a VROUTER template, OneGate) is
 * checked here, before the first write call, each failure one sentence.
 *
 * Method signatures: OpenNebula/docs source/integration_and_development/
 * system_interfaces/api.rst (one-6.8 and master agree for every method used,
 * except the meaning of one.image.allocate's 4th parameter: see imageCapacityArg).
 */
import type { EvpnNetwork, Scenario } from '../scenario.js';
import {
  IMAGE_ERROR,
  VM_CLONING,
  VM_CLONING_FAILURE,
  VM_HOLD,
  VM_STATE,
  VNET_ERROR,
  VNET_STATE,
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
import { vnTemplate } from '../inventory.js';

/** Marketplace app name of the VR appliance (OpenNebula Public marketplace). */
export const VR_APP_NAME = 'Service Virtual Router';

/**
 * A step argument: a literal, the ID an earlier step bound, text with `@{ref}` placeholders,
 * or each VM of a virtual router (`vrouterVms`: the step runs once per VM of the router the
 * ref names, after the VM has left CLONING, and only for VMs on HOLD).
 */
export type StepArg = string | number | boolean | { ref: string } | { interpolate: string } | { vrouterVms: string };

export interface Step {
  method: string;
  args: StepArg[];
  /**
   * Networks (IDs or refs) that must be READY before this call: oned runs the driver's vnet_create
   * after one.vn.allocate (STATE LOCK_CREATE), and a lease taken meanwhile can fail ("Cannot get
   * IP/MAC lease from virtual network N"), measured on oned 6.8.
   */
  vnetsReady?: StepArg[];
  /** Action title, e.g. `Add host kvm_london to cluster seed-practical`. */
  title: string;
  /** Name under which the ID this call returns is kept for later steps. */
  bind?: string;
}

export interface OnePlan {
  steps: Step[];
  /** IDs known before any call (adopted objects). */
  known: Record<string, number>;
  warnings: string[];
  /** The vrouter to report on after apply (ref or known name `vrouter`). */
  vrouterName?: string;
}

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

function pickApp(apps: OneMarketApp[]): OneMarketApp | undefined {
  // Preferred marketplace first, then the lowest ID: never the pool's listing order.
  const ready = apps.filter((a) => a.name === VR_APP_NAME && a.state === 1 && a.type === 1).sort((a, b) => a.id - b.id);
  return ready.find((a) => a.marketplace === 'OpenNebula Public') ?? ready[0];
}

/** Strips FORMAT and DRIVER, as the ruby export does after allocating (marketplaceapp_ext.rb export_image). */
function stripFormatDriver(text: string): string {
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

export class PlanProblems extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const listIds = (ids: Iterable<string>) => [...ids].sort((a, b) => Number(a) - Number(b)).join(', ');

/**
 * The scenario's datastores: those of the provisions its KVM hosts came from (TEMPLATE/PROVISION/ID),
 * plus the hand-made ones (no PROVISION) when some host is hand-made too. Another provision's
 * datastores (e.g. a system datastore whose REPLICA_HOST is in another region) never join.
 */
function ownDatastores(state: OneState, hosts: (OneHost | undefined)[], tm: string): OneDatastore[] {
  const provisions = new Set(hosts.flatMap((h) => (h?.provision_id ? [h.provision_id] : [])));
  const handMade = hosts.some((h) => h && !h.provision_id);
  return state.datastores
    .filter((d) => (d.type === 0 || d.type === 1) && d.tm_mad === tm)
    .filter((d) => (d.provision_id ? provisions.has(d.provision_id) : handMade))
    .sort((a, b) => a.id - b.id);
}

const ipNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/** A VXLAN network on the same PHYDEV whose IPv4 ranges overlap the scenario network's: the same L2 addresses twice. */
function overlapping(state: OneState, s: Scenario, n: EvpnNetwork): OneVnet | undefined {
  const lo = ipNum(n.ar_start);
  const hi = lo + n.ar_size;
  return state.vnets.find(
    (v) =>
      v.vn_mad === 'vxlan' &&
      (v.phydev === undefined || v.phydev === s.wireguard.interface) &&
      (v.ars ?? []).some((a) => ipNum(a.ip) < hi && lo < ipNum(a.ip) + a.size),
  );
}

function renamedWarning(what: string, cmd: string, name: string, o: OneObject): string {
  return `The ${what} "${name}" was renamed by hand to "${o.name}" (ID ${o.id}): it is still this scenario's (its ${MARKER_SCENARIO}/${MARKER_ROLE} attributes say so) and is used as it is; "${cmd} rename ${o.id} ${name}" gives it back its name.`;
}

export function planOne(s: Scenario, state: OneState): OnePlan {
  // The public-IP budget and the VR's cluster are the scenario validator's (core/validate.ts): checked once, before any call.
  const problems: string[] = [];
  const steps: Step[] = [];
  const known: Record<string, number> = {};
  const warnings: string[] = [];
  const cname = clusterName(s);
  const clusterRef = { ref: 'cluster' };

  // Hosts: oneprovision names them by public IP; accept the inventory name too.
  const hosts = s.clusters.flatMap((c, ci) =>
    c.hosts.map((h, hi) => {
      const one = state.hosts.find((x) => x.name === h.public_ip) ?? state.hosts.find((x) => x.name === h.name);
      if (!one) {
        problems.push(
          `clusters[${ci}].hosts[${hi}] (${h.name}, ${h.public_ip}) is not an OpenNebula host: provision it (oneprovision) or add it with "onehost create ${h.public_ip}", then run again.`,
        );
      }
      return { host: h, cluster: c.name, one };
    }),
  );

  const tm = tmMad(s);
  const dss = ownDatastores(
    state,
    hosts.map((h) => h.one),
    tm,
  );
  const provisionIds = new Set(hosts.flatMap((h) => (h.one?.provision_id ? [h.one.provision_id] : [])));
  const whose = provisionIds.size ? `the scenario's provisions (ID ${listIds(provisionIds)})` : 'oned';
  if (hosts.every((h) => h.one)) {
    if (!dss.some((d) => d.type === 0))
      problems.push(
        `datastores.mode is "${tm}" but ${whose} ${provisionIds.size ? 'have' : 'has'} no image datastore with TM_MAD=${tm}: create one or change datastores.mode.`,
      );
    if (!dss.some((d) => d.type === 1))
      problems.push(
        `datastores.mode is "${tm}" but ${whose} ${provisionIds.size ? 'have' : 'has'} no system datastore with TM_MAD=${tm}: create one or change datastores.mode.`,
      );
  }

  const publics = s.clusters.map((c, ci) => {
    const vn = state.vnets.find((v) => v.name === c.public_network.name);
    if (!vn)
      problems.push(
        `clusters[${ci}].public_network.name is "${c.public_network.name}", but oned has no virtual network of that name: set it to the public network oneprovision created for "${c.name}".`,
      );
    return { cluster: c, vn };
  });
  // The EVPN networks: by name, else by marker (renamed by hand); a new one never takes addresses another VXLAN network holds.
  const nets = s.networks.map((n, i) => {
    const f = findOwn(state.vnets, s, n.name, ROLE.network(n.name));
    if (!f.obj) {
      const clash = overlapping(state, s, n);
      if (clash) {
        problems.push(
          `networks[${i}] (${n.name}, ${n.ar_size} addresses from ${n.ar_start}) overlaps the virtual network "${clash.name}" (ID ${clash.id}), a VXLAN network on ${clash.phydev ?? s.wireguard.interface} that edge-wizard does not know as this one: if it is ${n.name} renamed by hand, rename it back ("onevnet rename ${clash.id} ${n.name}"); otherwise change networks[${i}].ar_start or remove that network, then run again.`,
        );
      }
    }
    return { n, found: f.obj, renamed: f.renamed };
  });
  for (const vn of [...publics.map((p) => p.vn), ...nets.map((x) => x.found)]) {
    if (vn?.state === VNET_ERROR)
      problems.push(
        `The virtual network ${vn.name} (ID ${vn.id}) is in ${VNET_STATE[vn.state]} (its driver's vnet_create failed): fix it (onevnet recover ${vn.id}) or delete it, then run again.`,
      );
  }

  // Virtual Router preconditions: everything oned would refuse after the first writes.
  const vrName = vrouterName(s);
  const vrFound = findOwn(state.vrouters, s, vrName, ROLE.vrouter);
  const existing = vrFound.obj;
  const template = findVrTemplate(state);
  let vrImage: OneImage | undefined;
  let app: OneMarketApp | undefined;
  let imageDs: OneDatastore | undefined;
  let releaseExisting = false;
  let mustInstantiate = false;
  if (s.virtual_router.enabled) {
    const vrCluster = s.clusters.find((c) => c.name === s.virtual_router.cluster)!;
    mustInstantiate = !existing || existing.vms.length === 0;
    const failedVms = state.vrouter_vms.filter((vm) => vm.state === VM_CLONING_FAILURE);
    if (template && (mustInstantiate || failedVms.length)) {
      // The template's disks: an image in ERROR (a failed download) or gone makes the router unusable.
      for (const id of template.disk_images ?? []) {
        const img = state.images.find((i) => i.id === id);
        if (!img)
          problems.push(
            `The VM template "${template.name}" (ID ${template.id}) uses image ${id}, which no longer exists: remove the template ("onetemplate delete ${template.id}") so the appliance is exported again, then run again.`,
          );
        else if (img.state === IMAGE_ERROR) problems.push(applianceFailed(img, state));
      }
    }
    if (needsAppliance(s, state)) {
      app = pickApp(state.apps ?? []);
      if (!app)
        problems.push(
          `virtual_router.enabled is true but no marketplace holds a READY "${VR_APP_NAME}" app: enable the OpenNebula Public marketplace, or import the appliance yourself and run again.`,
        );
      else if (!app.vm_template)
        problems.push(
          `The marketplace app "${VR_APP_NAME}" (ID ${app.id}) has no VM template to export: import the appliance with Sunstone or onemarketapp export, then run again.`,
        );
      vrImage = findVrImage(state);
      const failed = state.images.find((i) => i.name === VR_APP_NAME && i.state === IMAGE_ERROR);
      if (failed) {
        problems.push(applianceFailed(failed, state));
      } else if (app && !vrImage) {
        // The image goes to the VR cluster's own provision's image datastore, never to whichever the pool lists first.
        const vrHosts = hosts.filter((h) => h.cluster === vrCluster.name).map((h) => h.one);
        imageDs = ownDatastores(state, vrHosts, tm).find((d) => d.type === 0);
        const vrProvisions = new Set(vrHosts.flatMap((h) => (h?.provision_id ? [h.provision_id] : [])));
        if (!imageDs && vrHosts.every(Boolean)) {
          problems.push(
            `virtual_router.cluster is "${vrCluster.name}" but ${vrProvisions.size ? `its provision (ID ${listIds(vrProvisions)})` : 'oned'} has no image datastore with TM_MAD=${tm} to export the "${VR_APP_NAME}" appliance into: create one, or import the appliance yourself, then run again.`,
          );
        } else if (imageDs) {
          const check = imageDs.capacity_check ?? state.system.capacity_check;
          if (check && app.size_mb > availableMb(imageDs)) {
            problems.push(
              `The image datastore ${imageDs.name} (ID ${imageDs.id}) has ${availableMb(imageDs)} MB available but the "${VR_APP_NAME}" appliance needs ${app.size_mb} MB: free space there (or raise its LIMIT_MB), then run again.`,
            );
          }
        }
      }
    }
    if (template && mustInstantiate && !template.vrouter) {
      problems.push(
        `The VM template "${template.name}" (ID ${template.id}) has no VROUTER="YES", and oned instantiates virtual routers only from such templates: import the appliance from the marketplace (or add VROUTER="YES" to that template), then run again.`,
      );
    }
    const token = template ? template.token : app?.vm_template ? templateWantsToken(app.vm_template) : false;
    const endpoint = state.system.onegate_endpoint;
    if (mustInstantiate && endpoint === '' && (token || s.virtual_router.sdnat)) {
      const why = token
        ? `the "${VR_APP_NAME}" template asks for a OneGate token (CONTEXT TOKEN="YES"), which oned refuses to give without one`
        : "SDNAT reads the router's networks through OneGate";
      problems.push(
        `oned.conf has no ONEGATE_ENDPOINT and ${why}: set ONEGATE_ENDPOINT in oned.conf to an address the Virtual Router can reach, restart oned, then run again.`,
      );
    }
    for (const vm of state.vrouter_vms) {
      if (vm.state === VM_CLONING_FAILURE) {
        const img = state.images.find((i) => i.state === IMAGE_ERROR && (template?.disk_images ?? []).includes(i.id));
        if (!img)
          problems.push(
            `VM ${vm.id} of virtual router ${existing?.name ?? vrName} is in CLONING_FAILURE (its disk image could not be copied): remove it ("onevm recover --delete ${vm.id}"), then run again.`,
          );
      } else if (vm.state === VM_HOLD || vm.state === VM_CLONING) {
        releaseExisting = true;
      }
    }
    // Said once, when the router is made: not on every run.
    if (mustInstantiate && s.virtual_router.sdnat && endpoint) {
      warnings.push(
        `SDNAT needs the Virtual Router to reach OneGate at ${endpoint} (ONEGATE_ENDPOINT): the appliance reads the networks' EXTERNAL leases through it. Make sure the VR can reach that address.`,
      );
    } else if (mustInstantiate && s.virtual_router.sdnat && endpoint === undefined) {
      warnings.push(
        "SDNAT needs the Virtual Router to reach OneGate: the appliance reads the networks' EXTERNAL leases through it. Set ONEGATE_ENDPOINT in oned.conf to an address the VR can reach.",
      );
    }
  }
  if (problems.length) throw new PlanProblems([...new Set(problems)]);

  // Cluster: by name, else by marker; marked so a rename by hand does not lose it.
  const cf = findOwn(state.clusters, s, cname, ROLE.cluster);
  const cluster = cf.obj;
  if (cluster) {
    known.cluster = cluster.id;
    if (cf.renamed) warnings.push(renamedWarning('cluster', 'onecluster', cname, cluster));
    if (!cluster.marker)
      steps.push({
        method: 'one.cluster.update',
        args: [cluster.id, renderTemplate(markerTemplate(s, ROLE.cluster)), 1],
        title: `Mark cluster ${cluster.name} (ID ${cluster.id}) as this scenario's (${MARKER_SCENARIO}, ${MARKER_ROLE})`,
      });
  } else {
    steps.push({ method: 'one.cluster.allocate', args: [cname], title: `Create cluster ${cname}`, bind: 'cluster' });
    steps.push({
      method: 'one.cluster.update',
      args: [clusterRef, renderTemplate(markerTemplate(s, ROLE.cluster)), 1],
      title: `Mark cluster ${cname} as this scenario's (${MARKER_SCENARIO}, ${MARKER_ROLE})`,
    });
  }
  const clusterLabel = cluster?.name ?? cname;
  const inCluster = (list: 'hosts' | 'datastores' | 'vnets', id: number) => !!cluster && cluster[list].includes(id);

  const moving = hosts.filter(({ one }) => one && !inCluster('hosts', one.id) && one.cluster_id >= 0 && one.cluster !== clusterLabel);
  if (moving.length) {
    // Once, for all of them: the consequence is the same (docs/opennebula.md, "Hosts leave their provision's cluster").
    const from = [...new Set(moving.map(({ one }) => `"${one!.cluster}"`))].join(', ');
    warnings.push(
      `${moving.map(({ host, one }) => `${host.name} (${one!.name})`).join(', ')} move${moving.length === 1 ? 's' : ''} from cluster ${from} to "${clusterLabel}" (a host belongs to one cluster only): hosts "oneprovision host add" makes later land in the provision's cluster, not in "${clusterLabel}"; edge-wizard one names them when it sees them.`,
    );
  }
  for (const { host, one } of hosts) {
    if (!one || inCluster('hosts', one.id)) continue;
    steps.push({
      method: 'one.cluster.addhost',
      args: [clusterRef, one.id],
      title: `Add host ${host.name} (${one.name}, ID ${one.id}) to cluster ${clusterLabel}`,
    });
  }
  // Hosts of the scenario's provisions that the scenario does not list: added by oneprovision after the move.
  if (cluster) {
    const mine = new Set(hosts.flatMap((h) => (h.one ? [h.one.id] : [])));
    for (const h of state.hosts) {
      if (mine.has(h.id) || !h.provision_id || !provisionIds.has(h.provision_id) || h.cluster_id === cluster.id) continue;
      warnings.push(
        `Host ${h.name} (ID ${h.id}) of provision ${h.provision_id} is in cluster "${h.cluster}", not in "${clusterLabel}", and not in the scenario (added by "oneprovision host add" after its hosts moved): add it to the scenario with edge-wizard import, run edge-wizard deploy, then edge-wizard one moves it.`,
      );
    }
  }
  for (const d of dss) {
    if (inCluster('datastores', d.id)) continue;
    steps.push({
      method: 'one.cluster.adddatastore',
      args: [clusterRef, d.id],
      title: `Add ${d.type === 0 ? 'image' : 'system'} datastore ${d.name} (ID ${d.id}) to cluster ${clusterLabel}`,
    });
  }
  for (const { cluster: c, vn } of publics) {
    if (!vn || inCluster('vnets', vn.id)) continue;
    steps.push({
      method: 'one.cluster.addvnet',
      args: [clusterRef, vn.id],
      title: `Add public network ${vn.name} (ID ${vn.id}) of ${c.name} to cluster ${clusterLabel}`,
    });
  }

  // EVPN VNETs, one per network; the first is bound as `evpn` (the Virtual Router's eth1).
  nets.forEach(({ n, found: evpn, renamed }, i) => {
    const bind = i === 0 ? 'evpn' : `evpn${i}`;
    if (evpn) {
      known[bind] = evpn.id;
      if (renamed) warnings.push(renamedWarning('virtual network', 'onevnet', n.name, evpn));
      if (!evpn.marker)
        steps.push({
          method: 'one.vn.update',
          args: [evpn.id, renderTemplate(markerTemplate(s, ROLE.network(n.name))), 1],
          title: `Mark EVPN network ${evpn.name} (ID ${evpn.id}) as this scenario's (${MARKER_SCENARIO}, ${MARKER_ROLE})`,
        });
      if (!inCluster('vnets', evpn.id))
        steps.push({
          method: 'one.cluster.addvnet',
          args: [clusterRef, evpn.id],
          title: `Add EVPN network ${evpn.name} (ID ${evpn.id}) to cluster ${clusterLabel}`,
        });
    } else {
      const tpl = [...vnOneTemplate(s, n), ...markerTemplate(s, ROLE.network(n.name))];
      steps.push({
        method: 'one.vn.allocate',
        args: [renderTemplate(tpl), clusterRef],
        title: `Create EVPN network ${n.name} in cluster ${clusterLabel}`,
        bind,
      });
    }
  });

  // Virtual Router: on the first network only (a NIC in each would route between networks that must stay apart).
  const vrNet = s.networks[0]!;

  // Virtual Router.
  if (s.virtual_router.enabled) {
    const vrCluster = s.clusters.find((c) => c.name === s.virtual_router.cluster)!;
    const vrPublic = publics.find((p) => p.cluster === vrCluster)!.vn!;
    const vrHostOnes = hosts.filter((h) => h.cluster === vrCluster.name && h.one).map((h) => h.one!);
    const vrHosts = vrHostOnes.map((h) => h.id);
    if (template) known.vr_template = template.id;
    else if (app && mustInstantiate) {
      if (vrImage) known.vr_image = vrImage.id;
      else {
        const ds = imageDs!;
        const imageTpl = `${stripFormatDriver(app.app_template).trimEnd()}\nNAME = "${VR_APP_NAME}"\nFROM_APP = "${app.id}"\n`;
        steps.push({
          method: 'one.image.allocate',
          args: [imageTpl, ds.id, imageCapacityArg(state.system.version)],
          title: `Export the ${VR_APP_NAME} image (app ${app.id}) into datastore ${ds.name} (ID ${ds.id})`,
          bind: 'vr_image',
        });
      }
      const vmTpl = `${app.vm_template!.trimEnd()}\nNAME = "${VR_APP_NAME}"\nDISK = [ IMAGE_ID = "@{vr_image}" ]\n`;
      steps.push({ method: 'one.template.allocate', args: [{ interpolate: vmTpl }], title: `Create the ${VR_APP_NAME} VM template`, bind: 'vr_template' });
    }
    if (template && template.name !== VR_APP_NAME && mustInstantiate) {
      warnings.push(
        `The appliance is already exported as the VM template "${template.name}" (ID ${template.id}, a VROUTER template whose disk came from the "${VR_APP_NAME}" app): it is used as it is, not exported again.`,
      );
    }

    if (existing) {
      known.vrouter = existing.id;
      if (vrFound.renamed) warnings.push(renamedWarning('virtual router', 'onevrouter', vrName, existing));
      if (!existing.marker)
        steps.push({
          method: 'one.vrouter.update',
          args: [existing.id, renderTemplate(markerTemplate(s, ROLE.vrouter)), 1],
          title: `Mark virtual router ${existing.name} (ID ${existing.id}) as this scenario's (${MARKER_SCENARIO}, ${MARKER_ROLE})`,
        });
      if (existing.vms.length) {
        warnings.push(`Virtual router ${existing.name} (ID ${existing.id}) exists; its NICs and context are left as they are.`);
      }
    } else {
      const vr: OneTemplate = [
        ['NAME', vrName],
        ['NIC', { NETWORK_ID: vrPublic.id }],
        ['NIC', { NETWORK_ID: '@{evpn}', IP: vrNet.gateway }],
        ...markerTemplate(s, ROLE.vrouter),
      ];
      steps.push({
        method: 'one.vrouter.allocate',
        args: [{ interpolate: renderTemplate(vr) }],
        title: `Create virtual router ${vrName} (eth0 on ${vrPublic.name}, eth1 on ${vrNet.name} at ${vrNet.gateway})`,
        bind: 'vrouter',
      });
    }
    if (mustInstantiate) {
      const extra: OneTemplate = [['ONEAPP_VNF_ROUTER4_ENABLED', 'YES']];
      if (s.virtual_router.sdnat) {
        extra.push(['ONEAPP_VNF_SDNAT4_ENABLED', 'YES'], ['ONEAPP_VNF_SDNAT4_INTERFACES', 'eth0 eth1']);
      }
      if (vrHosts.length) extra.push(['SCHED_REQUIREMENTS', vrHosts.map((id) => `ID = ${id}`).join(' | ')]);
      // The system datastore of the VR hosts' own provision: the cluster holds every provision's, and
      // the scheduler would otherwise pick any (one whose REPLICA_HOST is in another region).
      const sysDs = ownDatastores(state, vrHostOnes, tm).filter((d) => d.type === 1);
      if (sysDs.length) extra.push(['SCHED_DS_REQUIREMENTS', sysDs.map((d) => `ID = ${d.id}`).join(' | ')]);
      // On hold: oned's own release right after creating the VM fails while its image is still being
      // copied (CLONING), and the VM then lands in HOLD for good; the next step releases it once it can.
      steps.push({
        method: 'one.vrouter.instantiate',
        args: [{ ref: 'vrouter' }, 1, { ref: 'vr_template' }, `${vrName}-%i`, true, renderTemplate(extra)],
        vnetsReady: [vrPublic.id, { ref: 'evpn' }],
        title: `Instantiate virtual router ${vrName} on a KVM host of ${vrCluster.name} (on hold until its image is READY)`,
      });
    }
    if (mustInstantiate || releaseExisting) {
      steps.push({
        method: 'one.vm.action',
        args: ['release', { vrouterVms: 'vrouter' }],
        title: `Release the VM of virtual router ${vrName} once its image is READY`,
      });
    }
  }
  return { steps, known, warnings, vrouterName: s.virtual_router.enabled ? (existing?.name ?? vrName) : undefined };
}

/** The state name of a VM state number (vm.xsd). */
export function vmStateName(state: number): string {
  return VM_STATE[state] ?? `state ${state}`;
}

/** One line per step, for --dry-run: methods and arguments, never the session. */
export function formatStep(step: Step): string {
  const args = step.args.map((a) => {
    if (typeof a === 'object') {
      if ('ref' in a) return `<${a.ref}>`;
      if ('vrouterVms' in a) return `<each VM of ${a.vrouterVms} on HOLD, once out of CLONING>`;
      return JSON.stringify(a.interpolate.replace(/@\{(\w+)\}/g, '<$1>'));
    }
    return JSON.stringify(a);
  });
  const wait = step.vnetsReady?.length
    ? ` (once network${step.vnetsReady.length > 1 ? 's' : ''} ${step.vnetsReady.map((a) => (typeof a === 'object' && 'ref' in a ? `<${a.ref}>` : String(a))).join(', ')} READY)`
    : '';
  return `${step.method}(${args.join(', ')})  # ${step.title}${wait}`;
}
