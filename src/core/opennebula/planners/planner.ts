/**
 * What one OpenNebula object's planner is (core/opennebula/plan.ts planOne runs them, in the
 * order of index.ts). Planning has two passes over the list: every planner's `find` looks its
 * objects up in oned's pools and checks every precondition oned would refuse half-way (a failure
 * is one sentence in `problems`); only when none failed does every planner's `plan` add the calls
 * (`steps`) that bring its objects to the scenario's shape. What a planner found, a later one may
 * read (`found`).
 */
import type { EvpnNetwork, KvmHost, Scenario } from '../../scenario.js';
import type { OneCluster, OneDatastore, OneHost, OneState, OneVnet } from '../state.js';

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

/** What the planners found in oned's pools, for the planners after them (filled in list order). */
export interface Found {
  /** cluster.ts: the scenario's cluster (by name, else by marker), and the name steps call it by. */
  cluster?: OneCluster;
  clusterRenamed?: boolean;
  clusterLabel: string;
  /** hosts.ts: each KVM host of the scenario with its OpenNebula host (undefined: not one, a problem), and their provisions. */
  hosts: Array<{ host: KvmHost; cluster: string; one?: OneHost }>;
  provisionIds: Set<string>;
  /** datastores.ts: the scenario's image and system datastores of datastores.mode. */
  datastores: OneDatastore[];
  /** public-networks.ts: each cluster's public network (undefined: oned has none of that name). */
  publics: Array<{ cluster: Scenario['clusters'][number]; vn?: OneVnet }>;
  /** evpn-networks.ts: each EVPN network and the VNET that is it, if any. */
  networks: Array<{ n: EvpnNetwork; found?: OneVnet; renamed?: boolean }>;
}

export interface PlanContext {
  s: Scenario;
  state: OneState;
  found: Found;
  /** `find`: one sentence per precondition that fails (planOne throws them all, before any call). */
  problems: string[];
  /** `plan`: the calls, in order. */
  steps: Step[];
  /** IDs known before any call (adopted objects), by the names steps refer to. */
  known: Record<string, number>;
  warnings: string[];
  /** The vrouter to report on after apply (vrouter.ts). */
  vrouterName?: string;
}

/**
 * One kind of OpenNebula object: how it is found and checked, then planned. `find` returns what
 * its own `plan` needs (what later planners need goes in `ctx.found`).
 */
export interface ObjectPlanner<Own = unknown> {
  /** The object, in a few words ("cluster", "EVPN networks"). */
  object: string;
  find(ctx: PlanContext): Own;
  plan(ctx: PlanContext, own: Own): void;
}

/** Whether the scenario's cluster, as found, already holds the object. */
export const inCluster = (found: Found, list: 'hosts' | 'datastores' | 'vnets', id: number): boolean => !!found.cluster && found.cluster[list].includes(id);

/** The scenario's cluster in a step's arguments: its ID, known or bound by cluster.ts. */
export const clusterRef = (): StepArg => ({ ref: 'cluster' });
