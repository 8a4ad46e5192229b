/**
 * The lab's real guest: a Debian cloud kernel and a busybox-static initramfs,
 * both taken from Debian's packages (apt-get download + dpkg-deb, no image
 * download), built once and cached under /var/cache/edge-wizard/guest-<hash>
 * like the hosts' rootfs. QEMU boots it with its NIC configured from the
 * kernel command line, as OpenNebula's contextualization would (address, MTU).
 *
 * The guest's /init: loads virtio-net, sets eth0 up with the leased address and
 * the VNET's guest MTU, starts an echo server on TCP 5000 (busybox nc, one `cat`
 * per connection) and runs a shell on the serial console (the lab drives it).
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { run, type LabDeps } from './exec.js';

/** The kernel's meta package: it depends on exactly one linux-image-6.1.0-NN-cloud-amd64. */
export const KERNEL_META_PACKAGE = 'linux-image-cloud-amd64';
export const BUSYBOX_PACKAGE = 'busybox-static';

/** The modules virtio-net needs in a Debian cloud kernel (all =m there), in load order (their `depends=`). */
export const GUEST_MODULES = [
  'kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio.ko',
  'kernel/drivers/virtio/virtio_pci_legacy_dev.ko',
  'kernel/drivers/virtio/virtio_pci_modern_dev.ko',
  'kernel/drivers/virtio/virtio_pci.ko',
  'kernel/net/core/failover.ko',
  'kernel/drivers/net/net_failover.ko',
  'kernel/drivers/net/virtio_net.ko',
];

/** TCP port of the guest's echo server. */
export const ECHO_PORT = 5000;

