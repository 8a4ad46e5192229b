/**
 * The fault suite (`npm run faults`, bench/faults.js): on a lab deployed as
 * `edge-wizard demo` does it, one fault at a time, each measured by what a VM
 * sees (pings every 100 ms, 50 ms for the move, between VMs in different
 * clusters) or by what the reflectors say, printed as one row per fault with
 * its target. Figures are never flattered: a time runs from the start of the
 * command that caused the fault, a poll's time is when its answer arrived.
 *
 * Deploy lives above the lab layer: the caller injects it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateScenario } from '../src/core/index.js';
import { fromInt, toInt } from '../src/core/net.js';
import type { Scenario, ScenarioInput } from '../src/core/scenario.js';
import { defaultDeps, type LabDeps, type LabRunner } from '../src/lab/exec.js';
import { containerRunner, labCut, labHeal, labReboot } from '../src/lab/faults.js';
import { DEFAULT_CACHE_DIR, labScenario } from '../src/lab/files.js';
import { ensureGuest } from '../src/lab/guest.js';
import { formatMigration, proveMigration } from '../src/lab/migrate.js';
import { context, labUp, type LabOptions } from '../src/lab/lab.js';
import { containmentCounters } from '../src/lab/netns.js';
import { startPing, waitPeer, waitReachable, type Clock, type OutageFigures } from '../src/lab/outage.js';
import { createVms, pingMatrix, vmPlan, type VmPlan } from '../src/lab/vms.js';

export const FAULTS = [
  { id: 'rr-frr-stop', fault: 'FRR on one route reflector stopped 8 s, then started', target: '0 lost pings' },
  { id: 'rr-cut', fault: "one route reflector's host cut off", target: '<= 1 s outage' },
  { id: 'vtep-cut', fault: 'a VTEP cut off silently: time until every reflector withdraws it', target: '<= 1.5 s' },
  { id: 'wg-restart', fault: 'wg-quick@wg0 restarted on a KVM host', target: '<= 1 s outage to its VMs, VXLAN devices intact' },
  { id: 'reboot', fault: 'a KVM host rebooted', target: 'converged <= 30 s after boot' },
  { id: 'add-host', fault: 'a KVM host added to the running overlay with deploy', target: '0 lost pings between existing VMs' },
  { id: 'vm-move', fault: 'a VM moved to a host in the other cluster (same MAC and IP)', target: '<= 0.5 s outage' },
  { id: 'vm-migrate', fault: 'a VM live-migrated across clusters (QEMU)', target: 'ping gap <= 0.5 s, TCP stream intact, MAC moved on every reflector' },
] as const;

export type FaultId = (typeof FAULTS)[number]['id'];
export const FAULT_IDS: readonly FaultId[] = FAULTS.map((f) => f.id);

export interface FaultRow {
  id: FaultId;
  fault: string;
  measured: string;
  target: string;
  result: 'pass' | 'FAIL' | 'not measured';
  notes: string[];
  /** Wall time the row took, seconds. */
  seconds: number;
}

export interface DeployFn {
  (scenario: Scenario, source: string, outDir: string): Promise<{ ok: boolean; addresses: Record<string, string>; report: string }>;
}

export interface SuiteDeps {
  /** The lab's deps (exec already in the controller's namespace when the caller wants one). */
  lab: LabDeps;
  deploy: DeployFn;
  say: (line: string) => void;
}

export interface SuiteOptions extends LabOptions {
  only?: FaultId[];
}

/** Scripts run inside the containers (fixed text, values as arguments). */
const FRR_STOP = 'systemctl stop frr\n';
const FRR_START = 'systemctl reset-failed frr 2>/dev/null; systemctl start frr\n';
const WG_RESTART = 'systemctl restart wg-quick@wg0\n';
const LINK_EXISTS = 'ip link show "$1" >/dev/null 2>&1\n';

/** The MAC address of a VM's NIC. Args: ns. */
const VM_MAC_OF_NS = 'ip netns exec "$1" cat /sys/class/net/eth0/address\n';
/** OpenNebula gives a VM's NIC its MAC from the lease: a VM started again keeps it. Args: ns mac. */
const SET_VM_MAC = 'ip -n "$1" link set eth0 address "$2"\n';

