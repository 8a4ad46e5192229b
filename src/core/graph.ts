/**
 * The scenario as a picture: clusters, hosts, the ingress, the frontend, the
 * route reflectors, the WireGuard mesh and the EVPN network, rendered as a
 * Mermaid flowchart or a Graphviz DOT graph. One model (topologyGraph), two
 * printers. The full mesh is drawn host to host for a small fleet and cluster
 * to cluster for a large one (one edge per pair of sites, labelled with the
 * number of tunnels), so the picture stays readable at 1000 hosts. Given what
 * the last verify observed (core/observed.ts), failed hosts, tunnels and
 * sessions are marked.
 */
import { troubledHosts, type OverlayFacts } from './observed.js';
import { kvmHosts, type EvpnNetwork, type Scenario } from './scenario.js';
import { maskToPrefix } from './net.js';
import type { VerifyReport } from './verify.js';
import { topologyOf } from './wireguard/topologies/index.js';

export type GraphFormat = 'mermaid' | 'dot';
export type MeshDrawing = 'auto' | 'hosts' | 'clusters';

/** Above this many mesh hosts, `auto` draws the mesh cluster to cluster. */
export const HOST_MESH_LIMIT = 8;

export interface GraphNode {
  id: string;
  lines: string[];
  kind: 'frontend' | 'ingress' | 'kvm' | 'mesh' | 'network' | 'router';
  /** Group (cluster) id, if inside one. */
  group?: string;
  reflector?: boolean;
  failed?: boolean;
}

export interface GraphGroup {
  id: string;
  label: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
  kind: 'wireguard' | 'evpn' | 'control' | 'bgp' | 'bfd';
  failed?: boolean;
}