/** The guest's /init (busybox sh). Reads ew.ip=ADDR/PREFIX and ew.mtu=N from the kernel command line. */
export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in ${GUEST_MODULES.map((m) => m.split('/').pop()!.replace(/\.ko$/, '')).join(' ')}; do insmod /lib/modules/$m.ko; done
for a in $(cat /proc/cmdline); do
  case "$a" in
    ew.ip=*) addr=\${a#ew.ip=} ;;
    ew.mtu=*) mtu=\${a#ew.mtu=} ;;
  esac
done
ip link set lo up
ip link set eth0 mtu "\${mtu:-1500}" up
[ -n "\${addr:-}" ] && ip addr add "$addr" dev eth0
nc -ll -p ${ECHO_PORT} -e cat </dev/null >/dev/null 2>&1 &
echo "EW-GUEST-UP $(cat /sys/class/net/eth0/address) $(cat /sys/class/net/eth0/mtu)"
exec sh </dev/ttyS0 >/dev/ttyS0 2>&1
`;

/** Bump when the build steps change, so caches are rebuilt. */
const RECIPE_VERSION = 1;

export function guestHash(): string {
  return createHash('sha256')
    .update(JSON.stringify({ kernel: KERNEL_META_PACKAGE, busybox: BUSYBOX_PACKAGE, modules: GUEST_MODULES, init: GUEST_INIT, recipe: RECIPE_VERSION }))
    .digest('hex')
    .slice(0, 12);
}

export interface GuestImage {
  dir: string;
  kernel: string;
  initrd: string;
}

export function guestImage(cacheDir: string): GuestImage {
  const dir = `${cacheDir}/guest-${guestHash()}`;
  return { dir, kernel: `${dir}/vmlinuz`, initrd: `${dir}/initrd.gz` };
}

const MARKER = 'edge-wizard-guest.json';

export function guestReady(img: GuestImage): boolean {
  return existsSync(`${img.dir}/${MARKER}`) && existsSync(img.kernel) && existsSync(img.initrd);
}

/** The one kernel package the meta package depends on, from `apt-cache depends` output. */
export function kernelPackage(dependsOutput: string): string | undefined {
  const names = [...dependsOutput.matchAll(/^\s*Depends:\s*(linux-image-\S+-cloud-amd64)\s*$/gm)].map((m) => m[1]!);
  return names.length === 1 ? names[0] : undefined;
}

/** Packs a directory into a gzip'd newc cpio (args: dir out). A fixed script, values as arguments. */
const PACK_SCRIPT = `set -eu -o pipefail
cd "$1"
find . | LC_ALL=C sort | cpio --quiet -o -H newc | gzip -1 > "$2"
`;

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

/** Returns the cached guest, building it first when missing (a few seconds plus a 27 MB download). */
export async function ensureGuest(deps: LabDeps, cacheDir: string): Promise<GuestImage> {
  const img = guestImage(cacheDir);
  if (guestReady(img)) return img;
  for (const p of [
    ['apt-get', 'apt'],
    ['dpkg-deb', 'dpkg'],
    ['cpio', 'cpio'],
    ['gzip', 'gzip'],
  ] as const) {
    if (!deps.which(p[0])) throw new Error(`Building the lab's guest needs ${p[0]}: install it with "apt-get install --no-install-recommends ${p[1]}".`);
  }
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  const tmp = `${img.dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(`${tmp}/deb`, { recursive: true });
  const started = deps.now();
  try {
    const depends = await run(deps, 'apt-cache', ['depends', KERNEL_META_PACKAGE], { env: APT_ENV });
    const kernelPkg = kernelPackage(depends);
    if (!kernelPkg) throw new Error(`"apt-cache depends ${KERNEL_META_PACKAGE}" names no single kernel package: run "apt-get update" and try again.`);
    deps.log(`Building the lab's guest in ${img.dir} from ${kernelPkg} and ${BUSYBOX_PACKAGE} (once)`);
    // Exactly one package name each: a glob would download every kernel.
    await run(deps, 'apt-get', ['download', kernelPkg, BUSYBOX_PACKAGE], { env: APT_ENV, cwd: `${tmp}/deb`, timeout: 10 * 60_000 });
    for (const deb of readdirSync(`${tmp}/deb`).filter((f) => f.endsWith('.deb'))) {
      await run(deps, 'dpkg-deb', ['-x', `${tmp}/deb/${deb}`, `${tmp}/x`]);
    }
    const vmlinuz = readdirSync(`${tmp}/x/boot`).find((f) => f.startsWith('vmlinuz-'));
    if (!vmlinuz) throw new Error(`${kernelPkg} holds no /boot/vmlinuz-*`);
    const release = vmlinuz.slice('vmlinuz-'.length);
    const ir = `${tmp}/initramfs`;
    for (const d of ['bin', 'lib/modules', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(`${ir}/${d}`, { recursive: true });
    copyFileSync(`${tmp}/x/bin/busybox`, `${ir}/bin/busybox`);
    chmodSync(`${ir}/bin/busybox`, 0o755);
    for (const m of GUEST_MODULES) copyFileSync(`${tmp}/x/lib/modules/${release}/${m}`, `${ir}/lib/modules/${m.split('/').pop()!}`);
    writeFileSync(`${ir}/init`, GUEST_INIT, { mode: 0o755 });
    await run(deps, 'bash', ['-c', PACK_SCRIPT, 'pack', ir, `${tmp}/initrd.gz`]);
    copyFileSync(`${tmp}/x/boot/${vmlinuz}`, `${tmp}/vmlinuz`);
    rmSync(`${tmp}/x`, { recursive: true, force: true });
    rmSync(`${tmp}/deb`, { recursive: true, force: true });
    rmSync(ir, { recursive: true, force: true });
    writeFileSync(
      `${tmp}/${MARKER}`,
      `${JSON.stringify({ kernel: kernelPkg, release, busybox: BUSYBOX_PACKAGE, built: new Date().toISOString() }, null, 2)}\n`,
    );
    renameSync(tmp, img.dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // Another lab built the same guest meanwhile: use it.
    if (guestReady(img)) return img;
    throw e;
  }
  deps.log(`Guest ready in ${((deps.now() - started) / 1000).toFixed(1)} s`);
  return img;
}
