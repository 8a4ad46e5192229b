/** WireGuard: the hubs (the topology's checks), the addresses in wireguard.subnet, wg0's MTU and the guests' MTU inside it. */
import { family, fromInt, isIp, contains, range, toInt } from '../net.js';
import { maxGuestMtu, maxWireguardMtu, VXLAN_OVERHEAD, WIREGUARD_OVERHEAD } from '../mtu.js';
import { meshMembers, networkField } from '../scenario.js';
import { topologyOf } from '../wireguard/topologies/index.js';
import type { Section } from './section.js';

/** The smallest MTU the schema takes for wg0 and guests (IPv4's minimum datagram). */
const MIN_MTU = 576;

/** wireguard.hubs as the topology wants them (topologies/*.ts hubsProblems). */
export const hubs: Section = ({ s, meshNames, add }) => {
  add({ errors: topologyOf(s).hubsProblems(s.wireguard.hubs, meshNames) });
};

/** Inside the subnet (one-deploy builds `bgp listen range` from wg0's prefix), unique, enough room. */
export const wireguardAddresses: Section = ({ s, err, found: { wireguard: wg } }) => {
  if (!wg) return;
  const { first, last } = range(wg);
  const members = meshMembers(s);
  // A /31 or /32 has no host address between network and broadcast.
  const usable = Math.max(0, last - first - 1);
  if (members.length > usable) {
    const fit = Math.max(1, 32 - Math.ceil(Math.log2(members.length + 2)));
    err(
      'wireguard.subnet',
      `wireguard.subnet ${s.wireguard.subnet} has ${usable === 0 ? 'no usable address' : `${usable} usable address${usable === 1 ? '' : 'es'}`} for ${members.length} hosts: choose a larger subnet, a /${Math.min(fit, 24)} or larger.`,
    );
  }
  const pinned = new Map<string, string>();
  const pinField = (m: (typeof members)[number]) => {
    if (m.role === 'ingress') return 'ingress.wireguard_address';
    const ci = s.clusters.findIndex((c) => c.name === m.cluster);
    const hi = s.clusters[ci]!.hosts.findIndex((h) => h.name === m.name);
    return `clusters[${ci}].hosts[${hi}].wireguard_address`;
  };
  for (const m of members) {
    if (!m.pinned_address) continue;
    const f = pinField(m);
    const n = toInt(m.pinned_address);
    if (!contains(wg, m.pinned_address)) {
      err(
        f,
        `${f} ${m.pinned_address} is outside wireguard.subnet ${s.wireguard.subnet} (the route reflector listens only on that prefix): pick an address inside it.`,
      );
    } else if (n === first || n === last) {
      err(f, `${f} ${m.pinned_address} is the subnet's ${n === first ? 'network' : 'broadcast'} address: pick a host address such as ${fromInt(first + 1)}.`);
    } else if (pinned.has(m.pinned_address)) {
      err(f, `${f} ${m.pinned_address} is already pinned for ${pinned.get(m.pinned_address)}: give every host a different address.`);
    }
    pinned.set(m.pinned_address, m.name);
  }
};

/** MTU: WireGuard over the underlay, VXLAN over WireGuard. */
export const mtu: Section = ({ s, kvms, err, warn }) => {
  const underlayFamilies = [s.ingress.public_ip, ...kvms.map((h) => h.public_ip)].filter(isIp).map(family);
  const fam = underlayFamilies.includes('ipv6') ? 'ipv6' : 'ipv4';
  const wgMax = maxWireguardMtu(s.wireguard.underlay_mtu, fam);
  if (wgMax < MIN_MTU) {
    // No wireguard.mtu fits: the fix is the underlay's (a suggested value must itself be valid).
    err(
      'wireguard.underlay_mtu',
      `wireguard.underlay_mtu ${s.wireguard.underlay_mtu} leaves less than ${MIN_MTU} bytes for wg0 over ${fam === 'ipv4' ? 'IPv4' : 'IPv6'} (WireGuard adds ${WIREGUARD_OVERHEAD[fam]} bytes): raise it to at least ${MIN_MTU + WIREGUARD_OVERHEAD[fam]}, your underlay's real MTU.`,
    );
  } else if (s.wireguard.mtu > wgMax) {
    err(
      'wireguard.mtu',
      `wireguard.mtu ${s.wireguard.mtu} is too large for an underlay MTU of ${s.wireguard.underlay_mtu} over ${fam === 'ipv4' ? 'IPv4' : 'IPv6'} (WireGuard adds ${WIREGUARD_OVERHEAD[fam]} bytes): use at most ${wgMax}.`,
    );
  } else if (s.wireguard.mtu < maxWireguardMtu(s.wireguard.underlay_mtu, 'ipv6') && wgMax >= MIN_MTU) {
    warn(
      'wireguard.mtu',
      `wireguard.mtu ${s.wireguard.mtu} wastes bytes: ${maxWireguardMtu(s.wireguard.underlay_mtu, 'ipv6')} fits any underlay of MTU ${s.wireguard.underlay_mtu}.`,
    );
  }
  const guestMax = maxGuestMtu(s.wireguard.mtu);
  s.networks.forEach((n, i) => {
    const f = networkField(s, i);
    if (n.guest_mtu > guestMax && guestMax < MIN_MTU) {
      err(
        `${f}.guest_mtu`,
        `${f}.guest_mtu ${n.guest_mtu} does not fit in wireguard.mtu ${s.wireguard.mtu} after VXLAN's ${VXLAN_OVERHEAD} bytes, and no guest MTU below ${MIN_MTU} is allowed: raise wireguard.mtu to at least ${MIN_MTU + VXLAN_OVERHEAD}.`,
      );
    } else if (n.guest_mtu > guestMax) {
      err(
        `${f}.guest_mtu`,
        `${f}.guest_mtu ${n.guest_mtu} does not fit in wireguard.mtu ${s.wireguard.mtu} after VXLAN's ${VXLAN_OVERHEAD} bytes: use at most ${guestMax}.`,
      );
    } else if (n.guest_mtu < guestMax) {
      warn(
        `${f}.guest_mtu`,
        `${f}.guest_mtu ${n.guest_mtu} is below the ${guestMax} that wireguard.mtu ${s.wireguard.mtu} allows: raise it unless you need the headroom.`,
      );
    }
  });
};
