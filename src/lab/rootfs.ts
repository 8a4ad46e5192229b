/**
 * The Debian root filesystem every lab host boots from (Debian 12 bookworm by
 * default, or 13 trixie), built once per release with debootstrap and cached
 * under /var/cache/edge-wizard/rootfs-<hash>. Hosts never write to it: each one
 * boots an overlay with its own upper directory.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, renameSync, writeFileSync, readdirSync, unlinkSync } from 'node:fs';
import { ONEADMIN_UID } from './topology.js';
import { run, type LabDeps } from './exec.js';

/** The Debian releases a lab boots (the same mirror serves both). */
import { DEFAULT_RELEASE, RELEASES, type Release } from './constants.js';

export { DEFAULT_RELEASE, RELEASES, type Release };
const VERSION: Record<Release, string> = { bookworm: 'Debian 12', trixie: 'Debian 13' };

/** One sentence when `value` is not a release the lab boots. */
export function releaseProblem(value: string): string | undefined {
  return (RELEASES as readonly string[]).includes(value) ? undefined : `--release "${value}" is not a release the lab boots: use ${RELEASES.join(' or ')}.`;
}

/** What a host as oneprovision leaves it carries, plus what the lab needs to run it. */
export const ROOTFS_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'openssh-server',
  'openssh-client',
  'python3',
  'python3-apt',
  'frr',
  'frr-pythontools',
  'iproute2',
  'iputils-ping',
  'wireguard-tools',
  'wireguard-go',
  'procps',
  'iptables',
  'iptables-persistent',
  'sudo',
];

/** Bump when the post-build steps change, so caches are rebuilt. */
const RECIPE_VERSION = 2;

export function rootfsHash(packages = ROOTFS_PACKAGES, suite: Release = DEFAULT_RELEASE): string {
  return createHash('sha256')
    .update(JSON.stringify({ suite, packages: [...packages].sort(), recipe: RECIPE_VERSION }))
    .digest('hex')
    .slice(0, 12);
}

export function rootfsPath(cacheDir: string, release: Release = DEFAULT_RELEASE, packages = ROOTFS_PACKAGES): string {
  return `${cacheDir}/rootfs-${rootfsHash(packages, release)}`;
}

const MARKER = 'etc/edge-wizard-lab-rootfs';

export function rootfsReady(path: string): boolean {
  return existsSync(`${path}/${MARKER}`);
}

/** The Debian mirror this machine uses (deb822 sources), or deb.debian.org. */
export function debianMirror(sourcesText: string | undefined): string {
  const m = sourcesText?.match(/^URIs:\s*(\S+)/m);
  const uri = m?.[1];
  if (uri && /\/debian\/?$/.test(uri)) return uri;
  return 'http://deb.debian.org/debian';
}

function readSources(): string | undefined {
  for (const p of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Returns the cached rootfs, building it first when missing (about a minute). */
export async function ensureRootfs(deps: LabDeps, cacheDir: string, release: Release = DEFAULT_RELEASE): Promise<string> {
  const path = rootfsPath(cacheDir, release);
  if (rootfsReady(path)) return path;
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const mirror = debianMirror(readSources());
  const started = deps.now();
  deps.log(`Building the lab's ${VERSION[release]} (${release}) root filesystem in ${path} (once, about a minute)`);
  try {
    await run(deps, 'debootstrap', ['--variant=minbase', `--include=${ROOTFS_PACKAGES.join(',')}`, release, tmp, mirror], {
      env: { DEBIAN_FRONTEND: 'noninteractive', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      timeout: 15 * 60_000,
    });
    await finishRootfs(deps, tmp);
    writeFileSync(`${tmp}/${MARKER}`, `${JSON.stringify({ suite: release, packages: ROOTFS_PACKAGES, built: new Date().toISOString() }, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // Another lab up built the same rootfs meanwhile: use it.
    if (rootfsReady(path)) return path;
    throw e;
  }
  deps.log(`Root filesystem ready in ${((deps.now() - started) / 1000).toFixed(1)} s`);
  return path;
}

/** Post-debootstrap steps: caches, the oneadmin user, no shared host keys, no network timers. */
async function finishRootfs(deps: LabDeps, root: string): Promise<void> {
  const chroot = (args: string[]): Promise<string> =>
    run(deps, 'chroot', [root, ...args], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive' } });
  // Without the binary caches each container rebuilds a 72 MB cache in RAM (python3-apt).
  await chroot(['apt-cache', 'gencaches']);
  // OpenNebula's user, with the uid the opennebula packages give it.
  await chroot(['groupadd', '--gid', String(ONEADMIN_UID), 'oneadmin']);
  await chroot([
    'useradd',
    '--uid',
    String(ONEADMIN_UID),
    '--gid',
    'oneadmin',
    '--home-dir',
    '/var/lib/one',
    '--create-home',
    '--shell',
    '/bin/bash',
    'oneadmin',
  ]);
  // Nothing in the lab reaches a mirror or NTP; these would only try.
  await chroot(['systemctl', 'mask', 'apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'fstrim.timer']);
  // Every host gets its own host key at lab up.
  for (const f of readdirSync(`${root}/etc/ssh`)) {
    if (f.startsWith('ssh_host_')) unlinkSync(`${root}/etc/ssh/${f}`);
  }
  writeFileSync(`${root}/etc/ssh/sshd_config.d/edge-wizard-lab.conf`, 'HostKey /etc/ssh/ssh_host_ed25519_key\n');
  // iptables-persistent saved whatever the build machine had; hosts get their own rules.
  rmSync(`${root}/etc/iptables/rules.v4`, { force: true });
  rmSync(`${root}/etc/iptables/rules.v6`, { force: true });
  writeFileSync(`${root}/etc/machine-id`, '');
  writeFileSync(`${root}/etc/resolv.conf`, '');
}
