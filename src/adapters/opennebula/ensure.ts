/**
 * Ensures the OpenNebula side of the scenario: reads the pools, plans with
 * core/opennebula/plan.ts, runs the write calls in order and stops at the
 * first error oned reports (nothing is attempted after it).
 */
import type { Scenario } from '../../core/scenario.js';
import { planOne, needsAppliance, formatStep, type OnePlan, type Step, type StepArg } from '../../core/opennebula/plan.js';
import type { OneClient, XmlRpcValue } from './xmlrpc.js';
import { readState, readApps, vrouterAddress } from './pools.js';

export interface EnsureResult {
  plan: OnePlan;
  /** Steps actually run (all of them unless dry-run). */
  done: Step[];
  ids: Record<string, number>;
  vrouter?: { id: number; vm?: number; ip?: string };
}

export interface EnsureOptions {
  dryRun?: boolean;
  log?: (line: string) => void;
}

export async function discoverAndPlan(client: OneClient, s: Scenario): Promise<OnePlan> {
  const state = await readState(client);
  if (needsAppliance(s, state)) state.apps = await readApps(client);
  return planOne(s, state);
}

function resolve(arg: StepArg, ids: Record<string, number>): XmlRpcValue {
  if (typeof arg !== 'object') return arg;
  const lookup = (name: string): number => {
    const id = ids[name];
    if (id === undefined) throw new Error(`internal: step needs <${name}> before it was created`);
    return id;
  };
  if ('ref' in arg) return lookup(arg.ref);
  return arg.interpolate.replace(/@\{(\w+)\}/g, (_m, name: string) => String(lookup(name)));
}

export async function ensureOne(client: OneClient, s: Scenario, opts: EnsureOptions = {}): Promise<EnsureResult> {
  const log = opts.log ?? (() => {});
  const plan = await discoverAndPlan(client, s);
  const ids = { ...plan.known };
  const done: Step[] = [];
  if (opts.dryRun) {
    for (const st of plan.steps) log(formatStep(st));
    return { plan, done, ids };
  }
  for (const st of plan.steps) {
    log(st.title);
    // An OneError propagates: the caller reports oned's message; later steps never run.
    const result = await client.call(st.method, ...st.args.map((a) => resolve(a, ids)));
    if (st.bind) ids[st.bind] = Number(result);
    done.push(st);
  }
  let vrouter: EnsureResult['vrouter'];
  if (ids.vrouter !== undefined) vrouter = { id: ids.vrouter, ...(await vrouterAddress(client, ids.vrouter)) };
  return { plan, done, ids, vrouter };
}
