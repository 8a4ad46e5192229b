/**
 * A REAL oned for the tests, when ONE_LOCATION points at an OpenNebula 6.8 install that lives
 * outside this repository (nothing here builds or installs OpenNebula: this only runs it).
 *
 * `startRealOned` makes a throwaway instance tree in a temp directory (bin, lib, share linked
 * to the install; etc and var/remotes copied; a fresh sqlite DB), writes an oned.conf derived
 * from the install's stock one, and starts `oned -f` on 127.0.0.1 with free ports:
 *   - XML-RPC on 127.0.0.1 only (LISTEN_ADDRESS), a random free port;
 *   - the hook manager's ZeroMQ sockets and monitord on 127.0.0.1, random free ports;
 *   - drivers that never leave this machine: dummy IM (monitord) and dummy VMM for hosts,
 *     fs/ssh datastores, only the `http` market driver (the bootstrapped "OpenNebula Public"
 *     marketplace is disabled, so nothing reaches marketplace.opennebula.io), dummy IPAM;
 *   - ONEGATE_ENDPOINT set or not, as the test asks (stock oned.conf has none).
 * oned will not answer until every configured driver has said INIT SUCCESS; the harness waits
 * for `one.system.version`, and `stop()` ends oned by its PID, then its process group, then every
 * process of the instance that left the group (endInstance: marked by EW_ONED_INSTANCE in its
 * environment, or naming the instance's directory), and removes the directory unless EW_KEEP_ONED is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOneClient, httpTransport, type OneClient } from '../../src/adapters/opennebula/xmlrpc.js';

/** The install ONE_LOCATION names, when it holds an oned; undefined when ONE_LOCATION is unset. */
export function oneLocation(): string | undefined {
  const loc = process.env.ONE_LOCATION;
  if (!loc) return undefined;
  if (!existsSync(join(loc, 'bin', 'oned'))) {
    throw new Error(`ONE_LOCATION is ${loc}, but ${loc}/bin/oned does not exist: point ONE_LOCATION at an OpenNebula install or unset it to use the stand-in.`);
  }
  return loc;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Removes every top-level `NAME = ...` (one line) or `NAME = [ ... ]` (block) from an OpenNebula config file. */
export function dropAttr(conf: string, name: string): string {
  return conf.replace(new RegExp(`^${name}\\s*=\\s*\\[[^\\]]*\\][ \\t]*$`, 'gm'), '').replace(new RegExp(`^${name}\\s*=\\s*[^\\[\\n].*$`, 'gm'), '');
}

function setAttrs(conf: string, attrs: Record<string, string | undefined>): string {
  let out = conf;
  for (const name of Object.keys(attrs)) out = dropAttr(out, name);
  const lines = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${v}`);
  return `${out.trimEnd()}\n\n# --- edge-wizard test harness ---\n${lines.join('\n')}\n`;
}

/**
 * Every process that belongs to an instance, whatever process group or session it put itself in:
 * its environment carries EW_ONED_INSTANCE=<marker> (inherited from oned by every driver, probe and
 * monitord-client.rb), or its command line names a file of the instance's directory (monitord-client
 * is started as `ruby <dir>/var/remotes/im/<x>.d/monitord-client.rb ... &` by monitord-client_control.sh,
 * release-6.8.0 src/im_mad/remotes/common.d/monitord-client_control.sh:27, in a group of its own), or it
 * runs in that directory. Read from /proc (Linux).
 */
export function instanceProcesses(dir: string, marker: string): number[] {
  if (dir.length < 8 || !dir.startsWith('/')) throw new Error(`refusing to look for the processes of "${dir}"`);
  const inDir = (p: string) => p === dir || p.startsWith(`${dir}/`);
  const found: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const read = (f: string) => {
      try {
        return readFileSync(`/proc/${pid}/${f}`, 'latin1').split('\0');
      } catch {
        return [];
      }
    };
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone, or not ours to read
    }
    if (read('environ').includes(`EW_ONED_INSTANCE=${marker}`) || read('cmdline').some(inDir) || inDir(cwd)) found.push(pid);
  }
  return found;
}

/**
 * Ends an instance: oned by its PID (SIGTERM, then its group), then every process still found by
 * `instanceProcesses` (SIGKILL), until two scans in a row find none. Group kills alone leave the
 * processes that made a group or session of their own (issue 27: three monitord-client.rb ten
 * minutes after the tests, their directory deleted). Returns whether none is left.
 */
