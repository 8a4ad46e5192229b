/**
 * Ensures the OpenNebula side of the scenario: reads the pools, plans with
 * core/opennebula/plan.ts (every precondition checked there, before the first
 * write), runs the write calls in order and stops at the first error oned
 * reports (nothing is attempted after it). The Virtual Router's VM is created
 * on hold and released here once its disk image has been copied, then checked
 * not to be on HOLD.
 */
import type { Scenario } from '../../core/scenario.js';
import { planOne, needsAppliance, formatStep, vrouterName, vmStateName, type OnePlan, type Step, type StepArg } from '../../core/opennebula/plan.js';
import { VM_CLONING, VM_CLONING_FAILURE, VM_HOLD, VNET_ERROR, VNET_READY, VNET_STATE, VNET_UPDATE_FAILURE } from '../../core/opennebula/state.js';
import type { OneClient, XmlRpcValue } from './xmlrpc.js';
import { readState, readApps, readVm, readVnetState, vrouterAddress, vrouterVmIds } from './pools.js';

export interface EnsureResult {
  plan: OnePlan;
  /** Steps actually run (all of them unless dry-run). */
  done: Step[];
  ids: Record<string, number>;
  vrouter?: { id: number; vm?: number; ip?: string; private_ip?: string; state?: number };
}

