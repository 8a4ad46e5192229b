/**
 * OpenNebula's own vxlan network driver on a lab KVM host, when OpenNebula's source is at
 * hand: `ONE_SOURCE` names a checkout of github.com/OpenNebula/one (never copied into this
 * repository). scripts/one-vnm-driver.rb `--run` loads the checkout's vnm driver
 * (VXLANDriver#activate, what `vnm_mad/remotes/vxlan/pre` runs for a VM's NIC) and lets it
 * act: its own `ip` commands, on the kernel state of the network namespace it runs in. The
 * lab hosts' rootfs has no ruby, so it runs from this machine inside a host container's
 * network namespace (nsenter --net, the machine's files). Without ONE_SOURCE the lab replays
 * the driver (src/lab/vms.ts DRIVER_REPLAY_SCRIPT).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { vnTemplate } from '../core/inventory.js';
import type { EvpnNetwork, Scenario } from '../core/scenario.js';
import { run, type LabDeps } from './exec.js';

/** The Ruby that loads the driver (shipped with the package). */
export const DRIVER_RUBY = fileURLToPath(new URL('../../scripts/one-vnm-driver.rb', import.meta.url));
/** The file a checkout must hold to be one. */
export const DRIVER_ENTRY = 'src/vnm_mad/remotes/vxlan/vxlan_driver.rb';

/** Which version each pinned set of driver files is (driverFilesHash of `git archive <tag>`). */
export const KNOWN_DRIVER_FILES: Record<string, string> = {
  '95d0332584cf': 'release-6.8.0',
};

export interface OneDriver {
  /** The checkout (ONE_SOURCE). */
  source: string;
  /** ruby on this machine. */
  ruby: string;
  /** The release its driver files are, e.g. `release-6.8.0`, or what git says, or their hash. */
  version: string;
}

/** What the demo prints for who built the network. */
export function networkBuilder(d: OneDriver | undefined): string {
  return d ? `OpenNebula's vxlan driver (${d.version} from ONE_SOURCE)` : "the replay of OpenNebula's vxlan driver";
}

/**
 * The hash of the files the driver loads (vnm_mad/remotes lib/, vxlan/, OpenNebulaNetwork.conf),
 * by path and content: the same files give the same 12 hex digits, whatever the checkout is.
 */
export function driverFilesHash(source: string): string {
  const root = `${source}/src/vnm_mad/remotes`;
  const files = ['lib', 'vxlan'].flatMap((d) =>
    readdirSync(`${root}/${d}`, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => `${d}/${e.name}`),
  );
  const h = createHash('sha256');
  for (const f of [...files, 'OpenNebulaNetwork.conf'].sort())
    h.update(`${f}\0`)
      .update(readFileSync(`${root}/${f}`))
      .update('\0');
  return h.digest('hex').slice(0, 12);
}

/**
 * ONE_SOURCE as the lab uses it: undefined when unset (the replay), else the checkout, ruby
 * and the version. A value that is no checkout, or no ruby: one sentence (exit 2).
 */
export function oneDriver(source: string | undefined, deps: Pick<LabDeps, 'which'>): OneDriver | undefined {
  if (source === undefined || source === '') return undefined;
  if (!existsSync(`${source}/${DRIVER_ENTRY}`))
    throw new UsageError(
      `ONE_SOURCE "${source}" is not a checkout of OpenNebula/one (no ${DRIVER_ENTRY}): point it at one, or unset it to use the lab's replay of the driver.`,
    );
  const ruby = deps.which('ruby');
  if (!ruby) throw new UsageError('ONE_SOURCE is set but this machine has no ruby to run the driver: apt-get install ruby, or unset ONE_SOURCE.');
  const hash = driverFilesHash(source);
  return { source, ruby, version: KNOWN_DRIVER_FILES[hash] ?? `driver files ${hash}, not a pinned release` };
}

/** The NIC's attributes the driver reads, from the VNET template (core/inventory.ts vnTemplate). */
export interface DriverNic {
  phydev: string;
  vni: number;
  mtu: number;
  vxlanTep: string;
  ipLinkConf: string;
}

/**
 * Runs the driver for one NIC in a network namespace (`netns`: a path nsenter takes, e.g.
 * /proc/<container init>/ns/net); returns the commands it ran (none when the bridge and
 * the VXLAN device were there already).
 */
export async function runOneDriver(deps: LabDeps, d: OneDriver, netns: string, nic: DriverNic): Promise<string[]> {
  const out = await run(
    deps,
    'nsenter',
    [`--net=${netns}`, '--', d.ruby, DRIVER_RUBY, '--run', nic.phydev, String(nic.vni), String(nic.mtu), '-', nic.vxlanTep, nic.ipLinkConf],
    { env: { ONE_SOURCE: d.source }, timeout: 60_000 },
  );
  return (JSON.parse(out) as { commands: string[] }).commands;
}

/** The NIC of a VM in network `n` as oned gives it to the driver: the VNET template's attributes, the VNI it leased. */
export function driverNic(s: Scenario, n: EvpnNetwork, vni: number): DriverNic {
  const t = vnTemplate(s, n);
  return { phydev: String(t.PHYDEV), vni, mtu: Number(t.MTU), vxlanTep: String(t.VXLAN_TEP), ipLinkConf: String(t.IP_LINK_CONF) };
}
