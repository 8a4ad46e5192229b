/**
 * What the last verify observed, as facts per host and peer (not judgements):
 * the session state of every host on every route reflector, BFD sessions with
 * their timers, WireGuard handshake ages, and the don't-fragment probes. The
 * expectations (who must have a session with whom) are the same as
 * core/verify.ts judge()'s; `verify --json`, `verify --prometheus` and
 * `graph --verify` read these instead of parsing check titles.
 */
import { bfdPeers, parseBfdPeers, parseBgpSummary, parseHandshakes, type HostObservation } from './verify.js';

export interface HostFact {
  host: string;
  /** Its verify.yml data came back. */
  answered: boolean;
  reflector: boolean;
  /** WireGuard address without prefix ('' when the host did not answer). */
  address: string;
  mtu?: number;
  /** `wg show` worked (wg-quick@wg0 up). */
  wireguard_up?: boolean;
  /** Host clock at collection, epoch seconds. */
  observed_at?: number;
}

export interface BgpFact {
  /** The host whose session this is (a VTEP, or another reflector). */
  host: string;
  reflector: string;
  address: string;
  /** FRR's state (Established, Active, Idle, ...), or 'absent' when the reflector has no session for it. */
  state: string;
  up: boolean;
  prefixes_received?: number;
}

export interface BfdFact {
  host: string;
  peer: string;
  address: string;
  /** FRR's status (up, down, init), or 'absent'. */
  status: string;
  up: boolean;
  detect_multiplier?: number;
  receive_interval_ms?: number;
  transmit_interval_ms?: number;
}

export interface HandshakeFact {
  host: string;
  peer: string;
  /** Seconds since the last handshake; null when there was none or the peer is unknown on the host. */
  age_seconds: number | null;
  /** Within the freshness limit (verify's maxHandshakeAge, 180 s). */
  fresh: boolean;
}

export interface MtuFact {
  host: string;
  peer: string;
  /** Size of the probe: the WireGuard MTU (payload mtu - 28 with don't-fragment). */
  mtu: number;
  ok: boolean;
  exit_code: number;
}

export interface OverlayFacts {
  hosts: HostFact[];
  bgp: BgpFact[];
  bfd: BfdFact[];
  handshakes: HandshakeFact[];
  mtu: MtuFact[];
}

/** Same default as judge(): WireGuard rekeys every 120 s while traffic flows. */
export const MAX_HANDSHAKE_AGE = 180;

export function overlayFacts(observations: HostObservation[], expectedHosts: string[], opts: { maxHandshakeAge?: number } = {}): OverlayFacts {
  const maxAge = opts.maxHandshakeAge ?? MAX_HANDSHAKE_AGE;
  const byName = new Map(observations.map((o) => [o.host, o]));
  const nameByKey = new Map(observations.filter((o) => o.public_key).map((o) => [o.public_key, o.host]));
  const keyByName = new Map([...nameByKey].map(([k, n]) => [n, k]));
  const addrOf = (h: string) => byName.get(h)?.wireguard_address.split('/')[0] ?? '';
  const names = [...expectedHosts, ...observations.map((o) => o.host).filter((h) => !expectedHosts.includes(h))];
  const reflectors = observations.filter((o) => o.router);

  const hosts: HostFact[] = names.map((h) => {
    const o = byName.get(h);
    if (!o) return { host: h, answered: false, reflector: false, address: '' };
    return { host: h, answered: true, reflector: o.router, address: addrOf(h), mtu: o.mtu, wireguard_up: o.wg_rc === 0, observed_at: o.now };
  });

  const bgp: BgpFact[] = [];
  for (const rr of reflectors) {
    const peers = parseBgpSummary(rr.bgp_summary);
    for (const h of expectedHosts.filter((x) => x !== rr.host)) {
      const address = addrOf(h);
      const p = address ? peers.find((x) => x.address === address) : undefined;
      bgp.push({
        host: h,
        reflector: rr.host,
        address,
        state: p?.state ?? 'absent',
        up: p?.state === 'Established',
        ...(p?.prefixesReceived !== undefined ? { prefixes_received: p.prefixesReceived } : {}),
      });
    }
  }

  const bfd: BfdFact[] = [];
  for (const o of observations.filter((x) => x.bfd_expected)) {
    const sessions = parseBfdPeers(o.bfd_peers ?? '');
    const watched = bfdPeers(
      o,
      expectedHosts,
      reflectors.map((r) => r.host),
    );
    for (const peer of watched) {
      const address = addrOf(peer);
      const b = address ? sessions.find((x) => x.peer === address) : undefined;
      bfd.push({
        host: o.host,
        peer,
        address,
        status: b?.status ?? 'absent',
        up: b?.status === 'up',
        ...(b?.detectMultiplier !== undefined ? { detect_multiplier: b.detectMultiplier } : {}),
        ...(b?.receiveInterval !== undefined ? { receive_interval_ms: b.receiveInterval } : {}),
        ...(b?.transmitInterval !== undefined ? { transmit_interval_ms: b.transmitInterval } : {}),
      });
    }
  }

  const handshakes: HandshakeFact[] = [];
  const mtu: MtuFact[] = [];
  for (const o of observations) {
    if (o.wg_rc === 0) {
      const hs = parseHandshakes(o.wg_handshakes);
      for (const peer of o.peers) {
        const key = keyByName.get(peer);
        const epoch = key ? hs.get(key) : undefined;
        const age = epoch ? Math.max(0, o.now - epoch) : null;
        handshakes.push({ host: o.host, peer, age_seconds: age, fresh: age !== null && age <= maxAge });
      }
    }
    for (const [peer, rc] of o.pings) mtu.push({ host: o.host, peer, mtu: o.mtu, ok: rc === 0, exit_code: rc });
  }
  return { hosts, bgp, bfd, handshakes, mtu };
}

/** Hosts with anything wrong: not answered, WireGuard down, or a failed session, handshake or probe of theirs. */
export function troubledHosts(f: OverlayFacts): Set<string> {
  const bad = new Set<string>();
  for (const h of f.hosts) if (!h.answered || h.wireguard_up === false) bad.add(h.host);
  for (const b of f.bgp) if (!b.up) bad.add(b.host);
  for (const b of f.bfd) if (!b.up) bad.add(b.host);
  for (const h of f.handshakes) if (!h.fresh) bad.add(h.host);
  for (const m of f.mtu) if (!m.ok) bad.add(m.host);
  return bad;
}
