/**
 * `edge-wizard lab up|down|status`: a lab of the seed's topology, or of a
 * scenario (`up -f`), on this machine (root), in network namespaces the command creates and removes;
 * `lab reboot|cut|heal HOST` fail one of its hosts (lab/faults.ts).
 */
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import type { LabDeps } from '../../lab/exec.js';
import { labController } from '../../lab/controller.js';
import { labRebuild, renderRebuild } from '../../lab/rebuild.js';
import { labDown, labStatus, labUp, readLabSource, renderStatus, renderUp, context, type LabOptions } from '../../lab/lab.js';
import { DEFAULT_CACHE_DIR, DEFAULT_STATE_ROOT, labPaths } from '../../lab/files.js';
import { DEFAULT_RELEASE, RELEASES, releaseProblem, type Release } from '../../lab/rootfs.js';
import { LAB_MAX_CLUSTERS, LAB_MAX_KVM_HOSTS } from '../../lab/topology.js';
import { labCut, labHeal, labHost, labReboot, renderCut, renderHeal, renderReboot } from '../../lab/faults.js';

const help = `Usage: edge-wizard lab up [-f SCENARIO] [options]
       edge-wizard lab down|status [options]
       edge-wizard lab reboot|cut|heal HOST [options]

Without -f, builds the seed's topology on this machine, as root, in network namespaces:
an "internet" namespace with cloud A (203.0.113.0/24) and cloud B
(198.51.100.0/24) and no route out; an ingress (cloud A + control subnet
10.0.1.0/24); a frontend on the control subnet, reached by ProxyJump through
the ingress; and two edge clusters of two KVM hosts each (london in cloud A,
ncalifornia in cloud B). Hosts are systemd-nspawn containers booting Debian 12
(or 13 with --release trixie) with sshd, FRR, wireguard-tools/wireguard-go and iptables. KVM hosts start as
oneprovision leaves them: root accepts only the frontend's oneprovision key,
and oneprovision's AWS REJECT rule is on their public interface (enp125s0).

With -f SCENARIO, builds that scenario's lab instead: one cloud (bridge and public
subnet) per cluster, named and filled as in the file (cluster, KVM host, ingress
and frontend names; WireGuard, networks, BGP and Virtual Router settings), with the
lab's own addresses: clouds 203.0.113.0/24, 198.51.100.0/24, then 198.18.0.0/24,
198.18.1.0/24, ...; in each, KVM hosts from .21 and the ingress (first cloud) at
.10; control subnet 10.0.1.0/24 (frontend .87); a range the scenario's own subnets
overlap is skipped. Each interconnect[] gateway is a container of its own
(198.19.0.50, .51, ... on br-gw; not in the inventory), its WireGuard key made on it
and written into the lab's scenario. Container hostnames turn "_" into "-". The lab's scenario.yaml
is its copy of the file, named after the lab, for deploy and verify. A lab holds at
most ${LAB_MAX_CLUSTERS} clusters and ${LAB_MAX_KVM_HOSTS} KVM hosts on this machine (more: exit 2); past 16
containers it needs a higher fs.inotify.max_user_instances (lab up says which).
down, status, cut, heal and reboot act on the lab as it was built.

Commands:
  up       Create the lab (idempotent; a lab of another shape is replaced), write its scenario file, ssh config and known_hosts
  down     Stop every container and remove every namespace, veth and overlay (safe to repeat)
  status   Show every host, its state, addresses and reachability (and which are cut off)

Failures, to rehearse what the overlay does when a host dies (HOST is a lab host's
name, e.g. in the seed's lab: ingress, fe1, kvm_london1, kvm_london2, kvm_ncalifornia1, kvm_ncalifornia2):
  reboot HOST  Reboot the host: systemctl reboot inside its container, which then boots
               again from the same disk (its overlay; /run and every process start
               afresh) and is plugged back into its bridges. Nothing is restarted for
               it: units that fail at boot are reported. Prints how long it was down,
               when systemd finished booting and when sshd listened.
  cut HOST     Cut the host off silently, as when a machine or its uplink dies: in the
               internet namespace its addresses become blackhole routes (dropped with no
               ICMP error) and its bridge ports stop forwarding. The host's own links stay
               up and it is told nothing. Survives a reboot of the host. Safe to repeat.
  heal HOST    Undo cut: the bridge ports forward and the routes are back. Safe to repeat.

Options:
  -f, --file FILE    With up: build the lab of this scenario file (default: the seed's shape)
  --name NAME        Lab name (default: lab; 1-12 lowercase letters or digits)
  --state-dir DIR    Where labs keep their files (default: ${DEFAULT_STATE_ROOT})
  --cache-dir DIR    Where the Debian root filesystem is cached (default: ${DEFAULT_CACHE_DIR})
  --release NAME     With up: the Debian release the hosts boot, ${RELEASES.join(' or ')} (default: ${DEFAULT_RELEASE})
  --purge            With down: also delete the lab's controller key and directory
  --json             With status: print JSON
  -h, --help         Show this help

Files (in <state-dir>/<name>/): scenario.yaml, ssh/config (use with ssh -F),
ssh/id_ed25519 (the controller's key), ssh/known_hosts, state.json.

Needs root, systemd-nspawn and debootstrap:
  apt-get install --no-install-recommends systemd-container debootstrap iproute2 openssh-client
`;

