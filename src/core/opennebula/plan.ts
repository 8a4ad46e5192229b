/**
 * Which one.* calls bring OpenNebula to the seed's shape, given what oned holds.
 * Pure: the adapter (src/adapters/opennebula/ensure.ts) reads the pools, calls
 * `planOne`, then runs the steps in order, resolving `{ ref }` arguments from the
 * IDs earlier steps returned. Everything is ensured by name; nothing is deleted
 * or rewritten; a second run over the result plans no write call.
 *
 * Method signatures: OpenNebula/docs source/integration_and_development/
 * system_interfaces/api.rst (one-6.8 and master agree for every method used).
 */
import type { Scenario } from '../scenario.js';
import type { OneState, OneMarketApp } from './state.js';
import { renderTemplate, type OneTemplate } from './template.js';
import { vnTemplate } from '../inventory.js';

/** Marketplace app name of the VR appliance (OpenNebula Public marketplace). */
export const VR_APP_NAME = 'Service Virtual Router';

/** A step argument: a literal, the ID an earlier step bound, or text with `@{ref}` placeholders. */
export type StepArg = string | number | boolean | { ref: string } | { interpolate: string };

export interface Step {
  method: string;
  args: StepArg[];
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
export function vnOneTemplate(s: Scenario): OneTemplate {
  const t: OneTemplate = [['NAME', s.evpn.name]];
  for (const [k, v] of Object.entries(vnTemplate(s))) {
    if (v === undefined || v === null) continue;
    t.push([k, typeof v === 'object' ? (v as Record<string, string | number>) : (v as string | number)]);
  }
  return t;
}

/** True when the VR's VM template is absent, so the marketplace must be read to export the appliance. */
export function needsAppliance(s: Scenario, state: OneState): boolean {
  if (!s.virtual_router.enabled) return false;
  if (state.vrouters.some((v) => v.name === vrouterName(s))) return false;
  return !state.templates.some((t) => t.name === VR_APP_NAME);
}

function pickApp(apps: OneMarketApp[]): OneMarketApp | undefined {
  const ready = apps.filter((a) => a.name === VR_APP_NAME && a.state === 1 && a.type === 1);
  return ready.find((a) => a.marketplace === 'OpenNebula Public') ?? ready[0];
}

/** Strips FORMAT and DRIVER, as the ruby export does after allocating (marketplaceapp_ext.rb export_image). */
function stripFormatDriver(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*(FORMAT|DRIVER)\s*=/i.test(l))
    .join('\n');
}

