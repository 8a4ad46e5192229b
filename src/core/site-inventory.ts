/**
 * `generate --into SITE`: the overlay merged into a team's own one-deploy inventory (a YAML hosts file,
 * maybe with group_vars/ and host_vars/ beside it). Pure: the adapter reads their files and writes the plan.
 *
 * What edge-wizard owns, and nothing else, is rewritten on each run:
 * - in their hosts file, one block at its end between `# >>> edge-wizard` and `# <<< edge-wizard`
 *   (the groups `edge_wizard_router` and `edge_wizard_node`: the scenario's hosts their file does not
 *   have, with how to reach them, and the KVM hosts that also reflect), and one line in their `router`
 *   and `node` groups making those groups children (`edge_wizard_node: {} # edge-wizard`). Their bytes
 *   are otherwise left as they are: edits are text insertions at positions the parser found, never a
 *   re-serialisation of their document;
 * - files of its own: `group_vars/all/edge-wizard.yml` (the vars one-deploy's FRR roles and ours need
 *   that their inventory does not already set), `group_vars/all/edge-wizard-wireguard.yml` (the mesh),
 *   and `host_vars/<host>/edge-wizard.yml` per mesh host (WireGuard plan, FRR layer, firewall facts).
 *
 * Never written: `one_pass` (theirs, if any, stays theirs), `ds`, `vn` (`edge-wizard one` makes the
 * networks through oned's API), `frontend_group` (their frontend stays in their `frontend`).
 * Anything of theirs that would make a one-deploy run configure the overlay differently is a conflict:
 * one sentence each, naming the key and the fix, and nothing is written.
 */
