/**
 * Pure judgement of the overlay state `playbooks/verify.yml` collects: EVPN
 * sessions on every route reflector, BFD sessions, WireGuard handshakes,
 * don't-fragment pings.
 */

import { findDrift, parseMarks, type HostMarks } from './drift.js';

/** What verify.yml saves per host (`<verify dir>/<host>.json`). */
export interface HostObservation {
  host: string;
  router: boolean;
  wireguard_address: string;
  mtu: number;
  /** Host clock, epoch seconds. */
  now: number;
  /** `wg show <if> latest-handshakes`: `<public key>\t<epoch>` per peer. */
  wg_handshakes: string;
  wg_rc: number;
  public_key: string;
  /** `vtysh -c 'show bgp l2vpn evpn summary json'` (route reflectors only). */
  bgp_summary: string;
  /** BFD is part of this host's FRR layer (frr_layer_bfd.enabled). */
  bfd_expected?: boolean;
  /** `vtysh -c 'show bfd peers json'`. */
  bfd_peers?: string;
  /** [peer name, ping exit code] */
  pings: Array<[string, number]>;
  /** [name, BGP address] of each interconnect gateway this host has a session with (the ingress). */
  gateways?: Array<[string, string]>;
  /** [name, public key] of each interconnect gateway this host is a WireGuard peer of. */
  external_peers?: Array<[string, string]>;
  peers: string[];
  peer_addresses: string[];
  /** Digests of what the deploy left on the host (core/drift.ts), `key=value` lines. */
  marks?: string;
}

export interface Check {
  kind: 'bgp' | 'bfd' | 'handshake' | 'mtu' | 'drift';
  /** What was checked, e.g. "kvm_london Established on ingress". */
  title: string;
  ok: boolean;
  detail?: string;
}

export interface VerifyReport {
  ok: boolean;
  checks: Check[];
  /**
   * Sessions to interconnect gateways: reported, never judged (`ok` ignores them), as the
   * other side is configured by its own operator, often after our deploy.
   */
  interconnect?: Check[];
  /** What each host holds now (core/drift.ts), recorded by a deploy that ends verified. */
  marks?: Record<string, HostMarks>;
}

export interface BgpPeer {
  address: string;
  state: string;
  prefixesReceived?: number;
  /** A peer the listen range accepted (FRR marks it with `*` or dynamicPeer). */
  dynamic?: true;
}

/** FRR's summary JSON (8.x/9.x/10.x shapes) -> peers by address (dynamic `*` prefix removed); `[]` when it is not JSON. */
export function parseBgpSummary(json: string): BgpPeer[] {
  return bgpSummaryPeers(json) ?? [];
}

/**
 * `show bgp [l2vpn evpn] summary json` -> its peers (the one reader of it: verify, and the lab's
 * outage and gateway probes); undefined when the text is not a JSON object.
 */
export function bgpSummaryPeers(json: string): BgpPeer[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!data || typeof data !== 'object') return undefined;
  const found: BgpPeer[] = [];
  const visit = (o: unknown, depth: number) => {
    if (!o || typeof o !== 'object' || depth > 4) return;
    const rec = o as Record<string, unknown>;
    if (rec.peers && typeof rec.peers === 'object') {
      for (const [addr, p] of Object.entries(rec.peers as Record<string, Record<string, unknown>>)) {
        found.push({
          address: addr.replace(/^\*/, ''),
          state: String(p.state ?? p.peerState ?? 'unknown'),
          prefixesReceived: typeof p.pfxRcd === 'number' ? p.pfxRcd : undefined,
          ...(addr.startsWith('*') || p.dynamicPeer === true ? { dynamic: true as const } : {}),
        });
      }
      return;
    }
    for (const v of Object.values(rec)) visit(v, depth + 1);
  };
  visit(data, 0);
  return found;
}

export interface BfdPeer {
  peer: string;
  status: string;
  detectMultiplier?: number;
  receiveInterval?: number;
  transmitInterval?: number;
}

