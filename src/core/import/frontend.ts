/**
 * Every provision on the frontend against the scenario: which edge clusters and
 * hosts appear, disappear or change address, and the scenario data after the
 * changes the user accepted. Pure: the frontend is read by adapters/frontend.ts.
 *
 * A provision is one edge cluster: the scenario's cluster holding one of its
 * hosts (by public IP), else the cluster named like the provision, else a new
 * one (the rules of `import --from`, core/import/merge.ts). A scenario cluster
 * no provision maps to is one the frontend no longer provisions.
 */
import type { Scenario } from '../scenario.js';
import { shown } from '../printable.js';
import type { Provider, Provisioned } from './provision.js';

export interface HostRef {
  name: string;
  public_ip: string;
}

export interface ClusterChange {
  /** The scenario's cluster, or the new cluster's name. */
  cluster: string;
  provision: { id?: number; name?: string };
  isNew: boolean;
  /** A new cluster's provider (the input's, else `other`) and public network. */
  provider?: Provider;
  providerKnown?: boolean;
  publicNetwork?: string;
  /** Hosts to add, with the names they will get (kvm_<cluster>_<n>, as import --from names them). */
  added: HostRef[];
  /** Hosts of this cluster the provision no longer lists. */
  removed: HostRef[];
  /** Hosts the provision lists that the scenario has: nothing to do. */
  kept: HostRef[];
}

export interface FrontendPlan {
  changes: ClusterChange[];
  /** Scenario clusters no provision on the frontend holds. */
  deletedClusters: Array<{ name: string; hosts: HostRef[] }>;
}