type LabAction = 'up' | 'down' | 'status' | 'reboot' | 'cut' | 'heal' | 'rebuild';
const HOST_ACTIONS: readonly string[] = ['reboot', 'cut', 'heal', 'rebuild'];

export function parseLabArgs(argv: string[]): { action: LabAction; host?: string; opts: LabOptions & { purge: boolean; json: boolean; file?: string } } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        file: { type: 'string', short: 'f' },
        'state-dir': { type: 'string' },
        'cache-dir': { type: 'string' },
        release: { type: 'string' },
        purge: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    const msg = (e as Error).message;
    const opt = msg.match(/option '([^']+)'/i)?.[1];
    throw new UsageError(
      opt ? `Unknown or incomplete option "${opt}": run "edge-wizard lab --help" for the options.` : `${msg.split('.')[0]}: run "edge-wizard lab --help" for the options.`,
    );
  }
  const [action, ...rest] = parsed.positionals;
  if (action !== 'up' && action !== 'down' && action !== 'status' && action !== 'reboot' && action !== 'cut' && action !== 'heal' && action !== 'rebuild') {
    throw new UsageError(
      action === undefined
        ? 'Say what to do with the lab: "edge-wizard lab up", "down" or "status" (or reboot, cut, heal or rebuild HOST).'
        : `Unknown lab action "${action}": use up, down or status, or reboot, cut, heal or rebuild HOST.`,
    );
  }
  const name = parsed.values.name ?? 'lab';
  let host: string | undefined;
  let extra = rest;
  if (HOST_ACTIONS.includes(action)) {
    host = rest[0];
    extra = rest.slice(1);
    if (host === undefined) throw new UsageError(`Say which host to ${action}: "edge-wizard lab ${action} HOST" (run "edge-wizard lab --help" for the host names).`);
    labHost(context({ name, stateRoot: parsed.values['state-dir'] }).t, host);
  }
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}": run "edge-wizard lab --help" for the usage.`);
  if (parsed.values.purge && action !== 'down') throw new UsageError('--purge only goes with "lab down".');
  if (parsed.values.file !== undefined && action !== 'up') throw new UsageError('-f only goes with "lab up" (the other actions act on the lab as it was built).');
  const release = parsed.values.release;
  if (release !== undefined) {
    if (action !== 'up') throw new UsageError('--release only goes with "lab up".');
    const problem = releaseProblem(release);
    if (problem) throw new UsageError(problem);
  }
  return {
    action,
    host,
    opts: {
      name,
      stateRoot: parsed.values['state-dir'],
      cacheDir: parsed.values['cache-dir'],
      release: release as Release | undefined,
      purge: parsed.values.purge ?? false,
      json: parsed.values.json ?? false,
      file: parsed.values.file,
    },
  };
}

/**
 * `lab ...` as typed. Without `deps` (the command line) the lab is driven from a network
 * namespace of its own (lab/controller.ts labController): the lab's routes, whose fake
 * internet may cover real addresses (this machine's package mirror), never reach the
 * host's routing table; the lab's ssh config reaches the hosts through that namespace.
 */
export async function runLab(argv: string[], out: NodeJS.WritableStream, given?: LabDeps, log: (line: string) => void = () => undefined): Promise<number> {
  const { action, host, opts } = parseLabArgs(argv);
  const ctl = given ? undefined : await labController(opts.name, action === 'up', log);
  const deps = given ?? ctl!.deps;
  if (action === 'up' && ctl) opts.controllerNs = ctl.ns;
  try {
    return await runLabAction(action, host, opts, out, deps);
  } finally {
    if (action === 'down' && ctl) await ctl.close();
  }
}

async function runLabAction(action: LabAction, host: string | undefined, opts: ReturnType<typeof parseLabArgs>['opts'], out: NodeJS.WritableStream, deps: LabDeps): Promise<number> {
  if (host !== undefined) {
    const o = { ...opts, host };
    if (action === 'rebuild') out.write(renderRebuild(await labRebuild(o, deps), o, labPaths(opts.name, opts.stateRoot ?? DEFAULT_STATE_ROOT).scenario));
    else if (action === 'cut') out.write(renderCut(await labCut(o, deps), o));
    else if (action === 'heal') out.write(renderHeal(await labHeal(o, deps)));
    else out.write(renderReboot(await labReboot(o, deps)));
    return 0;
  }
  if (action === 'up') {
    const scenario = opts.file === undefined ? undefined : await readLabSource(opts.file);
    const r = await labUp({ ...opts, scenario }, deps);
    out.write(renderUp(r.t, r));
    return 0;
  }
  if (action === 'down') {
    await labDown(opts, deps);
    return 0;
  }
  const s = await labStatus(opts, deps);
  out.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : renderStatus(s));
  return s.up ? 0 : 1;
}

export const command: Command = {
  help,
  run: (argv, io) => runLab(argv, io.out, undefined, (line) => io.err.write(`${line}\n`)),
};
