// The simulated VTEPs of `npm run bench:fleet`: one process, one iBGP session per VTEP
// from its own overlay address (bound as the local address), connect retry 1 s as the
// generated VTEP config has, each announcing a type-3 route and `vms` type-2 routes and
// counting, per VTEP, which of the other VTEPs' routes the reflector has sent it. The
// codec is src/lab/fleet-bgp.ts; only the reflector (real FRR) is measured.
import { connect } from 'node:net';
import { decodeEvpnUpdate, encodeKeepalive, encodeOpen, encodeVtepRoutes, ipToNumber, MSG, openHoldTime, splitFrames } from '../dist/lab/fleet-bgp.js';

/**
 * vteps: [{ ip, nonClient }] (index = position; nonClient: also a reflector, so a non-client peer). Returns { stats(), stop(), vteps }.
 * A VTEP's table: one bit per route of the fleet (VTEP i, slot 0..vms-1 for its VMs, vms for its type-3).
 */
export function startSim({ vteps, reflector, as, vni, vms, clusterId, port = 179 }) {
  const n = vteps.length;
  const slots = vms + 1;
  const byIp = new Map(vteps.map((v, i) => [ipToNumber(v.ip), i]));
  let stopped = false;
  /** Why Established sessions ended: 'notification C/S' (from the reflector), 'error CODE', 'closed'. */
  const dropReasons = {};
  const state = vteps.map((v, i) => ({
    ip: v.ip,
    index: i,
    sock: null,
    established: false,
    table: new Uint8Array(n * slots),
    count: 0,
    drops: 0,
    keepalive: null,
    // when every route of another VTEP (by index) is gone from this table: for the withdrawal probe
  }));

  const reset = (s) => {
    s.established = false;
    if (s.count) s.table.fill(0);
    s.count = 0;
    if (s.keepalive) clearInterval(s.keepalive);
    s.keepalive = null;
  };

  const apply = (s, routes, on) => {
    for (const r of routes) {
      let i;
      let slot;
      if (r.type === 3) {
        i = byIp.get(r.origin);
        slot = vms;
      } else if (r.type === 2) {
        i = r.vtep;
        slot = r.vm;
      } else continue;
      if (i === undefined || i === s.index || i >= n || slot < 0 || slot > vms) continue;
      const k = i * slots + slot;
      if (on && !s.table[k]) {
        s.table[k] = 1;
        s.count++;
      } else if (!on && s.table[k]) {
        s.table[k] = 0;
        s.count--;
      }
    }
  };

  const open = (s) => {
    if (stopped) return;
    const sock = connect({ host: reflector, port, localAddress: s.ip });
    s.sock = sock;
    let buf = Buffer.alloc(0);
    let gotOpen = false;
    let reason = 'closed';
    sock.setNoDelay(true);
    sock.on('connect', () => sock.write(encodeOpen(as, 180, s.ip)));
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let parsed;
      try {
        parsed = splitFrames(buf);
      } catch {
        reason = 'unparsable message';
        sock.destroy();
        return;
      }
      buf = parsed.rest.length ? Buffer.from(parsed.rest) : Buffer.alloc(0);
      for (const f of parsed.frames) {
        if (f.type === MSG.open) {
          gotOpen = true;
          const hold = openHoldTime(f.body);
          sock.write(encodeKeepalive());
          const every = Math.max(1, Math.floor(Math.min(hold || 180, 180) / 3)) * 1000;
          s.keepalive = setInterval(() => sock.writable && sock.write(encodeKeepalive()), every);
        } else if (f.type === MSG.keepalive && gotOpen && !s.established) {
          s.established = true;
          for (const u of encodeVtepRoutes({ as, routerId: s.ip, vtep: s.index, vni, vms })) sock.write(u);
          // A VTEP that is also a reflector passes every client's routes on to this reflector, as the
          // scenario's other reflectors do (the reflector drops them: its own cluster id is in them).
          if (vteps[s.index].nonClient && clusterId) {
            vteps.forEach((v, i) => {
              if (!v.nonClient) for (const u of encodeVtepRoutes({ as, routerId: v.ip, vtep: i, vni, vms, reflectedBy: { clusterId } })) sock.write(u);
            });
          }
        } else if (f.type === MSG.update) {
          const u = decodeEvpnUpdate(f.body);
          apply(s, u.withdrawn, false);
          apply(s, u.announced, true);
        } else if (f.type === MSG.notification) {
          reason = `notification ${f.body[0]}/${f.body[1]}`;
          sock.destroy();
        }
      }
    });
    const again = () => {
      if (s.sock !== sock) return;
      if (s.established) {
        s.drops++;
        dropReasons[reason] = (dropReasons[reason] ?? 0) + 1;
      }
      reset(s);
      s.sock = null;
      if (!stopped) setTimeout(() => open(s), 1000);
    };
    sock.on('error', (e) => {
      if (reason === 'closed') reason = `error ${e.code}`;
    });
    sock.on('close', again);
  };

  for (const s of state) open(s);

  // A client gets every other VTEP's routes; a VTEP that is also a reflector (a non-client
  // peer of this one) gets the clients' routes only: reflectors do not reflect between non-clients.
  const clients = vteps.filter((v) => !v.nonClient).length;
  for (const s of state) s.expected = vteps[s.index].nonClient ? clients * slots : (n - 1) * slots;
  return {
    dropReasons,
    vteps: state,
    stats() {
      let established = 0;
      let complete = 0;
      let drops = 0;
      for (const s of state) {
        if (s.established) established++;
        if (s.established && s.count === s.expected) complete++;
        drops += s.drops;
      }
      return { established, complete, drops };
    },
    /** How many other VTEPs still hold any route of VTEP `i`. */
    holding(i) {
      let k = 0;
      for (const s of state) {
        if (s.index === i || !s.established) continue;
        const t = s.table;
        for (let j = i * slots; j < (i + 1) * slots; j++) {
          if (t[j]) {
            k++;
            break;
          }
        }
      }
      return k;
    },
    stop() {
      stopped = true;
      for (const s of state) {
        reset(s);
        s.sock?.destroy();
      }
    },
  };
}