/** The user's decisions on the plan. */
export interface FrontendChoices {
  /** Remove the hosts and clusters the frontend no longer provisions (else they are kept). */
  remove: boolean;
  /** New address of an existing host: provisioned IP -> scenario host name (it keeps its name and WireGuard address). */
  readdress?: Record<string, string>;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'edge';

export function planFrontendImport(s: Scenario, provisions: Provisioned[]): FrontendPlan {
  const used = new Set<number>();
  const taken = new Set(s.clusters.flatMap((c) => c.hosts.map((h) => h.name)));
  const clusterNames = new Set(s.clusters.map((c) => c.name));
  const known = new Set(s.clusters.flatMap((c) => c.hosts.map((h) => h.public_ip)));
  const changes: ClusterChange[] = [];
  for (const p of provisions) {
    const ips = new Set(p.hosts.map((h) => h.public_ip));
    let ci = s.clusters.findIndex((c, i) => !used.has(i) && c.hosts.some((h) => ips.has(h.public_ip)));
    if (ci < 0 && p.name) ci = s.clusters.findIndex((c, i) => !used.has(i) && c.name === p.name);
    const base = { provision: { id: p.id, name: p.name }, added: [] as HostRef[], removed: [] as HostRef[], kept: [] as HostRef[] };
    let change: ClusterChange;
    if (ci >= 0) {
      used.add(ci);
      const c = s.clusters[ci]!;
      change = { ...base, cluster: c.name, isNew: false };
      for (const h of c.hosts) (ips.has(h.public_ip) ? change.kept : change.removed).push({ name: h.name, public_ip: h.public_ip });
    } else {
      let name = safe(p.name ?? (p.id !== undefined ? `provision${p.id}` : 'edge'));
      for (let n = 2; clusterNames.has(name); n++) name = `${safe(p.name ?? 'edge')}${n}`;
      clusterNames.add(name);
      change = {
        ...base,
        cluster: name,
        isNew: true,
        provider: p.provider ?? 'other',
        providerKnown: p.provider !== undefined,
        publicNetwork: p.publicNetwork ?? p.networks.find((n) => /public/i.test(n)) ?? `${name}-public`,
      };
    }
    let n = 1;
    for (const h of p.hosts) {
      if (known.has(h.public_ip)) continue;
      known.add(h.public_ip);
      while (taken.has(`kvm_${safe(change.cluster)}_${n}`)) n++;
      const name = `kvm_${safe(change.cluster)}_${n}`;
      taken.add(name);
      change.added.push({ name, public_ip: h.public_ip });
    }
    changes.push(change);
  }
  const deletedClusters = s.clusters
    .filter((_, i) => !used.has(i))
    .map((c) => ({ name: c.name, hosts: c.hosts.map((h) => ({ name: h.name, public_ip: h.public_ip })) }));
  return { changes, deletedClusters };
}

/** True when applying the plan would change nothing. */
export function planIsEmpty(plan: FrontendPlan): boolean {
  return plan.deletedClusters.length === 0 && plan.changes.every((c) => !c.isNew && c.added.length === 0 && c.removed.length === 0);
}

/** What the plan does, one line each (`+` added, `-` removed, `~` new address), for the terminal. */
export function describePlan(plan: FrontendPlan, choices: FrontendChoices = { remove: true }): string[] {
  const lines: string[] = [];
  const re = choices.readdress ?? {};
  const readdressed = new Set(Object.values(re));
  for (const c of plan.changes) {
    const prov = c.provision.name ? `provision ${c.provision.id ?? ''} ${shown(c.provision.name)}`.replace('  ', ' ') : `provision ${c.provision.id}`;
    if (c.isNew) {
      lines.push(`+ cluster ${c.cluster} (${prov}, new; provider ${c.provider}${c.providerKnown ? '' : ': the provision does not say, set it by hand'})`);
    } else if (c.added.length === 0 && c.removed.length === 0) {
      lines.push(`= cluster ${c.cluster} (${prov}): ${c.kept.length} host(s), unchanged`);
      continue;
    } else lines.push(`  cluster ${c.cluster} (${prov})`);
    for (const h of c.added) {
      if (re[h.public_ip]) {
        const old = c.removed.find((r) => r.name === re[h.public_ip]);
        lines.push(`~   ${re[h.public_ip]} ${old?.public_ip ?? '?'} -> ${h.public_ip} (keeps its name and WireGuard address)`);
      } else lines.push(`+   ${h.name} ${h.public_ip}`);
    }
    for (const h of c.removed)
      if (!readdressed.has(h.name))
        lines.push(`${choices.remove ? '-' : '!'}   ${h.name} ${h.public_ip} (no longer in the provision${choices.remove ? '' : '; kept'})`);
  }
  for (const d of plan.deletedClusters) {
    lines.push(
      `${choices.remove ? '-' : '!'} cluster ${d.name}: no provision on the frontend holds it (hosts ${d.hosts.map((h) => `${h.name} ${h.public_ip}`).join(', ') || 'none'})${choices.remove ? '' : '; kept'}`,
    );
  }
  return lines;
}

/** Hosts and clusters the plan removes (after readdressing), for the confirmation. */
export function removals(plan: FrontendPlan, choices: Pick<FrontendChoices, 'readdress'> = {}): { hosts: HostRef[]; clusters: string[] } {
  const readdressed = new Set(Object.values(choices.readdress ?? {}));
  return {
    hosts: [...plan.changes.flatMap((c) => c.removed.filter((h) => !readdressed.has(h.name))), ...plan.deletedClusters.flatMap((d) => d.hosts)],
    clusters: plan.deletedClusters.map((d) => d.name),
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The scenario data (as read from the file, defaults not applied) after the plan:
 * new clusters and hosts appended, readdressed hosts given their new public IP,
 * and, with `remove`, vanished hosts and clusters taken out. Everything else is untouched.
 */
export function applyFrontendPlan(data: Obj, plan: FrontendPlan, choices: FrontendChoices): Obj {
  const re = choices.readdress ?? {};
  const readdressed = new Set(Object.values(re));
  const deleted = new Set(choices.remove ? plan.deletedClusters.map((d) => d.name) : []);
  let clusters = (Array.isArray(data.clusters) ? data.clusters : []).filter((c) => !(isObj(c) && deleted.has(c.name as string))) as Obj[];
  for (const ch of plan.changes) {
    let c = clusters.find((x) => isObj(x) && x.name === ch.cluster);
    if (!c) {
      c = { name: ch.cluster, provider: ch.provider, region: '', public_network: { name: ch.publicNetwork, ips: [] }, hosts: [] };
      clusters = [...clusters, c];
    }
    const gone = new Set(choices.remove ? ch.removed.filter((h) => !readdressed.has(h.name)).map((h) => h.name) : []);
    let hosts = (Array.isArray(c.hosts) ? (c.hosts as Obj[]) : []).filter((h) => !(isObj(h) && gone.has(h.name as string)));
    hosts = hosts.map((h) => {
      const ip = Object.keys(re).find((k) => re[k] === h.name && ch.added.some((a) => a.public_ip === k));
      return ip ? { ...h, public_ip: ip } : h;
    });
    for (const a of ch.added) if (!re[a.public_ip]) hosts.push({ name: a.name, public_ip: a.public_ip });
    const updated: Obj = { ...c, hosts };
    clusters = clusters.map((x) => (x === c ? updated : x));
  }
  const out: Obj = { ...data, clusters };
  if (!choices.remove) return out;
  // Settings that name what is removed follow it: the Virtual Router falls back to the first cluster,
  // removed hosts leave explicit reflector and hub lists.
  const gone = new Set(removals(plan, choices).hosts.map((h) => h.name));
  const vr = data.virtual_router;
  if (isObj(vr) && deleted.has(vr.cluster as string)) {
    const { cluster: _dropped, ...rest } = vr;
    out.virtual_router = rest;
  }
  const prune = (section: string, key: string) => {
    const o = data[section];
    if (isObj(o) && Array.isArray(o[key]) && (o[key] as unknown[]).some((n) => gone.has(n as string))) {
      out[section] = { ...o, [key]: (o[key] as unknown[]).filter((n) => !gone.has(n as string)) };
    }
  };
  prune('bgp', 'reflectors');
  prune('wireguard', 'hubs');
  return out;
}

/** What `deploy` does after hosts are removed from the scenario, for the confirmation. */
export const REMOVAL_EFFECT =
  "the next deploy drops them from the inventory and from every remaining host's WireGuard peers (their tunnels close); nothing runs on the removed hosts themselves: their wg0 and FRR stay until you decommission them";
