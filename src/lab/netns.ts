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

/** Plugs a host into its bridges: a veth per interface, addresses, default route. */
export async function plugHost(deps: LabDeps, t: LabTopology, h: LabHost): Promise<void> {
  const ns = h.machine;
  await run(deps, 'ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  for (const i of h.interfaces) {
    if (!(await linkExists(deps, i.peer, t.inetNs))) {
      await run(deps, 'ip', ['-n', t.inetNs, 'link', 'add', i.peer, 'type', 'veth', 'peer', 'name', i.name, 'netns', ns]);
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
