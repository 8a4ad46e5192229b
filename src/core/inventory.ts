/**
 * The one-deploy inventory (`hosts.yml`). `inventoryData` is what the tool
 * owns; `renderInventory` merges it into the previous file (when there is one)
 * with the yaml Document API, so the user's own vars, groups and comments
 * survive and a second run yields the same bytes.
 */
import { Document, isMap, isScalar, isSeq, LineCounter, Pair, parseDocument, Scalar, YAMLMap } from 'yaml';
import type { EvpnNetwork, Scenario, Secret } from './scenario.js';
import { kvmHosts } from './scenario.js';
import { UsageError } from './errors.js';
import { printable } from './printable.js';
import { ensureIn, ensureKey, setPath } from './yaml-patch.js';
import { firstDuplicateKey } from './yaml.js';
import { cidrString, parseCidr4 } from './net.js';
import { escapeYaml11Breaks, unsafeYamlData } from './unsafe.js';

/** Vars under `all.vars` the tool manages; any other key there belongs to the user. */
export const MANAGED_VARS = [
  'evpn_if',
  'evpn_pfxlen',
  'wireguard_subnet',
  'ansible_user',
  'ensure_keys_for',
  'one_pass',
  'one_version',
  'features',
  // Written by older versions (one-deploy's datastore roles read it); listed so that regeneration removes it.
  'ds',
  'vn',
  'evpn_as',
  'evpn_cluster_id',
  'frontend_group',
  'repos_enabled',
  // Written by older versions; listed so that regeneration removes it.
  'frr_repo',
  'ansible_ssh_common_args',
] as const;

/**
 * The group that holds the OpenNebula frontend. Not one-deploy's `frontend`: in one-deploy that group
 * means "install and configure OpenNebula here" (database, oned, one_auth, datastores), and the frontend
 * this inventory names was provisioned elsewhere. one-deploy's plays pick their hosts with
 * `{{ frontend_group | d('frontend') }}`, templated before any inventory variable is known, so they
 * always target `frontend` and find no host; its roles read `frontend_group` per host and find the
 * frontend here (the `common` role that frr.common depends on needs one).
 */
export const FRONTEND_GROUP = 'edge_frontend';

/** Groups whose host lists the tool manages (hosts are added and removed from the scenario). */
export const MANAGED_GROUPS = ['router', FRONTEND_GROUP, 'node'] as const;

/** one-deploy's own frontend group, which older versions filled: regeneration takes the frontend out of it. */
const LEGACY_FRONTEND_GROUP = 'frontend';

/** Host vars the tool sets on each host; others on the same host belong to the user. */
export const MANAGED_HOST_VARS = [
  'ansible_host',
  'ansible_port',
  'ansible_user',
  'ansible_ssh_common_args',
  'edge_cluster',
  'aws_reject_rule',
  'public_interface',
] as const;

const VAULT_TAG = '!vault';

/** hosts.yml's one_pass for an `{env: NAME}` password (NAME is schema-checked: letters, digits, `_`). */
const envLookup = (name: string) => `{{ lookup('ansible.builtin.env', '${name}') }}`;

/** `one_pass` as the inventory holds it; the secret itself only when it is plain text. */
export function onePass(secret: Secret): string | Scalar {
  if (typeof secret === 'string') return secret;
  if ('env' in secret) return envLookup(secret.env);
  const s = new Scalar(secret.vault.endsWith('\n') ? secret.vault : `${secret.vault}\n`);
  s.tag = VAULT_TAG;
  s.type = Scalar.BLOCK_LITERAL;
  return s;
}

export function holdsPlainSecret(s: Scenario): boolean {
  return typeof s.opennebula.password === 'string';
}

/** The VNET template of an EVPN network, as one-deploy's `vn` entry and OpenNebula's VNET template. */
export function vnTemplate(s: Scenario, n: EvpnNetwork): Record<string, unknown> {
  const vni: Record<string, unknown> = n.vni === undefined ? { AUTOMATIC_VLAN_ID: 'YES' } : { VLAN_ID: String(n.vni) };
  return {
    VN_MAD: 'vxlan',
    VXLAN_MODE: 'evpn',
    // FRR advertises a VNI only when its VXLAN device has a local address. OpenNebula's driver
    // (src/vnm_mad/remotes/vxlan/vxlan.rb, create_vlan_dev) uses `dev <PHYDEV>` for the default
    // VXLAN_TEP=dev and `local <first IP of PHYDEV>` for local_ip: the wg0 address, as FRR needs.
    VXLAN_TEP: 'local_ip',
    // The IANA VXLAN port: without it the 6.8 driver passes none and Linux uses 8472, which an
    // external EVPN gateway (interconnect's snippet, a DC gateway) does not speak; hosts agree either way.
    IP_LINK_CONF: 'nolearning=,dstport=4789',
    PHYDEV: s.wireguard.interface,
    ...vni,
    // The same driver creates the VXLAN device with the VNET's MTU, else OpenNebulaNetwork.conf's
    // vxlan_mtu (1500); GUEST_MTU only reaches the guest's context.
    MTU: n.guest_mtu,
    GUEST_MTU: n.guest_mtu,
    AR: { TYPE: 'IP4', IP: n.ar_start, SIZE: n.ar_size },
    NETWORK_ADDRESS: n.network_address,
    NETWORK_MASK: n.network_mask,
    GATEWAY: n.gateway,
    DNS: n.dns,
  };
}

