/**
 * Lab hosts: an overlay over the cached rootfs per host (its own writable
 * upper directory), the files oneprovision would have left on it, and a
 * systemd-nspawn --boot container with a private network namespace that
 * netns.ts plugs into the lab's bridges.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { run, waitFor, type LabDeps } from './exec.js';
import { hostDir, renderEtcHosts, renderRulesV4, type LabPaths } from './files.js';
import { ONEADMIN_UID, type LabHost, type LabTopology } from './topology.js';

export function mountPoint(paths: LabPaths, h: LabHost): string {
  return `${hostDir(paths, h)}/root`;
}

export function isMounted(path: string): boolean {
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === path);
}

/** Mounts the host's overlay (read-only rootfs below, the host's own upper dir above). */
export async function mountOverlay(deps: LabDeps, paths: LabPaths, h: LabHost, rootfs: string): Promise<string> {
  const dir = hostDir(paths, h);
  const mp = mountPoint(paths, h);
  if (isMounted(mp)) return mp;
  for (const d of ['upper', 'work', 'root']) mkdirSync(`${dir}/${d}`, { recursive: true, mode: 0o755 });
  await run(deps, 'mount', ['-t', 'overlay', `ew-${h.machine}`, '-o', `lowerdir=${rootfs},upperdir=${dir}/upper,workdir=${dir}/work`, mp]);
  return mp;
}

export async function unmountOverlay(deps: LabDeps, mp: string): Promise<void> {
  if (!isMounted(mp)) return;
  const r = await deps.exec('umount', [mp]);
  if (r.exitCode !== 0) await run(deps, 'umount', ['--lazy', mp]);
}

function write(path: string, content: string, mode = 0o644): void {
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
}

/** Generates an SSH key pair with ssh-keygen (no passphrase); keeps an existing one. */
export async function ensureKeyPair(deps: LabDeps, path: string, type: 'ed25519' | 'rsa', comment: string): Promise<string> {
  if (!existsSync(path) || !existsSync(`${path}.pub`)) {
    rmSync(path, { force: true });
    rmSync(`${path}.pub`, { force: true });
    mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true, mode: 0o700 });
    const args = ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '3072'] : []), '-N', '', '-C', comment, '-f', path];
    await run(deps, 'ssh-keygen', args);
  }
  chmodSync(path, 0o600);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

export interface HostKeys {
  /** Public host key (ssh-ed25519 ...) by host name. */
  hostKeys: Record<string, string>;
  controllerPub: string;
  oneprovisionPub: string;
}

/** Host key of a mounted host (generated into its overlay). */
export async function hostKey(deps: LabDeps, root: string, h: LabHost): Promise<string> {
  return ensureKeyPair(deps, `${root}/etc/ssh/ssh_host_ed25519_key`, 'ed25519', `root@${h.hostname}`);
}

/**
 * The files a host has before it boots: identity, name resolution, keys
 * as oneprovision leaves them, and the AWS firewall on KVM hosts.
 */
export async function writeHostFiles(deps: LabDeps, t: LabTopology, h: LabHost, root: string, keys: HostKeys, knownHosts: string): Promise<void> {
  write(`${root}/etc/hostname`, `${h.hostname}\n`);
  write(`${root}/etc/hosts`, renderEtcHosts(t, h));
  write(`${root}/etc/resolv.conf`, '');
  if (!existsSync(`${root}/etc/machine-id`) || readFileSync(`${root}/etc/machine-id`, 'utf8').trim() === '') {
    write(`${root}/etc/machine-id`, `${randomBytes(16).toString('hex')}\n`, 0o444);
  }
  mkdirSync(`${root}/root/.ssh`, { recursive: true, mode: 0o700 });
  chmodSync(`${root}/root/.ssh`, 0o700);
  // The controller reaches the ingress and the frontend; KVM hosts accept only oneprovision's key.
  const authorized = h.role === 'kvm' ? keys.oneprovisionPub : keys.controllerPub;
  write(`${root}/root/.ssh/authorized_keys`, `${authorized}\n`, 0o600);
  // Every host knows the others' host keys (the frontend uses this to reach the KVM hosts).
  write(`${root}/etc/ssh/ssh_known_hosts`, knownHosts);
  if (h.role === 'kvm') {
    write(`${root}/etc/iptables/rules.v4`, renderRulesV4(t.kvmPublicInterface));
  }
  if (h.forwarding) write(`${root}/etc/sysctl.d/60-edge-wizard-lab.conf`, 'net.ipv4.ip_forward = 1\n');
}