/** FRR's `show bfd peers json` (a list of sessions) -> peers by address. */
export function parseBfdPeers(json: string): BfdPeer[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(data)) return [];
  return data.flatMap((p: Record<string, unknown>) =>
    typeof p?.peer === 'string'
      ? [
          {
            peer: p.peer,
            status: String(p.status ?? 'unknown'),
            detectMultiplier: typeof p['detect-multiplier'] === 'number' ? p['detect-multiplier'] : undefined,
            receiveInterval: typeof p['receive-interval'] === 'number' ? p['receive-interval'] : undefined,
            transmitInterval: typeof p['transmit-interval'] === 'number' ? p['transmit-interval'] : undefined,
          },
        ]
      : [],
  );
}

/** `wg show <if> latest-handshakes` -> public key -> epoch seconds (0 = never). */
export function parseHandshakes(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, epoch] = line.trim().split(/\s+/);
    if (key && epoch !== undefined && /^\d+$/.test(epoch)) out.set(key, Number(epoch));
  }
  return out;
}

/**
 * The hosts whose BFD session a host should have up: a VTEP watches every reflector;
 * a reflector watches every other mesh host, the other reflectors included
 * (roles/frr_layer's bgpd template).
 */
export function bfdPeers(o: Pick<HostObservation, 'host' | 'router'>, expectedHosts: string[], reflectorHosts: string[]): string[] {
  return (o.router ? expectedHosts : reflectorHosts).filter((h) => h !== o.host);
}

const bgpDetail = (p: BgpPeer | undefined) =>
  p ? `state ${p.state}${p.prefixesReceived !== undefined ? `, ${p.prefixesReceived} prefixes received` : ''}` : 'no session';
const bfdDetail = (b: BfdPeer | undefined, missing: string) =>
  b ? `status ${b.status}${b.detectMultiplier && b.receiveInterval ? `, ${b.detectMultiplier} x ${b.receiveInterval} ms` : ''}` : missing;
const handshakeDetail = (epoch: number | undefined, age: number | undefined) =>
  epoch === undefined ? 'peer unknown on this host' : epoch === 0 ? 'never' : `${age}s ago`;

export interface JudgeOptions {
  /** A handshake older than this is stale (WireGuard rekeys every 120 s while traffic flows). */
  maxHandshakeAge?: number;
  /** The marks the last verified deploy recorded: each difference is a failed `drift` check. */
  recorded?: Record<string, HostMarks>;
}

