/**
 * QEMU on a lab KVM host, as OpenNebula's KVM driver runs a VM: a tap device
 * (`one-<vmid>-<nic>`) in the VNET's bridge, virtio-net with the leased MAC,
 * 128 MiB. QEMU runs in the host's container (its network, PID, UTS and IPC
 * namespaces, entered with nsenter; the machine's files, so the container needs
 * no QEMU of its own), so it dies with the container. Driven over QMP (a unix
 * socket in the lab's host directory); the guest's serial console is another
 * socket there.
 *
 * Live migration is QEMU's own: the destination starts with `-incoming
 * tcp:<its wg0 address>:<port>` and the source is told `migrate` over QMP. That
 * is what libvirt's `virsh migrate --live` (OpenNebula's KVM driver) does
 * underneath, without libvirtd on every host.
 */
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { run, type LabDeps } from './exec.js';

/** Which accelerator QEMU uses. KVM is unproven on this machine (docs/lab.md): TCG. */
export type Accel = 'tcg' | 'kvm';

export interface GuestSpec {
  /** OpenNebula's VM id: the guest is vm<id>, its tap one-<id>-0. */
  id: number;
  mac: string;
  /** Address with prefix, as the lease gives it. */
  address: string;
  mtu: number;
  bridge: string;
  memoryMiB: number;
  accel: Accel;
  kernel: string;
  initrd: string;
}

export const tapName = (id: number): string => `one-${id}-0`;
export const guestName = (id: number): string => `vm${id}`;

