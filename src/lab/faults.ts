/**
 * Failing lab hosts on purpose, so tests and operators can rehearse:
 * - `cut`: a silent death of the host's underlay, made in the internet
 *   namespace (netns.ts cutHostNetwork); the host itself sees nothing;
 * - `heal`: the underlay back as it was;
 * - `reboot`: the container's systemd shuts down and the container boots
 *   again from the same overlay (its writable layer kept, /run emptied), and
 *   is plugged into the lab as `lab up` does it.
 * Plus a runner of fixed scripts inside a host's container (nsenter), for
 * measurements that must not travel the paths a fault breaks.
 */
import { readFileSync } from 'node:fs';
import { UsageError, UserFacingError } from '../core/errors.js';
import { run, waitFor, type LabDeps, type LabRunner } from './exec.js';
import { isMounted, isNspawnOf, mountOverlay, sshdListening, startHost, stopHosts, waitForInit } from './hosts.js';
import { context, type LabContext, type LabOptions } from './lab.js';
import { attachNamespace, cutHostNetwork, cutRoutes, healHostNetwork, hostCut, hostMacs, linkExists, listNamespaces, plugHost, setHostPorts } from './netns.js';
import { readState, writeState, type HostState, type LabState } from './state.js';
import type { LabHost, LabTopology } from './topology.js';

export interface HostFaultOptions extends LabOptions {
  host: string;
}

/** How to name the lab in a printed command (only the flags that differ from the defaults). */
export function labFlags(opts: LabOptions): string {
  return `${opts.name === 'lab' ? '' : ` --name ${opts.name}`}${opts.stateRoot ? ` --state-dir ${opts.stateRoot}` : ''}`;
}

/** The lab host by inventory name (kvm_london1) or hostname (kvm-london1); one sentence and exit 2 otherwise. */
export function labHost(t: LabTopology, name: string): LabHost {
  const h = t.hosts.find((x) => x.name === name || x.hostname === name);
  if (!h) throw new UsageError(`No host "${name}" in lab "${t.lab}": use one of ${t.hosts.map((x) => x.name).join(', ')}.`);
  return h;
}

function requireRoot(deps: LabDeps, action: string): void {
  if (!deps.isRoot()) throw new UserFacingError(`The lab runs as root: run "edge-wizard lab ${action}" as root too (e.g. with sudo).`);
}

async function requireInternet(deps: LabDeps, ctx: LabContext, opts: LabOptions): Promise<void> {
  if (!(await listNamespaces(deps)).includes(ctx.t.inetNs)) {
    throw new UserFacingError(`Lab "${ctx.t.lab}" is not up (no namespace ${ctx.t.inetNs}): start it with "edge-wizard lab up${labFlags(opts)}".`);
  }
}

