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
 * for `one.system.version`, and `stop()` ends oned by its PID (then its process group, which
 * holds the drivers it spawned) and removes the directory unless EW_KEEP_ONED is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
  return conf
    .replace(new RegExp(`^${name}\\s*=\\s*\\[[^\\]]*\\][ \\t]*$`, 'gm'), '')
    .replace(new RegExp(`^${name}\\s*=\\s*[^\\[\\n].*$`, 'gm'), '');
}

function setAttrs(conf: string, attrs: Record<string, string | undefined>): string {
  let out = conf;
  for (const name of Object.keys(attrs)) out = dropAttr(out, name);
  const lines = Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} = ${v}`);
  return `${out.trimEnd()}\n\n# --- edge-wizard test harness ---\n${lines.join('\n')}\n`;
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
    writeFileSync(join(dir, 'etc', 'oned.conf'), setAttrs(stockOned, {
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
    }));
  writeConf(opts.onegateEndpoint);
  const monitord = setAttrs(readFileSync(join(install, 'etc', 'monitord.conf'), 'utf8'), {
    NETWORK: `[ ADDRESS = "127.0.0.1", MONITOR_ADDRESS = "127.0.0.1", PORT = ${monPort}, THREADS = 2, PUBKEY = "", PRIKEY = "" ]`,
    IM_MAD: '[ NAME = "dummy", SUNSTONE_NAME = "Dummy", EXECUTABLE = "one_im_sh", ARGUMENTS = "-r 3 -t 15 -w 90 dummy", THREADS = 0 ]',
    PROBES_PERIOD: '[ BEACON_HOST = 600, SYSTEM_HOST = 600, MONITOR_HOST = 600, STATE_VM = 600, MONITOR_VM = 600, SYNC_STATE_VM = 600 ]',
  });
  writeFileSync(join(dir, 'etc', 'monitord.conf'), monitord);

  const env = {
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
      return readFileSync(join(dir, 'var', 'oned.log'), 'utf8').split('\n').slice(-n).join('\n');
    } catch {
      return '(no oned.log)';
    }
  };

  let pid = 0;
  let exited: number | null | undefined;
  let stderr = '';
  /** Ends oned by its PID, then whatever is left of its process group (the drivers it spawned). */
  const halt = async (): Promise<boolean> => {
    if (exited === undefined && pid) {
      try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
      for (let i = 0; i < 150 && exited === undefined; i++) await sleep(100);
    }
    if (pid) {
      // Then the whole group, until none is left: the directory must not go while anything of
      // oned runs, because oned 6.8 (Driver.h start_driver) lets a child whose driver exec fails
      // return into oned's code, and a driver restart with its files gone forks without end.
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          return true; // ESRCH: the group is empty
        }
        await sleep(100);
      }
      return false;
    }
    return true;
  };
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
    // If the test process dies first, oned and its drivers go with it.
    const orphan = pid;
    process.once('exit', () => {
      try { process.kill(-orphan, 'SIGKILL'); } catch { /* gone */ }
    });
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
  return { endpoint, password, get pid() { return pid; }, dir, client, logTail, restart, stop };
}