/** The MAC OpenNebula leases with an IPv4 address: 02:00 and the address in hex (MAC_PREFIX 02:00). */
export function leaseMac(ip: string): string {
  return ['02', '00', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

export interface GuestFiles {
  qmp: string;
  console: string;
  log: string;
}

/** QEMU's argv (after the program). The same on both ends of a migration, plus `-incoming` on the destination. */
export function qemuArgs(g: GuestSpec, files: GuestFiles, lab: string, incoming?: string): string[] {
  return [
    '-name',
    `ew-${lab}-${guestName(g.id)},process=ew-${guestName(g.id)}`,
    '-machine',
    'pc',
    // TCG in one thread: with QEMU 7.2's multi-threaded TCG a guest came out of its 5th to 8th
    // migration with a corrupted page allocator (list_del corruption, then a panic).
    '-accel',
    g.accel === 'tcg' ? 'tcg,thread=single' : 'kvm',
    '-cpu',
    'qemu64',
    '-smp',
    '1',
    '-m',
    String(g.memoryMiB),
    // A guest that panics stops (QEMU exits) rather than booting again unseen.
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    g.kernel,
    '-initrd',
    g.initrd,
    '-append',
    `console=ttyS0 quiet loglevel=1 panic=-1 ew.ip=${g.address} ew.mtu=${g.mtu}`,
    '-netdev',
    `tap,id=net0,ifname=${tapName(g.id)},script=no,downscript=no`,
    '-device',
    `virtio-net-pci,netdev=net0,mac=${g.mac},romfile=`,
    // The console is also kept in a file (appended on each end of a migration), for when a guest dies.
    '-chardev',
    `socket,id=con0,path=${files.console},server=on,wait=off,logfile=${files.log}.console,logappend=on`,
    '-serial',
    'chardev:con0',
    '-qmp',
    `unix:${files.qmp},server=on,wait=off`,
    ...(incoming ? ['-incoming', incoming] : []),
  ];
}

/** Creates the tap in the bridge (idempotent), as libvirt does before QEMU starts. Args: tap bridge mtu. */
export const TAP_UP_SCRIPT = `set -eu
tap=$1 br=$2 mtu=$3
ip link show "$tap" >/dev/null 2>&1 || ip tuntap add dev "$tap" mode tap
ip link set "$tap" mtu "$mtu" master "$br" up
`;

/** Removes the tap (as libvirt does when the domain goes). Args: tap. */
export const TAP_DOWN_SCRIPT = `ip link del "$1" 2>/dev/null; true
`;

/** A running QEMU's PIDs by its -name (found in /proc, so a crash leaves nothing untraceable). */
export function findQemu(lab: string, id: number): number[] {
  const want = `ew-${lab}-${guestName(id)},process=ew-${guestName(id)}`;
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if ((argv[0] ?? '').endsWith('qemu-system-x86_64') && argv.includes(want)) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Starts QEMU in a host's container namespaces; returns nsenter's PID (QEMU is its child). */
export async function startQemu(deps: LabDeps, initPid: number, g: GuestSpec, files: GuestFiles, lab: string, incoming?: string): Promise<number> {
  if (!deps.which('qemu-system-x86_64')) {
    throw new Error('The lab\'s VMs need QEMU: install it with "apt-get install --no-install-recommends qemu-system-x86 qemu-utils".');
  }
  mkdirSync(files.qmp.slice(0, files.qmp.lastIndexOf('/')), { recursive: true, mode: 0o700 });
  for (const p of [files.qmp, files.console]) {
    // sun_path holds 108 bytes.
    if (Buffer.byteLength(p) > 107) throw new Error(`The socket path ${p} is longer than 107 bytes: use a shorter --state-dir.`);
  }
  await run(deps, 'rm', ['-f', files.qmp, files.console]);
  return deps.spawnDetached(
    'nsenter',
    ['--target', String(initPid), '--net', '--pid', '--uts', '--ipc', '--', 'qemu-system-x86_64', ...qemuArgs(g, files, lab, incoming)],
    files.log,
  );
}

interface QmpMessage {
  return?: unknown;
  error?: { class: string; desc: string };
  event?: string;
  data?: Record<string, unknown>;
  id?: number;
  QMP?: unknown;
}

/** A QMP client: one command at a time, answers matched by id, events kept. */
export class Qmp {
  private buf = '';
  private nextId = 1;
  private waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly events: Array<{ event: string; data?: Record<string, unknown> }> = [];
  private closed = false;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => this.onData(chunk));
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.values()) w.reject(new Error('QMP connection closed'));
      this.waiting.clear();
    });
    sock.on('error', () => undefined);
  }

  /** Connects (retrying until the socket answers or the deadline), reads the greeting, enters command mode. */
  static async connect(path: string, timeoutMs = 20_000): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        const q = new Qmp(sock);
        await q.greeting();
        await q.execute('qmp_capabilities');
        return q;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`QMP at ${path} did not answer within ${Math.round(timeoutMs / 1000)} s: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private greetingSeen?: () => void;
  private greeted = false;

  private greeting(): Promise<void> {
    if (this.greeted) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no QMP greeting')), 5000);
      this.greetingSeen = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      let m: QmpMessage;
      try {
        m = JSON.parse(line) as QmpMessage;
      } catch {
        continue;
      }
      if (m.QMP) {
        this.greeted = true;
        this.greetingSeen?.();
      } else if (m.event) {
        this.events.push({ event: m.event, data: m.data });
      } else if (m.id !== undefined) {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.error) w?.reject(new Error(`${m.error.class}: ${m.error.desc}`));
        else w?.resolve(m.return);
      }
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('QMP connection closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** query-migrate's answer, the parts read here. */
export interface MigrateInfo {
  status: string;
  /** Milliseconds the guest was stopped (completed only). */
  downtime?: number;
  'total-time'?: number;
  'setup-time'?: number;
  'error-desc'?: string;
  ram?: { transferred?: number; 'dirty-sync-count'?: number; mbps?: number };
}

/**
 * The guest's serial console (a socket QEMU serves): commands typed into its
 * shell, the output read until a marker. The marker is written split in the
 * command, so the terminal's echo of the command never matches it.
 */
export class GuestConsole {
  private out = '';
  private n = 0;
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => {
      this.out += c;
      if (this.out.length > 1_000_000) this.out = this.out.slice(-100_000);
    });
    sock.on('error', () => undefined);
  }

  static async connect(path: string, timeoutMs = 20_000): Promise<GuestConsole> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const s = await new Promise<Socket>((resolve, reject) => {
          const c = connect(path);
          c.once('connect', () => resolve(c));
          c.once('error', reject);
        });
        return new GuestConsole(s);
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`The console at ${path} did not answer: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Waits until the console printed text matching `re` (from what arrived since connecting). */
  async waitFor(re: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.out.match(re);
      if (m) return m;
      if (Date.now() > deadline)
        throw new Error(
          `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; the console said: ${this.out.slice(-300).replace(/\s+/g, ' ')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Runs a command line in the guest's shell; returns its output and exit status. The output
   * is what came between a begin and an end marker (the shell's line editing echoes the
   * command with its own escapes).
   */
  async run(cmd: string, timeoutMs = 30_000): Promise<{ code: number; stdout: string }> {
    const n = ++this.n;
    const start = this.out.length;
    this.sock.write(`echo "__EW""_BEGIN_${n}"; ${cmd}; echo "__EW""_DONE_${n} $?"\n`);
    const re = new RegExp(`__EW_BEGIN_${n}\\r?\\n([\\s\\S]*?)__EW_DONE_${n} (\\d+)`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.out.slice(start).match(re);
      if (m) return { code: Number(m[2]), stdout: m[1]!.replace(/\r/g, '') };
      if (Date.now() > deadline) throw new Error(`The guest did not finish "${cmd.slice(0, 60)}" within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