import { Document, isMap, isScalar, parseDocument, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { Scenario } from './scenario.js';
import { kvmHosts } from './scenario.js';
import { UsageError } from './errors.js';
import { printable } from './printable.js';
import { cidrString, parseCidr4 } from './net.js';
import { escapeYaml11Breaks, unsafeYamlData } from './unsafe.js';
import { vnTemplate } from './inventory.js';
import { planMesh, type MeshPlan } from './wireguard/mesh.js';
import type { AddressBook } from './wireguard/addresses.js';
import { renderHostVars } from './wireguard/render.js';
import { topologyOf } from './wireguard/topologies/index.js';
import { planFrrLayer, renderFrrLayerVars } from './frr/layer.js';
import { planInterconnect, renderInterconnectVars } from './frr/interconnect.js';
import { yamlScalar } from './yaml.js';

export const BLOCK_START = '# >>> edge-wizard';
export const BLOCK_END = '# <<< edge-wizard';
/** The trailing comment of the lines edge-wizard inserts in their groups. */
export const LINK_MARK = '# edge-wizard';
export const OWN_GROUPS = { router: 'edge_wizard_router', node: 'edge_wizard_node' } as const;
export const VARS_FILE = 'group_vars/all/edge-wizard.yml';
export const MESH_FILE = 'group_vars/all/edge-wizard-wireguard.yml';
export const hostVarsFile = (host: string) => `host_vars/${host}/edge-wizard.yml`;
/** Is this relative path a file edge-wizard writes into a site inventory? */
export const isOwnFile = (p: string) => p === VARS_FILE || p === MESH_FILE || /^host_vars\/[^/]+\/edge-wizard\.yml$/.test(p);

export interface SiteInventory {
  /** Their hosts file as the user named it (for messages). */
  name: string;
  text: string;
  /** Their files under group_vars/ and host_vars/ beside it, relative (`group_vars/node.yml`), edge-wizard's own left out. */
  varsFiles: Record<string, string>;
  /** edge-wizard's own files already there (relative). */
  ownFiles: string[];
}

export interface IntoPlan {
  /** Their hosts file's new text (the same string when nothing changes). */
  hostsText: string;
  /** edge-wizard's own files, relative to the hosts file's directory. */
  files: Array<{ path: string; content: string }>;
  /** edge-wizard's own files to remove (hosts the scenario no longer has). */
  remove: string[];
  /** Things a one-deploy run would still change, said once (not errors). */
  notes: string[];
  mesh: MeshPlan;
}

const YAML_OPTIONS = { version: '1.1', compat: 'core' } as const;
type Vars = Record<string, unknown>;
const isObj = (v: unknown): v is Vars => v !== null && typeof v === 'object' && !Array.isArray(v);
const keyOf = (p: Pair) => String(isScalar(p.key) ? p.key.value : p.key);

/** Their file without edge-wizard's block, and the block's bounds; a block without its end is refused. */
export function splitBlock(text: string, name: string): { theirs: string; start: number; end: number } {
  const start = lineStartOf(text, BLOCK_START);
  const endAt = lineStartOf(text, BLOCK_END);
  if (start < 0 && endAt < 0) return { theirs: text, start: text.length, end: text.length };
  if (start < 0 || endAt < start) {
    throw new UsageError(
      `${name} has half of edge-wizard's block ("${BLOCK_START}" ... "${BLOCK_END}"): restore the missing marker line or delete the block, then run generate --into again.`,
    );
  }
  const nl = text.indexOf('\n', endAt);
  const end = nl < 0 ? text.length : nl + 1;
  return { theirs: text.slice(0, start) + text.slice(end), start, end };
}

function lineStartOf(text: string, marker: string): number {
  const m = new RegExp(`^${marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[: \r]|$)`, 'm').exec(text);
  return m ? m.index : -1;
}

/** Groups as Ansible's YAML inventory reads them: top-level keys and `children` at any depth. */
interface Model {
  hosts: Map<string, Set<string>>;
  children: Map<string, Set<string>>;
  groupVars: Map<string, Vars>;
  hostVars: Map<string, Array<{ where: string; vars: Vars }>>;
  /** The first definition of each group in the file: where a child line goes. */
  nodes: Map<string, { map: YAMLMap | null; pair: Pair }>;
  /** Groups given a body (hosts, vars, children) or declared at the top level: a bare `child: {}` reference is not one. */
  defined: Set<string>;
}

function readModel(doc: Document, fileName: string): Model {
  const m: Model = { hosts: new Map(), children: new Map(), groupVars: new Map(), hostVars: new Map(), nodes: new Map(), defined: new Set() };
  const seen = new Set<YAMLMap>();
  const walk = (group: string, pair: Pair, top = false) => {
    const value = pair.value;
    if (top || (isMap(value) && value.items.length)) m.defined.add(group);
    if (!m.nodes.has(group)) m.nodes.set(group, { map: isMap(value) ? value : null, pair });
    if (!m.hosts.has(group)) m.hosts.set(group, new Set());
    if (!m.children.has(group)) m.children.set(group, new Set());
    if (!isMap(value) || seen.has(value)) return;
    seen.add(value);
    const hosts = value.get('hosts', true);
    if (isMap(hosts)) {
      for (const h of hosts.items) {
        const name = keyOf(h);
        m.hosts.get(group)!.add(name);
        const vars = isMap(h.value) ? (h.value.toJSON() as Vars) : {};
        if (!m.hostVars.has(name)) m.hostVars.set(name, []);
        m.hostVars.get(name)!.push({ where: `${fileName} (${group}.hosts.${name})`, vars });
      }
    }
    const vars = value.get('vars', true);
    if (isMap(vars)) m.groupVars.set(group, { ...(m.groupVars.get(group) ?? {}), ...(vars.toJSON() as Vars) });
    const children = value.get('children', true);
    if (isMap(children)) {
      for (const c of children.items) {
        m.children.get(group)!.add(keyOf(c));
        walk(keyOf(c), c);
      }
    }
  };
  if (isMap(doc.contents)) for (const p of doc.contents.items) walk(keyOf(p), p, true);
  return m;
}

/** Every host of a group, its children's included (computed once per group: a fleet asks for each host). */
const memo = new WeakMap<Model, Map<string, Set<string>>>();
function members(m: Model, group: string): Set<string> {
  const cache = memo.get(m) ?? new Map<string, Set<string>>();
  memo.set(m, cache);
  let out = cache.get(group);
  if (!out) cache.set(group, (out = collect(m, group, new Set())));
  return out;
}

function collect(m: Model, group: string, seen: Set<string>): Set<string> {
  const out = new Set(m.hosts.get(group) ?? []);
  if (seen.has(group)) return out;
  seen.add(group);
  for (const c of m.children.get(group) ?? []) for (const h of collect(m, c, seen)) out.add(h);
  return out;
}

/** The groups a host is in, ancestors included (`all` first). */
function groupsOf(m: Model, host: string): string[] {
  return ['all', ...[...m.hosts.keys()].filter((g) => g !== 'all' && members(m, g).has(host))];
}

const same = (a: unknown, b: unknown) =>
  isObj(a) || Array.isArray(a) || isObj(b) || Array.isArray(b) ? JSON.stringify(a) === JSON.stringify(b) : String(a) === String(b);
const shown = (v: unknown) => printable(typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null'), 60);

/** Where each var key is set for a host, in their inventory: hosts file, group_vars, host_vars. */
function definitions(m: Model, files: Record<string, Vars>, fileName: string, host: string, extraGroups: string[]): Array<{ where: string; vars: Vars }> {
  const groups = [...new Set([...groupsOf(m, host), ...extraGroups])];
  const out: Array<{ where: string; vars: Vars }> = [];
  for (const g of groups) {
    const gv = m.groupVars.get(g);
    if (gv) out.push({ where: `${fileName} (${g}.vars)`, vars: gv });
    for (const [path, vars] of Object.entries(files)) if (varsFileEntity(path, 'group_vars') === g) out.push({ where: path, vars });
  }
  out.push(...(m.hostVars.get(host) ?? []));
  for (const [path, vars] of Object.entries(files)) if (varsFileEntity(path, 'host_vars') === host) out.push({ where: path, vars });
  return out;
}

/** `group_vars/node.yml`, `group_vars/node/x.yml`, `group_vars/node` -> node (for `kind`), else undefined. */
function varsFileEntity(path: string, kind: 'group_vars' | 'host_vars'): string | undefined {
  const m = new RegExp(`^${kind}/([^/]+?)(?:\\.(?:ya?ml|json))?(?:/.*)?$`).exec(path);
  return m?.[1];
}

/** What a scenario field a var comes from, for the fix. */
const FIELD: Record<string, string> = {
  evpn_if: 'wireguard.interface',
  evpn_pfxlen: "wireguard.subnet's prefix",
  wireguard_subnet: 'wireguard.subnet',
  evpn_as: 'bgp.as',
  evpn_cluster_id: 'evpn_cluster_id',
  repos_enabled: 'ansible.repos_enabled',
  ansible_ssh_common_args: 'ansible.ssh_common_args',
};

/** The vars one-deploy's frr roles and edge-wizard's roles read at `all` level. */
function neededVars(s: Scenario): Vars {
  const mesh = parseCidr4(s.wireguard.subnet);
  if (!mesh) throw new UsageError(`wireguard.subnet "${printable(s.wireguard.subnet)}" is not an IPv4 subnet: write it as a.b.c.d/n.`);
  const vars: Vars = {
    evpn_if: s.wireguard.interface,
    evpn_pfxlen: mesh.prefix,
    wireguard_subnet: cidrString(mesh),
    evpn_as: s.bgp.as,
    evpn_cluster_id: s.evpn_cluster_id ?? s.frontend.address,
  };
  if (s.ansible.repos_enabled !== undefined) vars.repos_enabled = s.ansible.repos_enabled;
  if (s.ansible.ssh_common_args) vars.ansible_ssh_common_args = s.ansible.ssh_common_args;
  return vars;
}

function kvmExtraVars(h: ReturnType<typeof kvmHosts>[number]): string {
  return `edge_cluster: ${yamlScalar(h.cluster)}\naws_reject_rule: ${h.aws_reject_rule}\npublic_interface: ${yamlScalar(h.public_interface)}\n`;
}

/**
 * The plan for `generate --into`: refused (UsageError, every conflict one sentence, nothing
 * written) when their inventory and the scenario disagree about something one-deploy reads.
 */
export function planInto(s: Scenario, site: SiteInventory, addresses: AddressBook = {}): IntoPlan {
  const name = site.name;
  const { theirs, start } = splitBlock(site.text, name);
  const doc = parseDocument(theirs, { ...YAML_OPTIONS, uniqueKeys: true });
  if (doc.errors[0]) {
    const e = doc.errors[0];
    throw new UsageError(
      `${name} is not valid YAML (line ${e.linePos?.[0]?.line ?? '?'}: ${printable(e.message.split('\n')[0]!, 100)}): fix it, then run generate --into again.`,
    );
  }
  if (doc.contents !== null && !isMap(doc.contents))
    throw new UsageError(`${name} is not a YAML inventory (its top level is not a mapping of groups): give the hosts file of a one-deploy inventory.`);
  const m = readModel(doc, name);
  const files: Record<string, Vars> = {};
  for (const [path, text] of Object.entries(site.varsFiles)) {
    const d = parseDocument(text, YAML_OPTIONS);
    if (d.errors[0])
      throw new UsageError(`${path} beside ${name} is not valid YAML (line ${d.errors[0].linePos?.[0]?.line ?? '?'}): fix it, then run generate --into again.`);
    const js = d.toJS() as unknown;
    if (isObj(js)) files[path] = js;
  }
  const problems: string[] = [];
  const notes: string[] = [];
  const ingress = s.ingress.name;
  const kvms = kvmHosts(s);
  const kvmNames = new Set(kvms.map((h) => h.name));
  const reflectors = new Set(s.bgp.reflectors);
  const scenarioHosts = new Set([ingress, ...kvmNames]);

  for (const g of Object.values(OWN_GROUPS)) {
    if (m.defined.has(g)) problems.push(`${name} has a group ${g} outside edge-wizard's block: that name is edge-wizard's; rename your group.`);
  }

  // The frontend stays theirs, in their frontend group: it must be there, at the scenario's address.
  const feGroup = String(m.groupVars.get('all')?.frontend_group ?? 'frontend');
  const fe = s.frontend.name;
  if (!members(m, feGroup).has(fe)) {
    problems.push(
      `${name} has no host ${fe} in its ${feGroup} group: set frontend.name in the scenario to your frontend's name there (edge-wizard never adds a frontend to a one-deploy inventory: one-deploy would install OpenNebula on it).`,
    );
  } else {
    const at = (m.hostVars.get(fe) ?? []).map((d) => d.vars.ansible_host).find((v) => v !== undefined);
    if (at !== undefined && String(at) !== s.frontend.address) {
      problems.push(
        `${name}: ${fe}'s ansible_host is ${shown(at)}, the scenario's frontend.address is ${s.frontend.address}: set frontend.address to ${shown(at)}, or fix it there.`,
      );
    }
  }
  if (scenarioHosts.has(fe)) problems.push(`frontend.name ${fe} is also a mesh host of the scenario: give the frontend its own name.`);

  // The scenario's hosts: same address, the right group, nowhere they would change meaning.
  const want = (h: string) => (h === ingress ? 'router' : 'node');
  const address = (h: string) => (h === ingress ? s.ingress.public_ip : kvms.find((k) => k.name === h)!.public_ip);
  for (const h of scenarioHosts) {
    if (!m.hostVars.has(h)) continue;
    if (members(m, feGroup).has(h)) {
      problems.push(
        `${name} has ${h} in its ${feGroup} group, and the scenario has a mesh host of that name: rename the host in the scenario (clusters[].hosts[].name or ingress.name).`,
      );
      continue;
    }
    const at = m.hostVars
      .get(h)!
      .map((d) => d.vars.ansible_host)
      .find((v) => v !== undefined);
    if (at !== undefined && String(at) !== address(h)) {
      problems.push(
        `${name}: ${h}'s ansible_host is ${shown(at)}, the scenario says ${address(h)}: it is another machine of the same name; rename the host in the scenario, or correct the address.`,
      );
    }
    if (h !== ingress && members(m, 'router').has(h) && !reflectors.has(h)) {
      problems.push(
        `${name} has ${h} in its router group, which makes it a route reflector: add it to bgp.reflectors in the scenario, or take it out of router.`,
      );
    }
    if (h === ingress && members(m, 'node').has(h))
      problems.push(`${name} has ${h} in its node group, and the scenario's ingress has that name: rename ingress.name, or take it out of node.`);
  }
  // features: one-deploy's frr plays run only with features.evpn; a whole `features` of theirs is kept.
  const extra = (h: string) => [want(h), ...(reflectors.has(h) ? ['router'] : [])];
  let featuresSet = false;
  for (const h of scenarioHosts) {
    for (const d of definitions(m, files, name, h, extra(h))) {
      if (!('features' in d.vars)) continue;
      featuresSet = true;
      const f = d.vars.features;
      if (!isObj(f) || f.evpn !== true)
        problems.push(
          `${d.where}: features.evpn is ${shown(isObj(f) ? f.evpn : f)}: set features: { evpn: true } there (one-deploy's FRR EVPN roles run only with it).`,
        );
    }
  }
  // Their router and node groups: one-deploy's FRR EVPN roles run on every host of them (with features.evpn),
  // and every router host becomes every VTEP's reflector. A router host the scenario does not know would change
  // the FRR config of the hosts edge-wizard configured: refused. A node host it does not know is configured by
  // their own features.evpn (a note), or, when edge-wizard would be the one setting features.evpn, refused.
  for (const h of members(m, 'router')) {
    if (!scenarioHosts.has(h)) {
      problems.push(
        `${name} has ${h} in its router group, which the scenario does not have: one-deploy's frr.evpn would make it every VTEP's route reflector; add it to the scenario, or keep it in an inventory of its own.`,
      );
    }
  }
  for (const h of members(m, 'node')) {
    if (scenarioHosts.has(h)) continue;
    if (featuresSet)
      notes.push(
        `${h} is in ${name}'s node group but not in the scenario: one-deploy configures FRR EVPN on it (your features.evpn), over ${s.wireguard.interface}, which edge-wizard does not give it.`,
      );
    else
      problems.push(
        `${name} has ${h} in its node group, which the scenario does not have: features.evpn, which edge-wizard would add, would make one-deploy configure FRR EVPN on it; add it to the scenario, or set features where you mean it.`,
      );
  }

  // one-deploy's group-name switches: its plays' hosts are templated before inventory vars are known, so set
  // in an inventory they move only its roles (frr/evpn's reflector list reads groups[router_group]).
  for (const [key, dflt] of [
    ['router_group', 'router'],
    ['node_group', 'node'],
  ] as const) {
    for (const d of definitions(m, files, name, ingress, extra(ingress))) {
      if (key in d.vars && String(d.vars[key]) !== dflt) {
        problems.push(
          `${d.where}: ${key} is ${shown(d.vars[key])}: one-deploy's plays still target ${dflt} while its roles read ${shown(d.vars[key])}, and edge-wizard links its hosts into ${dflt}; remove ${key} there (or pass it with -e when you run one-deploy).`,
        );
      }
    }
  }

  // The vars: absent there -> ours (group_vars/all/edge-wizard.yml); equal -> theirs; different -> refused.
  const needed = neededVars(s);
  const ownVars: Vars = {};
  for (const [key, value] of Object.entries(needed)) {
    let defined = false;
    for (const h of scenarioHosts) {
      for (const d of definitions(m, files, name, h, extra(h))) {
        if (!(key in d.vars)) continue;
        defined = true;
        if (!same(d.vars[key], value)) {
          problems.push(
            `${d.where}: ${key} is ${shown(d.vars[key])}, the scenario needs ${shown(value)} (${FIELD[key]}): set ${FIELD[key]} in the scenario to match, or change it there.`,
          );
        }
      }
    }
    if (!defined) ownVars[key] = value;
  }
  if (!featuresSet) ownVars.features = { evpn: true };
  // Their host vars that our per-host files also set.
  const mesh = planMesh(s, addresses);
  const hostFiles = new Map<string, string>();
  const meshAddresses = Object.fromEntries(mesh.hosts.map((h) => [h.name, h.address.split('/')[0]!]));
  for (const host of mesh.hosts) {
    const kvm = kvms.find((k) => k.name === host.name);
    const text =
      renderHostVars(
        s.name,
        host,
        renderFrrLayerVars(planFrrLayer(s, host.name, meshAddresses)) + (host.role === 'ingress' ? renderInterconnectVars(planInterconnect(s, mesh)) : ''),
      ) + (kvm ? kvmExtraVars(kvm) : '');
    hostFiles.set(host.name, text);
    const ours = (parseDocument(text, YAML_OPTIONS).toJS() ?? {}) as Vars;
    for (const d of definitions(m, files, name, host.name, extra(host.name))) {
      for (const key of Object.keys(d.vars)) {
        if (key in ours && !same(d.vars[key], ours[key])) {
          problems.push(`${d.where}: ${key} is set for ${host.name}, and edge-wizard writes it in ${hostVarsFile(host.name)}: remove it there.`);
        }
      }
    }
    for (const kind of ['host_vars'] as const) {
      if (`${kind}/${host.name}` in site.varsFiles)
        problems.push(
          `${kind}/${host.name} beside ${name} is a file: edge-wizard needs a directory there for ${hostVarsFile(host.name)}; rename it ${kind}/${host.name}.yml.`,
        );
    }
  }
  if ('group_vars/all' in site.varsFiles)
    problems.push(`group_vars/all beside ${name} is a file: edge-wizard needs a directory there for ${VARS_FILE}; rename it group_vars/all.yml.`);
  // Their groups the child lines go into, as their file writes them.
  const links: Array<{ group: 'router' | 'node'; child: string }> = [];
  const ownHosts = { router: [] as string[], node: [] as string[] };
  for (const h of kvmNames) if (!members(m, 'node').has(h)) ownHosts.node.push(h);
  for (const h of [ingress, ...kvms.map((k) => k.name).filter((k) => reflectors.has(k))]) if (!members(m, 'router').has(h)) ownHosts.router.push(h);
  for (const g of ['router', 'node'] as const) {
    const at = m.nodes.get(g);
    if (at && (at.map ? at.map.flow : !emptyValue(at.pair))) {
      problems.push(
        `${name} writes its ${g} group in flow style or as a scalar: write it as a block mapping (${g}:, then hosts: on its own line), so edge-wizard can add one line to it.`,
      );
    }
    links.push({ group: g, child: OWN_GROUPS[g] });
  }
  if (problems.length) throw new UsageError([...new Set(problems)].join('\n'));

  // Notes: what a one-deploy run would still do with their vn entries to the networks `edge-wizard one` makes.
  const theirVn = m.groupVars.get('all')?.vn;
  for (const n of s.networks) {
    const entry = isObj(theirVn) ? theirVn[n.name] : undefined;
    if (!isObj(entry) || !isObj(entry.template)) continue;
    const ours = vnTemplate(s, n);
    for (const [k, v] of Object.entries(entry.template)) {
      if (k in ours && !same(v, ours[k])) {
        notes.push(
          `vn.${n.name}.template.${k} is ${shown(v)} in ${name}, edge-wizard one sets ${shown(ours[k])}: one-deploy's network/frontend role ("Update VNETs") would set yours back on that network; change it there to match.`,
        );
      }
    }
  }

  const block = renderBlock(s, ownHosts, kvms, new Set(m.hostVars.keys()));
  const hostsText = insertLinks(theirs, m, links, block, start);
  const out: IntoPlan['files'] = [];
  out.push({ path: VARS_FILE, content: renderOwnVars(s, ownVars) });
  out.push({ path: MESH_FILE, content: topologyOf(s).renderMeshVars(s.name, mesh) });
  for (const [h, text] of hostFiles) out.push({ path: hostVarsFile(h), content: text });
  const keep = new Set(out.map((f) => f.path));
  const remove = site.ownFiles.filter((p) => !keep.has(p));
  return { hostsText, files: out, remove, notes, mesh };
}

/** Where edge-wizard's block goes back into their text: where it was, else at the end. */
function insertLinks(theirs: string, m: Model, links: Array<{ group: 'router' | 'node'; child: string }>, block: string, blockAt: number): string {
  // Insertions in their text at offsets, applied from the end backwards.
  const edits: Array<{ at: number; text: string; block?: boolean }> = [];
  let extraGroups = '';
  for (const { group, child } of links) {
    const at = m.nodes.get(group);
    const line = (indent: string) => `${indent}${child}: {} ${LINK_MARK}\n`;
    if (!at) {
      // No such group of theirs: declared in edge-wizard's block.
      extraGroups += `${group}:\n  children:\n    ${child}: {}\n`;
      continue;
    }
    if (!at.map) {
      // `node:` with nothing after it.
      const key = at.pair.key as Scalar;
      const eol = lineEnd(theirs, key.range![1]);
      const indent = ' '.repeat(columnOf(theirs, key.range![0]) + 2);
      edits.push({ at: eol, text: `${indent}children: ${LINK_MARK}\n${line(indent + '  ')}` });
      continue;
    }
    const children = at.map.get('children', true);
    if (isMap(children) && children.items.some((p) => keyOf(p) === child)) continue;
    if (isMap(children) && children.items.length && !children.flow) {
      const first = children.items[0]!.key as Scalar;
      edits.push({ at: lineStart(theirs, first.range![0]), text: line(' '.repeat(columnOf(theirs, first.range![0]))) });
      continue;
    }
    const firstKey = at.map.items[0]?.key as Scalar | undefined;
    if (!firstKey?.range) continue;
    const indent = ' '.repeat(columnOf(theirs, firstKey.range[0]));
    if (at.map.has('children')) {
      // `children:` with no value: the line goes under it.
      const pair = at.map.items.find((p) => keyOf(p) === 'children')!;
      edits.push({ at: lineEnd(theirs, (pair.key as Scalar).range![1]), text: line(indent + '  ') });
      continue;
    }
    edits.push({ at: lineStart(theirs, firstKey.range[0]), text: `${indent}children: ${LINK_MARK}\n${line(indent + '  ')}` });
  }
  const full = block || extraGroups ? blockText(block + extraGroups) : '';
  let out = theirs;
  // A file that ends its document with `...`: the block goes before it, inside the document.
  const docEnd = blockAt >= theirs.length ? /(?:^|\n)(\.\.\.[ \t]*(?:\r?\n)?\s*)$/.exec(theirs) : null;
  const at = docEnd ? theirs.length - docEnd[1]!.length : Math.min(blockAt, theirs.length);
  const before = out.slice(0, at);
  const sep = full && before.length && !before.endsWith('\n') ? '\n' : '';
  edits.push({ at, text: sep + full, block: true });
  // From the end backwards; at one offset the block first, so a line inserted there stays before it.
  edits.sort((a, b) => b.at - a.at || Number(Boolean(b.block)) - Number(Boolean(a.block)));
  // Their line endings: a CRLF file gets CRLF lines.
  const eol = theirs.includes('\r\n') ? '\r\n' : '\n';
  for (const e of edits) out = out.slice(0, e.at) + e.text.replace(/\n/g, eol) + out.slice(e.at);
  return out;
}

const lineStart = (text: string, at: number) => text.lastIndexOf('\n', at - 1) + 1;
const columnOf = (text: string, at: number) => at - lineStart(text, at);
function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
}

const blockText = (body: string) =>
  `${BLOCK_START}: written by \`edge-wizard generate --into\`, rewritten on every run; edit the scenario, not this block.\n` +
  `# The lines marked "${LINK_MARK}" in router and node are edge-wizard's too; everything else in this file is yours, left byte for byte.\n` +
  body +
  `${BLOCK_END}\n`;

/** edge-wizard's groups: the scenario's hosts their file lacks (with how to reach them), and the reflecting KVM hosts. */
function renderBlock(s: Scenario, own: { router: string[]; node: string[] }, kvms: ReturnType<typeof kvmHosts>, known: Set<string>): string {
  const reach = (h: string): Vars => {
    if (h === s.ingress.name) return conn(s.ingress.public_ip, s.ingress.ssh_user, s.ingress.ssh_port);
    const k = kvms.find((x) => x.name === h)!;
    return conn(k.public_ip, k.ssh_user, k.ssh_port);
  };
  const data: Vars = {};
  // How to reach a host is written once: in the node group for a KVM host, in router for the ingress; never for a host of theirs.
  const entry = (h: string, here: boolean) => (here && !known.has(h) ? reach(h) : {});
  if (own.router.length) data[OWN_GROUPS.router] = { hosts: Object.fromEntries(own.router.map((h) => [h, entry(h, h === s.ingress.name)])) };
  if (own.node.length) data[OWN_GROUPS.node] = { hosts: Object.fromEntries(own.node.map((h) => [h, entry(h, true)])) };
  if (!Object.keys(data).length) return '';
  const doc = new Document(unsafeYamlData(data), YAML_OPTIONS);
  return escapeYaml11Breaks(doc.toString({ lineWidth: 0 }));
}

function conn(host: string, user: string, port: number): Vars {
  return { ansible_host: host, ansible_user: user, ...(port === 22 ? {} : { ansible_port: port }) };
}

function renderOwnVars(s: Scenario, vars: Vars): string {
  const doc = new Document(unsafeYamlData(Object.keys(vars).length ? vars : {}), YAML_OPTIONS);
  doc.commentBefore = [
    ` The overlay's vars for edge-wizard scenario ${JSON.stringify(s.name)}, written by \`edge-wizard generate --into\`; rewritten on every run.`,
    ' Only what one-deploy and edge-wizard read that your inventory does not already set. No one_pass, ds, vn or frontend_group:',
    ' those stay yours. Where yours differs, generate --into refuses and names the key.',
  ].join('\n');
  for (const k of ['features', 'repos_enabled']) {
    const n = doc.get(k, true);
    if (isMap(n) || (n && typeof n === 'object' && 'flow' in n)) (n as { flow: boolean }).flow = true;
  }
  return escapeYaml11Breaks(`---\n${doc.toString({ lineWidth: 0 })}`);
}

/** `node:` with nothing after it (a null written as nothing, not `~` or `null`). */
function emptyValue(p: Pair): boolean {
  const v = p.value;
  return v === null || (isScalar(v) && v.value === null && (v.source === undefined || v.source === '') && (!v.range || v.range[0] === v.range[1]));
}
