/**
 * `lab up | down | status`: a scenario's topology (default: the seed's shape) as
 * systemd-nspawn containers in network namespaces on this machine. One wiring
 * point: every function takes LabDeps so tests can pass fakes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { UsageError, UserFacingError } from '../core/errors.js';
import { parseYaml, validateScenario } from '../core/index.js';
import type { ScenarioInput } from '../core/scenario.js';
import { loadScenarioFile } from '../adapters/scenario-file.js';
import { removeDeployState } from '../adapters/fingerprint.js';
import { waitFor, type LabDeps } from './exec.js';
import {
  DEFAULT_CACHE_DIR,
  DEFAULT_STATE_ROOT,
  labInventoryDir,
  labPaths,
  labScenario,
  renderKnownHosts,
  renderScenario,
  renderSshConfig,
  type LabPaths,
} from './files.js';
import {
  alive,
  ensureKeyPair,
  findNspawnPids,
  hostKey,
  isMounted,
  isNspawnOf,
  mountOverlay,
  mountPoint,
  rejectRulePresent,
  sshdListening,
  startHost,
  stopHosts,
  unmountOverlay,
  waitBooted,
  waitForInit,
  writeHostFiles,
  writeOneprovisionKey,
} from './hosts.js';
import { recordGatewayKeys } from './gateway.js';
import { attachNamespace, containmentCounters, createInternet, hostCut, listNamespaces, plugHost, removeNetwork, type ContainmentCounters } from './netns.js';
import { DEFAULT_RELEASE, ensureRootfs, rootfsPath, rootfsReady, type Release } from './rootfs.js';
import { readState, writeState, type LabState } from './state.js';
import { labNameProblem, labTopology, labTopologyProblems, type LabHost, type LabTopology } from './topology.js';

export interface LabOptions {
  name: string;
  stateRoot?: string;
  cacheDir?: string;
  /** The Debian release the hosts boot (default bookworm). */
  release?: Release;
  /**
   * `lab up`: the network namespace the controller side lives in (the command line's,
   * lab/controller.ts); the lab's ssh config reaches the hosts through it, from anywhere.
   */
  controllerNs?: string;
}

/** The scenario a lab is built from (`lab up -f`, `demo -f`): as written, and the file it came from. */
export interface LabSource {
  input: ScenarioInput;
  file: string;
}

export interface LabUpOptions extends LabOptions {
  /** Build the lab of this scenario; absent: the seed's shape. */
  scenario?: LabSource;
}

export interface LabContext {
  t: LabTopology;
  paths: LabPaths;
  cacheDir: string;
  release: Release;
}

/** The lab as it was built: the topology `lab up` recorded in state.json, else the seed's shape. */
export function context(opts: LabOptions): LabContext {
  const problem = labNameProblem(opts.name);
  if (problem) throw new UserFacingError(problem);
  const paths = labPaths(opts.name, opts.stateRoot ?? DEFAULT_STATE_ROOT);
  const recorded = readState(paths.state)?.topology;
  return { t: recorded ?? labTopology(opts.name), paths, cacheDir: opts.cacheDir ?? DEFAULT_CACHE_DIR, release: opts.release ?? DEFAULT_RELEASE };
}

/**
 * A scenario file for `lab up -f` / `demo -f`: read and validated as every command does
 * (exit 2 on a problem), then checked for what the lab cannot build here (exit 2).
 */
export async function readLabSource(file: string): Promise<LabSource> {
  const { text } = await loadScenarioFile(file);
  const input = parseYaml(text, file) as ScenarioInput;
  const problems = labTopologyProblems(input);
  if (problems.length > 0) throw new UsageError(`${file}: ${problems.join(' ')}`);
  return { input, file };
}

/** Root, the programs the lab runs, and /dev/net/tun; one sentence per problem. */
export function preflight(deps: LabDeps, needDebootstrap: boolean): void {
  if (!deps.isRoot()) {
    throw new UserFacingError('The lab creates network namespaces and containers: run it as root (e.g. sudo edge-wizard lab up).');
  }
  const programs: Array<[string, string]> = [
    ['systemd-nspawn', 'systemd-container'],
    ['ip', 'iproute2'],
    ['ssh-keygen', 'openssh-client'],
    ['ss', 'iproute2'],
    ['mount', 'util-linux'],
    ['nc', 'netcat-openbsd'],
  ];
  if (needDebootstrap) programs.push(['debootstrap', 'debootstrap']);
  const missing = programs.filter(([p]) => !deps.which(p));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
    throw new UserFacingError(
      `The lab needs ${missing.map(([p]) => p).join(', ')}: install ${pkgs.length === 1 ? 'it' : 'them'} with "apt-get install --no-install-recommends ${pkgs.join(' ')}".`,
    );
  }
}

