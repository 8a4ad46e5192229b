/**
 * What a WireGuard topology is (wireguard.topology): who peers with whom, the defaults that
 * depend on it, the files and checks that differ, and how the graph draws it. One module per
 * topology in this folder, each one object of this interface; index.ts is the registry.
 * Adding a topology: a file here and a line in index.ts (then `npm run schema`: the schema's
 * enum and the generated types follow the registry).
 */
import type { Problem } from '../../errors.js';
import type { InterconnectJoin, MeshMember, Scenario } from '../../scenario.js';
import type { MeshPlan, WireguardHostPlan, WireguardPeer } from '../mesh.js';

/** What planMesh hands a topology to plan each host's peers. */
export interface PeerContext {
  s: Scenario;
  /** Every mesh host, ingress first, in file order. */
  members: MeshMember[];
  /** Every member in peer form, by member index: its /32 (the ingress's also carries the /32 of gateways that join through it). */
  table: WireguardPeer[];
  /** A host's address in the mesh, without prefix. */
  address: (name: string) => string;
  /** The mesh subnet as its network address (a.b.c.d/n). */
  subnet: string;
  /** A member's plan with the given peers (address, port, MTU and its interconnect gateways filled in). */
  host: (m: MeshMember, peers: WireguardPeer[]) => WireguardHostPlan;
}

export interface Topology {
  /** Its wireguard.topology value. */
  name: string;
  /** Who peers with whom, in a few words: the schema's description of wireguard.topology ("name: description; ..."). */
  description: string;
  /** The most KVM hosts it plans: past it, core/validate.ts says `tooManyHosts` and checks nothing else. */
  maxKvmHosts: number;
  /** The sentence refusing a scenario of `kvms` KVM hosts, more than `maxKvmHosts`. */
  tooManyHosts(kvms: number): string;
  /** Problems with wireguard.hubs in this topology (core/validate.ts); `hosts`: the names of the mesh hosts. */
  hubsProblems(hubs: string[], hosts: Set<string>): Problem[];
  /** Whether it reads wireguard.hubs: the init wizard asks for hubs, and keeps them, only then (cli/prompts/advanced.ts). */
  hasHubs: boolean;
  /** The init wizard's words for it, given the mesh hosts and the hubs: peers per host, hops, its limit. */
  choice(hosts: number, hubs: number): string;
  /** wireguard.hubs when the file names none (core/defaults.ts). */
  defaultHubs(ingress: { name: string }, clusters: Array<{ hosts: Array<{ name: string }> }>): string[];
  /** Each host's plan (MeshPlan.hosts), and the hub table (MeshPlan.hubs; `[]` without hubs). */
  peers(ctx: PeerContext): { hosts: WireguardHostPlan[]; hubs: WireguardPeer[] };
  /** group_vars/all/wireguard.yml (wireguard/render.ts MESH_VARS_PATH): the table written once, and each host's `wireguard_peers`. */
  renderMeshVars(scenario: string, mesh: MeshPlan): string;
  /** What playbooks/precheck.yml compares each host's `wireguard_peers` with, as extra vars (`{}`: every other mesh host). */
  precheckVars(mesh: MeshPlan): Record<string, unknown>;
  /** The tunnels as planned, each pair once (core/graph.ts draws them). */
  tunnels(s: Scenario): Array<[string, string]>;
  /** The graph's note of a cluster's share of the overlay when hosts are drawn per cluster. */
  graphLines(iface: string, hosts: number): string[];
  /** The graph's words for the overlay, given its planned tunnels ("full mesh"). */
  graphName(s: Scenario, tunnels: number): string;
  /** The sentence refusing interconnect[i].join (`field`) in this topology, if it does (core/interconnect/validate.ts). */
  joinProblem(field: string, join: InterconnectJoin): string | undefined;
  /** Problems this topology has with a scenario that has interconnect gateways (core/interconnect/validate.ts). */
  interconnectProblems(s: Scenario): Problem[];
}