/**
 * A VM that moves: create it running (or paused: its NIC down inside), pause,
 * resume (NIC up, then one ping out, as QEMU announces a migrated VM), remove.
 * A migrated guest keeps its ARP cache: the paused copy knows the peer's MAC.
 * Args: op ns bridge mtu mac address peer peer-mac.
 */
export const MOVER_SCRIPT = `set -eu
op=$1 ns=$2 br=$3 mtu=$4 mac=$5 addr=$6 peer=$7 peermac=$8
nic="$ns-nic"
case "$op" in
  create-running|create-paused)
    [ -e "/run/netns/$ns" ] || ip netns add "$ns"
    ip link show "$nic" >/dev/null 2>&1 || ip link add "$nic" mtu "$mtu" type veth peer name eth0 netns "$ns"
    ip -n "$ns" link set eth0 down
    ip -n "$ns" link set eth0 address "$mac" mtu "$mtu"
    ip link set "$nic" master "$br" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr replace "$addr" dev eth0
    if [ "$op" = create-running ]; then ip -n "$ns" link set eth0 up; fi
    ip -n "$ns" neigh replace "$peer" lladdr "$peermac" dev eth0 nud stale ;;
  pause) ip -n "$ns" link set eth0 down ;;
  resume)
    ip -n "$ns" link set eth0 up
    ip netns exec "$ns" ping -n -c 1 -W 1 "$peer" >/dev/null 2>&1 & ;;
  remove) ip link del "$nic" 2>/dev/null || true; ip netns del "$ns" 2>/dev/null || true ;;
esac
`;

const MOVER_NS = 'vmmv';
const MOVER_MAC = '02:ee:00:00:00:01';

const ip = (cidr: string): string => cidr.split('/')[0]!;
const s1 = (ms: number): string => (ms / 1000).toFixed(1);
const s2 = (ms: number): string => (ms / 1000).toFixed(2);

/** The reflectors: the `router` group of the generated inventory (one-deploy renders the reflector template there). */
export function reflectorsOf(hostsYml: string, fallback: string): string[] {
  // Only the group names are read: values Ansible must not template are tagged !unsafe, a tag YAML's parser need not know.
  const doc = parse(hostsYml, { logLevel: 'error' }) as { router?: { hosts?: Record<string, unknown> } } | null;
  const names = Object.keys(doc?.router?.hosts ?? {});
  return names.length > 0 ? names : [fallback];
}

/** The scenario input without one KVM host (the spare the add-host fault deploys). */
export function withoutHost(input: ScenarioInput, host: string): ScenarioInput {
  const copy = structuredClone(input);
  copy.clusters = (copy.clusters ?? []).map((c) => ({ ...c, hosts: (c?.hosts ?? []).filter((h) => h?.name !== host) }));
  return copy;
}

function describeOutage(f: OutageFigures): string {
  return `${f.recovered ? '' : 'not recovered: '}outage ${s2(f.outageMs)} s, ${f.lost} of ${f.sent} lost`;
}

interface World {
  opts: SuiteOptions;
  deps: SuiteDeps;
  runner: LabRunner;
  clock: Clock;
  scenario: Scenario;
  source: string;
  outDir: string;
  phydev: string;
  /** Every VM that should be running, by host. */
  plan: VmPlan[];
  addresses: Record<string, string>;
  reflectors: string[];
  inetCounters: () => Promise<number>;
}

const vmOn = (w: World, host: string): VmPlan => {
  const p = w.plan.find((x) => x.host === host);
  if (!p) throw new Error(`no VM on ${host}`);
  return p;
};

/** A pinger and a target VM in different clusters, neither on an excluded host; first hosts of each cluster first. */
function pickPair(w: World, exclude: string[]): [VmPlan, VmPlan] {
  const ok = w.plan.filter((p) => !exclude.includes(p.host));
  const clusters = [...new Set(w.plan.map((p) => p.cluster))];
  const a = ok.find((p) => p.cluster === clusters[0]);
  const b = ok.find((p) => p.cluster === clusters[1]);
  if (!a || !b) throw new Error('no pair of VMs in different clusters outside the fault');
  return [a, b];
}