/** How long to wait for the VR's disk image to be copied (a real appliance download takes minutes). */
export interface WaitOptions {
  timeoutMs: number;
  /** First poll interval; doubles up to 5 s. */
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface EnsureOptions {
  dryRun?: boolean;
  log?: (line: string) => void;
  /** Each warning, as soon as the plan is made (before any write call). */
  warn?: (line: string) => void;
  wait?: Partial<WaitOptions>;
}

export class VrouterNotReleased extends Error {}
export class NetworkNotReady extends Error {}

/** Waits until each network is READY (or UPDATE_FAILURE, which takes leases too); ERROR is the network's message. */
async function waitVnetsReady(client: OneClient, vnets: number[], log: (l: string) => void, w: WaitOptions): Promise<void> {
  const sleep = w.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = w.now ?? Date.now;
  for (const id of vnets) {
    const deadline = now() + w.timeoutMs;
    let poll = w.pollMs;
    let v = await readVnetState(client, id);
    if (v.state !== VNET_READY && v.state !== VNET_UPDATE_FAILURE) log(`network ${v.name} (ID ${id}) is ${VNET_STATE[v.state] ?? v.state}: waiting for it to be READY`);
    while (v.state !== VNET_READY && v.state !== VNET_UPDATE_FAILURE) {
      if (v.state === VNET_ERROR) throw new NetworkNotReady(`The virtual network ${v.name} (ID ${id}) went to ERROR${v.error ? ` (${v.error})` : ''}: fix it (onevnet recover ${id}) or delete it, then run again.`);
      if (now() > deadline) throw new NetworkNotReady(`The virtual network ${v.name} (ID ${id}) is still ${VNET_STATE[v.state] ?? v.state} after ${Math.round(w.timeoutMs / 1000)} s: check its driver in oned.log, then run again.`);
      await sleep(poll);
      poll = Math.min(poll * 2, 5000);
      v = await readVnetState(client, id);
    }
  }
}

export async function discoverAndPlan(client: OneClient, s: Scenario): Promise<OnePlan> {
  const state = await readState(client, s);
  if (needsAppliance(s, state)) state.apps = await readApps(client);
  return planOne(s, state);
}

function lookup(ids: Record<string, number>, name: string): number {
  const id = ids[name];
  if (id === undefined) throw new Error(`internal: step needs <${name}> before it was created`);
  return id;
}

function resolve(arg: StepArg, ids: Record<string, number>): XmlRpcValue {
  if (typeof arg !== 'object') return arg;
  if ('ref' in arg) return lookup(ids, arg.ref);
  if ('vrouterVms' in arg) throw new Error('internal: vrouterVms resolves per VM');
  return arg.interpolate.replace(/@\{(\w+)\}/g, (_m, name: string) => String(lookup(ids, name)));
}

/**
 * Runs a step whose argument is each VM of a virtual router: waits until the VM's disk image
 * is copied (it leaves CLONING), calls the method for the VMs on HOLD, then checks none is
 * left on HOLD.
 */
async function runPerVm(client: OneClient, st: Step, ids: Record<string, number>, log: (l: string) => void, w: WaitOptions): Promise<void> {
  const which = st.args.find((a): a is { vrouterVms: string } => typeof a === 'object' && 'vrouterVms' in a)!;
  const vrouter = lookup(ids, which.vrouterVms);
  const sleep = w.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = w.now ?? Date.now;
  for (const vmId of await vrouterVmIds(client, vrouter)) {
    const deadline = now() + w.timeoutMs;
    let vm = await readVm(client, vmId);
    let poll = w.pollMs;
    if (vm.state === VM_CLONING) log(`VM ${vmId} of virtual router ${vrouter}: waiting for its disk image to be copied (CLONING)`);
    while (vm.state === VM_CLONING) {
      if (now() > deadline) {
        throw new VrouterNotReleased(`VM ${vmId} of virtual router ${vrouter} is still CLONING after ${Math.round(w.timeoutMs / 1000)} s (its disk image is still being copied): run edge-wizard one again later, it releases the VM once the image is READY.`);
      }
      await sleep(poll);
      poll = Math.min(poll * 2, 5000);
      vm = await readVm(client, vmId);
    }
    if (vm.state === VM_CLONING_FAILURE) {
      throw new VrouterNotReleased(`VM ${vmId} of virtual router ${vrouter} is in CLONING_FAILURE (its disk image could not be copied): check the image with "oneimage show", delete the VM, then run again.`);
    }
    if (vm.state !== VM_HOLD) continue;
    const args = st.args.map((a) => (a === which ? vmId : resolve(a, ids)));
    await client.call(st.method, ...args);
    vm = await readVm(client, vmId);
    if (vm.state === VM_HOLD) {
      throw new VrouterNotReleased(`VM ${vmId} of virtual router ${vrouter} is still on HOLD after "${args[0]}": check "onevm show ${vmId}".`);
    }
    log(`VM ${vmId} of virtual router ${vrouter} is ${vmStateName(vm.state)}`);
  }
}

export async function ensureOne(client: OneClient, s: Scenario, opts: EnsureOptions = {}): Promise<EnsureResult> {
  const log = opts.log ?? (() => {});
  const wait: WaitOptions = { timeoutMs: 30 * 60_000, pollMs: 250, ...opts.wait };
  const plan = await discoverAndPlan(client, s);
  for (const w of plan.warnings) opts.warn?.(w);
  const ids = { ...plan.known };
  const done: Step[] = [];
  if (opts.dryRun) {
    for (const st of plan.steps) log(formatStep(st));
    return { plan, done, ids };
  }
  for (const st of plan.steps) {
    log(st.title);
    if (st.vnetsReady?.length) await waitVnetsReady(client, st.vnetsReady.map((a) => Number(resolve(a, ids))), log, wait);
    // An OneError propagates: the caller reports oned's message; later steps never run.
    if (st.args.some((a) => typeof a === 'object' && 'vrouterVms' in a)) {
      await runPerVm(client, st, ids, log, wait);
    } else {
      const result = await client.call(st.method, ...st.args.map((a) => resolve(a, ids)));
      if (st.bind) ids[st.bind] = Number(result);
    }
    done.push(st);
  }
  let vrouter: EnsureResult['vrouter'];
  if (ids.vrouter !== undefined) vrouter = { id: ids.vrouter, ...(await vrouterAddress(client, ids.vrouter)) };
  return { plan, done, ids, vrouter };
}
