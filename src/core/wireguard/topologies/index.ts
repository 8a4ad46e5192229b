/**
 * The registry of WireGuard topologies (topology.ts), one line each: wireguard.topology ->
 * its module. A name here is also in core/scenario.ts WIREGUARD_TOPOLOGIES (the schema's
 * enum; the compiler checks the two lists match).
 */
import type { Scenario, WireguardTopology } from '../../scenario.js';
import { hub } from './hub.js';
import { mesh } from './mesh.js';
import type { Topology } from './topology.js';

const TOPOLOGIES: Record<WireguardTopology, Topology> = { mesh, hub };

/** The module of a topology by name; undefined for a name that is none (before the schema is checked). */
export function topology(name: string): Topology | undefined {
  return Object.hasOwn(TOPOLOGIES, name) ? TOPOLOGIES[name as WireguardTopology] : undefined;
}

/** The module of a scenario's topology (after validation). */
export const topologyOf = (s: { wireguard: Pick<Scenario['wireguard'], 'topology'> }): Topology => TOPOLOGIES[s.wireguard.topology];