/** Re-creates any missing VXLAN device or VM (idempotent) and waits until every VM reaches one in another cluster. */
async function ensureHealthy(w: World, timeoutMs = 180_000): Promise<string[]> {
  await createVms(w.plan, w.runner, w.phydev).catch(() => undefined);
  const failing: string[] = [];
  const deadline = w.clock.now() + timeoutMs;
  for (const p of w.plan) {
    const other = w.plan.find((x) => x.cluster !== p.cluster);
    if (!other) continue;
    const left = Math.max(1000, deadline - w.clock.now());
    if ((await waitReachable(w.runner, { host: p.host, ns: p.vmNs, target: ip(other.vmAddress), timeoutMs: left }, w.clock)) === undefined) {
      failing.push(`${p.host} -> ${other.host}`);
    }
  }
  return failing;
}

/** Waits for a recovery: every condition met and at least minMs since `from`, or the cap. Returns when, or undefined. */
async function settle(
  w: World,
  from: number,
  minMs: number,
  capMs: number,
  ...conditions: Array<(left: number) => Promise<boolean>>
): Promise<number | undefined> {
  let ok = true;
  for (const c of conditions) ok = (await c(Math.max(1000, from + capMs - w.clock.now()))) && ok;
  const at = w.clock.now();
  const rest = from + minMs - w.clock.now();
  if (rest > 0) await w.clock.sleep(rest);
  return ok ? at : undefined;
}

const reachable = (w: World, from: VmPlan, to: string) => async (left: number) =>
  (await waitReachable(w.runner, { host: from.host, ns: from.vmNs, target: to, timeoutMs: left }, w.clock)) !== undefined;

const established = (w: World, hosts: string[], peer: string) => async (left: number) =>
  !(await waitPeer(w.runner, { reflectors: hosts, peer, until: 'established', since: w.clock.now(), timeoutMs: left, intervalMs: 500 }, w.clock)).timedOut;

type Measured = Pick<FaultRow, 'measured' | 'result' | 'notes'> & { fault?: string };

async function rrFrrStop(w: World): Promise<Measured> {
  const rr = w.reflectors[0]!;
  const [a, b] = pickPair(w, [rr]);
  const vteps = w.plan.map((p) => p.host).filter((h) => h !== rr);
  const ping = startPing(w.runner, { host: a.host, ns: a.vmNs, target: ip(b.vmAddress), intervalMs: 100, maxSeconds: 600 });
  await w.clock.sleep(2000);
  const stop = await w.runner(rr, FRR_STOP, []);
  if (stop.exitCode !== 0) throw new Error(`systemctl stop frr on ${rr} failed: ${stop.stderr.trim()}`);
  await w.clock.sleep(8000);
  const start = await w.runner(rr, FRR_START, []);
  const started = w.clock.now();
  if (start.exitCode !== 0) throw new Error(`systemctl start frr on ${rr} failed: ${start.stderr.trim()}`);
  const back = await settle(w, started, 10_000, 180_000, ...vteps.map((v) => established(w, [rr], w.addresses[v]!)), reachable(w, a, ip(b.vmAddress)));
  const f = await ping.stop();
  return {
    fault: `FRR on one route reflector (${rr}) stopped 8 s, then started`,
    measured: `${f.lost} lost (${describeOutage(f)})`,
    result: f.lost === 0 && f.recovered ? 'pass' : 'FAIL',
    notes: [
      `VM ${a.host} -> VM ${b.host} every 100 ms; ${back === undefined ? 'sessions or pings NOT back 180 s after the start' : `sessions and pings back ${s1(back - started)} s after the start`}`,
    ],
  };
}

async function rrCut(w: World): Promise<Measured> {
  const rr = w.reflectors[0]!;
  const [a, b] = pickPair(w, [rr]);
  const vteps = w.plan.map((p) => p.host).filter((h) => h !== rr);
  const rrAddress = w.addresses[rr]!;
  const ping = startPing(w.runner, { host: a.host, ns: a.vmNs, target: ip(b.vmAddress), intervalMs: 100, maxSeconds: 900 });
  await w.clock.sleep(2000);
  const { at: cutAt } = await labCut({ ...w.opts, host: rr }, w.deps.lab);
  // Keep it cut until every VTEP has given up on it (its hold time without BFD), then 5 s more.
  const gone = await waitPeer(w.runner, { reflectors: vteps, peer: rrAddress, until: 'withdrawn', since: cutAt, timeoutMs: 200_000, intervalMs: 250 }, w.clock);
  await w.clock.sleep(5000);
  const healAt = w.clock.now();
  await labHeal({ ...w.opts, host: rr }, w.deps.lab);
  const back = await settle(w, healAt, 5000, 180_000, ...vteps.map((v) => established(w, [v], rrAddress)), reachable(w, a, ip(b.vmAddress)));
  const f = await ping.stop();
  return {
    fault: `one route reflector's host (${rr}) cut off`,
    measured: describeOutage(f),
    result: f.recovered && f.outageMs <= 1000 ? 'pass' : 'FAIL',
    notes: [
      `VM ${a.host} -> VM ${b.host} every 100 ms; cut for ${s1(healAt - cutAt)} s: ${gone.timedOut ? 'some VTEPs still had the session after 200 s' : `every VTEP dropped its session with ${rr} after ${s2(gone.seconds! * 1000)} s`}, plus 5 s`,
      back === undefined ? 'sessions or pings NOT back 180 s after heal' : `sessions with ${rr} and pings back ${s1(back - healAt)} s after heal`,
    ],
  };
}

