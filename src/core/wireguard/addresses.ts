/**
 * WireGuard address planning. Stable by design: an address pinned in the
 * scenario wins, then the address a host had in the previous generation,
 * then the next free address in file order (ingress first). Nothing is
 * ever renumbered. Interconnect peers (external EVPN gateways) take addresses
 * the same way, after the mesh hosts, under `interconnect/<name>`: their pinned
 * and previous addresses are reserved before any host takes a free one.
 */
import type { Scenario } from '../scenario.js';
import { meshMembers } from '../scenario.js';
import { contains, fromInt, parseCidr4, range, toInt } from '../net.js';

/** Host name -> WireGuard address (no prefix). */
export type AddressBook = Record<string, string>;

/** The AddressBook key of an interconnect peer (no host name holds a `/`). */
export function interconnectKey(name: string): string {
  return `interconnect/${name}`;
}

export function planAddresses(s: Scenario, previous: AddressBook = {}): AddressBook {
  const subnet = parseCidr4(s.wireguard.subnet);
  if (!subnet) throw new Error(`wireguard.subnet ${s.wireguard.subnet} is not a subnet (validate the scenario first)`);
  const { first, last } = range(subnet);
  const hosts = meshMembers(s);
  const gateways = (s.interconnect ?? []).map((p) => ({ name: interconnectKey(p.name), pinned_address: p.wireguard_address }));
  // Hosts first, then the gateways: without interconnect the plan is what it always was.
  const members = [...hosts, ...gateways];
  const taken = new Set<number>();
  const out: AddressBook = {};

  for (const m of members) {
    if (m.pinned_address) {
      out[m.name] = m.pinned_address;
      taken.add(toInt(m.pinned_address));
    }
  }
  for (const m of members) {
    const prev = previous[m.name];
    if (out[m.name] || !prev || !contains(subnet, prev)) continue;
    const n = toInt(prev);
    if (n === first || n === last || taken.has(n)) continue;
    out[m.name] = prev;
    taken.add(n);
  }
  let next = first + 1;
  for (const m of members) {
    if (out[m.name]) continue;
    while (taken.has(next)) next++;
    if (next >= last) throw new Error(`wireguard.subnet ${s.wireguard.subnet} has no free address left for ${m.name}`);
    out[m.name] = fromInt(next);
    taken.add(next);
  }
  // Keep the mesh order in the result (the gateways after the hosts).
  return Object.fromEntries(members.map((m) => [m.name, out[m.name]!]));
}

/**
 * A mesh host whose previous address lies outside wireguard.subnet: the scenario
 * renumbers the overlay (deploy refuses it without --renumber). Undefined otherwise.
 */
export function renumbering(s: Scenario, previous: AddressBook): { host: string; from: string } | undefined {
  const subnet = parseCidr4(s.wireguard.subnet);
  if (!subnet) return undefined;
  for (const m of meshMembers(s)) {
    const was = previous[m.name];
    if (was && !contains(subnet, was)) return { host: m.name, from: was };
  }
  return undefined;
}
