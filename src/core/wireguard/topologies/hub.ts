/**
 * Topology `hub`: each host that is not a hub (a spoke) has one home hub, the first hub of
 * its own cluster, else the first hub of `wireguard.hubs` (so the ingress, when it is no
 * hub). A spoke peers only with its home hub, whose AllowedIPs is the whole mesh subnet:
 * every other VTEP is reached through it. The hubs peer with each other and with the spokes
 * homed at them; on a hub, the entry of another hub H carries H's /32 and the /32 of every
 * spoke homed at H, a spoke's entry its /32. The AllowedIPs of one host's peers never
 * overlap (WireGuard sends each address to one peer), and they cover every other host: a
 * packet takes at most three hops (spoke, hub, hub, spoke). Hubs forward
 * (`wireguard_forward`). The output stays O(hosts): the hub table (each spoke once, in its
 * hub's entry) is written once, and a hub's host_vars list only its spokes.
 */
import type { Problem } from '../../errors.js';
import { MAX_HUB_KVM_HOSTS, MAX_HUBS } from '../../fleet-limits.js';
import { meshMembers, type Scenario } from '../../scenario.js';
import { shown } from '../../printable.js';
import type { WireguardHostPlan, WireguardPeer } from '../mesh.js';
import { peerList } from '../render.js';
import type { Topology } from './topology.js';

/**
 * Spoke -> its home hub. The first hub (in `wireguard.hubs` order) of the spoke's own
 * cluster, else the first hub. Hubs are not in the map; names that are no host of the
 * scenario are left out (validation reports them).
 */
export function homeHubs(s: Scenario): Map<string, string> {
  const members = meshMembers(s);
  const clusterOf = new Map(members.map((m) => [m.name, m.cluster]));
  const hubs = s.wireguard.hubs.filter((h) => clusterOf.has(h));
  const isHub = new Set(hubs);
  const first = hubs[0];
  const hubOfCluster = new Map<string, string>();
  for (const h of hubs) {
    const c = clusterOf.get(h);
    if (c !== undefined && !hubOfCluster.has(c)) hubOfCluster.set(c, h);
  }
  const out = new Map<string, string>();
  if (first === undefined) return out;
  for (const m of members) {
    if (isHub.has(m.name)) continue;
    out.set(m.name, (m.cluster !== undefined ? hubOfCluster.get(m.cluster) : undefined) ?? first);
  }
  return out;
}

