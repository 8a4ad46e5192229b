/**
 * Ensures the OpenNebula side of the scenario: reads the pools, plans with
 * core/opennebula/plan.ts (every precondition checked there, before the first
 * write), runs the write calls in order and stops at the first error oned
 * reports (nothing is attempted after it). The Virtual Router's VM is created
 * on hold and released here once its disk image has been copied, then checked
 * not to be on HOLD.
 */
import { hostname } from 'node:os';
import type { Scenario } from '../../core/scenario.js';
import {
  planOne,
  needsAppliance,
  formatStep,
  vmStateName,
  leftoverCommands,
  PlanProblems,
  VR_APP_NAME,
  type OnePlan,
  type Step,
  type StepArg,
} from '../../core/opennebula/plan.js';
import {
  IMAGE_COPYING,
  IMAGE_STATE,
  VM_CLONING,
  VM_CLONING_FAILURE,
  VM_HOLD,
  VNET_ERROR,
  VNET_READY,
  VNET_STATE,
  VNET_UPDATE_FAILURE,
  type OneImage,
} from '../../core/opennebula/state.js';
import { OneError, type OneClient, type XmlRpcValue } from './xmlrpc.js';
import { renderTemplate } from '../../core/opennebula/template.js';
import { readState, readApps, readImage, readVm, readVnetState, vrouterAddress, vrouterVmIds, parseXml } from './pools.js';

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
  /**
   * A copy this run did not start (or one oned was restarted during) that shows no change for this
   * long is called stalled: oned never resumes a copy whose driver answer was lost.
   */
  stallMs: number;
  /** A line at least this often while waiting. */
  progressMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** The scenario's lock in oned: a document of this type named `edge-wizard lock <scenario>`. */
export const LOCK_DOCUMENT_TYPE = 2727;
export interface LockOptions {
  /** How long a second run waits for the first before refusing. */
  waitMs: number;
  pollMs: number;
  /** Written into the lock (HOLDER) for the message another run prints: `host pid N`. */
  owner?: string;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Whether a process of this host still runs (a lock left by a dead run here is taken over). */
  alive?: (pid: number) => boolean;
}

export interface EnsureOptions {
  dryRun?: boolean;
  log?: (line: string) => void;
  /** Each warning, as soon as the plan is made (before any write call). */
  warn?: (line: string) => void;
  wait?: Partial<WaitOptions>;
  /** The scenario's lock (dry runs take none); `false` takes none (tests of the lock's absence). */
  lock?: Partial<LockOptions> | false;
}

export class VrouterNotReleased extends Error {}
export class NetworkNotReady extends Error {}
export class LockHeld extends Error {}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export function lockName(s: Scenario): string {
  return `edge-wizard lock ${s.name}`;
}

/**
 * Serialises runs on one scenario through oned itself (several controllers may share it): one
 * document per scenario, taken with one.document.lock(id, 3, test=true), which oned refuses while
 * the document is locked (src/rm/RequestManagerLock.cc:86-92, PoolObjectSQL::test_lock_db): an atomic
 * test-and-set, since oneadmin would otherwise override any lock (PoolObjectSQL::lock_db). Level 3
 * (ADMIN) leaves MANAGE operations such as one.document.update allowed (AclManager::oneadmin_authorize:
 * refused only when LOCKED <= operation), so the holder writes who it is. Returns the release.
 */
