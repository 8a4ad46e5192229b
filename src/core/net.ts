/** Address helpers over ipaddr.js (no hand-written parsing). */
import ipaddr from 'ipaddr.js';

export type Cidr = { base: ipaddr.IPv4; prefix: number };

export function isIpv4(s: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(s);
}

export function isIp(s: string): boolean {
  return ipaddr.isValid(s) && (isIpv4(s) || ipaddr.IPv6.isValid(s));
}

export function family(s: string): 'ipv4' | 'ipv6' {
  return isIpv4(s) ? 'ipv4' : 'ipv6';
}

/** Parses "a.b.c.d/n" (IPv4 only); undefined when malformed. */
export function parseCidr4(s: string): Cidr | undefined {
  try {
    const [addr, prefix] = ipaddr.IPv4.parseCIDR(s);
    if (!isIpv4(s.split('/')[0]!)) return undefined;
    return { base: addr as ipaddr.IPv4, prefix };
  } catch {
    return undefined;
  }
}

export function toInt(ip: string): number {
  const b = ipaddr.IPv4.parse(ip).toByteArray();
  return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
}

export function fromInt(n: number): string {
  return ipaddr.fromByteArray([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString();
}

/** First and last address (network and broadcast) of a CIDR as integers. */
export function range(c: Cidr): { first: number; last: number } {
  const net = toInt(ipaddr.IPv4.networkAddressFromCIDR(`${c.base.toString()}/${c.prefix}`).toString());
  const size = 2 ** (32 - c.prefix);
  return { first: net, last: net + size - 1 };
}

export function networkAddress(c: Cidr): string {
  return fromInt(range(c).first);
}

export function contains(c: Cidr, ip: string): boolean {
  return isIpv4(ip) && ipaddr.IPv4.parse(ip).match(c.base, c.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const ra = range(a);
  const rb = range(b);
  return ra.first <= rb.last && rb.first <= ra.last;
}

/** Prefix length of a dotted mask, or undefined when the mask is not contiguous. */
export function maskToPrefix(mask: string): number | undefined {
  if (!isIpv4(mask)) return undefined;
  try {
    return ipaddr.IPv4.parse(mask).prefixLengthFromSubnetMask() ?? undefined;
  } catch {
    return undefined;
  }
}

export function cidrString(c: Cidr): string {
  return `${networkAddress(c)}/${c.prefix}`;
}

/** The address in one canonical spelling (IPv6 compressed, an IPv4-mapped IPv6 as its IPv4), or `s` when it is not one. */
export function canonicalIp(s: string): string {
  if (!isIp(s)) return s;
  const a = ipaddr.parse(s);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) return (a as ipaddr.IPv6).toIPv4Address().toString();
  return a.toString();
}

/**
 * Why `s` can never be a host's public address (ipaddr.js range names), or undefined:
 * unspecified (0.0.0.0, ::), loopback (127/8, ::1), multicast, broadcast (255.255.255.255),
 * 0/8 ("this network").
 */
export function neverPublic(s: string): string | undefined {
  if (!isIp(s)) return undefined;
  const a = ipaddr.process(s);
  const r = a.range();
  if (r === 'unspecified') return 'the unspecified address';
  if (r === 'loopback') return 'a loopback address';
  if (r === 'multicast') return 'a multicast address';
  if (r === 'broadcast') return 'the broadcast address';
  if (a.kind() === 'ipv4' && (a as ipaddr.IPv4).octets[0] === 0) return 'in 0.0.0.0/8 ("this network")';
  return undefined;
}

/**
 * `--restrict-from` (authorized_keys `from="..."`): a comma-separated list of addresses and
 * CIDRs, IPv4 or IPv6. Returns the list as sshd reads it, or a sentence naming the bad item.
 */
export function parseAddressList(text: string, flag: string): { list: string } | { problem: string } {
  const items = text.split(',').map((x) => x.trim());
  const bad = (item: string, why: string) => ({
    problem: `${flag} ${JSON.stringify(item.length > 60 ? `${item.slice(0, 59)}…` : item)} ${why}: give addresses or CIDRs separated by commas, like 203.0.113.10,198.51.100.0/24.`,
  });
  if (!items.some(Boolean)) return bad(text, 'is empty');
  for (const item of items) {
    if (!item) return bad(text, 'has an empty item');
    const [addr, prefix, ...rest] = item.split('/');
    // Digits, hex, dots and colons only: no zone (%eth0), quote or space reaches authorized_keys.
    if (rest.length || !/^[0-9A-Fa-f.:]+$/.test(addr!) || !isIp(addr!)) return bad(item, 'is not an IP address or CIDR');
    if (prefix === undefined) continue;
    const max = isIpv4(addr!) ? 32 : 128;
    if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > max) return bad(item, `has a prefix length that is not 0 to ${max}`);
    const net = isIpv4(addr!) ? ipaddr.IPv4.networkAddressFromCIDR(item).toString() : ipaddr.IPv6.networkAddressFromCIDR(item).toString();
    if (net !== ipaddr.parse(addr!).toString()) return bad(item, `has host bits set (sshd refuses it; the network is ${net}/${prefix})`);
  }
  return { list: items.join(',') };
}
