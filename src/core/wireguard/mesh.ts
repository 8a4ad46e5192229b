/**
 * The WireGuard peer plan, computed here; templates only print it.
 *
 * Who peers with whom is the topology's (wireguard.topology: topologies/, one module each:
 * `mesh` every host with every other, `hub` spokes through hubs); this file gives each
 * topology the hosts in peer form and makes each host's plan.
 *
 * Interconnect peers (external EVPN gateways, `interconnect`) are not hosts: they are
 * `external` peers with their own public key. The ingress peers with every gateway.
 * `join: ingress`: only the ingress does, and the ingress's entry (in every other host's
 * peers, whatever the topology) carries the gateway's /32 too, so the KVM hosts reach its
 * VTEP through the ingress, which forwards. `join: mesh`: every host peers with it.
 * Either way one host's AllowedIPs stay disjoint: a gateway's /32 is in exactly one peer.
 */
import type { MeshMember, Scenario, WireguardTopology } from '../scenario.js';
import { meshMembers } from '../scenario.js';
import { cidrString, family, parseCidr4 } from '../net.js';
import { interconnectKey, planAddresses, type AddressBook } from './addresses.js';
import { topologyOf } from './topologies/index.js';

export { homeHubs } from './topologies/hub.js';

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
  const gateways = interconnect.map((p): ExternalPeer => ({
    name: p.name,
    address: book[interconnectKey(p.name)]!,
    public_key: p.public_key,
    endpoint: endpoint(p.endpoint, p.port),
    allowed_ips: `${book[interconnectKey(p.name)]}/32`,
    persistent_keepalive: s.wireguard.keepalive,
  }));
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
  const host = (m: MeshMember, peers: WireguardPeer[]): WireguardHostPlan => {
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
  const { hosts, hubs } = topologyOf(s).peers({ s, members, table: peerOf, address: (name) => book[name]!, subnet, host });
  const plan: MeshPlan = { topology: s.wireguard.topology, subnet, prefix, hosts, table: peerOf, hubs };
  return gateways.length > 0 ? { ...plan, gateways } : plan;
}

/**
 * What playbooks/precheck.yml compares each host's `wireguard_peers` with (deploy passes it as
 * extra vars, like `ew_mesh_addresses`): the topology's; `{}` for a mesh, where precheck
 * expects every other mesh host.
 */
export function precheckPeerVars(mesh: MeshPlan): Record<string, unknown> {
  return topologyOf({ wireguard: mesh }).precheckVars(mesh);
}