/**
 * inotify instances one lab host takes from root's fs.inotify.max_user_instances (the
 * containers share root's count: no user namespaces). Measured on a booted, deployed host:
 * 7 (systemd, journald, logind, ...) and one more for wireguard-go's UAPI socket, which
 * without it fails with "too many open files" and wg-quick@wg0 with "Connection reset by peer".
 */
export const INOTIFY_PER_HOST = 8;

/** inotify instances root's processes hold now, and root's limit. */
export function inotifyUsage(): { used: number; max: number } {
  let used = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!/^Uid:\s+0\s/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) continue;
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify') used++;
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return { used, max: Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8').trim()) };
}

/** One sentence when `hosts` more containers would exceed root's inotify instances. */
export function inotifyProblem(lab: string, hosts: number, usage: { used: number; max: number }): string | undefined {
  const need = hosts * INOTIFY_PER_HOST;
  if (usage.used + need <= usage.max) return undefined;
  const suggest = Math.max(512, 2 ** Math.ceil(Math.log2(usage.used + need + 64)));
  return (
    `Lab "${lab}" runs ${hosts} containers, which take about ${need} inotify instances (${INOTIFY_PER_HOST} each), but root may hold ${usage.max} ` +
    `(fs.inotify.max_user_instances) and holds ${usage.used} already: raise the limit with "sysctl -w fs.inotify.max_user_instances=${suggest}", then run lab up again.`
  );
}

function saveState(ctx: LabContext, state: LabState): void {
  writeState(ctx.paths.state, state);
}

function writeFile(path: string, content: string, mode: number): void {
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true, mode: 0o700 });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
}

/** Whether every host of a recorded lab is running. */
export function labRunning(ctx: LabContext, state: LabState | undefined): boolean {
  if (!state?.ready) return false;
  return ctx.t.hosts.every((h) => {
    const s = state.hosts[h.name];
    return s?.nspawnPid !== undefined && isNspawnOf(s.nspawnPid, h.machine);
  });
}

export interface UpResult {
  alreadyUp: boolean;
  seconds: number;
  paths: LabPaths;
  /** The topology that is up. */
  t: LabTopology;
}

export async function labUp(opts: LabUpOptions, deps: LabDeps): Promise<UpResult> {
  const problem = labNameProblem(opts.name);
  if (problem) throw new UserFacingError(problem);
  // The lab to build (the scenario's, or the seed's shape), not the one recorded.
  const ctx: LabContext = { ...context(opts), t: labTopology(opts.name, opts.scenario?.input) };
  const { t, paths } = ctx;
  // The lab's copy must be a valid scenario before anything is built (deploy reads it).
  validateScenario(labScenario(t, paths), paths.scenario);
  const started = deps.now();
  preflight(deps, !rootfsReady(rootfsPath(ctx.cacheDir, ctx.release)));
  const previous = readState(paths.state);
  // The same containers and networks: only the lab's copy of the scenario may differ.
  const shape = (x: LabTopology): string => JSON.stringify({ ...x, scenario: undefined });
  if (
    previous &&
    shape(previous.topology ?? labTopology(opts.name)) === shape(t) &&
    labRunning(ctx, previous) &&
    (previous.release ?? DEFAULT_RELEASE) === ctx.release
  ) {
    const nsPresent = await listNamespaces(deps);
    if (t.hosts.every((h) => nsPresent.includes(h.machine)) && nsPresent.includes(t.inetNs)) {
      await recordGatewayKeys(deps, t, previous);
      saveState(ctx, { ...previous, topology: t });
      writeFile(paths.scenario, renderScenario(t, paths, opts.scenario?.file), 0o644);
      return { alreadyUp: true, seconds: (deps.now() - started) / 1000, paths, t };
    }
  }
  if (previous || existsSync(paths.hostsDir) || (await listNamespaces(deps)).includes(t.inetNs)) {
    deps.log('Removing what is left of a previous lab first');
    // labDown takes the lab as it was recorded, whatever this one will be.
    await labDown({ name: opts.name, stateRoot: opts.stateRoot, cacheDir: opts.cacheDir }, deps, { quiet: true });
  }
  const tooMany = inotifyProblem(t.lab, t.hosts.length, inotifyUsage());
  if (tooMany) throw new UserFacingError(tooMany);

  const rootfs = await ensureRootfs(deps, ctx.cacheDir, ctx.release);
  const state: LabState = {
    lab: t.lab,
    release: ctx.release,
    rootfs,
    createdAt: new Date().toISOString(),
    namespaces: [],
    rootLinks: [],
    hosts: Object.fromEntries(t.hosts.map((h) => [h.name, { machine: h.machine, mount: mountPoint(paths, h) }])),
    topology: t,
    ...(opts.controllerNs ? { controllerNs: opts.controllerNs } : {}),
  };
  saveState(ctx, state);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  chmodSync(paths.dir, 0o700);
  try {
    await bringUp(deps, ctx, state, rootfs, opts.scenario?.file);
  } catch (e) {
    if (e instanceof UserFacingError) throw e;
    throw new UserFacingError(
      `Lab "${t.lab}" did not come up (${(e as Error).message.split('\n')[0]}): read ${paths.hostsDir}/<host>/console.log, then run "edge-wizard lab down${t.lab === 'lab' ? '' : ` --name ${t.lab}`}".`,
    );
  }
  const end = deps.now();
  deps.log(`Lab "${t.lab}" up in ${((end - started) / 1000).toFixed(1)} s`);
  return { alreadyUp: false, seconds: (end - started) / 1000, paths, t };
}