export const hub: Topology = {
  name: 'hub',
  description: 'each spoke peers with its home hub (the hub of its cluster, else the first hub), the hubs with each other, and the hubs forward',
  maxKvmHosts: MAX_HUB_KVM_HOSTS,
  hasHubs: true,
  choice: (hosts, hubs) => {
    const spokes = Math.max(hosts - hubs, 0);
    return `a spoke peers with 1 hub, a hub with ${Math.max(hubs - 1, 0)} other hub(s) and its spokes (about ${hubs ? Math.ceil(spokes / hubs) : spokes}); up to 3 hops, each one costs throughput and latency (up to ${MAX_HUB_KVM_HOSTS} KVM hosts)`;
  },
  tooManyHosts: (kvms) =>
    `clusters hold ${kvms} KVM hosts but edge-wizard plans a WireGuard hub topology of at most ${MAX_HUB_KVM_HOSTS}: split the hosts into several scenarios.`,
  // At least one hub, at most as many as a full mesh holds, each a host of the scenario, listed once.
  hubsProblems: (hubs, hosts) => {
    const problem = (message: string): Problem[] => [{ field: 'wireguard.hubs', message }];
    if (hubs.length === 0)
      return problem(
        'wireguard.hubs is empty, which leaves the spokes of topology hub without a hub: list at least one hub (the ingress, say), or leave wireguard.hubs out for the ingress and the first KVM host of each cluster.',
      );
    if (hubs.length > MAX_HUBS)
      return problem(
        `wireguard.hubs holds ${hubs.length} hubs but the hubs form a full mesh of at most ${MAX_HUBS}: list fewer hubs in wireguard.hubs (by default every cluster's first KVM host is one).`,
      );
    const out: Problem[] = [];
    const seen = new Map<string, number>();
    hubs.forEach((h, i) => {
      const f = `wireguard.hubs[${i}]`;
      const j = seen.get(h);
      if (!hosts.has(h)) out.push({ field: f, message: `${f} is ${shown(h)}, which is not a host of this scenario: use the ingress name or a KVM host name.` });
      else if (j !== undefined) out.push({ field: f, message: `${f} ${shown(h)} is already wireguard.hubs[${j}]: list each hub once.` });
      else seen.set(h, i);
    });
    return out;
  },
  // As the reflectors: the ingress and the first KVM host of each cluster.
  defaultHubs: (ingress, clusters) => [ingress.name, ...clusters.flatMap((c) => (c.hosts[0] ? [c.hosts[0].name] : []))],

  peers: ({ s, members, table, address, subnet, host }) => {
    // Every spoke's home hub, then each hub's entry with the /32s it routes.
    const home = homeHubs(s);
    const byName = new Map(members.map((m, i) => [m.name, i]));
    const hubNames = [...new Set(s.wireguard.hubs)].filter((h) => byName.has(h));
    const spokesOf = new Map<string, WireguardPeer[]>(hubNames.map((h) => [h, []]));
    for (const [i, m] of members.entries()) {
      const h = home.get(m.name);
      if (h === undefined) continue;
      spokesOf.get(h)!.push({ ...table[i]!, address: address(m.name) });
    }
    const hubEntry = new Map(
      hubNames.map((h) => {
        const own = table[byName.get(h)!]!;
        const routed = [own.allowed_ips, ...spokesOf.get(h)!.map((p) => p.allowed_ips)];
        return [h, { ...own, allowed_ips: routed.join(', '), address: address(h) }];
      }),
    );
    const hubs = hubNames.map((h) => hubEntry.get(h)!);
    const hosts = members.map((m): WireguardHostPlan => {
      const h = home.get(m.name);
      if (h !== undefined) {
        // A spoke: its home hub carries the whole subnet.
        return { ...host(m, [{ ...hubEntry.get(h)!, allowed_ips: subnet }]), place: 'spoke', home: h };
      }
      const spokes = spokesOf.get(m.name) ?? [];
      return { ...host(m, [...hubs.filter((p) => p.name !== m.name), ...spokes]), place: 'hub', spokes };
    });
    return { hosts, hubs };
  },

  /**
   * The hub table once (each hub with the /32s it routes, so each spoke is written once), and
   * the mesh table every host in peer form as in a full mesh (for playbooks that look a host
   * up). A hub's `wireguard_peers` is the other hubs and the spokes of its host_vars; a
   * spoke's, in its host_vars, its hub.
   */
  renderMeshVars: (scenario, mesh) => `---
# The WireGuard hub topology of edge-wizard scenario "${scenario}": the hubs, each with the
# addresses it routes (its own and its spokes'), and every host in peer form.
# Generated by \`edge-wizard generate\`; edits here are overwritten. A hub's peers are the other
# hubs and its wireguard_spokes (host_vars); a spoke's wireguard_peers, its home hub, is in its
# host_vars (roles/wireguard, playbooks/precheck.yml and verify.yml read wireguard_peers).
wireguard_peers: "{{ (wireguard_hubs | rejectattr('name', 'equalto', inventory_hostname) | list) + (wireguard_spokes | d([])) }}"
${peerList('wireguard_hubs', mesh.hubs)}${peerList('wireguard_mesh', mesh.table)}`,

  /**
   * O(hosts): the hubs, and each host's planned peers apart from the hub-to-hub mesh (a spoke:
   * its home hub; a hub: its spokes; precheck adds the other hubs to a hub's).
   */
  precheckVars: (mesh) => ({
    ew_wireguard_hubs: mesh.hubs.map((p) => p.name),
    ew_wireguard_peers: Object.fromEntries(
      mesh.hosts.map((h) => [h.name, h.place === 'hub' ? (h.spokes ?? []).map((p) => p.name) : h.peers.map((p) => p.name)]),
    ),
  }),

  /** Every pair of hubs, and each spoke with its home hub. */
  tunnels: (s) => {
    const home = homeHubs(s);
    const hubs = meshMembers(s)
      .map((m) => m.name)
      .filter((h) => !home.has(h));
    return [...hubs.flatMap((a, i) => hubs.slice(i + 1).map((b): [string, string] => [a, b])), ...[...home].map(([spoke, h]): [string, string] => [h, spoke])];
  },

  graphLines: (iface, hosts) => [`${iface} hub`, `${hosts} hosts`],
  graphName: (s, tunnels) => `hub topology (hubs: ${tunnels ? s.wireguard.hubs.join(', ') : 'none'})`,

  // A peer of every host only in a full mesh (a spoke reaches everything through its hub).
  joinProblem: (field, join) =>
    join === 'mesh'
      ? `${field} is mesh but wireguard.topology is hub, where a spoke reaches every other address through its hub: use join: ingress.`
      : undefined,

  // The ingress must be a hub, or its own hub's entry (the whole subnet) would overlap a gateway's /32.
  interconnectProblems: (s) =>
    s.wireguard.hubs.includes(s.ingress.name)
      ? []
      : [
          {
            field: 'wireguard.hubs',
            message: `wireguard.hubs leaves out ${s.ingress.name}, the ingress, which holds the interconnect gateways' sessions and WireGuard peers: add it to wireguard.hubs (a spoke reaches every address through its hub, the gateways' too).`,
          },
        ],
};
