/**
 * Merges provisioned hosts into the scenario file's YAML Document, so comments
 * and layout survive. Rules: hosts already in the scenario (matched by public IP)
 * keep their names, addresses and keys; new hosts are appended to the edge
 * cluster the provision belongs to (no wireguard_address: the mesh planner gives
 * them the next free one, nothing is renumbered); hosts of that cluster the
 * provision no longer lists are reported and kept unless `removeMissing`.
 */
import { isMap, isSeq, type Document } from 'yaml';
import type { Scenario } from '../scenario.js';
import type { Provider, Provisioned } from './provision.js';

export interface MergeResult {
  cluster: string;
  newCluster: boolean;
  /** Sentences to print as warnings (a new cluster whose provider the input does not tell). */
  warnings: string[];
  added: Array<{ name: string; public_ip: string }>;
  missing: Array<{ name: string; public_ip: string }>;
  removed: Array<{ name: string; public_ip: string }>;
}

export interface MergeOptions {
  /** Edge cluster to merge into (default: the one holding the provision's hosts, else one named like the provision). */
  cluster?: string;
  /** Provider of a new cluster, as the user typed it (--provider); else the input's, else `other`. */
  provider?: Provider;
  removeMissing: boolean;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'edge';

export class MergeError extends Error {}

export function mergeProvision(doc: Document, s: Scenario, p: Provisioned, opts: MergeOptions): MergeResult {
  const ips = new Set(p.hosts.map((h) => h.public_ip));
  let ci: number;
  if (opts.cluster !== undefined) {
    ci = s.clusters.findIndex((c) => c.name === opts.cluster);
  } else {
    ci = s.clusters.findIndex((c) => c.hosts.some((h) => ips.has(h.public_ip)));
    if (ci < 0 && p.name) ci = s.clusters.findIndex((c) => c.name === p.name);
  }
  const result: MergeResult = { cluster: '', newCluster: false, warnings: [], added: [], missing: [], removed: [] };
  if (ci < 0) {
    const name = safe(opts.cluster ?? p.name ?? '');
    if (!opts.cluster && !p.name) {
      throw new MergeError(
        `None of the provision's hosts is in the scenario and the provision has no name: pass --cluster NAME to say which edge cluster they form.`,
      );
    }
    const publicNet = p.publicNetwork ?? p.networks.find((n) => /public/i.test(n));
    const provider = opts.provider ?? p.provider;
    if (!provider) {
      result.warnings.push(
        `The ${p.format} input does not say which cloud the hosts run on, so the new cluster ${name} has provider other (no AWS REJECT rule handling): pass --provider, or set clusters[${s.clusters.length}].provider.`,
      );
    }
    const node: Record<string, unknown> = { name, provider: provider ?? 'other', region: '' };
    node.public_network = { name: publicNet ?? `${name}-public`, ips: [] };
    node.hosts = [];
    if (!isSeq(doc.get('clusters'))) doc.set('clusters', doc.createNode([]));
    doc.addIn(['clusters'], doc.createNode(node));
    ci = s.clusters.length;
    result.newCluster = true;
    result.cluster = name;
  } else {
    result.cluster = s.clusters[ci]!.name;
  }

  const taken = new Set(s.clusters.flatMap((c) => c.hosts.map((h) => h.name)));
  const known = new Set(s.clusters.flatMap((c) => c.hosts.map((h) => h.public_ip)));
  const cname = safe(result.cluster);
  let n = 1;
  for (const h of p.hosts) {
    if (known.has(h.public_ip)) continue;
    while (taken.has(`kvm_${cname}_${n}`)) n++;
    const name = `kvm_${cname}_${n}`;
    taken.add(name);
    const hostsPath = ['clusters', ci, 'hosts'];
    if (!isSeq(doc.getIn(hostsPath))) doc.setIn(hostsPath, doc.createNode([]));
    doc.addIn(hostsPath, doc.createNode({ name, public_ip: h.public_ip }));
    result.added.push({ name, public_ip: h.public_ip });
  }

  const existing = result.newCluster ? [] : s.clusters[ci]!.hosts;
  const gone = existing.map((h, i) => ({ h, i })).filter(({ h }) => !ips.has(h.public_ip));
  result.missing = gone.map(({ h }) => ({ name: h.name, public_ip: h.public_ip }));
  if (opts.removeMissing) {
    for (const { h, i } of [...gone].reverse()) {
      doc.deleteIn(['clusters', ci, 'hosts', i]);
      result.removed.push({ name: h.name, public_ip: h.public_ip });
    }
    result.removed.reverse();
  }
  if (!isMap(doc.contents)) throw new MergeError('The scenario file is not a YAML mapping.');
  return result;
}
