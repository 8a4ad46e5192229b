/**
 * The OpenNebula objects edge-wizard plans, one planner each (planner.ts), in the order their
 * checks and calls run (core/opennebula/plan.ts planOne). A new kind of object: a module here
 * and its line below.
 */
import { cluster } from './cluster.js';
import { datastores } from './datastores.js';
import { hosts } from './hosts.js';
import { evpnNetworks, publicNetworks } from './networks.js';
import type { ObjectPlanner } from './planner.js';
import { vrouter } from './vrouter.js';

export const PLANNERS: readonly ObjectPlanner[] = [cluster, hosts, datastores, publicNetworks, evpnNetworks, vrouter];
