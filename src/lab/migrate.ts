/**
 * A real VM live-migrated between clusters on the lab, measured per migration:
 * QEMU's own downtime, the largest gap in a 20 ms ping from a guest on a third
 * host, whether that guest's TCP stream to it (echoed back by the migrating
 * guest) survived without a reset, and on every route reflector whether the
 * guest's MAC is now advertised from the new VTEP (EVPN type-2 with a higher
 * MAC-mobility sequence number) and no longer from the old one.
 *
 * The guests (src/lab/guest.ts) run under QEMU in the KVM hosts' containers
 * (src/lab/qemu.ts), each on a tap in the VNET's bridge that OpenNebula's vxlan
 * driver (ONE_SOURCE, src/lab/one-driver.ts) or its replay (src/lab/vms.ts)
 * created. The migration goes over wg0, to a port in 49152-49215 (QEMU's
 * migration range the firewall step opens).
 */
import { fromInt, maskToPrefix, toInt } from '../core/net.js';
import type { Scenario } from '../core/scenario.js';
import type { LabDeps, LabRunner } from './exec.js';
import { hostDir, type LabPaths } from './files.js';
import { alive } from './hosts.js';
import { readState } from './state.js';
import type { LabTopology } from './topology.js';
import type { GuestImage } from './guest.js';
import {
  GuestConsole,
  Qmp,
  TAP_DOWN_SCRIPT,
  TAP_UP_SCRIPT,
  findQemu,
  guestName,
  leaseMac,
  startQemu,
  tapName,
  type Accel,
  type GuestFiles,
  type GuestSpec,
  type MigrateInfo,
} from './qemu.js';
import type { VmPlan } from './vms.js';

/** QEMU's migration port on the destination (the first of libvirt's 49152-49215). */
export const MIGRATION_PORT = 49152;
/** The ping the third guest sends to the migrating one. */
export const PING_INTERVAL_MS = 20;
export const GUEST_MEMORY_MIB = 128;
/** The issue's target for the largest ping gap of one migration (QEMU's 300 ms downtime limit plus the EVPN MAC move). */
export const PING_GAP_TARGET_MS = 500;
/** QEMU's default downtime limit, set explicitly. */
export const DOWNTIME_LIMIT_MS = 300;
/** The migrating guest's and the streaming guest's OpenNebula VM ids. */
const MOVER_ID = 100;
const STREAMER_ID = 101;

export interface MigrationRow {
  vm: string;
  from: string;
  to: string;
  /** QEMU's own figure (query-migrate "downtime"), ms. */
  downtimeMs?: number;
  /** QEMU's total migration time, ms. */
  totalMs?: number;
  /** Largest gap between replies of the third guest's 20 ms ping across the migration, ms. */
  pingGapMs?: number;
  /** The third guest's TCP connection still open and still echoed after the migration. */
  streamIntact: boolean;
  /** Reflectors that show the MAC from the new VTEP with a higher MAC-mobility seq, and not from the old one. */
  macMoved: string[];
  reflectors: string[];
  /** The MAC-mobility sequence number the new VTEP advertised. */
  seq?: number;
  /** What each reflector that did not show the move had instead. */
  notMoved?: string[];
  ok: boolean;
  error?: string;
}

export interface MigrationProof {
  rows: MigrationRow[];
  accel: Accel;
  /** Lines the stream echoed back in all, and whether they came back in order with none missing. */
  echoedLines: number;
  streamInOrder: boolean;
  ok: boolean;
}

/** One line per migration, as `demo --migrate` prints it. */
export function formatMigration(r: MigrationRow): string {
  if (r.error) return `live migration ${r.vm} ${r.from} -> ${r.to}: FAILED (${r.error})`;
  const n = (v?: number) => (v === undefined ? '?' : String(Math.round(v)));
  return (
    `live migration ${r.vm} ${r.from} -> ${r.to}: QEMU downtime ${n(r.downtimeMs)} ms, ping gap ${n(r.pingGapMs)} ms, ` +
    `TCP stream ${r.streamIntact ? 'intact' : 'BROKEN'}, MAC moved on ${r.macMoved.length}/${r.reflectors.length} reflectors`
  );
}