async function vtepCut(w: World): Promise<Measured> {
  const v = victim(w);
  const rrs = w.reflectors.filter((r) => r !== v);
  const peer = w.addresses[v]!;
  const icmpBefore = await w.inetCounters();
  const { at: cutAt } = await labCut({ ...w.opts, host: v }, w.deps.lab);
  const gone = await waitPeer(w.runner, { reflectors: rrs, peer, until: 'withdrawn', since: cutAt, timeoutMs: 200_000, intervalMs: 100 }, w.clock);
  const icmpAfter = await w.inetCounters();
  const healAt = w.clock.now();
  await labHeal({ ...w.opts, host: v }, w.deps.lab);
  const back = await waitPeer(w.runner, { reflectors: rrs, peer, until: 'established', since: healAt, timeoutMs: 180_000, intervalMs: 250 }, w.clock);
  const per = Object.entries(gone.perReflector)
    .map(([r, s]) => `${r} ${s === undefined ? '>200' : s.toFixed(2)} s`)
    .join(', ');
  return {
    fault: `a VTEP (${v}) cut off silently: time until every reflector withdraws it`,
    measured: gone.timedOut ? `> 200 s (${per})` : `${gone.seconds!.toFixed(2)} s (${per})`,
    result: !gone.timedOut && gone.seconds! <= 1.5 ? 'pass' : 'FAIL',
    notes: [
      `from the moment its bridge ports began to close (the host silent both ways); reflectors polled every 100 ms, a time is when the answer arrived`,
      `ICMP errors sent by the internet namespace meanwhile: ${icmpAfter - icmpBefore}`,
      back.timedOut
        ? `NOT Established again on every reflector 180 s after heal`
        : `Established again on every reflector ${back.seconds!.toFixed(1)} s after heal`,
    ],
  };
}

function pickPairSafe(w: World, exclude: string[]): string[] {
  try {
    return pickPair(w, exclude).map((p) => p.host);
  } catch {
    return [];
  }
}

/** A KVM host for a host fault: not a reflector when possible, not the first host of a cluster (those ping). */
function victim(w: World): string {
  const pair = pickPairSafe(w, []);
  const hosts = w.plan.map((p) => p.host).filter((h) => !pair.includes(h));
  return hosts.find((h) => !w.reflectors.includes(h)) ?? hosts[0] ?? w.plan.at(-1)!.host;
}

async function wgRestart(w: World): Promise<Measured> {
  const h = victim(w);
  const target = vmOn(w, h);
  const pinger = w.plan.find((p) => p.cluster !== target.cluster)!;
  const ping = startPing(w.runner, { host: pinger.host, ns: pinger.vmNs, target: ip(target.vmAddress), intervalMs: 100, maxSeconds: 300 });
  await w.clock.sleep(2000);
  const at = w.clock.now();
  const r = await w.runner(h, WG_RESTART, []);
  const restartMs = w.clock.now() - at;
  if (r.exitCode !== 0) throw new Error(`systemctl restart wg-quick@wg0 on ${h} failed: ${r.stderr.trim()}`);
  const intact = (await w.runner(h, LINK_EXISTS, [target.vxlanDev])).exitCode === 0;
  const back = await settle(w, at, 5000, 30_000, reachable(w, pinger, ip(target.vmAddress)));
  const f = await ping.stop();
  return {
    fault: `wg-quick@wg0 restarted on a KVM host (${h})`,
    measured: `${describeOutage(f)}; VXLAN device ${target.vxlanDev} ${intact ? 'intact' : 'GONE'}`,
    result: intact && f.recovered && f.outageMs <= 1000 ? 'pass' : 'FAIL',
    notes: [
      `VM ${pinger.host} -> VM ${h} every 100 ms; the restart took ${s1(restartMs)} s; ${back === undefined ? 'not reachable again within 30 s (the suite then re-created what was missing, as OpenNebula would on a VM redeploy)' : `reachable ${s1(back - at)} s after it began`}`,
    ],
  };
}

