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
import type { Scenario } from '../scenario.js';
import { VM_STATE, type OneState } from './state.js';
import { PLANNERS } from './planners/index.js';
import type { Found, PlanContext, Step } from './planners/planner.js';
import { clusterName } from './objects.js';

// What the adapter and the CLI use, from one place: the objects' helpers and the step types.
export * from './objects.js';
export type { Step, StepArg } from './planners/planner.js';

export interface OnePlan {
  steps: Step[];
  /** IDs known before any call (adopted objects). */
  known: Record<string, number>;
  warnings: string[];
  /** The vrouter to report on after apply (ref or known name `vrouter`). */
  vrouterName?: string;
}

export class PlanProblems extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/**
 * The calls that bring oned to the scenario's shape: every planner of planners/index.ts finds its
 * objects and checks their preconditions, then (none failed) plans its calls, in list order.
 * The public-IP budget and the VR's cluster are the scenario validator's (core/validate.ts): checked once, before any call.
 */
export function planOne(s: Scenario, state: OneState): OnePlan {
  const found: Found = { clusterLabel: clusterName(s), hosts: [], provisionIds: new Set(), datastores: [], publics: [], networks: [] };
  const ctx: PlanContext = { s, state, found, problems: [], steps: [], known: {}, warnings: [] };
  const own = PLANNERS.map((p) => p.find(ctx));
  if (ctx.problems.length) throw new PlanProblems([...new Set(ctx.problems)]);
  PLANNERS.forEach((p, i) => p.plan(ctx, own[i]));
  return { steps: ctx.steps, known: ctx.known, warnings: ctx.warnings, vrouterName: ctx.vrouterName };
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
