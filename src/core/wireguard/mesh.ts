/**
 * The full-mesh peer plan: every mesh host (ingress and KVM hosts) gets one
 * peer per other host, with its public endpoint and a /32 AllowedIPs.
 * Computed here; templates only print it. The inventory holds the table once
 * (every host in peer form); each host's peers are the table without itself.
 */
import type { Scenario } from '../scenario.js';
import { meshMembers } from '../scenario.js';
import { cidrString, family, parseCidr4 } from '../net.js';
import { planAddresses, type AddressBook } from './addresses.js';

export interface WireguardPeer {
  name: string;
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
}

export interface MeshPlan {
  /** The mesh subnet as its network address (a.b.c.d/n): the route on every host's wg0. */
  subnet: string;
  prefix: number;
  hosts: WireguardHostPlan[];
  /** Every host in peer form, written once (group_vars/all/wireguard.yml); a host's peers are the others. */
  table: WireguardPeer[];
}

export function endpoint(ip: string, port: number): string {
  return family(ip) === 'ipv6' ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function planMesh(s: Scenario, previous: AddressBook = {}): MeshPlan {
  const prefix = Number(s.wireguard.subnet.split('/')[1]);
  const book = planAddresses(s, previous);
  const members = meshMembers(s);
  const peerOf = members.map((m) => ({
    name: m.name,
    endpoint: endpoint(m.public_ip, s.wireguard.port),
    allowed_ips: `${book[m.name]}/32`,
    persistent_keepalive: s.wireguard.keepalive,
  }));
  const hosts = members.map((m, i) => ({
    name: m.name,
    role: m.role,
    ip: book[m.name]!,
    address: `${book[m.name]}/${prefix}`,
    interface: s.wireguard.interface,
    port: s.wireguard.port,
    mtu: s.wireguard.mtu,
    peers: peerOf.filter((_, j) => j !== i),
  }));
  const net = parseCidr4(s.wireguard.subnet);
  return { subnet: net ? cidrString(net) : s.wireguard.subnet, prefix, hosts, table: peerOf };
}