export function proxyJumpSpec(s: Scenario): string | undefined {
  const pj = s.frontend.proxy_jump;
  if (pj === 'none') return undefined;
  if (pj === 'ingress') {
    const host = s.ingress.public_ip.includes(':') ? `[${s.ingress.public_ip}]` : s.ingress.public_ip;
    return `${s.ingress.ssh_user}@${host}${s.ingress.ssh_port === 22 ? '' : `:${s.ingress.ssh_port}`}`;
  }
  return pj;
}

function hostEntry(vars: Record<string, unknown>, s: Scenario, user: string, port: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ...vars };
  if (user !== s.ansible.user) out.ansible_user = user;
  if (port !== 22) out.ansible_port = port;
  return out;
}

/**
 * The managed content of hosts.yml as plain data: vault secrets as `!vault` scalars, and every
 * string that Ansible could read as a template as an `!unsafe` scalar (core/unsafe.ts), except
 * the env lookup we write on purpose.
 */
export function inventoryData(s: Scenario): Record<string, unknown> {
  const pw = s.opennebula.password;
  const lookup = typeof pw === 'object' && 'env' in pw ? envLookup(pw.env) : undefined;
  return unsafeYamlData(rawInventoryData(s), (x) => x === lookup) as Record<string, unknown>;
}

function rawInventoryData(s: Scenario): Record<string, unknown> {
  const mesh = parseCidr4(s.wireguard.subnet);
  if (!mesh) throw new UsageError(`wireguard.subnet "${printable(s.wireguard.subnet)}" is not an IPv4 subnet: write it as a.b.c.d/n.`);
  const vars: Record<string, unknown> = {
    evpn_if: s.wireguard.interface,
    // wg0 carries its address as a /32 and a route to the mesh subnet (roles/wireguard, docs/resilience.md):
    // one-deploy's `bgp listen range` takes its prefix from here instead of the interface.
    evpn_pfxlen: mesh.prefix,
    wireguard_subnet: cidrString(mesh),
    ansible_user: s.ansible.user,
    ensure_keys_for: s.ansible.ensure_keys_for,
    // one_pass only as a reference (an {env} lookup or a vault): nothing edge-wizard runs reads it (each run gets it
    // withheld; `edge-wizard one` reads the scenario), and one-deploy's frontend roles would set oneadmin's password
    // from it (docs/one-deploy.md). A plain-text password is left out; the header says so.
    ...(typeof s.opennebula.password === 'string' ? {} : { one_pass: onePass(s.opennebula.password) }),
    one_version: s.opennebula.version,
    features: { evpn: true },
    // No `ds`: one-deploy's datastore roles would set TM_MAD on the frontend's datastores (datastore/frontend)
    // and relink datastore directories on the KVM hosts (datastore/node, skipped when ds.mode is undefined).
    // `edge-wizard one` handles datastores through oned's API.
    vn: Object.fromEntries(s.networks.map((n) => [n.name, { managed: true, template: vnTemplate(s, n) }])),
    evpn_as: s.bgp.as,
    evpn_cluster_id: s.evpn_cluster_id ?? s.frontend.address,
    frontend_group: FRONTEND_GROUP,
  };
  // one-deploy's own switch (its repository role); `frr_repo` is never written: in one-deploy it is a
  // registered result whose presence skips FRR's repository and pin.
  if (s.ansible.repos_enabled !== undefined) vars.repos_enabled = s.ansible.repos_enabled;
  if (s.ansible.ssh_common_args) vars.ansible_ssh_common_args = s.ansible.ssh_common_args;

  const jump = proxyJumpSpec(s);
  const frontendArgs = [s.ansible.ssh_common_args, jump ? `-o ProxyJump=${jump}` : undefined].filter(Boolean).join(' ');
  const frontend = hostEntry({ ansible_host: s.frontend.address }, s, s.frontend.ssh_user, s.frontend.ssh_port);
  if (jump) frontend.ansible_ssh_common_args = frontendArgs;

  const node: Record<string, unknown> = {};
  for (const h of kvmHosts(s)) {
    node[h.name] = hostEntry(
      { ansible_host: h.public_ip, edge_cluster: h.cluster, aws_reject_rule: h.aws_reject_rule, public_interface: h.public_interface },
      s,
      h.ssh_user,
      h.ssh_port,
    );
  }
  return {
    all: { vars },
    // The route reflectors: the ingress, and KVM hosts that also reflect (their vars live under node).
    router: {
      hosts: Object.fromEntries([
        [s.ingress.name, hostEntry({ ansible_host: s.ingress.public_ip }, s, s.ingress.ssh_user, s.ingress.ssh_port)],
        ...s.bgp.reflectors.filter((r) => r !== s.ingress.name).map((r) => [r, {}]),
      ]),
    },
    [FRONTEND_GROUP]: { hosts: { [s.frontend.name]: frontend } },
    node: { hosts: node },
  };
}

