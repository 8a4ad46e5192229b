/**
 * The WireGuard peer plan, computed here; templates only print it.
 *
 * Topology `mesh`: every mesh host (ingress and KVM hosts) gets one peer per other
 * host, with its public endpoint and a /32 AllowedIPs. The inventory holds the table
 * once (every host in peer form); each host's peers are the table without itself.
 *
 * Topology `hub`: each host that is not a hub (a spoke) has one home hub, the first
 * hub of its own cluster, else the first hub of `wireguard.hubs` (so the ingress, when
 * it is no hub). A spoke peers only with its home hub, whose AllowedIPs is the whole
 * mesh subnet: every other VTEP is reached through it. The hubs peer with each other and
 * with the spokes homed at them; on a hub, the entry of another hub H carries H's /32
 * and the /32 of every spoke homed at H, a spoke's entry its /32. The AllowedIPs of one
 * host's peers never overlap (WireGuard sends each address to one peer), and they cover
 * every other host: a packet takes at most three hops (spoke, hub, hub, spoke). Hubs
 * forward (`wireguard_forward`). The output stays O(hosts): the hub table (each spoke
 * once, in its hub's entry) is written once, and a hub's host_vars list only its spokes.
 *
 * Interconnect peers (external EVPN gateways, `interconnect`) are not hosts: they are
 * `external` peers with their own public key. The ingress peers with every gateway.
 * `join: ingress`: only the ingress does, and the ingress's entry (in every other host's
 * peers, whatever the topology) carries the gateway's /32 too, so the KVM hosts reach its
 * VTEP through the ingress, which forwards. `join: mesh`: every host peers with it.
 * Either way one host's AllowedIPs stay disjoint: a gateway's /32 is in exactly one peer.
 */
import type { Scenario, WireguardTopology } from '../scenario.js';
import { meshMembers } from '../scenario.js';
import { cidrString, family, parseCidr4 } from '../net.js';
import { interconnectKey, planAddresses, type AddressBook } from './addresses.js';

export interface WireguardPeer {
  name: string;
  endpoint: string;
  allowed_ips: string;
  persistent_keepalive: number;
  /**
   * Topology hub only: the peer's own address (no prefix), which `allowed_ips` may
   * outgrow (a home hub's is the subnet): what verify.yml probes.
   */
  address?: string;
}

/** A WireGuard peer that is no inventory host (an interconnect gateway): its key is given, not made. */
export interface ExternalPeer {
  name: string;
  /** Its address in the mesh subnet (no prefix). */
  address: string;
  public_key: string;
  endpoint: string;
  allowed_ips: string;
  persistent_keepalive: number;
}

export interface WireguardHostPlan {
  name: string;
  role: 'ingress' | 'kvm';
  /** Address without prefix. */
  ip: string;
  /** Address with the subnet's prefix, as wg-quick's Address. */
  address: string;
  interface: string;
  port: number;
  mtu: number;
  peers: WireguardPeer[];
  /** Topology hub only: `hub` (peers with the other hubs, forwards) or `spoke`. */
  place?: 'hub' | 'spoke';
  /** Topology hub, on a hub: the spokes homed at it, in peer form (the tail of `peers`). */
  spokes?: WireguardPeer[];
  /** Topology hub, on a spoke: its home hub. */
  home?: string;
  /** Interconnect gateways this host peers with (set only when there are some). */
  external?: ExternalPeer[];
  /** Forwards on wg0 although it is no hub: the ingress of `join: ingress` gateways. */
  forward?: boolean;
}

export interface MeshPlan {
  topology: WireguardTopology;
  /** The mesh subnet as its network address (a.b.c.d/n): the route on every host's wg0. */
  subnet: string;
  prefix: number;
  hosts: WireguardHostPlan[];
  /** Every host in peer form with its /32, written once (group_vars/all/wireguard.yml); in a full mesh a host's peers are the others. */
  table: WireguardPeer[];
  /** Topology hub: every hub in peer form, its AllowedIPs its own /32 and its spokes' (a hub's peers are the other hubs and its spokes); `[]` for a mesh. */
  hubs: WireguardPeer[];
  /** The interconnect gateways in peer form, in scenario order (set only when there are some). */
  gateways?: ExternalPeer[];
}