async function bringUp(deps: LabDeps, ctx: LabContext, state: LabState, rootfs: string, source: string | undefined): Promise<void> {
  const { t, paths } = ctx;
  const t0 = deps.now();

  // Keys: the controller's (kept across labs), each host's, oneprovision's on the frontend.
  const controllerPub = await ensureKeyPair(deps, paths.key, 'ed25519', `edge-wizard-lab-${t.lab}`);
  const roots = new Map<string, string>();
  for (const h of t.hosts) roots.set(h.name, await mountOverlay(deps, paths, h, rootfs));
  const hostKeys: Record<string, string> = {};
  await Promise.all(t.hosts.map(async (h) => (hostKeys[h.name] = await hostKey(deps, roots.get(h.name)!, h))));
  const frontend = t.hosts.find((h) => h.role === 'frontend')!;
  const oneprovisionPub = await writeOneprovisionKey(deps, t, roots.get(frontend.name)!);
  const knownHosts = renderKnownHosts(t, hostKeys);
  for (const h of t.hosts) {
    await writeHostFiles(deps, t, h, roots.get(h.name)!, { hostKeys, controllerPub, oneprovisionPub }, knownHosts);
  }
  mkdirSync(paths.controlDir, { recursive: true, mode: 0o700 });
  writeFile(paths.knownHosts, knownHosts, 0o600);
  writeFile(paths.sshConfig, renderSshConfig(t, paths, state.controllerNs), 0o600);
  writeFile(paths.scenario, renderScenario(t, paths, source), 0o644);
  const tFiles = deps.now();

  // The internet, then the hosts.
  state.namespaces.push(t.inetNs);
  state.rootLinks.push(t.controller.link);
  saveState(ctx, state);
  await createInternet(deps, t);
  for (const h of t.hosts) {
    state.hosts[h.name]!.nspawnPid = startHost(deps, paths, h, roots.get(h.name)!);
  }
  saveState(ctx, state);
  await Promise.all(
    t.hosts.map(async (h) => {
      const hs = state.hosts[h.name]!;
      hs.initPid = await waitForInit(deps, hs.nspawnPid!, h.machine);
      await attachNamespace(deps, h.machine, hs.initPid);
      state.namespaces.push(h.machine);
      await plugHost(deps, t, h);
    }),
  );
  saveState(ctx, state);
  const tBoot = deps.now();
  await Promise.all(
    t.hosts.map(async (h) => {
      await waitBooted(deps, h, state.hosts[h.name]!.initPid!);
      await waitFor(deps, `sshd on ${h.name}`, 60_000, async () => ((await sshdListening(deps, h)) ? true : undefined), 100);
      if (h.role === 'kvm') {
        await waitFor(deps, `the firewall of ${h.name}`, 20_000, async () =>
          (await rejectRulePresent(deps, state.hosts[h.name]!.initPid!, t.kvmPublicInterface)) ? true : undefined,
        );
      }
    }),
  );
  // The external gateways' keys are made on them: the lab's scenario gets their public keys.
  await recordGatewayKeys(deps, t, state);
  writeFile(paths.scenario, renderScenario(t, paths, source), 0o644);
  state.ready = true;
  saveState(ctx, state);
  const end = deps.now();
  deps.log(
    `Files and keys ${((tFiles - t0) / 1000).toFixed(1)} s, containers started and plugged ${((tBoot - tFiles) / 1000).toFixed(1)} s, ` +
      `booted with sshd and firewall ready ${((end - tBoot) / 1000).toFixed(1)} s`,
  );
}