export function judge(observations: HostObservation[], expectedHosts: string[], opts: JudgeOptions = {}): VerifyReport {
  const maxAge = opts.maxHandshakeAge ?? 180;
  const checks: Check[] = [];
  const byName = new Map(observations.map((o) => [o.host, o]));
  const nameByKey = new Map(observations.filter((o) => o.public_key).map((o) => [o.public_key, o.host]));
  // Looked up once per peer: a hub of a large hub topology has a thousand peers.
  const keyByName = new Map([...nameByKey].map(([k, n]) => [n, k]));
  const addrOf = (h: string) => byName.get(h)?.wireguard_address.split('/')[0];

  for (const h of expectedHosts) {
    if (!byName.has(h))
      checks.push({ kind: 'handshake', title: `${h} answered`, ok: false, detail: 'no data: the host was unreachable or the collection failed' });
  }

  const reflectors = observations.filter((o) => o.router);
  if (!reflectors.length) {
    checks.push({ kind: 'bgp', title: 'route reflector answered', ok: false, detail: 'no data from the router group host' });
  }
  // Every other mesh host (VTEPs, and the other reflectors) must be Established on every reflector.
  for (const rr of reflectors) {
    const peers = parseBgpSummary(rr.bgp_summary);
    if (!peers.length) {
      checks.push({
        kind: 'bgp',
        title: `EVPN sessions on ${rr.host}`,
        ok: false,
        detail: `no BGP l2vpn evpn peers on ${rr.host} (is bgpd running and bgpd.conf written?)`,
      });
    }
    for (const h of expectedHosts.filter((x) => x !== rr.host)) {
      const addr = addrOf(h) ?? '?';
      const p = peers.find((x) => x.address === addr);
      checks.push({
        kind: 'bgp',
        title: `${h} (${addr}) Established on ${rr.host}`,
        ok: p?.state === 'Established',
        detail: bgpDetail(p),
      });
    }
  }

  for (const o of observations.filter((x) => x.bfd_expected)) {
    const sessions = parseBfdPeers(o.bfd_peers ?? '');
    const watched = bfdPeers(
      o,
      expectedHosts,
      reflectors.map((r) => r.host),
    );
    for (const h of watched) {
      const addr = addrOf(h) ?? '?';
      const b = sessions.find((x) => x.peer === addr);
      checks.push({
        kind: 'bfd',
        title: `BFD ${o.host} -> ${h} (${addr}) up`,
        ok: b?.status === 'up',
        detail: bfdDetail(b, 'no BFD session (is bfdd running and the FRR layer applied?)'),
      });
    }
  }

  for (const o of observations) {
    const hs = parseHandshakes(o.wg_handshakes);
    if (o.wg_rc !== 0) {
      checks.push({ kind: 'handshake', title: `WireGuard up on ${o.host}`, ok: false, detail: 'wg show failed: wg-quick@wg0 is not running' });
      continue;
    }
    for (const peer of o.peers) {
      const key = keyByName.get(peer);
      const epoch = key ? hs.get(key) : undefined;
      const age = epoch ? o.now - epoch : undefined;
      checks.push({
        kind: 'handshake',
        title: `handshake ${o.host} -> ${peer}`,
        ok: age !== undefined && age <= maxAge,
        detail: handshakeDetail(epoch, age),
      });
    }
    for (const [peer, rc] of o.pings) {
      checks.push({
        kind: 'mtu',
        title: `${o.mtu}-byte DF ping ${o.host} -> ${peer}`,
        ok: rc === 0,
        detail: rc === 0 ? 'passes' : `ping exit ${rc}`,
      });
    }
  }
  const marks = Object.fromEntries(observations.map((o) => [o.host, parseMarks(o.marks)]).filter(([, m]) => m)) as Record<string, HostMarks>;
  for (const d of findDrift(marks, opts.recorded)) {
    checks.push({ kind: 'drift', title: `${d.host} as the last deploy left it`, ok: false, detail: `${d.detail}; deploy repairs it (${d.steps.join(', ')})` });
  }
  const interconnect = judgeGateways(observations, maxAge);
  return { ok: checks.every((c) => c.ok), checks, ...(interconnect.length ? { interconnect } : {}), ...(Object.keys(marks).length ? { marks } : {}) };
}

/** The BGP and BFD sessions to interconnect gateways and the WireGuard handshakes with them. */
function judgeGateways(observations: HostObservation[], maxAge: number): Check[] {
  const out: Check[] = [];
  for (const o of observations) {
    const bgp = o.gateways?.length ? parseBgpSummary(o.bgp_summary) : [];
    const bfd = o.gateways?.length && o.bfd_expected ? parseBfdPeers(o.bfd_peers ?? '') : [];
    for (const [name, addr] of o.gateways ?? []) {
      const p = bgp.find((x) => x.address === addr);
      out.push({
        kind: 'bgp',
        title: `gateway ${name} (${addr}) Established on ${o.host}`,
        ok: p?.state === 'Established',
        detail: bgpDetail(p),
      });
      if (!o.bfd_expected) continue;
      const b = bfd.find((x) => x.peer === addr);
      out.push({ kind: 'bfd', title: `BFD ${o.host} -> gateway ${name} (${addr}) up`, ok: b?.status === 'up', detail: bfdDetail(b, 'no BFD session') });
    }
    const hs = o.external_peers?.length ? parseHandshakes(o.wg_handshakes) : new Map<string, number>();
    for (const [name, key] of o.external_peers ?? []) {
      const epoch = hs.get(key);
      const age = epoch ? o.now - epoch : undefined;
      out.push({
        kind: 'handshake',
        title: `handshake ${o.host} -> gateway ${name}`,
        ok: age !== undefined && age <= maxAge,
        detail: handshakeDetail(epoch, age),
      });
    }
  }
  return out;
}

export function formatReport(r: VerifyReport): string {
  const line = (c: Check, bad: string) => `${c.ok ? 'ok  ' : bad} ${c.title}${c.detail ? ` (${c.detail})` : ''}`;
  const lines = r.checks.map((c) => line(c, 'FAIL'));
  if (r.interconnect?.length) {
    lines.push(`interconnect gateways (reported, not judged: the other side is configured by its own operator):`);
    lines.push(...r.interconnect.map((c) => line(c, 'down')));
  }
  return lines.join('\n');
}