async function reboot(w: World): Promise<Measured> {
  const h = victim(w);
  const target = vmOn(w, h);
  const pinger = w.plan.find((p) => p.cluster !== target.cluster)!;
  const rrs = w.reflectors.filter((r) => r !== h);
  const vmMac = (await w.runner(h, VM_MAC_OF_NS, [target.vmNs])).stdout.trim();
  let watch: Promise<{ bgp?: number; vm?: number; vmCreated?: number }> | undefined;
  const startWatch = async (bootAt: number) => {
    const bgp = waitPeer(
      w.runner,
      { reflectors: rrs, peer: w.addresses[h]!, until: 'established', since: bootAt, timeoutMs: 120_000, intervalMs: 250 },
      w.clock,
    );
    // OpenNebula starts the host's VMs again once it reaches the host: the VM is re-created as soon as the container answers.
    const vm = (async () => {
      const deadline = bootAt + 120_000;
      let created: number | undefined;
      while (created === undefined && w.clock.now() < deadline) {
        try {
          await createVms([target], w.runner, w.phydev);
          if (/^[0-9a-f:]{17}$/.test(vmMac)) await w.runner(h, SET_VM_MAC, [target.vmNs, vmMac]);
          created = w.clock.now();
        } catch {
          await w.clock.sleep(250);
        }
      }
      if (created === undefined) return {};
      const ok = await waitReachable(
        w.runner,
        { host: pinger.host, ns: pinger.vmNs, target: ip(target.vmAddress), timeoutMs: Math.max(1000, deadline - w.clock.now()) },
        w.clock,
      );
      return { vmCreated: created, vm: ok };
    })();
    const [b, v] = await Promise.all([bgp, vm]);
    return { bgp: b.timedOut ? undefined : bootAt + b.seconds! * 1000, ...v };
  };
  let bootAt = 0;
  const r = await labReboot({ ...w.opts, host: h }, w.deps.lab, {
    onBooting: (at) => {
      bootAt = at;
      watch = startWatch(at);
    },
  });
  const seen = await watch!;
  const rel = (t?: number) => (t === undefined ? undefined : (t - bootAt) / 1000);
  const bgp = rel(seen.bgp);
  const vm = rel(seen.vm);
  const converged = bgp === undefined || vm === undefined ? undefined : Math.max(bgp, vm);
  return {
    fault: `a KVM host (${h}) rebooted`,
    measured:
      converged === undefined
        ? `not converged 120 s after boot (sessions ${bgp === undefined ? 'not Established' : `${bgp.toFixed(1)} s`}, VM ${vm === undefined ? 'unreachable' : `${vm.toFixed(1)} s`})`
        : `converged ${converged.toFixed(1)} s after boot`,
    result: converged !== undefined && converged <= 30 ? 'pass' : 'FAIL',
    notes: [
      `down ${r.downSeconds.toFixed(1)} s (${r.method}); after boot: systemd "${r.systemState}" at ${r.systemSeconds.toFixed(1)} s${r.failedUnits.length ? ` (failed: ${r.failedUnits.join(', ')})` : ''}, sshd ${r.sshSeconds.toFixed(1)} s`,
      `Established on every reflector (${rrs.join(', ')}) ${bgp === undefined ? 'NOT within 120 s' : `at ${bgp.toFixed(1)} s`}; its VM re-created at ${rel(seen.vmCreated)?.toFixed(1) ?? 'never'} s and reached from VM ${pinger.host} ${vm === undefined ? 'NOT within 120 s' : `at ${vm.toFixed(1)} s`}`,
    ],
  };
}