export async function takeLock(client: OneClient, s: Scenario, o: LockOptions, log: (l: string) => void): Promise<() => Promise<void>> {
  const sleep = o.sleep ?? realSleep;
  const now = o.now ?? Date.now;
  const alive = o.alive ?? isAlive;
  const owner = o.owner ?? `${hostname()} pid ${process.pid}`;
  const name = lockName(s);
  const list = async () => {
    const docs = await lockDocuments(client);
    return docs.filter((d) => String(d.NAME) === name).sort((a, b) => Number(a.ID) - Number(b.ID));
  };
  let docs = await list();
  if (!docs.length) {
    // Names of documents are not unique (DocumentAllocate): two first runs may both create one; both then use the lowest ID.
    await client.call(
      'one.document.allocate',
      renderTemplate([
        ['NAME', name],
        ['EDGE_WIZARD_SCENARIO', s.name],
      ]),
      LOCK_DOCUMENT_TYPE,
    );
    docs = await list();
  }
  const id = Number(docs[0]!.ID);
  const deadline = now() + o.waitMs;
  let said = false;
  for (;;) {
    try {
      await client.call('one.document.lock', id, 3, true);
      break;
    } catch (e) {
      if (!(e instanceof OneError) || e.code !== 0x0800) throw e;
    }
    const d = (parseXml(String(await client.call('one.document.info', id, false))).DOCUMENT ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const holder = d.TEMPLATE?.HOLDER ? String(d.TEMPLATE.HOLDER) : 'a run that has not said who it is';
    const since = d.LOCK?.TIME ? new Date(Number(d.LOCK.TIME) * 1000).toISOString().replace(/\.\d+Z$/, 'Z') : 'a moment ago';
    const m = /^(.*) pid (\d+)$/.exec(holder);
    if (m && m[1] === hostname() && !alive(Number(m[2]))) {
      log(`the lock of scenario ${s.name} (document ${id}) was left by ${holder}, which no longer runs: taking it over`);
      await client.call('one.document.unlock', id);
      continue;
    }
    if (now() >= deadline) {
      throw new LockHeld(
        `Another edge-wizard one run on scenario "${s.name}" holds its lock in OpenNebula (document ${id}, taken at ${since} by ${holder}): wait for it to finish and run again; if that run is gone, release the lock with "edge-wizard one -f <scenario file> --unlock".`,
      );
    }
    if (!said) log(`waiting for another edge-wizard one run on scenario ${s.name} (${holder}, since ${since}) to finish`);
    said = true;
    await sleep(o.pollMs);
  }
  await client.call('one.document.update', id, renderTemplate([['HOLDER', owner]]), 1);
  return async () => {
    await client.call('one.document.unlock', id).catch(() => undefined);
  };
}

/** Every lock document in oned (of any scenario). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function lockDocuments(client: OneClient): Promise<Record<string, any>[]> {
  const pool = parseXml(String(await client.call('one.documentpool.info', -2, -1, -1, LOCK_DOCUMENT_TYPE)));
  return pool.DOCUMENT_POOL?.DOCUMENT ?? [];
}

/** Releases the scenario's lock whoever holds it (after a run that died): `edge-wizard one --unlock`. */
export async function breakLock(client: OneClient, s: Scenario): Promise<number | undefined> {
  const docs = await lockDocuments(client);
  const mine = docs.filter((d) => String(d.NAME) === lockName(s));
  for (const d of mine) await client.call('one.document.unlock', Number(d.ID));
  return mine.length ? Number(mine[0]!.ID) : undefined;
}

/** Waits until each network is READY (or UPDATE_FAILURE, which takes leases too); ERROR is the network's message. */
async function waitVnetsReady(client: OneClient, vnets: number[], log: (l: string) => void, w: WaitOptions): Promise<void> {
  const sleep = w.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = w.now ?? Date.now;
  for (const id of vnets) {
    const deadline = now() + w.timeoutMs;
    let poll = w.pollMs;
    let v = await readVnetState(client, id);
    if (v.state !== VNET_READY && v.state !== VNET_UPDATE_FAILURE)
      log(`network ${v.name} (ID ${id}) is ${VNET_STATE[v.state] ?? v.state}: waiting for it to be READY`);
    while (v.state !== VNET_READY && v.state !== VNET_UPDATE_FAILURE) {
      if (v.state === VNET_ERROR)
        throw new NetworkNotReady(
          `The virtual network ${v.name} (ID ${id}) went to ERROR${v.error ? ` (${v.error})` : ''}: fix it (onevnet recover ${id}) or delete it, then run again.`,
        );
      if (now() > deadline)
        throw new NetworkNotReady(
          `The virtual network ${v.name} (ID ${id}) is still ${VNET_STATE[v.state] ?? v.state} after ${Math.round(w.timeoutMs / 1000)} s: check its driver in oned.log, then run again.`,
        );
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

/** Whether an error is oned being unreachable (restarting), not an answer. */
const unreachable = (e: unknown) =>
  e instanceof Error && !(e instanceof OneError) && /ECONNREFUSED|ECONNRESET|socket hang up|no answer from oned|HTTP 5\d\d/.test(e.message);

/**
 * Runs a step whose argument is each VM of a virtual router: waits until the VM's disk image
 * is copied (it leaves CLONING), calls the method for the VMs on HOLD, then checks none is
 * left on HOLD. While waiting it says so at least every `progressMs`; a copy this run did not start
 * (or one oned restarted during: a poll refused, then answered) that changes nothing for `stallMs`
 * is reported as lost, with the commands that clear it.
 */
async function runPerVm(
  client: OneClient,
  s: Scenario,
  st: Step,
  ids: Record<string, number>,
  log: (l: string) => void,
  w: WaitOptions,
  started: Set<number>,
): Promise<void> {
  const which = st.args.find((a): a is { vrouterVms: string } => typeof a === 'object' && 'vrouterVms' in a)!;
  const vrouter = lookup(ids, which.vrouterVms);
  const sleep = w.sleep ?? realSleep;
  const now = w.now ?? Date.now;
  for (const vmId of await vrouterVmIds(client, vrouter)) {
    const deadline = now() + w.timeoutMs;
    let vm = await readVm(client, vmId);
    let poll = w.pollMs;
    let restarted = false;
    let seen = '';
    let changedAt = now();
    let saidAt = now();
    let images: OneImage[] = [];
    if (vm.state === VM_CLONING) log(`VM ${vmId} of virtual router ${vrouter}: waiting for its disk image to be copied (CLONING)`);
    while (vm.state === VM_CLONING) {
      images = await Promise.all(vm.images.map((id) => readImage(client, id)));
      const copying = images.filter((i) => IMAGE_COPYING.has(i.state));
      const sig = JSON.stringify([vm.state, images.map((i) => [i.id, i.state])]);
      if (sig !== seen) {
        seen = sig;
        changedAt = now();
      }
      const watched = restarted || copying.some((i) => !started.has(i.id));
      if (watched && copying.length && now() - changedAt >= w.stallMs) {
        const img = copying[0]!;
        const state = await readState(client, s);
        const since = img.regtime ? ` since ${new Date(img.regtime * 1000).toISOString().replace(/\.\d+Z$/, 'Z')}` : '';
        throw new VrouterNotReleased(
          `The "${VR_APP_NAME}" image "${img.name}" (ID ${img.id}) has been ${IMAGE_STATE[img.state]}${since} and nothing about it or VM ${vmId} changed in ${Math.round(w.stallMs / 1000)} s${restarted ? ', and oned restarted meanwhile' : ''}: oned never resumes a copy interrupted by its restart, so if oned restarted since the copy began, clear it with ${leftoverCommands(img, { templates: state.templates, vrouter_vms: [] }, [vmId])}, in that order, and run edge-wizard one again (it exports the appliance again); if not, the download is only slow: run edge-wizard one again later.`,
        );
      }
      if (now() > deadline) {
        throw new VrouterNotReleased(
          `VM ${vmId} of virtual router ${vrouter} is still CLONING after ${Math.round(w.timeoutMs / 1000)} s (its disk image is still being copied): run edge-wizard one again later, it releases the VM once the image is READY.`,
        );
      }
      if (now() - saidAt >= w.progressMs) {
        const img = copying[0];
        const age = img?.regtime ? `, ${Math.round(now() / 1000 - img.regtime)} s since the copy began` : '';
        log(`VM ${vmId}: still waiting for image ${img ? `${img.id} (${IMAGE_STATE[img.state]}${age})` : 'copy'}`);
        saidAt = now();
      }
      await sleep(poll);
      poll = Math.min(poll * 2, 5000);
      for (;;) {
        try {
          vm = await readVm(client, vmId);
          break;
        } catch (e) {
          if (!unreachable(e) || now() > deadline) throw e;
          // oned went away (a restart): the copy's answer may be lost; watch it as a copy not ours.
          if (!restarted) log(`oned does not answer (${(e as Error).message}): waiting for it to come back`);
          restarted = true;
          await sleep(poll);
        }
      }
    }
    if (vm.state === VM_CLONING_FAILURE) {
      // The image went to ERROR: the plan names every object it left, in the order oned removes them.
      try {
        await discoverAndPlan(client, s);
      } catch (e) {
        if (e instanceof PlanProblems) throw new VrouterNotReleased(e.problems.join(' '));
        throw e;
      }
      throw new VrouterNotReleased(
        `VM ${vmId} of virtual router ${vrouter} is in CLONING_FAILURE (its disk image could not be copied): check the image with "oneimage show", remove the VM ("onevm recover --delete ${vmId}"), then run again.`,
      );
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
  const wait: WaitOptions = { timeoutMs: 30 * 60_000, pollMs: 250, stallMs: 120_000, progressMs: 30_000, ...opts.wait };
  if (opts.dryRun) {
    const plan = await discoverAndPlan(client, s);
    for (const w of plan.warnings) opts.warn?.(w);
    for (const st of plan.steps) log(formatStep(st));
    return { plan, done: [], ids: { ...plan.known } };
  }
  const release = opts.lock === false ? undefined : await takeLock(client, s, { waitMs: 15 * 60_000, pollMs: 2000, ...opts.lock }, log);
  try {
    const plan = await discoverAndPlan(client, s);
    for (const w of plan.warnings) opts.warn?.(w);
    const ids = { ...plan.known };
    const done: Step[] = [];
    const started = new Set<number>();
    for (const st of plan.steps) {
      log(st.title);
      if (st.vnetsReady?.length)
        await waitVnetsReady(
          client,
          st.vnetsReady.map((a) => Number(resolve(a, ids))),
          log,
          wait,
        );
      // An OneError propagates: the caller reports oned's message; later steps never run.
      if (st.args.some((a) => typeof a === 'object' && 'vrouterVms' in a)) {
        await runPerVm(client, s, st, ids, log, wait, started);
      } else {
        const result = await client.call(st.method, ...st.args.map((a) => resolve(a, ids))).catch(async (e: unknown) => {
          // The image failed before its VM was made ("Cannot acquire image N, it is in state: ERROR",
          // ImageManager::acquire_image): the plan now names every leftover, in order.
          if (e instanceof OneError && /Cannot acquire image/.test(e.oneMessage)) {
            await discoverAndPlan(client, s).catch((p: unknown) => {
              if (p instanceof PlanProblems) throw new VrouterNotReleased(p.problems.join(' '));
            });
          }
          throw e;
        });
        if (st.bind) ids[st.bind] = Number(result);
        if (st.method === 'one.image.allocate') started.add(Number(result));
      }
      done.push(st);
    }
    let vrouter: EnsureResult['vrouter'];
    if (ids.vrouter !== undefined) vrouter = { id: ids.vrouter, ...(await vrouterAddress(client, ids.vrouter)) };
    return { plan, done, ids, vrouter };
  } finally {
    await release?.();
  }
}