/** The sum line: how many passed, and the worst figures. */
export function formatMigrationSum(p: MigrationProof): string {
  const max = (f: (r: MigrationRow) => number | undefined) => Math.max(0, ...p.rows.map((r) => f(r) ?? 0));
  const avg = (f: (r: MigrationRow) => number | undefined) => {
    const v = p.rows.map(f).filter((x): x is number => x !== undefined);
    return v.length ? Math.round(v.reduce((a, b) => a + b, 0) / v.length) : 0;
  };
  return (
    `${p.rows.filter((r) => r.ok).length}/${p.rows.length} live migrations ok (${p.accel.toUpperCase()}): QEMU downtime avg ${avg((r) => r.downtimeMs)} ms, max ${max((r) => r.downtimeMs)} ms; ` +
    `ping gap avg ${avg((r) => r.pingGapMs)} ms, max ${max((r) => r.pingGapMs)} ms, at most ${PING_GAP_TARGET_MS} ms on ${p.rows.filter((r) => r.pingGapMs !== undefined && r.pingGapMs <= PING_GAP_TARGET_MS).length}/${p.rows.length}; TCP stream intact through ${p.rows.filter((r) => r.streamIntact).length}/${p.rows.length} ` +
    `(${p.echoedLines} lines echoed${p.streamInOrder ? ', in order, none missing' : ', OUT OF ORDER OR MISSING'}); MAC moved on every reflector ${p.rows.filter((r) => r.reflectors.length > 0 && r.macMoved.length === r.reflectors.length).length}/${p.rows.length}`
  );
}

/** One EVPN type-2 route for a MAC as a reflector holds it. */
export interface MacRoute {
  rd: string;
  nexthop: string;
  /** MAC-mobility sequence number (0 when the route carries no MM community). */
  seq: number;
}

/** The reflector's type-2 routes for one MAC. No args. */
export const EVPN_MACIP_SCRIPT = `vtysh -c 'show bgp l2vpn evpn route type macip json'
`;

/**
 * The type-2 routes for `mac` in `show bgp l2vpn evpn route type macip json` (FRR 8.4 and
 * later): one per RD and nexthop, with the MAC-mobility sequence number ("MM:<seq>" in the
 * extended communities, "MM:<seq>, sticky MAC" when sticky). Every path is counted.
 */
export function macRoutes(json: string, mac: string): MacRoute[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!data || typeof data !== 'object') return undefined;
  const out: MacRoute[] = [];
  const want = mac.toLowerCase();
  for (const [rd, byRd] of Object.entries(data as Record<string, unknown>)) {
    if (!byRd || typeof byRd !== 'object') continue;
    for (const [prefix, entry] of Object.entries(byRd as Record<string, unknown>)) {
      if (!prefix.toLowerCase().includes(`[${want}]`) || !entry || typeof entry !== 'object') continue;
      const paths = ((entry as { paths?: unknown }).paths ?? []) as unknown[];
      for (const p of paths.flat() as Array<{ nexthops?: Array<{ ip?: string }>; extendedCommunity?: { string?: string } }>) {
        const nh = p?.nexthops?.[0]?.ip ?? '';
        const mm = p?.extendedCommunity?.string?.match(/\bMM:(\d+)/);
        out.push({ rd, nexthop: nh, seq: mm ? Number(mm[1]) : 0 });
      }
    }
  }
  return out;
}

/** Whether a reflector's routes show the move: the new VTEP's route with seq > before, none from the old VTEP. */
export function macMovedTo(routes: MacRoute[] | undefined, newVtep: string, oldVtep: string, seqBefore: number): { moved: boolean; seq?: number } {
  if (!routes) return { moved: false };
  const fresh = routes.filter((r) => r.nexthop === newVtep);
  const seq = fresh.length ? Math.max(...fresh.map((r) => r.seq)) : undefined;
  const stale = routes.some((r) => r.nexthop === oldVtep);
  return { moved: seq !== undefined && seq > seqBefore && !stale, seq };
}

export interface MigrationSetup {
  lab: string;
  paths: LabPaths;
  t: LabTopology;
  /** The guest's kernel and initramfs (guest.ts ensureGuest, built from the root network namespace: it downloads). */
  guest: GuestImage;
  scenario: Scenario;
  /** The VNET's plan (vms.ts vmPlan; the bridges exist on every KVM host). */
  plan: VmPlan[];
  /** wg0 address of each host (with prefix), from generate. */
  addresses: Record<string, string>;
  reflectors: string[];
  /** The two hosts the guest moves between (it starts on `from`), and the host of the streaming guest. */
  from: string;
  to: string;
  third: string;
  /** Round trips (there and back = 2 migrations each). */
  roundTrips: number;
  accel?: Accel;
}

