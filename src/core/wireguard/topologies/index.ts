/**
 * The registry of WireGuard topologies (topology.ts), one line each: wireguard.topology ->
 * its module. The schema's enum is this registry's keys (core/schema.ts), and the
 * WireguardTopology type is generated from the schema (`npm run schema`; lint fails while it is
 * stale). This module and the topologies import neither the schema nor validation, so the schema
 * can import it.
 */
import type { Scenario } from '../../scenario.js';
import { hub } from './hub.js';
import { mesh } from './mesh.js';
import type { Topology } from './topology.js';

const TOPOLOGIES = { mesh, hub } satisfies Record<string, Topology>;

/** wireguard.topology's values, in registry order: the schema's enum. */
export const TOPOLOGY_NAMES = Object.keys(TOPOLOGIES) as Array<keyof typeof TOPOLOGIES>;

/** The schema's description of wireguard.topology: each topology's own words. */
export const TOPOLOGY_DESCRIPTION = `${Object.values(TOPOLOGIES)
  .map((t: Topology) => `${t.name}: ${t.description}`)
  .join('; ')}.`;

/** The module of a topology by name; undefined for a name that is none (before the schema is checked). */
export function topology(name: string): Topology | undefined {
  return Object.hasOwn(TOPOLOGIES, name) ? TOPOLOGIES[name as keyof typeof TOPOLOGIES] : undefined;
}

/** The module of a scenario's topology (after validation). */
export const topologyOf = (s: { wireguard: Pick<Scenario['wireguard'], 'topology'> }): Topology => TOPOLOGIES[s.wireguard.topology];
