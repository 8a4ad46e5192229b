/**
 * Measuring what a fault costs on the lab:
 * - a ping from a VM (a namespace inside a KVM host's container) to another
 *   VM at a fixed interval, stopped on demand, and from its replies the
 *   longest outage (gap between successful replies) and the lost count;
 * - polls of the reflectors' `show bgp l2vpn evpn summary json` to time how
 *   long until a VTEP's session is no longer Established on every reflector
 *   (or Established again on all of them).
 * Scripts are fixed; values travel as positional arguments (exec.ts LabRunner).
 */
import { bgpSummaryPeers } from '../core/verify.js';
import type { LabRunner } from './exec.js';

/**
 * Pings until stopped (or for at most `max` seconds): timestamps (-D), a line
 * for each reply not yet answered (-O). The PID goes to a file named by the
 * caller's id so STOP_PING_SCRIPT can end it with SIGINT (ping then prints its
 * totals). Args: ns target interval-seconds max-seconds id.
 */
export const LONG_PING_SCRIPT = `set -u
ns=$1 target=$2 interval=$3 max=$4 id=$5
dir=/run/edge-wizard-outage
mkdir -p "$dir"
ip netns exec "$ns" ping -D -n -O -i "$interval" -W 1 -w "$max" "$target" &
pid=$!
echo "$pid" > "$dir/$id.pid"
wait "$pid"
rc=$?
rm -f "$dir/$id.pid"
exit "$rc"
`;

/** Ends the ping started with this id (waits up to 3 s for it to have started). Args: id. */
export const STOP_PING_SCRIPT = `f=/run/edge-wizard-outage/$1.pid
for _ in $(seq 30); do [ -s "$f" ] && break; sleep 0.1; done
[ -s "$f" ] && kill -INT "$(cat "$f")" 2>/dev/null
exit 0
`;

/** One ping, one second at most. Args: ns target. */
export const PROBE_SCRIPT = `ip netns exec "$1" ping -n -c 1 -W 1 "$2" >/dev/null 2>&1
`;

/** The reflector's view of its EVPN sessions. No args. */
export const EVPN_SUMMARY_SCRIPT = `vtysh -c 'show bgp l2vpn evpn summary json'
`;

export interface PingReply {
  seq: number;
  /** Receive time, ms since the epoch (ping -D). */
  at: number;
}

export interface ParsedPing {
  replies: PingReply[];
  transmitted: number;
  received: number;
}

/** Reads ping -D output: replies by sequence number (duplicates dropped) and the totals line. */
export function parsePing(stdout: string): ParsedPing {
  const seen = new Map<number, PingReply>();
  for (const m of stdout.matchAll(/^\[(\d+(?:\.\d+)?)\] \d+ bytes from [^:]+: icmp_seq=(\d+) /gm)) {
    const seq = Number(m[2]);
    if (!seen.has(seq)) seen.set(seq, { seq, at: Math.round(Number(m[1]) * 1000) });
  }
  const totals = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  const replies = [...seen.values()].sort((a, b) => a.seq - b.seq);
  return { replies, transmitted: totals ? Number(totals[1]) : (replies.at(-1)?.seq ?? 0), received: totals ? Number(totals[2]) : replies.length };
}

export interface OutageFigures {
  intervalMs: number;
  sent: number;
  received: number;
  /** Requests never answered (those still in flight when the ping was stopped after a recovery are not counted). */
  lost: number;
  /** Longest time without a reply beyond the ping interval: the gap between two replies minus one interval; 0 when none was missed. */
  outageMs: number;
  /** When that longest outage began (the last reply before it), ms since the epoch. */
  outageFrom?: number;
  /** False when the last replies were missing at the end (the outage was still going on when the ping stopped). */
  recovered: boolean;
}

/**
 * The outage in a ping run. `stoppedAt` (ms since the epoch) is when the ping
 * was told to stop: a last reply older than one second plus an interval means
 * the run ended in an outage, which then counts up to `stoppedAt`.
 */
export function outageOf(p: ParsedPing, intervalMs: number, stoppedAt?: number, startedAt?: number): OutageFigures {
  const { replies } = p;
  const sent = Math.max(p.transmitted, replies.at(-1)?.seq ?? 0);
  if (replies.length === 0) {
    const span = stoppedAt !== undefined && startedAt !== undefined ? stoppedAt - startedAt : sent * intervalMs;
    return { intervalMs, sent, received: 0, lost: sent, outageMs: Math.max(0, span), outageFrom: startedAt, recovered: false };
  }
  let outageMs = 0;
  let outageFrom: number | undefined;
  for (let i = 1; i < replies.length; i++) {
    const gap = replies[i]!.at - replies[i - 1]!.at - intervalMs;
    if (gap > outageMs) {
      outageMs = gap;
      outageFrom = replies[i - 1]!.at;
    }
  }
  const first = replies[0]!;
  const last = replies.at(-1)!;
  // Missing sequence numbers up to the last reply, including any before the first one.
  let lost = last.seq - replies.length;
  let recovered = true;
  if (stoppedAt !== undefined && stoppedAt - last.at > 1000 + intervalMs) {
    recovered = false;
    lost += Math.max(0, sent - last.seq);
    const tail = stoppedAt - last.at - intervalMs;
    if (tail > outageMs) {
      outageMs = tail;
      outageFrom = last.at;
    }
  }
  if (first.seq > 1 && startedAt !== undefined && first.at - startedAt - intervalMs > outageMs) {
    outageMs = first.at - startedAt - intervalMs;
    outageFrom = startedAt;
  }
  return { intervalMs, sent, received: replies.length, lost, outageMs: Math.max(0, Math.round(outageMs)), outageFrom, recovered };
}

