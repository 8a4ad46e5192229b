/**
 * MTU arithmetic. WireGuard adds 60 bytes over an IPv4 underlay (20 IP + 8 UDP
 * + 32 WireGuard) and 80 over IPv6; VXLAN adds 50 (14 inner Ethernet + 8 VXLAN
 * + 8 UDP + 20 outer IPv4, the wg0 addresses being IPv4).
 * The same in topology hub (wireguard.topology): a hub decrypts a packet from one peer and
 * encrypts it afresh for the next, so every hop carries one WireGuard header, never two,
 * and the MTU is the same as in a full mesh.
 */
export const WIREGUARD_OVERHEAD = { ipv4: 60, ipv6: 80 } as const;
export const VXLAN_OVERHEAD = 50;

export type Family = 'ipv4' | 'ipv6';

/** Largest wg0 MTU the underlay carries without fragmenting. */
export function maxWireguardMtu(underlayMtu: number, family: Family): number {
  return underlayMtu - WIREGUARD_OVERHEAD[family];
}

/** Largest guest MTU that fits in one wg0 packet after VXLAN encapsulation. */
export function maxGuestMtu(wireguardMtu: number): number {
  return wireguardMtu - VXLAN_OVERHEAD;
}

/** Payload size for `ping -M do -s SIZE` that makes an IPv4 packet of exactly `mtu` bytes. */
export function pingPayloadForMtu(mtu: number): number {
  return mtu - 28;
}