export interface MigrationDeps {
  lab: LabDeps;
  /** Runs fixed scripts in a host's container (faults.ts containerRunner). */
  runner: LabRunner;
  say: (line: string) => void;
}

const ip = (cidr: string): string => cidr.split('/')[0]!;

function initPidOf(paths: LabPaths, host: string): number {
  const pid = readState(paths.state)?.hosts[host]?.initPid;
  if (pid === undefined || !alive(pid)) throw new Error(`${host} is not running`);
  return pid;
}

interface Running {
  host: string;
  nsenterPid: number;
  qmp: Qmp;
  files: GuestFiles;
}

/**
 * Boots the migrating guest on `from` and a streaming guest on `third`, then
 * migrates the first one `from` -> `to` -> `from` ... (2 x roundTrips), measuring
 * each move. Everything it started is stopped at the end (the taps removed).
 */
export async function proveMigration(s: MigrationSetup, deps: MigrationDeps): Promise<MigrationProof> {
  const { runner, say } = deps;
  const accel: Accel = s.accel ?? 'tcg';
  const img = s.guest;
  const net = s.scenario.networks[0]!;
  const prefix = maskToPrefix(net.network_mask)!;
  const top = toInt(net.ar_start) + net.ar_size - 1;
  // The top of the range: the fault suite's moving namespace VM takes the last lease.
  const moverIp = fromInt(top - 1);
  const streamerIp = fromInt(top - 2);
  // The VNET as the plan has it: its bridge and its template's MTU (vms.ts vnetMtu).
  const { bridge, guestMtu: mtu } = s.plan.find((p) => p.net === 0)!;
  const spec = (id: number, addr: string): GuestSpec => ({
    id,
    mac: leaseMac(addr),
    address: `${addr}/${prefix}`,
    mtu,
    bridge,
    memoryMiB: GUEST_MEMORY_MIB,
    accel,
    kernel: img.kernel,
    initrd: img.initrd,
  });
  const mover = spec(MOVER_ID, moverIp);
  const streamer = spec(STREAMER_ID, streamerIp);
  const files = (host: string, id: number): GuestFiles => {
    const d = `${hostDir(
      s.paths,
      s.t.hosts.find((h) => h.name === host)!,
    )}/qemu`;
    return { qmp: `${d}/${guestName(id)}.qmp`, console: `${d}/${guestName(id)}.con`, log: `${d}/${guestName(id)}.log` };
  };
  const script = async (host: string, text: string, args: string[]) => {
    const r = await runner(host, text, args);
    if (r.exitCode !== 0) throw new Error(`on ${host}: ${r.stderr.trim().split('\n').pop()}`);
  };
  const boot = async (host: string, g: GuestSpec, incoming?: string): Promise<Running> => {
    await script(host, TAP_UP_SCRIPT, [tapName(g.id), g.bridge, String(g.mtu)]);
    const f = files(host, g.id);
    const nsenterPid = await startQemu(deps.lab, initPidOf(s.paths, host), g, f, s.lab, incoming);
    const qmp = await Qmp.connect(f.qmp);
    return { host, nsenterPid, qmp, files: f };
  };
  const stop = async (r: Running | undefined, g: GuestSpec) => {
    if (!r) return;
    await r.qmp.execute('quit').catch(() => undefined);
    r.qmp.close();
    const deadline = Date.now() + 10_000;
    while (alive(r.nsenterPid) && Date.now() < deadline) await deps.lab.sleep(50);
    if (alive(r.nsenterPid)) process.kill(r.nsenterPid, 'SIGKILL');
    await runner(r.host, TAP_DOWN_SCRIPT, [tapName(g.id)]);
  };

  let src: Running | undefined;
  let third: Running | undefined;
  let con: GuestConsole | undefined;
  const rows: MigrationRow[] = [];
  let echoedLines = 0;
  let streamInOrder = false;
  try {
    say(
      `    booting ${guestName(MOVER_ID)} (${moverIp}, MAC ${mover.mac}) on ${s.from} and ${guestName(STREAMER_ID)} (${streamerIp}) on ${s.third}: QEMU ${accel.toUpperCase()}, ${GUEST_MEMORY_MIB} MiB, tap in ${bridge}, MTU ${mtu}`,
    );
    const bootStart = Date.now();
    src = await boot(s.from, mover);
    third = await boot(s.third, streamer);
    con = await GuestConsole.connect(third.files.console);
    const moverCon = await GuestConsole.connect(src.files.console);
    // Booted, and its NIC up with the leased MAC and the VNET's MTU (the line /init prints).
    const up = await Promise.all([
      con.waitFor(/EW-GUEST-UP ([0-9a-f:]*) (\d*)/, 180_000, `${guestName(STREAMER_ID)} to boot`),
      moverCon.waitFor(/EW-GUEST-UP ([0-9a-f:]*) (\d*)/, 180_000, `${guestName(MOVER_ID)} to boot`),
    ]);
    moverCon.close();
    for (const [m, g, host] of [
      [up[0], streamer, s.third],
      [up[1], mover, s.from],
    ] as const) {
      if (m[1] !== g.mac || Number(m[2]) !== g.mtu)
        throw new Error(
          `${guestName(g.id)} on ${host} booted with NIC "${m[1]}" MTU "${m[2]}", not ${g.mac} MTU ${g.mtu} (its console: ${files(host, g.id).log}.console)`,
        );
    }
    say(`    both guests booted in ${((Date.now() - bootStart) / 1000).toFixed(1)} s`);
    const reach = await con.run(`i=0; until ping -c 1 -W 1 ${moverIp} >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 60 ] && exit 1; done; echo reached`, 90_000);
    if (!reach.stdout.includes('reached')) throw new Error(`${guestName(STREAMER_ID)} on ${s.third} does not reach ${guestName(MOVER_ID)} on ${s.from}`);
    await con.run(`ping -i 0.${String(PING_INTERVAL_MS).padStart(3, '0')} ${moverIp} > /tmp/ping 2>&1 & echo $! > /tmp/ping.pid`);
    await con.run(
      `(i=0; while :; do i=$((i+1)); echo $i; usleep ${PING_INTERVAL_MS * 1000}; done) | nc ${moverIp} 5000 > /tmp/echo 2>/tmp/nc.err & echo $! > /tmp/nc.pid`,
    );
    await deps.lab.sleep(2000);

    const seqs: Record<string, number> = {};
    let here = s.from;
    for (let i = 0; i < s.roundTrips * 2; i++) {
      const there = here === s.from ? s.to : s.from;
      const row: MigrationRow = { vm: guestName(MOVER_ID), from: here, to: there, streamIntact: false, macMoved: [], reflectors: s.reflectors, ok: false };
      try {
        const before = await con.run(`tail -n 1 /tmp/ping | sed -n 's/.*seq=\\([0-9]*\\).*/\\1/p'; wc -l < /tmp/echo`);
        const [seq0 = 0, echo0 = 0] = before.stdout.trim().split('\n').map(Number);
        const dstIp = ip(s.addresses[there]!);
        const dst = await boot(there, mover, `tcp:${dstIp}:${MIGRATION_PORT}`);
        await src!.qmp.execute('migrate-set-parameters', { 'downtime-limit': DOWNTIME_LIMIT_MS, 'max-bandwidth': 1024 * 1024 * 1024 });
        await src!.qmp.execute('migrate', { uri: `tcp:${dstIp}:${MIGRATION_PORT}` });
        let info: MigrateInfo;
        const deadline = Date.now() + 180_000;
        for (;;) {
          info = await src!.qmp.execute<MigrateInfo>('query-migrate');
          if (info.status === 'completed' || info.status === 'failed' || info.status === 'cancelled') break;
          if (Date.now() > deadline) throw new Error(`still "${info.status}" after 180 s`);
          await deps.lab.sleep(50);
        }
        if (info.status !== 'completed') {
          await stop(dst, mover);
          throw new Error(`QEMU says ${info.status}${info['error-desc'] ? `: ${info['error-desc']}` : ''}`);
        }
        row.downtimeMs = info.downtime;
        row.totalMs = info['total-time'];
        const old = src;
        src = dst;
        // The destination runs the guest once it has loaded the last state the source sent; then
        // the source goes, as libvirt does it (Finish on the destination, then Confirm on the source).
        let status = '';
        const runDeadline = Date.now() + 30_000;
        while ((status = (await dst.qmp.execute<{ status: string }>('query-status')).status) !== 'running' && Date.now() < runDeadline)
          await deps.lab.sleep(20);
        await stop(old, mover);
        if (status !== 'running') throw new Error(`the guest is "${status}" on ${there} 30 s after the migration`);
        // The MAC on every reflector: the new VTEP's route with a higher seq, the old one's gone.
        const oldVtep = ip(s.addresses[here]!);
        const newVtep = ip(s.addresses[there]!);
        const macDeadline = Date.now() + 15_000;
        const moved = new Map<string, number | undefined>();
        const seen: Record<string, MacRoute[] | undefined> = {};
        while (moved.size < s.reflectors.length && Date.now() < macDeadline) {
          for (const rr of s.reflectors.filter((x) => !moved.has(x))) {
            const r = await runner(rr, EVPN_MACIP_SCRIPT, [], { timeoutMs: 15_000 });
            seen[rr] = r.exitCode === 0 ? macRoutes(r.stdout, mover.mac) : undefined;
            const m = macMovedTo(seen[rr], newVtep, oldVtep, seqs[rr] ?? -1);
            if (m.moved) moved.set(rr, m.seq);
          }
          if (moved.size < s.reflectors.length) await deps.lab.sleep(250);
        }
        row.macMoved = [...moved.keys()];
        row.notMoved = s.reflectors
          .filter((rr) => !moved.has(rr))
          .map(
            (rr) =>
              `${rr} has ${seen[rr]?.map((x) => `${x.nexthop} MM:${x.seq}`).join(', ') || 'no route'} (wanted ${newVtep} with MM > ${seqs[rr] ?? -1}, none from ${oldVtep})`,
          );
        for (const [rr, seq] of moved) seqs[rr] = seq ?? 0;
        row.seq = [...moved.values()][0];
        // Let a few seconds of pings and stream pass after the move, then read both.
        await deps.lab.sleep(3000);
        const gap = await con.run(
          `awk -v s=${seq0} '/seq=/{ split($0, a, "seq="); split(a[2], b, " "); q = b[1] + 0; if (q > s) { if (p != "" && q - p > m) m = q - p; p = q } } END { print m + 0, p + 0 }' /tmp/ping`,
        );
        const [maxDiff = 0, last = 0] = gap.stdout.trim().split(/\s+/).map(Number);
        row.pingGapMs = last > seq0 ? maxDiff * PING_INTERVAL_MS : undefined;
        const after = await con.run('kill -0 $(cat /tmp/nc.pid) && wc -l < /tmp/echo');
        const echo1 = Number(after.stdout.trim().split('\n').pop());
        row.streamIntact = after.code === 0 && echo1 > echo0 + 10;
        row.ok = row.streamIntact && row.pingGapMs !== undefined && row.macMoved.length === s.reflectors.length;
      } catch (e) {
        row.error = (e as Error).message.split('\n')[0];
      }
      rows.push(row);
      say(`    ${formatMigration(row)}`);
      for (const n of row.notMoved ?? []) say(`      ${n}`);
      if (row.error) break;
      here = there;
    }
    const fin = await con.run(
      'kill $(cat /tmp/ping.pid) 2>/dev/null; n=$(wc -l < /tmp/echo); head -n "$n" /tmp/echo | awk \'NR != $1 { bad++ } END { print NR, bad + 0 }\'; cat /tmp/nc.err',
    );
    const [lines = 0, bad = 1] = fin.stdout.trim().split('\n')[0]!.split(/\s+/).map(Number);
    echoedLines = lines;
    streamInOrder = lines > 0 && bad === 0;
  } finally {
    con?.close();
    await stop(src, mover).catch(() => undefined);
    await stop(third, streamer).catch(() => undefined);
    // Anything left by a crash: by name, this lab's only.
    for (const id of [MOVER_ID, STREAMER_ID]) for (const pid of findQemu(s.lab, id)) process.kill(pid, 'SIGKILL');
  }
  const ok = rows.length === s.roundTrips * 2 && rows.every((r) => r.ok) && streamInOrder;
  return { rows, accel, echoedLines, streamInOrder, ok };
}