/** The header older versions wrote: regeneration replaces it with HEADER (it said nothing of what the inventory is for). */
const OLD_HEADER = (s: Scenario) =>
  [
    ` one-deploy inventory for edge-wizard scenario "${s.name}".`,
    ' Generated by `edge-wizard generate`: the managed keys are rewritten on every run;',
    " your own vars, hosts' extra vars, groups and comments are kept.",
  ].join('\n');

const HEADER_LINES = (s: Scenario) => [
  ` Inventory of edge-wizard scenario "${s.name}": the WireGuard + FRR BGP EVPN overlay only.`,
  " It feeds edge-wizard's playbooks and one-deploy's frr.common/frr.evpn roles (playbooks/frr-evpn.yml).",
  ' It is NOT a one-deploy site inventory: the OpenNebula frontend, provisioned elsewhere, is in',
  ` \`${FRONTEND_GROUP}\` (named by frontend_group), not in one-deploy's \`frontend\`, and there is no \`ds\`,`,
  ' so opennebula.deploy.main/site find no frontend to install and no datastore to change; they would',
  " still run one-deploy's node roles on the KVM hosts. Do not run them with it, nor merge it into a",
  ' one-deploy inventory.',
];
const HEADER_TAIL = [
  ' Generated by `edge-wizard generate`: the managed keys are rewritten on every run;',
  " your own vars, hosts' extra vars, groups and comments are kept.",
];

/** The header before one_pass was left out of it: regeneration replaces it with HEADER. */
const HEADER_WITH_PASSWORD = (s: Scenario) => [...HEADER_LINES(s), ...HEADER_TAIL].join('\n');

const HEADER = (s: Scenario) =>
  [
    ...HEADER_LINES(s),
    ' one_pass is here only as a reference (an {env} lookup or a vault); a plain-text password is left',
    ' out: nothing edge-wizard runs reads it (each run gets it withheld, `edge-wizard one` reads the',
    " scenario), and one-deploy's frontend roles would set oneadmin's password from it.",
    ...HEADER_TAIL,
  ].join('\n');

/** Flow style for the short maps and lists, as the seed writes them. */
function styleNew(doc: Document) {
  for (const key of ['features', 'ds', 'ensure_keys_for', 'repos_enabled']) {
    const n = doc.getIn(['all', 'vars', key], true);
    if (isMap(n) || isSeq(n)) n.flow = true;
  }
}

/**
 * Ansible reads YAML 1.1; `compat: 'core'` also quotes any string YAML 1.2
 * would read as another type (e.g. 0o17), as core/yaml.ts does for the files
 * we print by hand.
 */
const YAML_OPTIONS = { version: '1.1', compat: 'core' } as const;

/**
 * The scenario's networks into all.vars.vn, one entry each; an entry edge-wizard wrote
 * (`managed: true`) for a network the scenario no longer has goes; the user's own stay.
 */
function syncVn(doc: Document, vn: Record<string, unknown>): void {
  for (const [name, entry] of Object.entries(vn)) ensureIn(doc, ['all', 'vars', 'vn', name], entry);
  const have = doc.getIn(['all', 'vars', 'vn'], true);
  if (!isMap(have)) return;
  for (const item of [...have.items]) {
    const name = isScalar(item.key) ? String(item.key.value) : String(item.key);
    if (!(name in vn) && isMap(item.value) && item.value.get('managed') === true) doc.deleteIn(['all', 'vars', 'vn', name]);
  }
}

/**
 * hosts.yml text: the managed data merged into `previous` (the file as it is
 * on disk) when given, keeping everything else the user wrote.
 */
