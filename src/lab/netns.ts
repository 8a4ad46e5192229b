/**
 * Network namespaces, bridges and veths of the lab (iproute2, argument arrays).
 * Every create is idempotent (`replace`, or skipped when present) and every
 * delete tolerates absence, so `lab down` is safe to repeat.
 */
import { UserFacingError } from '../core/errors.js';
import { run, type LabDeps } from './exec.js';
import type { LabHost, LabTopology } from './topology.js';

export async function listNamespaces(deps: LabDeps): Promise<string[]> {
  const r = await deps.exec('ip', ['netns', 'list']);
  if (r.exitCode !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

export async function linkExists(deps: LabDeps, name: string, ns?: string): Promise<boolean> {
  const args = ns ? ['-n', ns, 'link', 'show', 'dev', name] : ['link', 'show', 'dev', name];
  return (await deps.exec('ip', args)).exitCode === 0;
}

const sysctl = (deps: LabDeps, ns: string, key: string, value: string): Promise<string> =>
  run(deps, 'ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${value}`]);

/** The internet namespace, its bridges, and the controller's veth and routes. */
export async function createInternet(deps: LabDeps, t: LabTopology): Promise<void> {
  const ns = t.inetNs;
  if (!(await listNamespaces(deps)).includes(ns)) await run(deps, 'ip', ['netns', 'add', ns]);
  await run(deps, 'ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  await sysctl(deps, ns, 'net.ipv4.ip_forward', '1');
  // Keep the "internet" IPv4-only: nothing to route, nothing to leak.
  await sysctl(deps, ns, 'net.ipv6.conf.all.disable_ipv6', '1');
  await sysctl(deps, ns, 'net.ipv6.conf.default.disable_ipv6', '1');
  for (const b of t.bridges) {
    if (!(await linkExists(deps, b.name, ns))) await run(deps, 'ip', ['-n', ns, 'link', 'add', b.name, 'type', 'bridge']);
    if (b.address) await run(deps, 'ip', ['-n', ns, 'addr', 'replace', b.address, 'dev', b.name]);
    await run(deps, 'ip', ['-n', ns, 'link', 'set', b.name, 'up']);
  }
  const c = t.controller;
  for (const r of c.routes) {
    const shown = (await deps.exec('ip', ['-o', 'route', 'show', 'exact', r])).stdout;
    const dev = shown.match(/\bdev (\S+)/)?.[1];
    if (dev && dev !== c.link) {
      throw new UserFacingError(`${r} is already routed through ${dev} (another lab?): run "edge-wizard lab down --name <that lab>" first.`);
    }
  }
  if (!(await linkExists(deps, c.link))) {
    await run(deps, 'ip', ['link', 'add', c.link, 'type', 'veth', 'peer', 'name', c.peer, 'netns', ns]);
  }
  await run(deps, 'ip', ['addr', 'replace', c.address, 'dev', c.link]);
  await run(deps, 'ip', ['link', 'set', c.link, 'up']);
  await run(deps, 'ip', ['-n', ns, 'addr', 'replace', c.peerAddress, 'dev', c.peer]);
  await run(deps, 'ip', ['-n', ns, 'link', 'set', c.peer, 'up']);
  const via = c.peerAddress.split('/')[0]!;
  for (const r of c.routes) await run(deps, 'ip', ['route', 'replace', r, 'via', via, 'dev', c.link]);
  for (const r of t.inetRoutes) await run(deps, 'ip', ['-n', ns, 'route', 'replace', r.to, 'via', r.via]);
}

/** Names the network namespace of a running container's init (`ip netns attach`). */
export async function attachNamespace(deps: LabDeps, name: string, pid: number): Promise<void> {
  if ((await listNamespaces(deps)).includes(name)) await deps.exec('ip', ['netns', 'delete', name]);
  await run(deps, 'ip', ['netns', 'attach', name, String(pid)]);
}

/** MAC addresses of one interface's veth: inside the host, and its end in the internet namespace. */
export interface VethMacs {
  host: string;
  peer: string;
}

/**
 * Plugs a host into its bridges: a veth per interface, addresses, default route.
 * `macs` (by interface name) gives the veths the addresses they had before a
 * reboot, so neighbours' ARP entries stay right and the bridge keeps its address.
 */
export async function plugHost(deps: LabDeps, t: LabTopology, h: LabHost, macs: Record<string, VethMacs> = {}): Promise<void> {
  const ns = h.machine;
  await run(deps, 'ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  for (const i of h.interfaces) {
    if (!(await linkExists(deps, i.peer, t.inetNs))) {
      const m = macs[i.name];
      await run(deps, 'ip', [
        '-n',
        t.inetNs,
        'link',
        'add',
        i.peer,
        ...(m ? ['address', m.peer] : []),
        'type',
        'veth',
        'peer',
        'name',
        i.name,
        ...(m ? ['address', m.host] : []),
        'netns',
        ns,
      ]);
    }
    if (i.mtu !== undefined) {
      // Both ends before the bridge takes the port: a bridge follows its smallest port's MTU.
      await run(deps, 'ip', ['-n', t.inetNs, 'link', 'set', 'dev', i.peer, 'mtu', String(i.mtu)]);
      await run(deps, 'ip', ['-n', ns, 'link', 'set', 'dev', i.name, 'mtu', String(i.mtu)]);
    }
    await run(deps, 'ip', ['-n', t.inetNs, 'link', 'set', i.peer, 'master', i.bridge, 'up']);
    await run(deps, 'ip', ['-n', ns, 'addr', 'replace', i.address, 'dev', i.name]);
    await run(deps, 'ip', ['-n', ns, 'link', 'set', i.name, 'up']);
  }
  await run(deps, 'ip', ['-n', ns, 'route', 'replace', 'default', 'via', h.gateway]);
  if (h.forwarding) await sysctl(deps, ns, 'net.ipv4.ip_forward', '1');
}

/** Removes the lab's namespaces and the controller's veth (its routes go with it). */
export async function removeNetwork(deps: LabDeps, t: LabTopology, extraNamespaces: string[] = []): Promise<void> {
  if (await linkExists(deps, t.controller.link)) await deps.exec('ip', ['link', 'delete', t.controller.link]);
  const present = await listNamespaces(deps);
  const ours = new Set([t.inetNs, ...t.hosts.map((h) => h.machine), ...extraNamespaces]);
  for (const ns of present) {
    if (ours.has(ns)) await deps.exec('ip', ['netns', 'delete', ns]);
  }
}

/** Counters of packets the internet namespace could not route (should stay 0). */
export interface ContainmentCounters {
  outNoRoutes: number;
  icmpOutDestUnreachs: number;
}

export function parseSnmp(text: string): ContainmentCounters {
  const table = (prefix: string): Record<string, number> => {
    const lines = text.split('\n').filter((l) => l.startsWith(`${prefix}:`));
    if (lines.length < 2) return {};
    const keys = lines[0]!.split(/\s+/).slice(1);
    const values = lines[1]!.split(/\s+/).slice(1);
    return Object.fromEntries(keys.map((k, i) => [k, Number(values[i])]));
  };
  return { outNoRoutes: table('Ip').OutNoRoutes ?? 0, icmpOutDestUnreachs: table('Icmp').OutDestUnreachs ?? 0 };
}

export async function containmentCounters(deps: LabDeps, t: LabTopology): Promise<ContainmentCounters> {
  return parseSnmp(await run(deps, 'ip', ['netns', 'exec', t.inetNs, 'cat', '/proc/net/snmp']));
}

/**
 * A silent death of a host's underlay, made in the internet namespace only:
 * its addresses (and what is routed through them) become blackhole routes,
 * which drop without an ICMP error, and its bridge ports stop forwarding, so
 * neighbours on the same bridge hear nothing either. The host's own links stay
 * up: it sees nothing, as when a machine or its uplink dies without a word.
 */
export interface CutRoute {
  to: string;
  /** The route `heal` puts back; none for the host's own /32 (the bridge's subnet route covers it). */
  via?: string;
}

export function cutRoutes(t: LabTopology, h: LabHost): CutRoute[] {
  const own = h.interfaces.map((i) => i.address.split('/')[0]!);
  return [...own.map((a) => ({ to: `${a}/32` })), ...t.inetRoutes.filter((r) => own.includes(r.via)).map((r) => ({ to: r.to, via: r.via }))];
}

async function routeIsBlackhole(deps: LabDeps, ns: string, to: string): Promise<boolean> {
  const r = await deps.exec('ip', ['-n', ns, '-o', 'route', 'show', 'exact', to]);
  return r.exitCode === 0 && /^blackhole\b/m.test(r.stdout);
}

/** Whether the host is cut off (any of its routes in the internet namespace is a blackhole). */
export async function hostCut(deps: LabDeps, t: LabTopology, h: LabHost): Promise<boolean> {
  for (const r of cutRoutes(t, h)) if (await routeIsBlackhole(deps, t.inetNs, r.to)) return true;
  return false;
}

async function portInfo(deps: LabDeps, ns: string, dev: string): Promise<{ operstate: string; state: string; mac: string } | undefined> {
  const r = await deps.exec('ip', ['-n', ns, '-j', '-d', 'link', 'show', 'dev', dev]);
  if (r.exitCode !== 0) return undefined;
  try {
    const [l] = JSON.parse(r.stdout) as Array<{ operstate?: string; address?: string; linkinfo?: { info_slave_data?: { state?: string } } }>;
    return { operstate: l?.operstate ?? '', state: l?.linkinfo?.info_slave_data?.state ?? '', mac: l?.address ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * Sets the bridge port state of each of the host's veth ends in the internet
 * namespace. A carrier change re-enables a port (the bridge runs no STP), so
 * this waits for the carrier first and reads the state back.
 */
export async function setHostPorts(deps: LabDeps, t: LabTopology, h: LabHost, forwarding: boolean): Promise<{ changed: string[]; at?: number }> {
  const changed: string[] = [];
  let at: number | undefined;
  const want = forwarding ? 'forwarding' : 'disabled';
  for (const i of h.interfaces) {
    let info = await portInfo(deps, t.inetNs, i.peer);
    if (!info) continue; // the host is not running: no port to set
    const deadline = deps.now() + 3000;
    while (info && info.operstate !== 'UP' && deps.now() < deadline) {
      await deps.sleep(50);
      info = await portInfo(deps, t.inetNs, i.peer);
    }
    if (!info || info.state === want) continue;
    // `bridge link set ... state`: `ip link set ... type bridge_slave` has no state option.
    at ??= deps.now();
    await run(deps, 'bridge', ['-n', t.inetNs, 'link', 'set', 'dev', i.peer, 'state', forwarding ? '3' : '0']);
    const after = await portInfo(deps, t.inetNs, i.peer);
    if (after && after.state !== want) throw new Error(`the bridge port ${i.peer} of ${h.name} is ${after.state}, not ${want}`);
    changed.push(i.peer);
  }
  return { changed, at };
}

/**
 * Cuts the host off (idempotent). The ports first: from then on nothing the host
 * sends goes anywhere and nothing reaches it, in one step; the blackholes follow
 * at once, long before a neighbour entry could fail and answer with an ICMP error.
 * Returns when the host fell silent (deps.now() just before its ports closed).
 */
export async function cutHostNetwork(deps: LabDeps, t: LabTopology, h: LabHost): Promise<{ at: number }> {
  const start = deps.now();
  const { at } = await setHostPorts(deps, t, h, false);
  for (const r of cutRoutes(t, h)) await run(deps, 'ip', ['-n', t.inetNs, 'route', 'replace', 'blackhole', r.to]);
  return { at: at ?? start };
}

/** Undoes cutHostNetwork (idempotent): ports forward again, blackholes removed, routes through the host restored. */
export async function healHostNetwork(deps: LabDeps, t: LabTopology, h: LabHost): Promise<void> {
  await setHostPorts(deps, t, h, true);
  for (const r of cutRoutes(t, h)) {
    if (r.via) await run(deps, 'ip', ['-n', t.inetNs, 'route', 'replace', r.to, 'via', r.via]);
    else if (await routeIsBlackhole(deps, t.inetNs, r.to)) await run(deps, 'ip', ['-n', t.inetNs, 'route', 'del', 'blackhole', r.to]);
  }
}

/** The MAC addresses of a running host's veths (for plugHost after a reboot). */
export async function hostMacs(deps: LabDeps, t: LabTopology, h: LabHost): Promise<Record<string, VethMacs>> {
  const out: Record<string, VethMacs> = {};
  for (const i of h.interfaces) {
    const host = await portInfo(deps, h.machine, i.name);
    const peer = await portInfo(deps, t.inetNs, i.peer);
    if (host?.mac && peer?.mac) out[i.name] = { host: host.mac, peer: peer.mac };
  }
  return out;
}