export interface DownResult {
  stopped: string[];
  namespaces: string[];
  unmounted: string[];
}

/** Removes everything the lab started, by PID and by name; safe to repeat. */
export async function labDown(opts: LabOptions & { purge?: boolean }, deps: LabDeps, o: { quiet?: boolean } = {}): Promise<DownResult> {
  const ctx = context(opts);
  const { t, paths } = ctx;
  if (!deps.isRoot()) throw new UserFacingError('The lab runs as root: run "edge-wizard lab down" as root too (e.g. with sudo).');
  const state = readState(paths.state);
  const machines = t.hosts.map((h) => h.machine);
  const byName = findNspawnPids(machines);
  const targets: Array<{ machine: string; nspawnPid: number; initPid?: number }> = [];
  for (const h of t.hosts) {
    const s = state?.hosts[h.name];
    const pids = new Set<number>(byName.get(h.machine) ?? []);
    if (s?.nspawnPid !== undefined && isNspawnOf(s.nspawnPid, h.machine)) pids.add(s.nspawnPid);
    for (const pid of pids) targets.push({ machine: h.machine, nspawnPid: pid, initPid: s?.nspawnPid === pid ? s.initPid : undefined });
  }
  await stopHosts(deps, targets);
  const nsBefore = await listNamespaces(deps);
  await removeNetwork(deps, t, state?.namespaces ?? []);
  const nsAfter = await listNamespaces(deps);
  const unmounted: string[] = [];
  const mounts = new Set(t.hosts.map((h) => mountPoint(paths, h)));
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const mp = line.split(' ')[1];
    if (mp && mp.startsWith(`${paths.hostsDir}/`)) mounts.add(mp);
  }
  for (const mp of mounts) {
    if (!isMounted(mp)) continue;
    await unmountOverlay(deps, mp);
    unmounted.push(mp);
  }
  if (existsSync(paths.hostsDir)) {
    const stillMounted = [...mounts].filter(isMounted);
    if (stillMounted.length > 0)
      throw new UserFacingError(`Could not unmount ${stillMounted.join(', ')}: check "fuser -vm ${stillMounted[0]}" and run "edge-wizard lab down" again.`);
    rmSync(paths.hostsDir, { recursive: true, force: true });
  }
  if (opts.purge) {
    rmSync(paths.dir, { recursive: true, force: true });
  } else {
    for (const p of [paths.state, paths.scenario, paths.sshConfig, paths.knownHosts]) rmSync(p, { force: true });
    rmSync(paths.controlDir, { recursive: true, force: true });
    // The deploy state described these hosts: a lab built again is other hosts.
    removeDeployState(labInventoryDir(paths));
  }
  const result = {
    stopped: targets.map((x) => `${x.machine} (pid ${x.nspawnPid})`),
    namespaces: nsBefore.filter((n) => !nsAfter.includes(n)),
    unmounted,
  };
  if (!o.quiet) {
    deps.log(
      result.stopped.length + result.namespaces.length + unmounted.length === 0
        ? `Lab "${t.lab}": nothing to remove.`
        : `Lab "${t.lab}" removed: ${result.stopped.length} containers stopped, ${result.namespaces.length} namespaces and ${unmounted.length} overlays removed.`,
    );
  }
  return result;
}

export interface HostStatus {
  name: string;
  role: string;
  cluster?: string;
  machine: string;
  state: 'running' | 'stopped';
  pid?: number;
  addresses: string[];
  reachable: boolean;
  reachability: string;
  /** Cut off by `lab cut` (its underlay blackholed in the internet namespace). */
  cut: boolean;
}

export interface StatusResult {
  lab: string;
  up: boolean;
  hosts: HostStatus[];
  containment?: ContainmentCounters;
  paths: LabPaths;
}