function parentPid(pid: number): number | undefined {
  try {
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The recorded container of a host when it runs: systemd-nspawn checked by its machine name, init by its parent. */
export function runningHost(state: LabState | undefined, h: LabHost): (HostState & { nspawnPid: number }) | undefined {
  const s = state?.hosts[h.name];
  if (s?.nspawnPid === undefined || !isNspawnOf(s.nspawnPid, h.machine)) return undefined;
  return s as HostState & { nspawnPid: number };
}

function runningInit(state: LabState | undefined, h: LabHost): number | undefined {
  const s = runningHost(state, h);
  if (s?.initPid === undefined || parentPid(s.initPid) !== s.nspawnPid) return undefined;
  return s.initPid;
}

export interface CutResult {
  host: string;
  /** It was cut off already (nothing changed). */
  already: boolean;
  /** The routes blackholed in the internet namespace. */
  routes: string[];
  /** When the host fell silent: deps.now() just before its bridge ports closed (or the cut began, if already closed). */
  at: number;
}

/** `lab cut HOST`: the host's underlay blackholed in the internet namespace (idempotent). */
export async function labCut(opts: HostFaultOptions, deps: LabDeps): Promise<CutResult> {
  const ctx = context(opts);
  const h = labHost(ctx.t, opts.host);
  requireRoot(deps, 'cut');
  await requireInternet(deps, ctx, opts);
  const already = await hostCut(deps, ctx.t, h);
  const { at } = await cutHostNetwork(deps, ctx.t, h);
  return { host: h.name, already, routes: cutRoutes(ctx.t, h).map((r) => r.to), at };
}

export interface HealResult {
  host: string;
  /** It was not cut off (nothing changed). */
  already: boolean;
}

/** `lab heal HOST`: undoes `lab cut` (idempotent). */
export async function labHeal(opts: HostFaultOptions, deps: LabDeps): Promise<HealResult> {
  const ctx = context(opts);
  const h = labHost(ctx.t, opts.host);
  requireRoot(deps, 'heal');
  await requireInternet(deps, ctx, opts);
  const wasCut = await hostCut(deps, ctx.t, h);
  await healHostNetwork(deps, ctx.t, h);
  return { host: h.name, already: !wasCut };
}

export interface RebootResult {
  host: string;
  /** 'reboot': systemd inside rebooted; 'power cycle': it did not go down in time and was stopped. */
  method: 'reboot' | 'power cycle';
  /** Seconds from the reboot request until the container was gone. */
  downSeconds: number;
  /** When the container was started again (deps.now() clock, ms). */
  bootStartedAt: number;
  /** Seconds after boot start until systemd reported its state, and until sshd listened. */
  systemSeconds: number;
  sshSeconds: number;
  /** `systemctl is-system-running` after boot (running, degraded, ...). */
  systemState: string;
  /** Units that failed during boot (left as they are: a reboot must come back by itself). */
  failedUnits: string[];
  /** The host was cut off and stays cut off. */
  cut: boolean;
  nspawnPid: number;
  initPid: number;
}

const inContainer = (initPid: number, args: string[]): [string, string[]] => ['nsenter', ['--target', String(initPid), '--all', ...args]];

/**
 * `lab reboot HOST`: `systemctl reboot` inside the container; systemd-nspawn
 * exits when the container's systemd reboots (nothing restarts it: the lab runs
 * it with --register=no --keep-unit), so the container is started again on the
 * same overlay, its network namespace named and plugged as `lab up` does, and
 * a cut host stays cut. Failed units are reported, not restarted.
 */
export async function labReboot(
  opts: HostFaultOptions,
  deps: LabDeps,
  o: { onBooting?: (at: number) => void; downTimeoutMs?: number } = {},
): Promise<RebootResult> {
  const ctx = context(opts);
  const { t, paths } = ctx;
  const h = labHost(t, opts.host);
  requireRoot(deps, 'reboot');
  await requireInternet(deps, ctx, opts);
  const state = readState(paths.state);
  const hs = runningHost(state, h);
  if (!state || !hs) throw new UserFacingError(`${h.name} of lab "${t.lab}" is not running: start the lab with "edge-wizard lab up${labFlags(opts)}".`);
  const cut = await hostCut(deps, t, h);
  // A rebooted machine keeps its NICs' addresses: so do the new veths.
  const macs = await hostMacs(deps, t, h);

  const requested = deps.now();
  let method: RebootResult['method'] = 'reboot';
  const oldNspawn = hs.nspawnPid;
  if (hs.initPid !== undefined) {
    const [f, a] = inContainer(hs.initPid, ['systemctl', 'reboot']);
    await deps.exec(f, a, { timeout: 30_000 });
  }
  const downBy = requested + (o.downTimeoutMs ?? 90_000);
  while (isNspawnOf(oldNspawn, h.machine) && deps.now() < downBy) await deps.sleep(100);
  if (isNspawnOf(oldNspawn, h.machine)) {
    method = 'power cycle';
    deps.log(`${h.name} did not go down within ${Math.round((downBy - requested) / 1000)} s of "systemctl reboot": stopping its container`);
    await stopHosts(deps, [{ machine: h.machine, nspawnPid: oldNspawn, initPid: hs.initPid }]);
  }
  const down = deps.now();

  // The old network namespace lives on while its name is mounted: remove its veths first, so
  // plugHost makes new ones instead of finding ends that vanish with the old namespace.
  for (const i of h.interfaces) {
    if (await linkExists(deps, i.peer, t.inetNs)) await run(deps, 'ip', ['-n', t.inetNs, 'link', 'del', i.peer]);
  }
  const root = isMounted(hs.mount) ? hs.mount : await mountOverlay(deps, paths, h, state.rootfs);
  hs.nspawnPid = startHost(deps, paths, h, root);
  hs.initPid = undefined;
  writeState(paths.state, state);
  const booting = deps.now();
  o.onBooting?.(booting);
  hs.initPid = await waitForInit(deps, hs.nspawnPid, h.machine);
  await attachNamespace(deps, h.machine, hs.initPid);
  await plugHost(deps, t, h, macs);
  if (cut) await setHostPorts(deps, t, h, false);
  writeState(paths.state, state);

  // Until its systemd answers on the bus, systemctl prints nothing: ask again.
  const initPid = hs.initPid;
  const systemState = await waitFor(
    deps,
    `systemd in ${h.name} to finish booting`,
    120_000,
    async () => {
      const [f, a] = inContainer(initPid, ['systemctl', 'is-system-running', '--wait']);
      const s = (await deps.exec(f, a, { timeout: 90_000 })).stdout.trim();
      return s === '' ? undefined : s;
    },
    200,
  );
  const systemAt = deps.now();
  let failedUnits: string[] = [];
  if (systemState !== 'running') {
    const [f2, a2] = inContainer(hs.initPid, ['systemctl', 'list-units', '--failed', '--plain', '--no-legend', '--no-pager']);
    failedUnits = (await deps.exec(f2, a2)).stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((u) => u.includes('.'));
  }
  await waitFor(deps, `sshd on ${h.name}`, 60_000, async () => ((await sshdListening(deps, h)) ? true : undefined), 100);
  const sshAt = deps.now();
  return {
    host: h.name,
    method,
    downSeconds: (down - requested) / 1000,
    bootStartedAt: booting,
    systemSeconds: (systemAt - booting) / 1000,
    sshSeconds: (sshAt - booting) / 1000,
    systemState,
    failedUnits,
    cut,
    nspawnPid: hs.nspawnPid,
    initPid: hs.initPid,
  };
}

const SAFE_ARG = /^[A-Za-z0-9_.:/@-]+$/;
const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Runs scripts inside a host's container with nsenter (root on this machine):
 * no ssh, no network path, so a cut or a dead wg0 never blocks a measurement.
 * The container is looked up in state.json at every call (a reboot changes it);
 * a host that is not running answers exit 255.
 */
export function containerRunner(deps: LabDeps, opts: LabOptions): LabRunner {
  const ctx = context(opts);
  return async (host, script, args, o = {}) => {
    for (const a of args) if (!SAFE_ARG.test(a)) throw new Error(`unsafe argument for ${host}: ${a}`);
    const h = labHost(ctx.t, host);
    const pid = runningInit(readState(ctx.paths.state), h);
    if (pid === undefined) return { exitCode: 255, stdout: '', stderr: `${h.name} is not running` };
    const r = await deps.exec('nsenter', ['--target', String(pid), '--all', 'bash', '-s', '--', ...args], {
      input: script,
      timeout: o.timeoutMs ?? 120_000,
      env: { PATH: CONTAINER_PATH },
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  };
}

export function renderCut(r: CutResult, opts: HostFaultOptions): string {
  return r.already
    ? `${r.host} was already cut off (${r.routes.join(', ')} blackholed in the internet namespace).\n`
    : `${r.host} cut off: ${r.routes.join(', ')} blackholed and its bridge ports closed in the internet namespace; the host sees nothing.\nUndo with: edge-wizard lab heal ${r.host}${labFlags(opts)}\n`;
}

export function renderHeal(r: HealResult): string {
  return r.already ? `${r.host} was not cut off: nothing to heal.\n` : `${r.host} healed: its underlay is back.\n`;
}

export function renderReboot(r: RebootResult): string {
  const failed = r.failedUnits.length > 0 ? `; failed units: ${r.failedUnits.join(', ')}` : '';
  return [
    `${r.host} rebooted (${r.method}): down in ${r.downSeconds.toFixed(1)} s; after boot, systemd "${r.systemState}" at ${r.systemSeconds.toFixed(1)} s, sshd at ${r.sshSeconds.toFixed(1)} s${failed}.`,
    ...(r.cut ? [`${r.host} is still cut off (lab heal ${r.host} to undo).`] : []),
    '',
  ].join('\n');
}