export async function endInstance(o: { pid?: number; isRunning?: () => boolean; dir: string; marker: string; graceMs?: number }): Promise<boolean> {
  if (o.pid && (o.isRunning?.() ?? true)) {
    try {
      process.kill(o.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    for (let waited = 0; waited < (o.graceMs ?? 15_000) && (o.isRunning?.() ?? false); waited += 100) await sleep(100);
  }
  if (o.pid) {
    try {
      process.kill(-o.pid, 'SIGKILL');
    } catch {
      /* the group is empty */
    }
  }
  let quiet = 0;
  for (let round = 0; round < 100 && quiet < 2; round++) {
    const left = instanceProcesses(o.dir, o.marker);
    if (!left.length) {
      quiet++;
    } else {
      quiet = 0;
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone meanwhile */
        }
      }
    }
    await sleep(100);
  }
  return quiet >= 2;
}

/** The same, at once and synchronously: for process.on('exit'), when the test process ends first. */
export function endInstanceNow(dir: string, marker: string, pid?: number): void {
  if (pid) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (let round = 0; round < 5; round++) {
    const left = instanceProcesses(dir, marker);
    if (!left.length) return;
    for (const p of left) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

export interface RealOnedOptions {
  /** ONEGATE_ENDPOINT in oned.conf; undefined leaves it out, as stock oned.conf does. */
  onegateEndpoint?: string;
  /** oneadmin's password (written to ONE_AUTH before the first start); random by default. */
  password?: string;
}

export interface RealOned {
  endpoint: string;
  password: string;
  pid: number;
  dir: string;
  /** oneadmin client (the harness's own calls: layout, inspection). */
  client: OneClient;
  /** The tail of oned.log, for failure messages. */
  logTail(lines?: number): string;
  /** Stops oned, rewrites oned.conf with `opts` (same DB), starts it again: what an admin does after editing oned.conf. */
  restart(opts: RealOnedOptions): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRealOned(opts: RealOnedOptions = {}): Promise<RealOned> {
  const install = oneLocation();
  if (!install) throw new Error('startRealOned needs ONE_LOCATION');
  const dir = mkdtempSync(join(tmpdir(), 'ew-oned-'));
  for (const d of ['bin', 'lib', 'share']) symlinkSync(join(install, d), join(dir, d));
  cpSync(join(install, 'etc'), join(dir, 'etc'), { recursive: true });
  mkdirSync(join(dir, 'var', 'lock'), { recursive: true });
  // Drivers read their own configuration under var/remotes; a copy keeps the install untouched.
  cpSync(join(install, 'var', 'remotes'), join(dir, 'var', 'remotes'), { recursive: true });
  mkdirSync(join(dir, 'home'));

  const password = opts.password ?? `harness-${Math.random().toString(36).slice(2, 10)}`;
  writeFileSync(join(dir, 'one_auth'), `oneadmin:${password}\n`, { mode: 0o600 });

  const [port, hmPub, hmRep, monPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const stockOned = readFileSync(join(install, 'etc', 'oned.conf'), 'utf8');
  const writeConf = (onegateEndpoint: string | undefined) =>
    writeFileSync(
      join(dir, 'etc', 'oned.conf'),
      setAttrs(stockOned, {
        PORT: String(port),
        LISTEN_ADDRESS: '"127.0.0.1"',
        MANAGER_TIMER: '2',
        // Datastores are monitored (FREE_MB, which image.allocate checks) within 20 s of being created;
        // the market once, 5 s after start. Shorter intervals only load the machine with driver runs.
        MONITORING_INTERVAL_DATASTORE: '20',
        MONITORING_INTERVAL_MARKET: '600',
        ONEGATE_ENDPOINT: onegateEndpoint === undefined ? undefined : `"${onegateEndpoint}"`,
        VM_MAD: '[ NAME = "dummy", SUNSTONE_NAME = "Testing", EXECUTABLE = "one_vmm_dummy", TYPE = "xml" ]',
        IM_MAD: '[ NAME = "monitord", EXECUTABLE = "onemonitord", ARGUMENTS = "-c monitord.conf", THREADS = 8 ]',
        MARKET_MAD: '[ EXECUTABLE = "one_market", ARGUMENTS = "-t 15 -m http" ]',
        IPAM_MAD: '[ EXECUTABLE = "one_ipam", ARGUMENTS = "-t 1 -i dummy" ]',
        HM_MAD: `[ EXECUTABLE = "one_hm", ARGUMENTS = "-p ${hmPub} -l ${hmRep} -b 127.0.0.1" ]`,
        // oneadmin's core (password) authentication is built into oned; the auth driver is for ssh, x509, ldap...
        AUTH_MAD: undefined,
      }),
    );
  writeConf(opts.onegateEndpoint);
  const monitord = setAttrs(readFileSync(join(install, 'etc', 'monitord.conf'), 'utf8'), {
    NETWORK: `[ ADDRESS = "127.0.0.1", MONITOR_ADDRESS = "127.0.0.1", PORT = ${monPort}, THREADS = 2, PUBKEY = "", PRIKEY = "" ]`,
    IM_MAD: '[ NAME = "dummy", SUNSTONE_NAME = "Dummy", EXECUTABLE = "one_im_sh", ARGUMENTS = "-r 3 -t 15 -w 90 dummy", THREADS = 0 ]',
    PROBES_PERIOD: '[ BEACON_HOST = 600, SYSTEM_HOST = 600, MONITOR_HOST = 600, STATE_VM = 600, MONITOR_VM = 600, SYNC_STATE_VM = 600 ]',
  });
  writeFileSync(join(dir, 'etc', 'monitord.conf'), monitord);

  // Inherited by everything oned starts, whatever group or session it makes (instanceProcesses).
  const marker = randomBytes(8).toString('hex');
  const env = {
    EW_ONED_INSTANCE: marker,
    PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    ONE_LOCATION: dir,
    ONE_AUTH: join(dir, 'one_auth'),
    HOME: join(dir, 'home'),
    LANG: 'C.UTF-8',
  };
  const endpoint = `http://127.0.0.1:${port}/RPC2`;
  const client = createOneClient({ transport: httpTransport(endpoint, 120_000), user: 'oneadmin', password });
  const probe = createOneClient({ transport: httpTransport(endpoint, 5000), user: 'oneadmin', password });
  const logTail = (n = 40) => {
    try {
      return readFileSync(join(dir, 'var', 'oned.log'), 'utf8')
        .split('\n')
        .slice(-n)
        .join('\n');
    } catch {
      return '(no oned.log)';
    }
  };

  let pid = 0;
  let exited: number | null | undefined;
  let stderr = '';
  /**
   * Ends oned and every process of this instance, in its group or not (endInstance); the directory
   * must not go while anything of oned runs, because oned 6.8 (Driver.h start_driver) lets a child
   * whose driver exec fails return into oned's code, and a driver restart with its files gone forks
   * without end.
   */
  const halt = async (): Promise<boolean> => endInstance({ pid: pid || undefined, isRunning: () => exited === undefined, dir, marker });
  /**
   * oned gives each driver 10 s to answer INIT (include/Driver.h); on a loaded machine a Ruby
   * driver can miss that, and oned exits. Tried three times.
   */
  const launch = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        await launchOnce();
        return;
      } catch (e) {
        const slow = /Driver initialization time out|Could not load driver/.test(`${(e as Error).message}`);
        if (!slow || attempt === 3) throw e;
        await halt();
      }
    }
  };
  const launchOnce = async () => {
    // A lock left by an oned that did not exit cleanly would stop the next one.
    rmSync(join(dir, 'var', 'lock', '.lock'), { force: true });
    exited = undefined;
    stderr = '';
    const child: ChildProcess = spawn(join(dir, 'bin', 'oned'), ['-f'], { env, cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => (exited = code));
    pid = child.pid!;
    // If the test process dies first, oned, its drivers and whatever they started go with it.
    const orphan = pid;
    process.once('exit', () => endInstanceNow(dir, marker, orphan));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (exited !== undefined) throw new Error(`oned exited (${exited}) before answering:\n${stderr}\n${logTail()}`);
      try {
        await probe.call('one.system.version');
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`oned did not answer on ${endpoint} within 90 s:\n${logTail()}`);
        await sleep(300);
      }
    }
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const gone = await halt();
    if (!gone) console.warn(`real oned: processes of group ${pid} still running; ${dir} is left in place`);
    if (gone && !process.env.EW_KEEP_ONED) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      } catch {
        // a driver still writing its log; the directory is under the system's temp dir
      }
    }
  };
  const restart = async (o: RealOnedOptions) => {
    await halt();
    writeConf(o.onegateEndpoint);
    await launch();
  };

  try {
    await launch();
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    endpoint,
    password,
    get pid() {
      return pid;
    },
    dir,
    client,
    logTail,
    restart,
    stop,
  };
}