export class PlanProblems extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
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
        problems.push(`clusters[${ci}].hosts[${hi}] (${h.name}, ${h.public_ip}) is not an OpenNebula host: provision it (oneprovision) or add it with "onehost create ${h.public_ip}", then run again.`);
      }
      return { host: h, cluster: c.name, one };
    }),
  );

  const tm = tmMad(s);
  const dss = state.datastores.filter((d) => (d.type === 0 || d.type === 1) && d.tm_mad === tm);
  if (!dss.some((d) => d.type === 0)) problems.push(`datastores.mode is "${tm}" but oned has no image datastore with TM_MAD=${tm}: create one or change datastores.mode.`);
  if (!dss.some((d) => d.type === 1)) problems.push(`datastores.mode is "${tm}" but oned has no system datastore with TM_MAD=${tm}: create one or change datastores.mode.`);

  const publics = s.clusters.map((c, ci) => {
    const vn = state.vnets.find((v) => v.name === c.public_network.name);
    if (!vn) problems.push(`clusters[${ci}].public_network.name is "${c.public_network.name}", but oned has no virtual network of that name: set it to the public network oneprovision created for "${c.name}".`);
    return { cluster: c, vn };
  });

  // The appliance, when it must be exported.
  let app: OneMarketApp | undefined;
  if (needsAppliance(s, state)) {
    app = pickApp(state.apps ?? []);
    if (!app) problems.push(`virtual_router.enabled is true but no marketplace holds a READY "${VR_APP_NAME}" app: enable the OpenNebula Public marketplace, or import the appliance yourself and run again.`);
    else if (!app.vm_template) problems.push(`The marketplace app "${VR_APP_NAME}" (ID ${app.id}) has no VM template to export: import the appliance with Sunstone or onemarketapp export, then run again.`);
  }
  if (problems.length) throw new PlanProblems(problems);

  // Cluster.
  const cluster = state.clusters.find((c) => c.name === cname);
  if (cluster) known.cluster = cluster.id;
  else steps.push({ method: 'one.cluster.allocate', args: [cname], title: `Create cluster ${cname}`, bind: 'cluster' });
  const inCluster = (list: 'hosts' | 'datastores' | 'vnets', id: number) => !!cluster && cluster[list].includes(id);

  for (const { host, one } of hosts) {
    if (!one || inCluster('hosts', one.id)) continue;
    if (one.cluster_id >= 0 && one.cluster !== cname) {
      warnings.push(`Host ${host.name} (${one.name}) moves from cluster "${one.cluster}" to "${cname}": a host belongs to one cluster only.`);
    }
    steps.push({ method: 'one.cluster.addhost', args: [clusterRef, one.id], title: `Add host ${host.name} (${one.name}, ID ${one.id}) to cluster ${cname}` });
  }
  for (const d of dss) {
    if (inCluster('datastores', d.id)) continue;
    steps.push({ method: 'one.cluster.adddatastore', args: [clusterRef, d.id], title: `Add ${d.type === 0 ? 'image' : 'system'} datastore ${d.name} (ID ${d.id}) to cluster ${cname}` });
  }
  for (const { cluster: c, vn } of publics) {
    if (!vn || inCluster('vnets', vn.id)) continue;
    steps.push({ method: 'one.cluster.addvnet', args: [clusterRef, vn.id], title: `Add public network ${vn.name} (ID ${vn.id}) of ${c.name} to cluster ${cname}` });
  }

  // EVPN VNET.
  const evpn = state.vnets.find((v) => v.name === s.evpn.name);
  if (evpn) {
    known.evpn = evpn.id;
    if (!inCluster('vnets', evpn.id)) steps.push({ method: 'one.cluster.addvnet', args: [clusterRef, evpn.id], title: `Add EVPN network ${evpn.name} (ID ${evpn.id}) to cluster ${cname}` });
  } else {
    steps.push({ method: 'one.vn.allocate', args: [renderTemplate(vnOneTemplate(s)), clusterRef], title: `Create EVPN network ${s.evpn.name} in cluster ${cname}`, bind: 'evpn' });
  }

  // Virtual Router.
  if (s.virtual_router.enabled) {
    const vrName = vrouterName(s);
    const vrCluster = s.clusters.find((c) => c.name === s.virtual_router.cluster)!;
    const vrPublic = publics.find((p) => p.cluster === vrCluster)!.vn!;
    const vrHosts = hosts.filter((h) => h.cluster === vrCluster.name && h.one).map((h) => h.one!.id);
    const existing = state.vrouters.find((v) => v.name === vrName);
    const template = state.templates.find((t) => t.name === VR_APP_NAME);
    if (template) known.vr_template = template.id;
    else if (app && !existing) {
      const image = state.images.find((i) => i.name === VR_APP_NAME);
      if (image) known.vr_image = image.id;
      else {
        const imageDs = dss.find((d) => d.type === 0)!;
        const imageTpl = `${stripFormatDriver(app.app_template).trimEnd()}\nNAME = "${VR_APP_NAME}"\nFROM_APP = "${app.id}"\n`;
        steps.push({ method: 'one.image.allocate', args: [imageTpl, imageDs.id, false], title: `Export the ${VR_APP_NAME} image (app ${app.id}) into datastore ${imageDs.name}`, bind: 'vr_image' });
      }
      const vmTpl = `${app.vm_template!.trimEnd()}\nNAME = "${VR_APP_NAME}"\nDISK = [ IMAGE_ID = "@{vr_image}" ]\n`;
      steps.push({ method: 'one.template.allocate', args: [{ interpolate: vmTpl }], title: `Create the ${VR_APP_NAME} VM template`, bind: 'vr_template' });
    }

    if (existing) {
      known.vrouter = existing.id;
      if (existing.vms.length) {
        warnings.push(`Virtual router ${vrName} (ID ${existing.id}) exists; its NICs and context are left as they are.`);
      }
    } else {
      const vr: OneTemplate = [
        ['NAME', vrName],
        ['NIC', { NETWORK_ID: vrPublic.id }],
        ['NIC', { NETWORK_ID: '@{evpn}', IP: s.evpn.gateway }],
      ];
      steps.push({ method: 'one.vrouter.allocate', args: [{ interpolate: renderTemplate(vr) }], title: `Create virtual router ${vrName} (eth0 on ${vrPublic.name}, eth1 on ${s.evpn.name} at ${s.evpn.gateway})`, bind: 'vrouter' });
    }
    if (!existing || existing.vms.length === 0) {
      const extra: OneTemplate = [['ONEAPP_VNF_ROUTER4_ENABLED', 'YES']];
      if (s.virtual_router.sdnat) {
        extra.push(['ONEAPP_VNF_SDNAT4_ENABLED', 'YES'], ['ONEAPP_VNF_SDNAT4_INTERFACES', 'eth0 eth1']);
      }
      if (vrHosts.length) extra.push(['SCHED_REQUIREMENTS', vrHosts.map((id) => `ID = ${id}`).join(' | ')]);
      if (!known.vr_template && !steps.some((x) => x.bind === 'vr_template')) {
        throw new PlanProblems([`Virtual router ${vrName} has no VM and there is no "${VR_APP_NAME}" VM template to instantiate: import the appliance from the marketplace, then run again.`]);
      }
      steps.push({
        method: 'one.vrouter.instantiate',
        args: [{ ref: 'vrouter' }, 1, { ref: 'vr_template' }, `${vrName}-%i`, false, renderTemplate(extra)],
        title: `Instantiate virtual router ${vrName} on a KVM host of ${vrCluster.name}`,
      });
    }
    if (s.virtual_router.sdnat) {
      warnings.push('SDNAT needs the Virtual Router to reach OneGate: the appliance reads the networks\' EXTERNAL leases through it. Set ONEGATE_ENDPOINT in oned.conf to an address the VR can reach.');
    }
  }
  return { steps, known, warnings, vrouterName: s.virtual_router.enabled ? vrouterName(s) : undefined };
}

/** One line per step, for --dry-run: methods and arguments, never the session. */
export function formatStep(step: Step): string {
  const args = step.args.map((a) => {
    if (typeof a === 'object') return 'ref' in a ? `<${a.ref}>` : JSON.stringify(a.interpolate.replace(/@\{(\w+)\}/g, '<$1>'));
    return JSON.stringify(a);
  });
  return `${step.method}(${args.join(', ')})  # ${step.title}`;
}