/** Puts oneprovision's key pair on the frontend, owned by oneadmin, as oneprovision does. */
export async function writeOneprovisionKey(deps: LabDeps, t: LabTopology, root: string): Promise<string> {
  const keyPath = `${root}${t.oneprovisionKey}`;
  const dir = keyPath.slice(0, keyPath.lastIndexOf('/'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pub = await ensureKeyPair(deps, keyPath, 'rsa', 'oneadmin@oneprovision');
  for (const p of [dir, keyPath, `${keyPath}.pub`]) chownSync(p, ONEADMIN_UID, ONEADMIN_UID);
  chmodSync(dir, 0o700);
  return pub;
}

/** systemd-nspawn arguments for one host (no systemd on this machine: --register=no --keep-unit). */
export function nspawnArgs(h: LabHost, root: string): string[] {
  return [
    '--quiet',
    '--boot',
    `--directory=${root}`,
    `--machine=${h.machine}`,
    `--hostname=${h.hostname}`,
    '--register=no',
    '--keep-unit',
    '--private-network',
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
    '--console=read-only',
    // wireguard-go needs the tun device (the kernel has no wireguard module).
    '--bind=/dev/net/tun',
  ];
}

export function startHost(deps: LabDeps, paths: LabPaths, h: LabHost, root: string): number {
  return deps.spawnDetached('systemd-nspawn', nspawnArgs(h, root), `${hostDir(paths, h)}/console.log`);
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** True when PID is the systemd-nspawn of this machine (guards against reused PIDs). */
export function isNspawnOf(pid: number, machine: string): boolean {
  const cmd = readProc(`/proc/${pid}/cmdline`);
  if (!cmd) return false;
  const argv = cmd.split('\0');
  return (argv[0] ?? '').endsWith('systemd-nspawn') && argv.includes(`--machine=${machine}`);
}

/** Every systemd-nspawn process running one of these machines (found by name, after a crash). */
export function findNspawnPids(machines: string[]): Map<string, number[]> {
  const found = new Map<string, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    for (const m of machines) {
      if (isNspawnOf(pid, m)) found.set(m, [...(found.get(m) ?? []), pid]);
    }
  }
  return found;
}

function children(pid: number): number[] {
  const text = readProc(`/proc/${pid}/task/${pid}/children`) ?? '';
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** The container's systemd once it runs (child of systemd-nspawn named "systemd"). */
export async function waitForInit(deps: LabDeps, nspawnPid: number, machine: string): Promise<number> {
  return waitFor(
    deps,
    `the container ${machine} to boot`,
    30_000,
    async () => {
      if (!readProc(`/proc/${nspawnPid}/cmdline`)) throw new Error(`systemd-nspawn for ${machine} exited; see its console.log`);
      for (const c of children(nspawnPid)) {
        if (readProc(`/proc/${c}/comm`)?.trim() === 'systemd') return c;
      }
      return undefined;
    },
    50,
  );
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops containers by PID: SIGTERM to systemd-nspawn (an orderly poweroff of
 * the container), then SIGKILL to what is left after the grace period.
 */
export async function stopHosts(deps: LabDeps, targets: Array<{ machine: string; nspawnPid: number; initPid?: number }>, graceMs = 10_000): Promise<void> {
  const live = targets.filter((x) => isNspawnOf(x.nspawnPid, x.machine));
  for (const x of live) process.kill(x.nspawnPid, 'SIGTERM');
  const deadline = deps.now() + graceMs;
  while (live.some((x) => alive(x.nspawnPid)) && deps.now() < deadline) await deps.sleep(100);
  for (const x of live) {
    if (!alive(x.nspawnPid)) continue;
    deps.log(`${x.machine} did not power off in ${graceMs / 1000} s: killing it`);
    if (x.initPid && alive(x.initPid)) process.kill(x.initPid, 'SIGKILL');
    if (isNspawnOf(x.nspawnPid, x.machine)) process.kill(x.nspawnPid, 'SIGKILL');
  }
  while (live.some((x) => alive(x.nspawnPid)) && deps.now() < deadline + 5000) await deps.sleep(100);
}

const inContainer = (initPid: number, args: string[]): [string, string[]] => ['nsenter', ['--target', String(initPid), '--all', ...args]];

/**
 * Waits until the container's systemd finished booting. Units that failed
 * (seen: systemd-sysctl losing a cgroup race when several containers boot at
 * once on this cgroup-v1 machine) are restarted once; returns the final state.
 */
export async function waitBooted(deps: LabDeps, h: LabHost, initPid: number): Promise<string> {
  const state = async (): Promise<string> => {
    const [f, a] = inContainer(initPid, ['systemctl', 'is-system-running', '--wait']);
    return (await deps.exec(f, a, { timeout: 60_000 })).stdout.trim();
  };
  let s = await state();
  if (s === 'degraded') {
    const [f, a] = inContainer(initPid, ['systemctl', 'list-units', '--failed', '--plain', '--no-legend', '--no-pager']);
    const failed = (await deps.exec(f, a)).stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((u) => u.includes('.'));
    if (failed.length > 0) {
      const [f2, a2] = inContainer(initPid, ['systemctl', 'restart', ...failed]);
      await deps.exec(f2, a2, { timeout: 30_000 });
      s = await state();
    }
  }
  if (s !== 'running') deps.log(`${h.name}: systemd reports "${s}" after boot (see ${h.machine}'s console.log)`);
  return s;
}

/** Whether sshd listens on port 22 inside the host's network namespace. */
export async function sshdListening(deps: LabDeps, h: LabHost): Promise<boolean> {
  const r = await deps.exec('ip', ['netns', 'exec', h.machine, 'ss', '-Hltn', 'sport', '=', ':22']);
  return r.exitCode === 0 && r.stdout.trim() !== '';
}

/** The host's INPUT rules, listed by the host's own iptables (this machine needs none). */
export async function inputRules(deps: LabDeps, initPid: number): Promise<string> {
  const [f, a] = inContainer(initPid, ['iptables', '-S', 'INPUT']);
  const r = await deps.exec(f, a);
  return r.exitCode === 0 ? r.stdout : '';
}

export async function rejectRulePresent(deps: LabDeps, initPid: number, pubif: string): Promise<boolean> {
  const r = { stdout: await inputRules(deps, initPid), exitCode: 0 };
  return r.exitCode === 0 && r.stdout.includes(`-A INPUT -i ${pubif} -j REJECT --reject-with icmp-host-prohibited`);
}
