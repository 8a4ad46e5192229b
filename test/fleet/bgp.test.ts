/** The simulated VTEPs' BGP codec (bench:fleet, issue 25): what they send, and how they count what comes back. */
import { decodeEvpnUpdate, encodeKeepalive, encodeOpen, encodeVtepRoutes, ipToNumber, MSG, openHoldTime, splitFrames } from '../../src/lab/fleet-bgp.js';

test('OPEN: version 4, the AS, hold time, router id, and the L2VPN EVPN, route-refresh and 4-octet AS capabilities', () => {
  const open = encodeOpen(65000, 180, '10.64.0.7');
  const { frames, rest } = splitFrames(open);
  expect(rest.length).toBe(0);
  expect(frames).toHaveLength(1);
  const body = frames[0]!.body;
  expect(frames[0]!.type).toBe(MSG.open);
  expect(body.readUInt8(0)).toBe(4);
  expect(body.readUInt16BE(1)).toBe(65000);
  expect(openHoldTime(body)).toBe(180);
  expect([...body.subarray(5, 9)]).toEqual([10, 64, 0, 7]);
  // optional parameters: one capabilities parameter
  expect([...body.subarray(9)]).toEqual([16, 2, 14, 1, 4, 0, 25, 0, 70, 2, 0, 65, 4, 0, 0, 0xfd, 0xe8]);
  // a 4-octet AS goes in the capability, AS_TRANS in the 2-octet field
  expect(encodeOpen(4200000000, 90, '10.64.0.7').readUInt16BE(19 + 1)).toBe(23456);
  expect([...encodeKeepalive()]).toEqual([...Buffer.alloc(16, 0xff), 0, 19, 4]);
});

test('a VTEP announces its type-3 route and one type-2 route per VM, and the decoder reads back origin, VTEP and VM', () => {
  const updates = encodeVtepRoutes({ as: 65000, routerId: '10.64.1.9', vtep: 70000, vni: 100, vms: 10 });
  const { frames } = splitFrames(Buffer.concat(updates));
  expect(frames.map((f) => f.type)).toEqual([MSG.update, MSG.update]);
  const [imet, macs] = frames.map((f) => decodeEvpnUpdate(f.body));
  expect(imet!.announced).toEqual([{ type: 3, origin: ipToNumber('10.64.1.9'), vtep: -1, vm: -1 }]);
  expect(macs!.announced).toHaveLength(10);
  expect(macs!.announced.map((r) => [r.type, r.origin, r.vtep, r.vm])).toEqual(Array.from({ length: 10 }, (_, vm) => [2, ipToNumber('10.64.1.9'), 70000, vm]));
  expect(imet!.withdrawn).toEqual([]);
});

test('withdrawals (MP_UNREACH_NLRI, extended length) are read as such; other families are ignored', () => {
  const [, macs] = encodeVtepRoutes({ as: 65000, routerId: '10.64.0.2', vtep: 1, vms: 3, vni: 100 });
  // Re-pack the announced NLRI of the second UPDATE into an MP_UNREACH_NLRI with the extended-length flag.
  const body = splitFrames(macs!).frames[0]!.body;
  const nlri = Buffer.concat(
    decodeEvpnUpdate(body).announced.map((_, vm) => {
      const v = Buffer.concat([Buffer.from([0, 1, 10, 64, 0, 2, 0, 1]), Buffer.alloc(14), Buffer.from([48, 2, 0xee, 0, 0, 1, vm, 0, 0, 0, 100])]);
      return Buffer.concat([Buffer.from([2, v.length]), v]);
    }),
  );
  const unreach = Buffer.concat([Buffer.from([0x90, 15]), Buffer.from([0, nlri.length + 3]), Buffer.from([0, 25, 70]), nlri]);
  const ipv4Unreach = Buffer.from([0x80, 15, 3, 0, 1, 1]);
  const attrs = Buffer.concat([ipv4Unreach, unreach]);
  const u = Buffer.concat([Buffer.from([0, 0, attrs.length >> 8, attrs.length & 0xff]), attrs]);
  const d = decodeEvpnUpdate(u);
  expect(d.announced).toEqual([]);
  expect(d.withdrawn.map((r) => [r.type, r.vtep, r.vm])).toEqual([
    [2, 1, 0],
    [2, 1, 1],
    [2, 1, 2],
  ]);
});

test('a stream is split at message boundaries; a partial message waits; a bad length is refused', () => {
  const ka = encodeKeepalive();
  const open = encodeOpen(65000, 180, '10.64.0.3');
  const stream = Buffer.concat([ka, open, ka]);
  const cut = stream.subarray(0, ka.length + 10);
  const first = splitFrames(cut);
  expect(first.frames.map((f) => f.type)).toEqual([MSG.keepalive]);
  expect(first.rest.length).toBe(10);
  const all = splitFrames(Buffer.concat([first.rest, stream.subarray(ka.length + 10)]));
  expect(all.frames.map((f) => f.type)).toEqual([MSG.open, MSG.keepalive]);
  const bad = Buffer.from(ka);
  bad.writeUInt16BE(12, 16);
  expect(() => splitFrames(bad)).toThrow('bad BGP message length 12');
  expect(() => encodeOpen(65000, 180, '10.64.0.300')).toThrow('not an IPv4 address: 10.64.0.300');
});

test('routes passed on by another reflector carry ORIGINATOR_ID (the VTEP) and CLUSTER_LIST (the shared cluster id)', () => {
  const [imet, macs] = encodeVtepRoutes({ as: 65000, routerId: '10.64.0.9', vtep: 7, vni: 100, vms: 2, reflectedBy: { clusterId: '10.0.1.87' } });
  for (const u of [imet!, macs!]) {
    const body = splitFrames(u).frames[0]!.body;
    const attrs = new Map<number, number[]>();
    for (let off = 4; off < body.length;) {
      const ext = (body[off]! & 0x10) !== 0;
      const len = ext ? body.readUInt16BE(off + 2) : body[off + 2]!;
      const v = off + (ext ? 4 : 3);
      attrs.set(body[off + 1]!, [...body.subarray(v, v + len)]);
      off = v + len;
    }
    expect(attrs.get(9)).toEqual([10, 64, 0, 9]);
    expect(attrs.get(10)).toEqual([10, 0, 1, 87]);
    // the NLRI are the VTEP's own, unchanged
    expect(decodeEvpnUpdate(body).announced.every((r) => r.origin === ipToNumber('10.64.0.9'))).toBe(true);
  }
  const plain = splitFrames(encodeVtepRoutes({ as: 65000, routerId: '10.64.0.9', vtep: 7, vni: 100, vms: 2 })[1]!).frames[0]!.body;
  expect(plain.includes(Buffer.from([0x80, 9, 4]))).toBe(false);
});