export function renderInventory(s: Scenario, previous?: string): string {
  const data = inventoryData(s) as Record<string, Record<string, Record<string, unknown>>>;
  const text = (doc: Document) => escapeYaml11Breaks(`---\n${doc.toString({ lineWidth: 0 }).replace(/^---\n/, '')}`);
  const fresh = new Document(data, YAML_OPTIONS);
  fresh.commentBefore = HEADER(s);
  styleNew(fresh);
  if (previous === undefined || previous.trim() === '') return text(fresh);
  // An unedited file, the usual case, is the fresh text byte for byte: nothing to merge
  // (parsing it costs more than the rest of a regeneration: 1.5 s of 10,000 hosts).
  const plain = text(fresh);
  if (previous === plain) return plain;
  const lines = new LineCounter();
  // uniqueKeys: false, as firstDuplicateKey finds them in linear time.
  const doc: Document = parseDocument(previous, { ...YAML_OPTIONS, keepSourceTokens: false, uniqueKeys: false, lineCounter: lines });
  const problem = doc.errors[0]
    ? { line: doc.errors[0].linePos?.[0]?.line ?? '?', message: doc.errors[0].message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') }
    : (() => {
        const at = firstDuplicateKey(doc);
        return at === undefined ? undefined : { line: lines.linePos(at).line, message: 'Map keys must be unique' };
      })();
  if (problem) {
    throw new UsageError(
      `The hosts.yml already in the output directory is not valid YAML (line ${problem.line}: ${printable(problem.message, 120)}): fix or remove it, then run generate again.`,
    );
  }
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as YAMLMap;
  // After `---` the header parses as the first node's comment (yaml keeps a blank line after it as a trailing \n).
  for (const holder of [doc, doc.contents as YAMLMap]) {
    const c = holder.commentBefore;
    if (!c || c.startsWith(HEADER(s))) continue;
    const was = [OLD_HEADER(s), HEADER_WITH_PASSWORD(s)].find((h) => c.startsWith(h));
    if (was) holder.commentBefore = HEADER(s) + c.slice(was.length);
  }
  const vars = data.all!.vars!;
  for (const key of MANAGED_VARS) {
    if (key in vars) {
      if (key === 'vn') syncVn(doc, vars.vn as Record<string, unknown>);
      else ensureIn(doc, ['all', 'vars', key], vars[key]);
    } else if (doc.hasIn(['all', 'vars', key])) {
      doc.deleteIn(['all', 'vars', key]);
    }
  }
  // Older versions managed one-deploy's `frontend` group and put the frontend there: its hosts go (the
  // frontend moves to FRONTEND_GROUP below), so a full one-deploy run cannot reach it; so does the group
  // when nothing else is left in it.
  if (doc.hasIn([LEGACY_FRONTEND_GROUP, 'hosts'])) doc.deleteIn([LEGACY_FRONTEND_GROUP, 'hosts']);
  const legacy = doc.getIn([LEGACY_FRONTEND_GROUP], true);
  if (doc.has(LEGACY_FRONTEND_GROUP) && (legacy === null || (isMap(legacy) && legacy.items.length === 0) || (isScalar(legacy) && legacy.value === null))) {
    doc.delete(LEGACY_FRONTEND_GROUP);
  }
  for (const group of MANAGED_GROUPS) {
    const want = data[group]!.hosts as Record<string, Record<string, unknown>>;
    let hostsNode = doc.getIn([group, 'hosts'], true);
    if (isMap(hostsNode)) {
      hostsNode.items = hostsNode.items.filter((item) => String(isScalar(item.key) ? item.key.value : item.key) in want);
    }
    if (Object.keys(want).length === 0) continue;
    if (!isMap(hostsNode)) {
      setPath(doc, [group, 'hosts'], doc.createNode({}));
      hostsNode = doc.getIn([group, 'hosts'], true);
    }
    // Each host found once, by name: a lookup by path scans the group, which over a fleet of
    // 10,000 hosts made regeneration quadratic (35 s).
    const hosts = hostsNode as YAMLMap;
    const pairs = new Map(hosts.items.map((item) => [String(isScalar(item.key) ? item.key.value : item.key), item]));
    for (const [name, hv] of Object.entries(want)) {
      const pair = pairs.get(name);
      if (!pair) hosts.items.push(new Pair(name, doc.createNode(hv)));
      else if (!isMap(pair.value)) pair.value = doc.createNode(hv);
      else for (const key of MANAGED_HOST_VARS) ensureKey(doc, pair.value, key, hv[key]);
    }
  }
  return text(doc);
}