export interface TopologyGraph {
  title: string;
  /** Lines for a comment at the top (what was drawn, verify summary). */
  notes: string[];
  groups: GraphGroup[];
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface GraphOptions {
  mesh?: MeshDrawing;
  /** The last verify's observations and judgement: failures are marked. */
  verify?: { facts: OverlayFacts; report: VerifyReport };
}

/** A node id safe in both languages (and never a Mermaid keyword such as `end`). */
function safeId(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;
}

const hostId = (name: string) => safeId('h', name);
const clusterId = (name: string) => safeId('c', name);
const meshId = (name: string) => safeId('m', name);

/**
 * The WireGuard tunnels as planned: every pair of mesh hosts in a full mesh; in topology
 * hub, every pair of hubs and each spoke with its home hub (core/wireguard/mesh.ts).
 */
export function tunnels(s: Scenario): Array<[string, string]> {
  return topologyOf(s).tunnels(s);
}

export function topologyGraph(s: Scenario, opts: GraphOptions = {}): TopologyGraph {
  const kvm = kvmHosts(s);
  const reflectors = new Set(s.bgp.reflectors);
  const meshCount = 1 + kvm.length;
  const byCluster = opts.mesh === 'clusters' || (opts.mesh !== 'hosts' && meshCount > HOST_MESH_LIMIT);
  const planned = tunnels(s);
  const facts = opts.verify?.facts;
  const troubled = facts ? troubledHosts(facts) : new Set<string>();
  const failedChecks = new Map<string, number>();
  const addrOf = new Map((facts?.hosts ?? []).filter((h) => h.address).map((h) => [h.host, h.address]));

  const rr = (h: string) => (reflectors.has(h) ? ['route reflector'] : []);
  /** Why a host is marked, in a few words: its first two failures and a count of the rest. */
  const mark = (h: string): string[] => {
    if (!facts || !troubled.has(h)) return [];
    const f = facts.hosts.find((x) => x.host === h);
    if (f && !f.answered) return ['FAILED: no answer to verify'];
    const why = [
      ...(f?.wireguard_up === false ? ['WireGuard down'] : []),
      ...facts.bgp.filter((b) => b.host === h && !b.up).map((b) => `BGP ${b.state} on ${b.reflector}`),
      ...facts.bfd.filter((b) => b.host === h && !b.up).map((b) => `BFD ${b.status} to ${b.peer}`),
      ...facts.handshakes
        .filter((x) => x.host === h && !x.fresh)
        .map((x) => `handshake to ${x.peer} ${x.age_seconds === null ? 'never' : `${x.age_seconds}s old`}`),
      ...facts.mtu.filter((m) => m.host === h && !m.ok).map((m) => `MTU probe to ${m.peer}`),
    ];
    return [`FAILED: ${why.slice(0, 2).join('; ')}${why.length > 2 ? ` (+${why.length - 2} more)` : ''}`];
  };
  const wgAddr = (h: string) => (addrOf.has(h) ? [`wg ${addrOf.get(h)}`] : []);

  const groups: GraphGroup[] = [{ id: 'control', label: `control subnet ${s.control_subnet}` }];
  const nodes: GraphNode[] = [
    { id: hostId(s.frontend.name), lines: [s.frontend.name, `frontend ${s.frontend.address}`], kind: 'frontend', group: 'control' },
    {
      id: hostId(s.ingress.name),
      lines: [
        s.ingress.name,
        s.ingress.name === 'ingress' ? s.ingress.public_ip : `ingress ${s.ingress.public_ip}`,
        ...wgAddr(s.ingress.name),
        ...rr(s.ingress.name),
        ...mark(s.ingress.name),
      ],
      kind: 'ingress',
      reflector: reflectors.has(s.ingress.name),
      failed: troubled.has(s.ingress.name),
    },
  ];
  const edges: GraphEdge[] = [];
  const via = s.frontend.proxy_jump === 'none' ? 'ssh (direct)' : 'ssh ProxyJump';
  edges.push({ from: hostId(s.ingress.name), to: hostId(s.frontend.name), label: via, kind: 'control' });

  for (const c of s.clusters) {
    const gid = clusterId(c.name);
    groups.push({ id: gid, label: `${c.name} (${c.provider} ${c.region}): ${c.hosts.length} host${c.hosts.length === 1 ? '' : 's'}` });
    for (const h of c.hosts) {
      nodes.push({
        id: hostId(h.name),
        lines: [h.name, h.public_ip, ...wgAddr(h.name), ...rr(h.name), ...mark(h.name)],
        kind: 'kvm',
        group: gid,
        reflector: reflectors.has(h.name),
        failed: troubled.has(h.name),
      });
    }
    if (byCluster) nodes.push({ id: meshId(c.name), lines: topologyOf(s).graphLines(s.wireguard.interface, c.hosts.length), kind: 'mesh', group: gid });
    if (s.virtual_router.enabled && s.virtual_router.cluster === c.name) {
      nodes.push({
        id: safeId('vr', c.name),
        lines: ['Virtual Router', `public ${c.public_network.name}${s.virtual_router.sdnat ? ', SNAT/DNAT' : ''}`],
        kind: 'router',
        group: gid,
      });
    }
  }

  const evpnId = 'evpn_network';
  const netLine = (n: EvpnNetwork) =>
    `${n.network_address}/${maskToPrefix(n.network_mask) ?? '?'}${n.vni === undefined ? '' : `, VNI ${n.vni}`}, AS ${s.bgp.as}, guest MTU ${n.guest_mtu}`;
  nodes.push({
    id: evpnId,
    // One node for the overlay's networks: every VTEP carries each of them.
    lines:
      s.networks.length === 1
        ? [`EVPN network ${s.networks[0]!.name}`, netLine(s.networks[0]!)]
        : [`EVPN networks (${s.networks.length})`, ...s.networks.map((n) => `${n.name} ${netLine(n)}`)],
    kind: 'network',
  });

  // WireGuard: is a tunnel between two hosts failing (either direction's handshake or DF probe)?
  const pairFailed = (a: string, b: string): boolean => {
    if (!facts) return false;
    const hs = facts.handshakes.filter((h) => (h.host === a && h.peer === b) || (h.host === b && h.peer === a));
    const mtu = facts.mtu.filter((m) => (m.host === a && m.peer === b) || (m.host === b && m.peer === a));
    return hs.some((h) => !h.fresh) || mtu.some((m) => !m.ok);
  };
  const wgLabel = `WireGuard ${s.wireguard.interface}, MTU ${s.wireguard.mtu}`;
  if (!byCluster) {
    let labelled = false;
    for (const [a, b] of planned) {
      const failed = pairFailed(a, b);
      // The first healthy tunnel carries the mesh's label; a failed one says so.
      const label = failed ? 'WireGuard FAILED' : labelled ? undefined : wgLabel;
      if (!failed) labelled = true;
      edges.push({ from: hostId(a), to: hostId(b), label, kind: 'wireguard', failed });
    }
    for (const h of kvm) edges.push({ from: hostId(h.name), to: evpnId, label: h === kvm[0] ? 'VXLAN VTEP' : undefined, kind: 'evpn' });
    if (s.virtual_router.enabled) edges.push({ from: safeId('vr', s.virtual_router.cluster), to: evpnId, kind: 'evpn' });
  } else {
    // One edge per pair of sites (the ingress is a site of its own), labelled with its tunnel count.
    const sites: Array<{ id: string; hosts: string[] }> = [
      { id: hostId(s.ingress.name), hosts: [s.ingress.name] },
      ...s.clusters.map((c) => ({ id: meshId(c.name), hosts: c.hosts.map((h) => h.name) })),
    ];
    const siteOf = new Map(sites.flatMap((x) => x.hosts.map((h) => [h, x.id] as const)));
    const between = new Map<string, { a: string; b: string; n: number; bad: number }>();
    for (const [x, y] of planned) {
      const [a, b] = [siteOf.get(x)!, siteOf.get(y)!];
      if (a === b) continue;
      const [from, to] = sites.findIndex((z) => z.id === a) < sites.findIndex((z) => z.id === b) ? [a, b] : [b, a];
      const e = between.get(`${from} ${to}`) ?? { a: from, b: to, n: 0, bad: 0 };
      e.n++;
      if (pairFailed(x, y)) e.bad++;
      between.set(`${from} ${to}`, e);
    }
    for (const { a, b, n, bad } of between.values()) {
      edges.push({ from: a, to: b, label: bad ? `${bad} of ${n} tunnels FAILED` : `${n} tunnel${n === 1 ? '' : 's'}`, kind: 'wireguard', failed: bad > 0 });
    }
    for (const c of s.clusters)
      edges.push({ from: meshId(c.name), to: evpnId, label: `${c.hosts.length} VTEP${c.hosts.length === 1 ? '' : 's'}`, kind: 'evpn' });
    if (s.virtual_router.enabled) edges.push({ from: safeId('vr', s.virtual_router.cluster), to: evpnId, kind: 'evpn' });
  }

  // What failed in the last verify beyond tunnels: sessions to the reflectors, BFD.
  for (const b of facts?.bgp ?? []) {
    if (!b.up) edges.push({ from: hostId(b.host), to: hostId(b.reflector), label: `BGP ${b.state}`, kind: 'bgp', failed: true });
  }
  for (const b of facts?.bfd ?? []) {
    if (!b.up) edges.push({ from: hostId(b.host), to: hostId(b.peer), label: `BFD ${b.status}`, kind: 'bfd', failed: true });
  }
  if (opts.verify) {
    for (const c of opts.verify.report.checks.filter((x) => !x.ok)) failedChecks.set(c.kind, (failedChecks.get(c.kind) ?? 0) + 1);
  }

  const notes = [
    `edge-wizard graph of scenario "${s.name}": ${meshCount} mesh hosts in ${s.clusters.length} cluster${s.clusters.length === 1 ? '' : 's'}, ` +
      `WireGuard ${topologyOf(s).graphName(s, planned.length)} drawn ${byCluster ? 'cluster to cluster' : 'host to host'}; route reflectors: ${s.bgp.reflectors.join(', ') || 'none'}`,
  ];
  if (opts.verify) {
    const { report } = opts.verify;
    const bad = report.checks.filter((c) => !c.ok).length;
    notes.push(
      bad
        ? `last verify: ${bad} of ${report.checks.length} checks failed (${[...failedChecks].map(([k, n]) => `${k} ${n}`).join(', ')})`
        : `last verify: all ${report.checks.length} checks passed`,
    );
  }
  return { title: s.name, notes, groups, nodes, edges };
}

// ---- Mermaid

/** Mermaid label text: quotes and markup characters as entity codes, lines joined with <br/>. */
function mermaidText(lines: string[]): string {
  return lines.map((l) => l.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`)).join('<br/>');
}

export function renderMermaid(g: TopologyGraph): string {
  const out: string[] = [...g.notes.map((n) => `%% ${n.replace(/[\r\n]/g, ' ')}`), 'flowchart LR'];
  const shape = (n: GraphNode) => {
    const t = `"${mermaidText(n.lines)}"`;
    switch (n.kind) {
      case 'network':
        return `[(${t})]`;
      case 'mesh':
        return `((${t}))`;
      case 'ingress':
        return `{{${t}}}`;
      case 'router':
        return `[/${t}/]`;
      default:
        return n.reflector ? `([${t}])` : `[${t}]`;
    }
  };
  const node = (n: GraphNode, indent: string) => `${indent}${n.id}${shape(n)}`;
  for (const grp of g.groups) {
    out.push(`  subgraph ${grp.id}["${mermaidText([grp.label])}"]`);
    for (const n of g.nodes.filter((x) => x.group === grp.id)) out.push(node(n, '    '));
    out.push('  end');
  }
  for (const n of g.nodes.filter((x) => !x.group)) out.push(node(n, '  '));
  const arrow: Record<GraphEdge['kind'], string> = { wireguard: '===', evpn: '-.-', control: '---', bgp: '-.->', bfd: '-.->' };
  const failedLinks: number[] = [];
  g.edges.forEach((e, i) => {
    out.push(`  ${e.from} ${arrow[e.kind]}${e.label ? `|"${mermaidText([e.label])}"|` : ''} ${e.to}`);
    if (e.failed) failedLinks.push(i);
  });
  out.push('  classDef reflector stroke-width:3px');
  out.push('  classDef failed fill:#fdd,stroke:#c00,stroke-width:3px,color:#900');
  const rr = g.nodes.filter((n) => n.reflector && !n.failed).map((n) => n.id);
  if (rr.length) out.push(`  class ${rr.join(',')} reflector`);
  const failed = g.nodes.filter((n) => n.failed).map((n) => n.id);
  if (failed.length) out.push(`  class ${failed.join(',')} failed`);
  if (failedLinks.length) out.push(`  linkStyle ${failedLinks.join(',')} stroke:#c00,stroke-width:3px`);
  return `${out.join('\n')}\n`;
}

// ---- Graphviz DOT

/** A DOT double-quoted string: backslash and quote escaped, newlines as \n line breaks. */
function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

export function renderDot(g: TopologyGraph): string {
  const out: string[] = [...g.notes.map((n) => `// ${n.replace(/[\r\n]/g, ' ')}`), `graph ${dotString(g.title)} {`];
  out.push('  graph [rankdir=LR, fontname="Helvetica", compound=true];');
  out.push('  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded"];');
  out.push('  edge [fontname="Helvetica", fontsize=9];');
  const shape: Record<GraphNode['kind'], string> = {
    frontend: 'box',
    ingress: 'hexagon',
    kvm: 'box',
    mesh: 'ellipse',
    network: 'cylinder',
    router: 'parallelogram',
  };
  const node = (n: GraphNode, indent: string) => {
    const attrs = [`label=${dotString(n.lines.join('\n'))}`, `shape=${shape[n.kind]}`];
    if (n.reflector) attrs.push('peripheries=2');
    if (n.failed) attrs.push('color="#cc0000"', 'fontcolor="#990000"', 'penwidth=2');
    return `${indent}${n.id} [${attrs.join(', ')}];`;
  };
  for (const grp of g.groups) {
    out.push(`  subgraph cluster_${grp.id} {`, `    label=${dotString(grp.label)};`, '    style="rounded,dashed";');
    for (const n of g.nodes.filter((x) => x.group === grp.id)) out.push(node(n, '    '));
    out.push('  }');
  }
  for (const n of g.nodes.filter((x) => !x.group)) out.push(node(n, '  '));
  const style: Record<GraphEdge['kind'], string> = {
    wireguard: 'penwidth=2',
    evpn: 'style=dotted',
    control: 'style=solid',
    bgp: 'style=dashed, dir=forward',
    bfd: 'style=dashed, dir=forward',
  };
  for (const e of g.edges) {
    const attrs = [style[e.kind]];
    if (e.label) attrs.push(`label=${dotString(e.label)}`);
    if (e.failed) attrs.push('color="#cc0000"', 'fontcolor="#990000"');
    out.push(`  ${e.from} -- ${e.to} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

export function renderGraph(g: TopologyGraph, format: GraphFormat): string {
  return format === 'dot' ? renderDot(g) : renderMermaid(g);
}