export function endpoint(ip: string, port: number): string {
  return family(ip) === 'ipv6' ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function planMesh(s: Scenario, previous: AddressBook = {}): MeshPlan {
  const prefix = Number(s.wireguard.subnet.split('/')[1]);
  const book = planAddresses(s, previous);
  const members = meshMembers(s);
  const net = parseCidr4(s.wireguard.subnet);
  const subnet = net ? cidrString(net) : s.wireguard.subnet;
  const interconnect = s.interconnect ?? [];
  const gateways = interconnect.map(
    (p): ExternalPeer => ({
      name: p.name,
      address: book[interconnectKey(p.name)]!,
      public_key: p.public_key,
      endpoint: endpoint(p.endpoint, p.port),
      allowed_ips: `${book[interconnectKey(p.name)]}/32`,
      persistent_keepalive: s.wireguard.keepalive,
    }),
  );
  // The /32s of the gateways that join through the ingress: the ingress's entry carries them.
  const viaIngress = gateways.filter((_, i) => interconnect[i]!.join === 'ingress').map((g) => g.allowed_ips);
  const peerOf = members.map((m): WireguardPeer => {
    const own = {
      name: m.name,
      endpoint: endpoint(m.public_ip, s.wireguard.port),
      allowed_ips: `${book[m.name]}/32`,
      persistent_keepalive: s.wireguard.keepalive,
    };
    if (m.role !== 'ingress' || viaIngress.length === 0) return own;
    return { ...own, allowed_ips: [own.allowed_ips, ...viaIngress].join(', '), address: book[m.name]! };
  });
  const host = (m: (typeof members)[number], peers: WireguardPeer[]): WireguardHostPlan => {
    const plan: WireguardHostPlan = {
      name: m.name,
      role: m.role,
      ip: book[m.name]!,
      address: `${book[m.name]}/${prefix}`,
      interface: s.wireguard.interface,
      port: s.wireguard.port,
      mtu: s.wireguard.mtu,
      peers,
    };
    // The ingress peers with every gateway (it holds their BGP sessions); the others with those that join the mesh.
    const external = gateways.filter((_, i) => m.role === 'ingress' || interconnect[i]!.join === 'mesh');
    if (external.length > 0) plan.external = external;
    if (m.role === 'ingress' && viaIngress.length > 0) plan.forward = true;
    return plan;
  };
  const withGateways = (p: MeshPlan): MeshPlan => (gateways.length > 0 ? { ...p, gateways } : p);
  if (s.wireguard.topology !== 'hub') {
    const hosts = members.map((m, i) => host(m, peerOf.filter((_, j) => j !== i)));
    return withGateways({ topology: 'mesh', subnet, prefix, hosts, table: peerOf, hubs: [] });
  }

  // Topology hub: every spoke's home hub, then each hub's entry with the /32s it routes.
  const home = homeHubs(s);
  const byName = new Map(members.map((m, i) => [m.name, i]));
  const hubNames = [...new Set(s.wireguard.hubs)].filter((h) => byName.has(h));
  const spokesOf = new Map<string, WireguardPeer[]>(hubNames.map((h) => [h, []]));
  for (const [i, m] of members.entries()) {
    const h = home.get(m.name);
    if (h === undefined) continue;
    spokesOf.get(h)!.push({ ...peerOf[i]!, address: book[m.name]! });
  }
  const hubEntry = new Map(
    hubNames.map((h) => {
      const own = peerOf[byName.get(h)!]!;
      const routed = [own.allowed_ips, ...spokesOf.get(h)!.map((p) => p.allowed_ips)];
      return [h, { ...own, allowed_ips: routed.join(', '), address: book[h]! }];
    }),
  );
  const hubTable = hubNames.map((h) => hubEntry.get(h)!);
  const hosts = members.map((m): WireguardHostPlan => {
    const h = home.get(m.name);
    if (h !== undefined) {
      // A spoke: its home hub carries the whole subnet.
      return { ...host(m, [{ ...hubEntry.get(h)!, allowed_ips: subnet }]), place: 'spoke', home: h };
    }
    const spokes = spokesOf.get(m.name) ?? [];
    return { ...host(m, [...hubTable.filter((p) => p.name !== m.name), ...spokes]), place: 'hub', spokes };
  });
  return withGateways({ topology: 'hub', subnet, prefix, hosts, table: peerOf, hubs: hubTable });
}

/**
 * Topology hub: spoke -> its home hub. The first hub (in `wireguard.hubs` order) of the
 * spoke's own cluster, else the first hub. Hubs are not in the map; names that are no
 * host of the scenario are left out (validation reports them).
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

/**
 * Topology hub: what playbooks/precheck.yml compares each host's `wireguard_peers` with
 * (deploy passes it as extra vars, like `ew_mesh_addresses`). O(hosts): the hubs, and
 * each host's planned peers apart from the hub-to-hub mesh (a spoke: its home hub; a hub:
 * its spokes; precheck adds the other hubs to a hub's). `{}` for a mesh, where precheck
 * expects every other mesh host.
 */
export function precheckPeerVars(mesh: MeshPlan): Record<string, unknown> {
  if (mesh.topology !== 'hub') return {};
  return {
    ew_wireguard_hubs: mesh.hubs.map((p) => p.name),
    ew_wireguard_peers: Object.fromEntries(mesh.hosts.map((h) => [h.name, h.place === 'hub' ? (h.spokes ?? []).map((p) => p.name) : h.peers.map((p) => p.name)])),
  };
}
