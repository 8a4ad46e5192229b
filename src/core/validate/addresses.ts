/** Addresses and subnets: public addresses unique and public, the private subnets proper and apart, no public address inside them. */
import { canonicalIp, cidrString, contains, isIpv4, neverPublic, overlaps, parseCidr4, type Cidr } from '../net.js';
import { printable } from '../printable.js';
import { networkField } from '../scenario.js';
import type { Checks, Section } from './section.js';

/** IPv4 ranges a WireGuard subnet may not overlap. */
const UNUSABLE_SUBNETS: Array<[string, string]> = [
  ['0.0.0.0/8', '"this network"'],
  ['127.0.0.0/8', 'loopback'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved, and the broadcast address'],
];

/**
 * Public addresses: unique across ingress, hosts and public networks.
 * Keyed by one spelling of each address: 2001:db8::1 and 2001:DB8:0::1, 203.0.113.5 and ::ffff:203.0.113.5 are one.
 */
export const publicAddresses: Section = ({ s, err, found }) => {
  const ips = found.publicIps;
  const spelled = new Map<string, string>();
  const claimIp = (ip: string, field: string) => {
    if (!ip) return;
    const never = neverPublic(ip);
    if (never) {
      err(field, `${field} ${printable(ip)} is ${never}, which can never be a host's public address: write the address the other hosts reach it on.`);
      return;
    }
    const key = canonicalIp(ip);
    const prev = ips.get(key);
    const before = spelled.get(key);
    if (prev)
      err(
        field,
        `${field} ${printable(ip)} is already used by ${prev}${before !== ip ? ` (written ${printable(before ?? key)}: the same address)` : ''}: every public address must be different.`,
      );
    else {
      ips.set(key, field);
      spelled.set(key, ip);
    }
  };
  claimIp(s.ingress.public_ip, 'ingress.public_ip');
  s.clusters.forEach((c, ci) => c.hosts.forEach((h, hi) => claimIp(h.public_ip, `clusters[${ci}].hosts[${hi}].public_ip`)));
  s.clusters.forEach((c, ci) => c.public_network.ips.forEach((ip, ii) => claimIp(ip, `clusters[${ci}].public_network.ips[${ii}]`)));
};

/** A subnet written as its network address, or a problem and undefined. */
function subnet({ err }: Checks, field: string, text: string): Cidr | undefined {
  const c = parseCidr4(text);
  if (!c) {
    err(field, `${field} "${text}" is not an IPv4 subnet: write it like 192.168.0.0/24.`);
    return undefined;
  }
  if (cidrString(c) !== text) {
    err(field, `${field} ${text} has host bits set: write the network address, ${cidrString(c)}.`);
    return undefined;
  }
  return c;
}

/** wireguard.subnet and control_subnet. */
export const subnets: Section = (c) => {
  const { s, err, found } = c;
  const wg = subnet(c, 'wireguard.subnet', s.wireguard.subnet);
  found.wireguard = wg;
  // No interface takes these for WireGuard: loopback, multicast, "this network", reserved.
  const unusable = wg && UNUSABLE_SUBNETS.find(([u]) => overlaps(wg, parseCidr4(u)!));
  if (unusable) {
    err(
      'wireguard.subnet',
      `wireguard.subnet ${s.wireguard.subnet} overlaps ${unusable[0]} (${unusable[1]}), which no host can use for WireGuard: choose a private subnet such as 192.168.0.0/24.`,
    );
  }
  found.control = subnet(c, 'control_subnet', s.control_subnet);
};

/** The private subnets (WireGuard, each EVPN network, control) apart from each other; no public address inside one (routing loops). */
export const overlapping: Section = ({ s, err, found }) => {
  const nets: Array<[string, Cidr | undefined, string]> = [
    ['wireguard.subnet', found.wireguard, 'wireguard.subnet'],
    ...s.networks.map((n, i): [string, Cidr | undefined, string] => [
      `the EVPN network ${printable(n.name)} (${networkField(s, i)})`,
      found.evpn[i],
      `${networkField(s, i)}.network_address`,
    ]),
    ['control_subnet', found.control, 'control_subnet'],
  ];
  for (let i = 0; i < nets.length; i++) {
    for (let j = i + 1; j < nets.length; j++) {
      const [an, a] = nets[i]!;
      const [bn, b, field] = nets[j]!;
      if (a && b && overlaps(a, b)) {
        err(field, `${an} ${cidrString(a)} overlaps ${bn} ${cidrString(b)}: choose subnets that do not overlap.`);
      }
    }
  }
  for (const [ip, field] of found.publicIps) {
    for (const [n, c] of nets) {
      if (c && isIpv4(ip) && contains(c, ip))
        err(
          field,
          `${field} ${ip} lies inside ${n.startsWith('the ') ? n : `the ${n}`} ${cidrString(c)}: use the host's real public address or choose another private subnet.`,
        );
    }
  }
};