export interface PingOptions {
  /** The host whose container holds the VM, and the VM's namespace there. */
  host: string;
  ns: string;
  target: string;
  intervalMs: number;
  /** Upper bound of the run (seconds); stop() normally ends it earlier. */
  maxSeconds: number;
  now?: () => number;
}

export interface PingHandle {
  startedAt: number;
  /** Ends the ping and returns its figures. */
  stop: () => Promise<OutageFigures & { stdout: string }>;
}

let pingCounter = 0;

/** Starts a ping from a VM to an address; returns at once. */
export function startPing(runner: LabRunner, o: PingOptions): PingHandle {
  const now = o.now ?? Date.now;
  const id = `p${process.pid}-${Date.now()}-${++pingCounter}`;
  const interval = (o.intervalMs / 1000).toFixed(3);
  const startedAt = now();
  const done = runner(o.host, LONG_PING_SCRIPT, [o.ns, o.target, interval, String(o.maxSeconds), id], { timeoutMs: (o.maxSeconds + 30) * 1000 });
  return {
    startedAt,
    stop: async () => {
      const stoppedAt = now();
      await runner(o.host, STOP_PING_SCRIPT, [id]);
      const r = await done;
      if (!/packets transmitted/.test(r.stdout)) {
        throw new Error(`The ping from ${o.ns} on ${o.host} to ${o.target} did not run: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}`);
      }
      return { ...outageOf(parsePing(r.stdout), o.intervalMs, stoppedAt, startedAt), stdout: r.stdout };
    },
  };
}

export interface Clock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const realClock: Clock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Probes once a second until the VM answers; the time it answered (ms since the epoch), or undefined after timeoutMs. */
export async function waitReachable(
  runner: LabRunner,
  o: { host: string; ns: string; target: string; timeoutMs: number },
  clock: Clock = realClock,
): Promise<number | undefined> {
  const deadline = clock.now() + o.timeoutMs;
  for (;;) {
    const r = await runner(o.host, PROBE_SCRIPT, [o.ns, o.target], { timeoutMs: 10_000 });
    if (r.exitCode === 0) return clock.now();
    if (clock.now() > deadline) return undefined;
    await clock.sleep(200);
  }
}

/** EVPN session state by peer address, from `show bgp l2vpn evpn summary json` (core/verify.ts reads it); undefined if it is not that JSON. */
export function evpnPeerStates(json: string): Record<string, string> | undefined {
  const peers = bgpSummaryPeers(json);
  return peers && Object.fromEntries(peers.map((p) => [p.address, p.state]));
}

/** A reflector's EVPN sessions; undefined when it cannot be asked (not running, bgpd not answering). */
export async function reflectorPeers(runner: LabRunner, reflector: string): Promise<Record<string, string> | undefined> {
  const r = await runner(reflector, EVPN_SUMMARY_SCRIPT, [], { timeoutMs: 15_000 });
  if (r.exitCode !== 0) return undefined;
  return evpnPeerStates(r.stdout);
}

export interface PeerWait {
  /** Seconds from `since` until the last reflector met the condition; undefined on timeout. */
  seconds?: number;
  /** Seconds per reflector (undefined: not met before the timeout). */
  perReflector: Record<string, number | undefined>;
  timedOut: boolean;
  /** Polls made (each reflector once per round). */
  rounds: number;
}

/**
 * Polls every reflector until `peer` is not Established on any of them
 * ('withdrawn') or Established on all of them ('established'). Times are
 * taken when a poll's answer arrives, so each figure is an upper bound within
 * one poll (interval + vtysh time) of the event. A reflector that cannot be
 * asked counts as not meeting the condition.
 */
export async function waitPeer(
  runner: LabRunner,
  o: { reflectors: string[]; peer: string; until: 'withdrawn' | 'established'; since: number; timeoutMs: number; intervalMs?: number },
  clock: Clock = realClock,
): Promise<PeerWait> {
  const met: Record<string, number | undefined> = Object.fromEntries(o.reflectors.map((r) => [r, undefined]));
  const deadline = o.since + o.timeoutMs;
  let rounds = 0;
  for (;;) {
    rounds++;
    await Promise.all(
      o.reflectors
        .filter((r) => met[r] === undefined)
        .map(async (r) => {
          const peers = await reflectorPeers(runner, r);
          const at = clock.now();
          if (!peers) return;
          const established = peers[o.peer] === 'Established';
          if (o.until === 'withdrawn' ? !established : established) met[r] = (at - o.since) / 1000;
        }),
    );
    const values = Object.values(met);
    if (values.every((v) => v !== undefined)) {
      return { seconds: Math.max(...(values as number[])), perReflector: met, timedOut: false, rounds };
    }
    if (clock.now() > deadline) return { perReflector: met, timedOut: true, rounds };
    await clock.sleep(o.intervalMs ?? 100);
  }
}