async function addHost(w: World, spare: string | undefined, full: Scenario): Promise<Measured> {
  if (!spare) {
    return {
      measured: 'not measured',
      result: 'not measured',
      notes: ['the lab was deployed with every host (run the suite with add-host selected to keep a spare)'],
    };
  }
  const existing = w.plan;
  const clusters = [...new Set(existing.map((p) => p.cluster))];
  const targets = existing.filter((p) => p.cluster === clusters[1]);
  const pingers = existing.filter((p) => p.cluster === clusters[0]);
  const pings = pingers.map((a) => ({
    a,
    b: targets[0]!,
    h: startPing(w.runner, { host: a.host, ns: a.vmNs, target: ip(targets[0]!.vmAddress), intervalMs: 100, maxSeconds: 900 }),
  }));
  await w.clock.sleep(2000);
  const at = w.clock.now();
  const d = await w.deps.deploy(full, w.source, w.outDir);
  const deployS = (w.clock.now() - at) / 1000;
  await w.clock.sleep(3000);
  const figures = await Promise.all(pings.map(async (p) => ({ ...p, f: await p.h.stop() })));
  w.scenario = full;
  w.addresses = { ...w.addresses, ...d.addresses };
  w.reflectors = reflectorsOf(readFileSync(join(w.outDir, 'hosts.yml'), 'utf8'), full.ingress.name);
  w.plan = vmPlan(full, w.addresses).filter((p) => p.net === 0);
  const newVm = vmOn(w, spare);
  let joined = 'not tried (deploy failed)';
  if (d.ok) {
    await createVms([newVm], w.runner, w.phydev);
    const other = w.plan.find((p) => p.cluster !== newVm.cluster)!;
    joined = (await waitReachable(w.runner, { host: other.host, ns: other.vmNs, target: ip(newVm.vmAddress), timeoutMs: 60_000 }, w.clock))
      ? `its VM reached from VM ${other.host}`
      : `its VM NOT reached from VM ${other.host} within 60 s`;
  }
  const lost = figures.reduce((n, x) => n + x.f.lost, 0);
  const worst = Math.max(...figures.map((x) => x.f.outageMs));
  return {
    fault: `a KVM host (${spare}) added to the running overlay with deploy`,
    measured: `${lost} lost (longest outage ${s2(worst)} s${figures.every((x) => x.f.recovered) ? '' : ', not recovered'})`,
    result: d.ok && lost === 0 && figures.every((x) => x.f.recovered) ? 'pass' : 'FAIL',
    notes: [
      `deploy ${d.ok ? 'converged' : 'FAILED'} in ${deployS.toFixed(0)} s; ${joined}`,
      ...figures.map((x) => `VM ${x.a.host} -> VM ${x.b.host} every 100 ms: ${describeOutage(x.f)}`),
      ...(d.ok ? [] : [d.report.trim().split('\n').slice(-5).join(' | ')]),
    ],
  };
}

async function vmMove(w: World): Promise<Measured> {
  const [a] = pickPair(w, []);
  const from = [...w.plan].reverse().find((p) => p.cluster !== a.cluster)!;
  const to = w.plan.find((p) => p.cluster === a.cluster && p.host !== a.host) ?? a;
  const s = w.scenario;
  const net = s.networks[0]!;
  const address = `${fromInt(toInt(net.ar_start) + net.ar_size - 1)}/${a.vmAddress.split('/')[1]}`;
  const peerMac = (await w.runner(a.host, VM_MAC_OF_NS, [a.vmNs])).stdout.trim();
  if (!/^[0-9a-f:]{17}$/.test(peerMac)) throw new Error(`no MAC for the VM on ${a.host}`);
  const args = (op: string, p: VmPlan) => [op, MOVER_NS, p.bridge, String(p.guestMtu), MOVER_MAC, address, ip(a.vmAddress), peerMac];
  const mover = async (op: string, p: VmPlan) => {
    const r = await w.runner(p.host, MOVER_SCRIPT, args(op, p));
    if (r.exitCode !== 0) throw new Error(`mover ${op} on ${p.host} failed: ${r.stderr.trim()}`);
  };
  try {
    await mover('create-running', from);
    await mover('create-paused', to);
    if ((await waitReachable(w.runner, { host: a.host, ns: a.vmNs, target: ip(address), timeoutMs: 60_000 }, w.clock)) === undefined) {
      throw new Error(`the VM to move (${ip(address)} on ${from.host}) is not reachable from VM ${a.host}`);
    }
    const ping = startPing(w.runner, { host: a.host, ns: a.vmNs, target: ip(address), intervalMs: 50, maxSeconds: 300 });
    await w.clock.sleep(2000);
    const at = w.clock.now();
    await mover('pause', from);
    await mover('resume', to);
    const switchMs = w.clock.now() - at;
    const back = await settle(w, at, 5000, 60_000, reachable(w, a, ip(address)));
    const f = await ping.stop();
    return {
      fault: `a VM moved from ${from.host} to ${to.host} in the other cluster (same MAC and IP)`,
      measured: describeOutage(f),
      result: f.recovered && f.outageMs <= 500 ? 'pass' : 'FAIL',
      notes: [
        `VM ${a.host} -> the moving VM every 50 ms; the switch (paused on ${from.host}, resumed on ${to.host}) took ${switchMs} ms; ${back === undefined ? 'NOT reachable 60 s later' : `reachable ${s1(back - at)} s after it began`}`,
      ],
    };
  } finally {
    await w.runner(from.host, MOVER_SCRIPT, args('remove', from));
    await w.runner(to.host, MOVER_SCRIPT, args('remove', to));
  }
}

