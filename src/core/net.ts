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