async function reach(deps: LabDeps, t: LabTopology, h: LabHost, running: boolean): Promise<[boolean, string]> {
  if (!running) return [false, '-'];
  if (h.role === 'frontend') {
    const ingress = t.hosts.find((x) => x.role === 'ingress')!;
    const r = await deps.exec('ip', ['netns', 'exec', ingress.machine, 'ping', '-c', '1', '-W', '1', h.sshAddress]);
    return r.exitCode === 0 ? [true, 'pings from the ingress'] : [false, 'no ping from the ingress'];
  }
  // Through deps.exec: the lab's routes may live in the controller's namespace only.
  const ok = (await deps.exec('nc', ['-z', '-w', '1', h.sshAddress, '22'])).exitCode === 0;
  return ok ? [true, 'ssh port open from the controller'] : [false, 'ssh port closed from the controller'];
}

export async function labStatus(opts: LabOptions, deps: LabDeps): Promise<StatusResult> {
  const ctx = context(opts);
  const { t, paths } = ctx;
  const state = readState(paths.state);
  const byName = findNspawnPids(t.hosts.map((h) => h.machine));
  const inetUp = (await listNamespaces(deps)).includes(t.inetNs);
  const hosts = await Promise.all(
    t.hosts.map(async (h): Promise<HostStatus> => {
      const recorded = state?.hosts[h.name]?.nspawnPid;
      const pid = recorded !== undefined && isNspawnOf(recorded, h.machine) ? recorded : byName.get(h.machine)?.[0];
      const running = pid !== undefined && alive(pid);
      const cut = inetUp && (await hostCut(deps, t, h));
      const [reachable, reachability] = cut ? [false, `cut off (edge-wizard lab heal ${h.name})`] : await reach(deps, t, h, running);
      return {
        name: h.name,
        role: h.role,
        cluster: h.cluster,
        machine: h.machine,
        state: running ? 'running' : 'stopped',
        pid,
        addresses: h.interfaces.map((i) => `${i.name} ${i.address}`),
        reachable,
        reachability,
        cut,
      };
    }),
  );
  const nsPresent = await listNamespaces(deps);
  const containment = nsPresent.includes(t.inetNs) ? await containmentCounters(deps, t) : undefined;
  return { lab: t.lab, up: hosts.every((h) => h.state === 'running' && h.reachable), hosts, containment, paths };
}

export function renderStatus(s: StatusResult): string {
  const rows = [['HOST', 'ROLE', 'STATE', 'ADDRESSES', 'REACHABILITY']];
  for (const h of s.hosts) {
    rows.push([h.name, h.cluster ? `${h.role} (${h.cluster})` : h.role, h.state + (h.pid ? ` pid ${h.pid}` : ''), h.addresses.join(', '), h.reachability]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const lines = [`Lab "${s.lab}": ${s.up ? 'up' : s.hosts.some((h) => h.state === 'running') ? 'partly up' : 'down'}`, ...table];
  if (s.containment) {
    const c = s.containment;
    const ok = c.outNoRoutes === 0 && c.icmpOutDestUnreachs === 0;
    lines.push(
      `Containment: internet namespace no-route ${c.outNoRoutes}, ICMP unreachable sent ${c.icmpOutDestUnreachs}${ok ? ' (nothing tried to leave the lab)' : ' (something tried to leave the lab)'}`,
    );
  }
  if (existsSync(s.paths.scenario)) {
    lines.push(`Scenario: ${s.paths.scenario}`, `SSH: ssh -F ${s.paths.sshConfig} <host>`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderUp(t: LabTopology, r: UpResult): string {
  const ingress = t.hosts.find((h) => h.role === 'ingress')!;
  const fe = t.hosts.find((h) => h.role === 'frontend')!;
  return [
    r.alreadyUp ? `Lab "${t.lab}" is already up.` : `Lab "${t.lab}" is up (${r.seconds.toFixed(1)} s).`,
    `Scenario:    ${r.paths.scenario}`,
    `SSH config:  ${r.paths.sshConfig}   (ssh -F ${r.paths.sshConfig} ${ingress.name})`,
    `Key:         ${r.paths.key}`,
    `Known hosts: ${r.paths.knownHosts}`,
    `Frontend:    ssh -F ${r.paths.sshConfig} ${fe.name}   (ProxyJump through ${ingress.name})`,
    `KVM hosts accept only oneprovision's key (${t.oneprovisionKey} on ${fe.name}) until deploy grants root access.`,
    '',
  ].join('\n');
}