/**
 * A real VM (QEMU, src/lab/migrate.ts) live-migrated from the first host of one cluster to the
 * first of the other and back, while a VM on a third host pings it every 20 ms and streams TCP
 * to it; the row is the worse of the two migrations.
 */
async function vmMigrate(w: World): Promise<Measured> {
  const clusters = [...new Set(w.plan.map((p) => p.cluster))];
  const from = w.plan.find((p) => p.cluster === clusters[0])!.host;
  const to = w.plan.find((p) => p.cluster === clusters[1])!.host;
  const third = w.plan.map((p) => p.host).find((h) => h !== from && h !== to);
  if (!third) throw new Error('no third KVM host for the VM that pings and streams');
  const { t, paths } = context(w.opts);
  // Built (downloaded) from the root network namespace: the suite's controller namespace has no route out.
  const guest = await ensureGuest(defaultDeps(), w.opts.cacheDir ?? DEFAULT_CACHE_DIR);
  const p = await proveMigration(
    { lab: w.opts.name, paths, t, guest, scenario: w.scenario, plan: w.plan, addresses: w.addresses, reflectors: w.reflectors, from, to, third, roundTrips: 1 },
    { lab: w.deps.lab, runner: w.runner, say: () => undefined },
  );
  const gap = Math.max(...p.rows.map((r) => r.pingGapMs ?? Infinity));
  const moved = p.rows.every((r) => r.macMoved.length === r.reflectors.length);
  return {
    fault: `a VM live-migrated across clusters (QEMU ${p.accel.toUpperCase()}, ${from} -> ${to} and back)`,
    measured: `ping gap ${Number.isFinite(gap) ? `${s2(gap)} s` : 'not measured'}, TCP stream ${p.rows.every((r) => r.streamIntact) && p.streamInOrder ? 'intact' : 'BROKEN'}, MAC moved on every reflector ${moved ? 'both times' : 'NOT both times'}`,
    result: p.ok && gap <= 500 ? 'pass' : 'FAIL',
    notes: [
      ...p.rows.map(formatMigration),
      `VM on ${third} -> the migrating VM: ping every 20 ms and a TCP stream echoed back (${p.echoedLines} lines${p.streamInOrder ? ', in order' : ', NOT in order'})`,
    ],
  };
}

/** Run order: add-host first (the lab starts without its spare), the reboot last. */
const RUN_ORDER: FaultId[] = ['add-host', 'rr-frr-stop', 'rr-cut', 'vtep-cut', 'wg-restart', 'vm-move', 'vm-migrate', 'reboot'];

/**
 * Builds the lab (if needed), deploys it as demo does (without one KVM host
 * when add-host is selected), creates the VMs, then runs each selected fault,
 * restoring the overlay between faults. Returns the rows in the issue's order.
 */
