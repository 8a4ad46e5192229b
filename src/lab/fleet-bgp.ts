/**
 * The BGP a simulated VTEP speaks in `npm run bench:fleet` (issue 25): just enough of
 * RFC 4271 / 4760 / 7432 / 8365 to open an iBGP session for L2VPN EVPN, announce a
 * type-3 route and K type-2 routes as FRR's VTEPs do over VXLAN, and count what the
 * reflector sends back. Pure: bytes in, bytes or counts out (the sockets are in
 * bench/fleet-sim.js). The reflector under test is real FRR; this is only its load.
 */

const MARKER = Buffer.alloc(16, 0xff);
const AFI_L2VPN = 25;
const SAFI_EVPN = 70;
export const MSG = { open: 1, update: 2, notification: 3, keepalive: 4 } as const;

function ip4(addr: string): Buffer {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${addr}`);
  return Buffer.from(parts);
}

function message(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(19);
  MARKER.copy(head);
  head.writeUInt16BE(19 + body.length, 16);
  head.writeUInt8(type, 18);
  return Buffer.concat([head, body]);
}

/** OPEN: AS (2-octet field and the 4-octet capability), hold time, router id; MP L2VPN/EVPN, route refresh, 4-octet AS. */
export function encodeOpen(as: number, holdTime: number, routerId: string): Buffer {
  const caps = Buffer.from([
    1,
    4,
    0,
    AFI_L2VPN,
    0,
    SAFI_EVPN, // multiprotocol L2VPN EVPN
    2,
    0, // route refresh
    65,
    4,
    (as >>> 24) & 0xff,
    (as >>> 16) & 0xff,
    (as >>> 8) & 0xff,
    as & 0xff, // 4-octet AS
  ]);
  const param = Buffer.concat([Buffer.from([2, caps.length]), caps]);
  const body = Buffer.alloc(10);
  body.writeUInt8(4, 0);
  body.writeUInt16BE(as > 0xffff ? 23456 : as, 1);
  body.writeUInt16BE(holdTime, 3);
  ip4(routerId).copy(body, 5);
  body.writeUInt8(param.length, 9);
  return message(MSG.open, Buffer.concat([body, param]));
}

export const encodeKeepalive = (): Buffer => message(MSG.keepalive, Buffer.alloc(0));

/** Route distinguisher type 1 (IP:number), as FRR makes them: router id : VNI index. */
function rd(routerId: string, n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(1, 0);
  ip4(routerId).copy(b, 2);
  b.writeUInt16BE(n, 6);
  return b;
}

function vniLabel(vni: number): Buffer {
  return Buffer.from([(vni >>> 16) & 0xff, (vni >>> 8) & 0xff, vni & 0xff]);
}

function attr(flags: number, type: number, value: Buffer): Buffer {
  if (value.length > 255) {
    const h = Buffer.alloc(4);
    h.writeUInt8(flags | 0x10, 0);
    h.writeUInt8(type, 1);
    h.writeUInt16BE(value.length, 2);
    return Buffer.concat([h, value]);
  }
  return Buffer.concat([Buffer.from([flags, type, value.length]), value]);
}

/** Route target AS:VNI and the VXLAN encapsulation extended community (RFC 9012 tunnel type 8). */
function extCommunities(as: number, vni: number): Buffer {
  const rt = Buffer.alloc(8);
  rt.writeUInt8(0x00, 0);
  rt.writeUInt8(0x02, 1);
  rt.writeUInt16BE(as & 0xffff, 2);
  rt.writeUInt32BE(vni, 4);
  const encap = Buffer.from([0x03, 0x0c, 0, 0, 0, 0, 0, 8]);
  return Buffer.concat([rt, encap]);
}

function update(as: number, nextHop: string, nlri: Buffer[], extra: Buffer[], vni: number): Buffer {
  const mp = Buffer.concat([Buffer.from([0, AFI_L2VPN, SAFI_EVPN, 4]), ip4(nextHop), Buffer.from([0]), ...nlri]);
  const attrs = Buffer.concat([
    attr(0x40, 1, Buffer.from([0])), // ORIGIN IGP
    attr(0x40, 2, Buffer.alloc(0)), // AS_PATH empty (iBGP)
    attr(0x40, 5, Buffer.from([0, 0, 0, 100])), // LOCAL_PREF 100
    attr(0xc0, 16, extCommunities(as, vni)),
    ...extra,
    attr(0x80, 14, mp),
  ]);
  const body = Buffer.alloc(4 + attrs.length);
  body.writeUInt16BE(0, 0);
  body.writeUInt16BE(attrs.length, 2);
  attrs.copy(body, 4);
  return message(MSG.update, body);
}

/** The MAC of a simulated VM: 02:ee:<vtep index, 3 octets>:<vm>. */
function vmMac(vtep: number, vm: number): Buffer {
  return Buffer.from([0x02, 0xee, (vtep >>> 16) & 0xff, (vtep >>> 8) & 0xff, vtep & 0xff, vm & 0xff]);
}

/**
 * What one VTEP announces: its type-3 (inclusive multicast, ingress replication) route and
 * `vms` type-2 (MAC) routes, for one VNI, as two UPDATEs. With `reflectedBy`, the same routes
 * as another route reflector of the scenario passes them on (RFC 4456): ORIGINATOR_ID the
 * VTEP, CLUSTER_LIST the cluster id every reflector of a scenario shares.
 */
export function encodeVtepRoutes(o: { as: number; routerId: string; vtep: number; vni: number; vms: number; reflectedBy?: { clusterId: string } }): Buffer[] {
  const reflected = o.reflectedBy ? [attr(0x80, 9, ip4(o.routerId)), attr(0x80, 10, ip4(o.reflectedBy.clusterId))] : [];
  const r = rd(o.routerId, 1);
  const eth0 = Buffer.alloc(4);
  const imet = Buffer.concat([Buffer.from([3, 17]), r, eth0, Buffer.from([32]), ip4(o.routerId)]);
  const pmsi = attr(0xc0, 22, Buffer.concat([Buffer.from([0, 6]), vniLabel(o.vni), ip4(o.routerId)]));
  const macs: Buffer[] = [];
  for (let vm = 0; vm < o.vms; vm++) {
    macs.push(Buffer.concat([Buffer.from([2, 33]), r, Buffer.alloc(10), eth0, Buffer.from([48]), vmMac(o.vtep, vm), Buffer.from([0]), vniLabel(o.vni)]));
  }
  return [update(o.as, o.routerId, [imet], [pmsi, ...reflected], o.vni), update(o.as, o.routerId, macs, reflected, o.vni)];
}

export interface Frame {
  type: number;
  body: Buffer;
}

/** Splits a byte stream into BGP messages; returns the messages and the bytes left over. */
export function splitFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let off = 0;
  while (buf.length - off >= 19) {
    const len = buf.readUInt16BE(off + 16);
    if (len < 19 || len > 65535) throw new Error(`bad BGP message length ${len}`);
    if (buf.length - off < len) break;
    frames.push({ type: buf.readUInt8(off + 18), body: buf.subarray(off + 19, off + len) });
    off += len;
  }
  return { frames, rest: buf.subarray(off) };
}

/** Hold time offered in an OPEN body. */
export const openHoldTime = (body: Buffer): number => body.readUInt16BE(3);

/** One EVPN route seen in an UPDATE: type, the router id in its RD (as a 32-bit number), the last MAC octet (type 2). */
export interface EvpnRoute {
  type: number;
  origin: number;
  /** Type 2: the VTEP index in the MAC (octets 3-5) and the VM (octet 6); type 3: -1. */
  vtep: number;
  vm: number;
}

function nlriList(buf: Buffer, start: number, end: number, out: EvpnRoute[]): void {
  let off = start;
  while (off + 2 <= end) {
    const type = buf.readUInt8(off);
    const len = buf.readUInt8(off + 1);
    const v = off + 2;
    if (v + len > end) throw new Error('EVPN NLRI runs past its attribute');
    // RD at v..v+8: type(2) then, for type 1, the IP.
    const origin = len >= 8 ? buf.readUInt32BE(v + 2) : 0;
    let vtep = -1;
    let vm = -1;
    if (type === 2 && len >= 29) {
      const mac = v + 8 + 10 + 4 + 1;
      vtep = (buf.readUInt8(mac + 2) << 16) | (buf.readUInt8(mac + 3) << 8) | buf.readUInt8(mac + 4);
      vm = buf.readUInt8(mac + 5);
    }
    out.push({ type, origin, vtep, vm });
    off = v + len;
  }
}

/** The EVPN routes an UPDATE body announces (MP_REACH_NLRI) and withdraws (MP_UNREACH_NLRI). */
export function decodeEvpnUpdate(body: Buffer): { announced: EvpnRoute[]; withdrawn: EvpnRoute[] } {
  const announced: EvpnRoute[] = [];
  const withdrawn: EvpnRoute[] = [];
  const wlen = body.readUInt16BE(0);
  const alen = body.readUInt16BE(2 + wlen);
  let off = 4 + wlen;
  const end = off + alen;
  while (off < end) {
    const flags = body.readUInt8(off);
    const type = body.readUInt8(off + 1);
    const ext = (flags & 0x10) !== 0;
    const len = ext ? body.readUInt16BE(off + 2) : body.readUInt8(off + 2);
    const v = off + (ext ? 4 : 3);
    if (type === 14 && body.readUInt16BE(v) === AFI_L2VPN && body.readUInt8(v + 2) === SAFI_EVPN) {
      const nhLen = body.readUInt8(v + 3);
      nlriList(body, v + 4 + nhLen + 1, v + len, announced);
    } else if (type === 15 && body.readUInt16BE(v) === AFI_L2VPN && body.readUInt8(v + 2) === SAFI_EVPN) {
      nlriList(body, v + 3, v + len, withdrawn);
    }
    off = v + len;
  }
  return { announced, withdrawn };
}

export const ipToNumber = (addr: string): number => ip4(addr).readUInt32BE(0);