export async function runFaultSuite(opts: SuiteOptions, deps: SuiteDeps): Promise<FaultRow[]> {
  const { say } = deps;
  const selected = new Set<FaultId>(opts.only ?? FAULT_IDS);
  const clock: Clock = { now: deps.lab.now, sleep: deps.lab.sleep };
  say(`Building lab "${opts.name}"...`);
  const up = await labUp(opts, deps.lab);
  const { t } = context(opts);
  const input = labScenario(t, up.paths);
  const full = validateScenario(input, up.paths.scenario).scenario;
  const kvm = full.clusters.flatMap((c) => c.hosts.map((h) => h.name));
  const spare = selected.has('add-host') && kvm.length > 3 ? kvm.at(-1) : undefined;
  const first = spare ? validateScenario(withoutHost(input, spare), up.paths.scenario).scenario : full;
  const outDir = join(up.paths.dir, 'inventory');
  say(`Deploying ${up.paths.scenario}${spare ? ` without ${spare} (the spare the add-host fault deploys)` : ''}...`);
  const d = await deps.deploy(first, up.paths.scenario, outDir);
  if (!d.ok) throw new Error(`The first deploy on the lab did not converge:\n${d.report}`);
  const runner = containerRunner(deps.lab, opts);
  const w: World = {
    opts,
    deps,
    runner,
    clock,
    scenario: first,
    source: up.paths.scenario,
    outDir,
    phydev: first.wireguard.interface,
    plan: vmPlan(first, d.addresses).filter((p) => p.net === 0), // the faults use the first network
    addresses: d.addresses,
    reflectors: reflectorsOf(readFileSync(join(outDir, 'hosts.yml'), 'utf8'), first.ingress.name),
    inetCounters: async () => (await containmentCounters(deps.lab, t)).icmpOutDestUnreachs,
  };
  say('Creating the VXLAN devices and one VM per KVM host, as demo does...');
  await createVms(w.plan, runner, w.phydev);
  const pings = await pingMatrix(w.plan, runner);
  const unreachable = pings.filter((p) => !p.reachable);
  if (unreachable.length > 0) throw new Error(`VMs do not reach each other before any fault: ${unreachable.map((p) => `${p.from} -> ${p.to}`).join(', ')}`);
  say(`Reflectors: ${w.reflectors.join(', ')}; VMs: ${w.plan.map((p) => `${p.host} ${ip(p.vmAddress)}`).join(', ')}`);

  const rows = new Map<FaultId, FaultRow>();
  for (const id of RUN_ORDER) {
    const meta = FAULTS.find((f) => f.id === id)!;
    if (!selected.has(id)) continue;
    const started = clock.now();
    let row: FaultRow;
    const sick = id === 'add-host' ? [] : await ensureHealthy(w);
    if (sick.length > 0) {
      row = {
        id,
        fault: meta.fault,
        target: meta.target,
        measured: 'not measured',
        result: 'not measured',
        notes: [`the overlay was not healthy before it (no ping ${sick.join(', ')} within 180 s)`],
        seconds: 0,
      };
    } else {
      say(`Fault: ${meta.fault}...`);
      try {
        const m =
          id === 'rr-frr-stop'
            ? await rrFrrStop(w)
            : id === 'rr-cut'
              ? await rrCut(w)
              : id === 'vtep-cut'
                ? await vtepCut(w)
                : id === 'wg-restart'
                  ? await wgRestart(w)
                  : id === 'reboot'
                    ? await reboot(w)
                    : id === 'add-host'
                      ? await addHost(w, spare, full)
                      : id === 'vm-migrate'
                        ? await vmMigrate(w)
                        : await vmMove(w);
        row = { id, target: meta.target, ...m, fault: m.fault ?? meta.fault, seconds: 0 };
      } catch (e) {
        row = {
          id,
          fault: meta.fault,
          target: meta.target,
          measured: 'not measured',
          result: 'not measured',
          notes: [`error: ${(e as Error).message.split('\n')[0]}`],
          seconds: 0,
        };
      }
    }
    row.seconds = (clock.now() - started) / 1000;
    say(`  ${row.result}: ${row.measured}${row.notes.length ? `\n    ${row.notes.join('\n    ')}` : ''}`);
    rows.set(id, row);
  }
  const after = await ensureHealthy(w);
  if (after.length > 0) say(`After the faults, not healthy: ${after.join(', ')}`);
  return FAULT_IDS.filter((id) => rows.has(id)).map((id) => rows.get(id)!);
}

/** The rows as a Markdown table, then each row's notes. */
export function renderFaultTable(rows: FaultRow[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    '| fault | measured | target | result |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${cell(r.fault)} | ${cell(r.measured)} | ${cell(r.target)} | ${r.result} |`),
    '',
  ];
  for (const r of rows) {
    lines.push(`${r.id} (${r.seconds.toFixed(0)} s):`, ...r.notes.map((n) => `  - ${n}`));
  }
  return `${lines.join('\n')}\n`;
}
