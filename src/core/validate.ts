/**
 * Validation of a scenario: first the JSON Schema (shape, types, formats),
 * then the semantic checks (addresses, subnets, MTU, leases, budgets).
 * Every failure is one sentence that names the field and the fix; all are
 * reported at once.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { scenarioSchema } from './schema.js';
import { ValidationFailed, type Problem } from './errors.js';
import type { Scenario } from './scenario.js';
import { kvmHosts, meshMembers, networkField } from './scenario.js';
import {
  canonicalIp,
  contains,
  family,
  fromInt,
  isIp,
  isIpv4,
  maskToPrefix,
  neverPublic,
  overlaps,
  parseCidr4,
  range,
  toInt,
  type Cidr,
  cidrString,
} from './net.js';
import { maxGuestMtu, maxWireguardMtu, VXLAN_OVERHEAD, WIREGUARD_OVERHEAD } from './mtu.js';
import { checkInterconnect } from './interconnect/validate.js';
import { fleetLimitWarnings } from './fleet-limits.js';

/** The smallest MTU the schema takes for wg0 and guests (IPv4's minimum datagram). */
const MIN_MTU = 576;

/** Public IPs one edge cluster's public network may hold, the Virtual Router's included. */
export const MAX_PUBLIC_IPS = 5;

/** KVM hosts in one scenario: every host of a full mesh has every other as a peer (1000 hosts: about 1 s and 120 MiB to generate, `npm run bench`). */
export const MAX_KVM_HOSTS = 1000;

/** KVM hosts in one scenario of wireguard.topology hub, whose output grows with the fleet (see `npm run bench`). */
export const MAX_HUB_KVM_HOSTS = 10000;

/** Hubs of topology hub: they form a full mesh, as large as the largest full mesh (the ingress and MAX_KVM_HOSTS). */
export const MAX_HUBS = MAX_KVM_HOSTS + 1;

/** Inventory groups: a host named like one is ambiguous in Ansible's host patterns. */
export const GROUP_NAMES = ['all', 'ungrouped', 'router', 'frontend', 'edge_frontend', 'node'] as const;

// ajv-formats ships CJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

let compiled: ReturnType<Ajv['compile']> | undefined;
function schemaValidator() {
  if (!compiled) {
    // The schema is ours and checked against the meta-schema by a test (test/core/schema.test.ts),
    // so each run skips that check and the code optimizer: about 0.1 s of CPU at every start.
    const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false, code: { optimize: false } });
    addFormats(ajv);
    compiled = ajv.compile(scenarioSchema);
  }
  return compiled;
}

/** IPv4 ranges a WireGuard subnet may not overlap. */
const UNUSABLE_SUBNETS: Array<[string, string]> = [
  ['0.0.0.0/8', '"this network"'],
  ['127.0.0.0/8', 'loopback'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved, and the broadcast address'],
];

/** Environment variables a password may not live in: the processes edge-wizard starts for Ansible need them. */
const RESERVED_ENV =
  /^(PATH|HOME|USER|LOGNAME|SHELL|PWD|TMPDIR|TZ|LANG|LANGUAGE|LC_ALL|SSH_AUTH_SOCK|PYTHONPATH|PYTHONUNBUFFERED|VIRTUAL_ENV|ANSIBLE_(CONFIG|ROLES_PATH|COLLECTIONS_PATHS?|NOCOLOR|FORCE_COLOR|STDOUT_CALLBACK|RETRY_FILES_ENABLED|DEPRECATION_WARNINGS|HOST_KEY_CHECKING))$/;

/** Problems printed at once; the rest are counted. */
export const MAX_PROBLEMS_SHOWN = 20;

/** ValidationFailed with the first MAX_PROBLEMS_SHOWN problems and a count of the rest. */
export function validationFailed(problems: Array<string | Problem>, source?: string): ValidationFailed {
  if (problems.length <= MAX_PROBLEMS_SHOWN) return new ValidationFailed(problems, source);
  const more = problems.length - MAX_PROBLEMS_SHOWN;
  // The printed sentences are cut; `details` keeps every problem with its field.
  const details = problems.map((p) => (typeof p === 'string' ? { field: '', message: p } : p));
  const e = new ValidationFailed(
    [...problems.slice(0, MAX_PROBLEMS_SHOWN), `and ${more} more problem${more === 1 ? '' : 's'}: fix the ones above and run validate again to see the rest.`],
    source,
    details,
  );
  // The heading counts every problem, not the lines shown.
  e.message = e.message.replace(/^(.*?)\d+ problems found:/, `$1${problems.length} problems found, the first ${MAX_PROBLEMS_SHOWN} shown:`);
  return e;
}

/** `/clusters/0/hosts/1/public_ip` -> `clusters[0].hosts[1].public_ip` */
export function fieldPath(pointer: string, extra?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '';
  // A key is the user's text (an unknown setting): cut and made printable like any echoed value.
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${printable(p, 60)}` : printable(p, 60);
  return out || '(top level)';
}

/** Characters that must not reach a terminal raw: C0 and C1 controls, DEL, bidi overrides, line separators, BOM, lone surrogates. */
const UNPRINTABLE =
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function cutPrintable(s: string, max: number): { text: string; cut: boolean } {
  const head = s.length > max * 2 ? s.slice(0, max * 2) : s;
  const escaped = head.replace(UNPRINTABLE, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
  const chars = Array.from(escaped);
  if (chars.length <= max && head === s) return { text: escaped, cut: false };
  return { text: `${chars.slice(0, max - 1).join('')}…`, cut: true };
}

/** Text from the user's file made safe to print: escapes instead of control characters, at most `max` characters. */
export function printable(s: string, max = 60): string {
  return cutPrintable(s, max).text;
}

/** JSON-like text of `v`, stopping once it is longer than `max` (values can be huge or nested thousands deep). */
function preview(v: unknown, max: number): string {
  let out = '';
  const visit = (x: unknown, depth: number): boolean => {
    if (out.length > max) return false;
    if (Array.isArray(x) || (x && typeof x === 'object')) {
      if (depth > 8) {
        out += '…';
        return false;
      }
      const list = Array.isArray(x);
      out += list ? '[' : '{';
      let first = true;
      for (const k in x as object) {
        if (!first) out += ',';
        first = false;
        if (!list) out += `${JSON.stringify(k.slice(0, max))}:`;
        if (!visit((x as Record<string, unknown>)[k], depth + 1)) return false;
      }
      out += list ? ']' : '}';
      return true;
    }
    // YAML's .nan and .inf are numbers JSON has no word for (JSON.stringify says null).
    const word = typeof x === 'number' && !Number.isFinite(x) ? (Number.isNaN(x) ? '.nan' : x > 0 ? '.inf' : '-.inf') : undefined;
    out += typeof x === 'string' ? JSON.stringify(x.slice(0, max + 1)) : (word ?? String(JSON.stringify(x) ?? x));
    return out.length <= max;
  };
  visit(v, 0);
  return printable(out, max);
}

/** A value as messages echo it: strings quoted, everything cut to about 60 characters and printable. */
export function shown(v: unknown): string {
  if (typeof v === 'string') {
    const { text, cut } = cutPrintable(v, 60);
    return cut ? `"${text}" (${v.length} characters)` : `"${text}"`;
  }
  if (Array.isArray(v) && v.length > 10) return `a list of ${v.length} items`;
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 10) return `a mapping of ${Object.keys(v).length} keys`;
  return preview(v, 60);
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

function schemaProblem(e: ErrorObject, data: unknown): Problem | undefined {
  const field = fieldPath(e.instancePath);
  const value = e.instancePath
    .split('/')
    .slice(1)
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), data);
  // .nan, .inf: numbers for YAML, none for us; one sentence whatever rules they break.
  if (typeof value === 'number' && !Number.isFinite(value) && e.keyword !== 'required' && e.keyword !== 'additionalProperties') {
    return { field, message: `${field} is ${shown(value)}, which is not a usable number: write a whole number.` };
  }
  switch (e.keyword) {
    case 'required': {
      const f = fieldPath(e.instancePath, String(e.params.missingProperty));
      return { field: f, message: `${f} is missing: add it to the scenario file.` };
    }
    case 'additionalProperties': {
      const f = fieldPath(e.instancePath, String(e.params.additionalProperty));
      return { field: f, message: `${f} is not a known setting: remove it or check its spelling against schema/edge-wizard.schema.json.` };
    }
    case 'type':
      if (/version$/.test(field)) return { field, message: `${field} is ${shown(value)} but must be a string: write it quoted, like '6.8'.` };
      return {
        field,
        message: `${field} is ${shown(value)} but must be ${e.params.type === 'integer' ? 'a whole number' : e.params.type === 'object' ? 'a mapping' : e.params.type === 'array' ? 'a list' : article(String(e.params.type))}: fix its value.`,
      };
    case 'format':
      return {
        field,
        message: `${field} ${shown(value)} is not a valid ${e.params.format === 'ipv4' ? 'IPv4 address' : e.params.format}: write it like 203.0.113.10.`,
      };
    case 'enum':
      return { field, message: `${field} ${shown(value)} is not one of ${(e.params.allowedValues as unknown[]).join(', ')}: pick one of those.` };
    case 'pattern':
      if (/interface$/.test(field)) {
        return {
          field,
          message: `${field} ${shown(value)} is not a Linux interface name: use 1 to 15 letters, digits, "_", "-" or ".", like ${field.endsWith('public_interface') ? 'eth0' : 'wg0'}.`,
        };
      }
      if (/(?:ssh_user|^ansible\.user|^ansible\.ensure_keys_for\[\d+\])$/.test(field)) {
        return {
          field,
          message: `${field} ${shown(value)} is not a user name: start with a letter or "_" and use at most 32 letters, digits, "_", "-" and ".", like root.`,
        };
      }
      if (field.endsWith('name') || /\.name$|^name$/.test(field)) {
        return { field, message: `${field} ${shown(value)} is not a valid name: start with a letter and use only letters, digits, "_" and "-".` };
      }
      if (/subnet$/.test(field)) return { field, message: `${field} ${shown(value)} is not an IPv4 subnet: write it like 192.168.0.0/24.` };
      if (/version$/.test(field)) return { field, message: `${field} ${shown(value)} is not a version: write it like '6.8' (quoted).` };
      return { field, message: `${field} ${shown(value)} has the wrong form (${e.message}): fix its value.` };
    case 'minimum':
    case 'maximum':
      return { field, message: `${field} is ${shown(value)} but must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${e.params.limit}: change it.` };
    case 'maxLength':
      if (/^interconnect\[\d+\]\.name$/.test(field)) {
        return {
          field,
          message: `${field} is ${String(value).length} characters long but names of interconnect gateways are limited to ${e.params.limit} (they name FRR's BFD profile and route-maps): shorten it.`,
        };
      }
      return {
        field,
        message: `${field} is ${String(value).length} characters long but names are limited to ${e.params.limit} characters (Ansible inventory and DNS labels): shorten it.`,
      };
    case 'minLength':
      return { field, message: `${field} is empty: give it a value or remove it.` };
    case 'oneOf':
      if (/password$/.test(field)) {
        return { field, message: `${field} must be a password, { env: VARIABLE } or { vault: "$ANSIBLE_VAULT;..." }: use one of those forms.` };
      }
      return { field, message: `${field} has the wrong form: see schema/edge-wizard.schema.json.` };
    case 'anyOf':
      return { field, message: `${field} ${shown(value)} is not a valid IP address: write it like 203.0.113.10.` };
    default:
      return { field, message: `${field}: ${e.message ?? 'is invalid'}; fix its value.` };
  }
}

/** Schema check of the raw (parsed, not defaulted) file. */
export function checkSchema(data: unknown): Problem[] {
  const validate = schemaValidator();
  if (validate(data)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const errors = validate.errors ?? [];
  // For a field that failed `format` inside anyOf/oneOf, ajv reports each branch; keep one sentence per field.
  const anyOfAt = new Set(errors.filter((o) => o.keyword === 'anyOf').map((o) => o.instancePath));
  const oneOfAt = new Set(errors.filter((o) => o.keyword === 'oneOf').map((o) => o.instancePath));
  const underOneOf = (path: string) => {
    for (let p = path; ; p = p.slice(0, p.lastIndexOf('/'))) {
      if (oneOfAt.has(p)) return true;
      if (!p) return false;
    }
  };
  for (const e of errors) {
    if (e.keyword === 'format' && anyOfAt.has(e.instancePath)) continue;
    if (e.schemaPath.includes('/oneOf/') && underOneOf(e.instancePath)) continue;
    const p = schemaProblem(e, data);
    if (p && !seen.has(p.message)) {
      seen.add(p.message);
      problems.push(p);
    }
  }
  return problems;
}

export interface SemanticResult {
  errors: Problem[];
  warnings: Problem[];
}

/** Semantic checks of a complete (defaulted) scenario. */
export function checkSemantics(s: Scenario): SemanticResult {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const err = (field: string, message: string) => errors.push({ field, message });
  const warn = (field: string, message: string) => warnings.push({ field, message });

  // Hosts and names.
  const kvms = kvmHosts(s);
  const hub = s.wireguard.topology === 'hub';
  if (kvms.length > (hub ? MAX_HUB_KVM_HOSTS : MAX_KVM_HOSTS)) {
    // Everything below grows with the number of hosts; one sentence is enough.
    err(
      'clusters',
      hub
        ? `clusters hold ${kvms.length} KVM hosts but edge-wizard plans a WireGuard hub topology of at most ${MAX_HUB_KVM_HOSTS}: split the hosts into several scenarios.`
        : `clusters hold ${kvms.length} KVM hosts but edge-wizard plans a full WireGuard mesh of at most ${MAX_KVM_HOSTS}: set wireguard.topology: hub (up to ${MAX_HUB_KVM_HOSTS} hosts), or split the hosts into several scenarios.`,
    );
    return { errors, warnings };
  }
  if (s.clusters.length === 0) err('clusters', 'clusters is empty: add at least one edge cluster with its KVM hosts.');
  s.clusters.forEach((c, ci) => {
    if (c.hosts.length === 0) err(`clusters[${ci}].hosts`, `clusters[${ci}].hosts (cluster ${c.name}) is empty: add its KVM hosts or remove the cluster.`);
  });
  if (!s.frontend.address)
    err('frontend.address', "frontend.address is missing: add the OpenNebula frontend's address (one-deploy's roles read the frontend group).");

  const names = new Map<string, string>();
  const claimName = (name: string, field: string) => {
    if ((GROUP_NAMES as readonly string[]).includes(name)) err(field, `${field} "${name}" is also the name of an inventory group: give the host another name.`);
    // Ansible's `delegate_to: localhost` (and `hosts: localhost`) would pick this host instead of the controller.
    else if (/^localhost$/i.test(name))
      err(
        field,
        `${field} "${name}" is the name Ansible gives the controller itself (delegate_to: localhost would go to this host): give the host another name.`,
      );
    const prev = names.get(name);
    if (prev) err(field, `${field} "${name}" is already used by ${prev}: give every host a different name.`);
    else names.set(name, field);
  };
  claimName(s.ingress.name, 'ingress.name');
  claimName(s.frontend.name, 'frontend.name');
  const clusterNames = new Set<string>();
  s.clusters.forEach((c, ci) => {
    if (clusterNames.has(c.name))
      err(`clusters[${ci}].name`, `clusters[${ci}].name "${c.name}" is used by another cluster: give every cluster a different name.`);
    clusterNames.add(c.name);
    c.hosts.forEach((h, hi) => claimName(h.name, `clusters[${ci}].hosts[${hi}].name`));
  });

  // Public addresses: unique across ingress, hosts and public networks.
  // Keyed by one spelling of each address: 2001:db8::1 and 2001:DB8:0::1, 203.0.113.5 and ::ffff:203.0.113.5 are one.
  const ips = new Map<string, string>();
  const spelled = new Map<string, string>();
  const claimIp = (ip: string, field: string) => {
    if (!ip) return;
    const never = neverPublic(ip);
    if (never) {
      err(field, `${field} ${printable(ip)} is ${never}, which can never be a host's public address: write the address the other hosts reach it on.`);
      return;
    }
    const key = canonicalIp(ip);
    const prev = ips.get(key);
    const before = spelled.get(key);
    if (prev)
      err(
        field,
        `${field} ${printable(ip)} is already used by ${prev}${before !== ip ? ` (written ${printable(before ?? key)}: the same address)` : ''}: every public address must be different.`,
      );
    else {
      ips.set(key, field);
      spelled.set(key, ip);
    }
  };
  claimIp(s.ingress.public_ip, 'ingress.public_ip');
  s.clusters.forEach((c, ci) => c.hosts.forEach((h, hi) => claimIp(h.public_ip, `clusters[${ci}].hosts[${hi}].public_ip`)));
  s.clusters.forEach((c, ci) => c.public_network.ips.forEach((ip, ii) => claimIp(ip, `clusters[${ci}].public_network.ips[${ii}]`)));

  // Subnets.
  const subnet = (field: string, text: string): Cidr | undefined => {
    const c = parseCidr4(text);
    if (!c) {
      err(field, `${field} "${text}" is not an IPv4 subnet: write it like 192.168.0.0/24.`);
      return undefined;
    }
    if (cidrString(c) !== text) {
      err(field, `${field} ${text} has host bits set: write the network address, ${cidrString(c)}.`);
      return undefined;
    }
    return c;
  };
  const wg = subnet('wireguard.subnet', s.wireguard.subnet);
  // No interface takes these for WireGuard: loopback, multicast, "this network", reserved.
  const unusable = wg && UNUSABLE_SUBNETS.find(([c]) => overlaps(wg, parseCidr4(c)!));
  if (unusable) {
    err(
      'wireguard.subnet',
      `wireguard.subnet ${s.wireguard.subnet} overlaps ${unusable[0]} (${unusable[1]}), which no host can use for WireGuard: choose a private subnet such as 192.168.0.0/24.`,
    );
  }
  const control = subnet('control_subnet', s.control_subnet);
  // The EVPN networks: each a proper subnet, apart from each other and from the other subnets.
  if (s.evpn_form === 'both') err('evpn', 'evpn and networks are both set: move the evpn block into networks (its as into bgp.as) and delete it.');
  else if (s.evpn_form === 'evpn')
    warn('evpn', 'evpn is the one-network form of the file: it reads as networks[0] with bgp.as; write networks: (and bgp.as) to add a second network.');
  const evpnNets = s.networks.map((n, i) => {
    const f = networkField(s, i);
    const prefix = maskToPrefix(n.network_mask);
    if (prefix === undefined) {
      err(`${f}.network_mask`, `${f}.network_mask ${n.network_mask} is not a contiguous netmask: write it like 255.255.255.0.`);
      return undefined;
    }
    if (!isIpv4(n.network_address)) return undefined;
    const c = parseCidr4(`${n.network_address}/${prefix}`);
    if (c && cidrString(c) !== `${n.network_address}/${prefix}`) {
      err(
        `${f}.network_address`,
        `${f}.network_address ${n.network_address} is not the network address for mask ${n.network_mask}: use ${cidrString(c).split('/')[0]}.`,
      );
      return undefined;
    }
    return c;
  });
  const seenName = new Map<string, number>();
  const seenVni = new Map<number, number>();
  s.networks.forEach((n, i) => {
    const f = networkField(s, i);
    const j = seenName.get(n.name);
    if (j !== undefined) err(`${f}.name`, `${f}.name "${printable(n.name)}" is already the name of networks[${j}]: give each network its own name.`);
    else seenName.set(n.name, i);
    if (n.vni === undefined) return;
    const k = seenVni.get(n.vni);
    if (k !== undefined)
      err(`${f}.vni`, `${f}.vni ${n.vni} is already the VNI of networks[${k}]: give each network its own VNI, or leave vni out for an automatic one.`);
    else seenVni.set(n.vni, i);
  });
  const nets: Array<[string, Cidr | undefined, string]> = [
    ['wireguard.subnet', wg, 'wireguard.subnet'],
    ...s.networks.map((n, i): [string, Cidr | undefined, string] => [
      `the EVPN network ${printable(n.name)} (${networkField(s, i)})`,
      evpnNets[i],
      `${networkField(s, i)}.network_address`,
    ]),
    ['control_subnet', control, 'control_subnet'],
  ];
  for (let i = 0; i < nets.length; i++) {
    for (let j = i + 1; j < nets.length; j++) {
      const [an, a] = nets[i]!;
      const [bn, b, field] = nets[j]!;
      if (a && b && overlaps(a, b)) {
        err(field, `${an} ${cidrString(a)} overlaps ${bn} ${cidrString(b)}: choose subnets that do not overlap.`);
      }
    }
  }
  // Public addresses must not sit inside the private subnets (routing loops).
  for (const [ip, field] of ips) {
    for (const [n, c] of nets) {
      if (c && isIpv4(ip) && contains(c, ip))
        err(
          field,
          `${field} ${ip} lies inside ${n.startsWith('the ') ? n : `the ${n}`} ${cidrString(c)}: use the host's real public address or choose another private subnet.`,
        );
    }
  }

  // Frontend and ingress on the control subnet.
  if (control && s.frontend.address && isIpv4(s.frontend.address) && !contains(control, s.frontend.address)) {
    warn('frontend.address', `frontend.address ${s.frontend.address} is outside control_subnet ${s.control_subnet}: check both values.`);
  }
  if (control && s.ingress.control_ip && !contains(control, s.ingress.control_ip)) {
    err('ingress.control_ip', `ingress.control_ip ${s.ingress.control_ip} is outside control_subnet ${s.control_subnet}: use an address inside it.`);
  }
  const pj = s.frontend.proxy_jump;
  // Each hop user@host[:port]; neither user nor host may start with "-" (ssh would read an option).
  const hop = /^([A-Za-z_][A-Za-z0-9._-]*@)?[A-Za-z0-9.:_[\]][A-Za-z0-9.:_[\]-]*(:\d+)?$/;
  if (!['ingress', 'none'].includes(pj) && !pj.split(',').every((h) => hop.test(h))) {
    err('frontend.proxy_jump', `frontend.proxy_jump ${shown(pj)} is not "ingress", "none" or user@host[:port]: use one of those forms.`);
  }
  // Route reflectors: hosts of the mesh, the ingress among them; enough listen slots for every VTEP.
  const meshNames = new Set(meshMembers(s).map((m) => m.name));
  s.bgp.reflectors.forEach((r, i) => {
    if (!meshNames.has(r))
      err(`bgp.reflectors[${i}]`, `bgp.reflectors[${i}] is ${shown(r)}, which is not a host of this scenario: use the ingress name or a KVM host name.`);
  });
  // The ingress always reflects: the plays reach it through one-deploy's `router` group.
  if (!s.ingress.route_reflector) {
    err(
      'ingress.route_reflector',
      'ingress.route_reflector is false, but the ingress is always a route reflector: set it to true (add KVM hosts to bgp.reflectors for more reflectors).',
    );
  } else if (!s.bgp.reflectors.includes(s.ingress.name)) {
    err('bgp.reflectors', `bgp.reflectors leaves out ${s.ingress.name}, the ingress, which is always a route reflector: add it to the list.`);
  }
  if (s.bgp.listen_limit < meshNames.size - 1) {
    err(
      'bgp.listen_limit',
      `bgp.listen_limit ${s.bgp.listen_limit} is below the ${meshNames.size - 1} VTEPs that connect to each reflector: raise it to at least ${meshNames.size - 1}, or leave it out.`,
    );
  }
  if (!s.evpn_cluster_id && s.frontend.address && !isIpv4(s.frontend.address)) {
    err('evpn_cluster_id', 'evpn_cluster_id is needed when frontend.address is not IPv4: set it to an IPv4 address such as the ingress WireGuard address.');
  }
  // WireGuard hubs: only with topology hub (an error, not a warning: the two settings plan different
  // networks and neither can be guessed), at least one, each a host of the scenario, listed once.
  const hubs = s.wireguard.hubs;
  if (!hub && hubs.length > 0) {
    err(
      'wireguard.hubs',
      'wireguard.hubs is set but wireguard.topology is mesh, where every host peers with every other: set wireguard.topology: hub to use the hubs, or remove wireguard.hubs.',
    );
  } else if (hub && hubs.length === 0) {
    err(
      'wireguard.hubs',
      'wireguard.hubs is empty, which leaves the spokes of topology hub without a hub: list at least one hub (the ingress, say), or leave wireguard.hubs out for the ingress and the first KVM host of each cluster.',
    );
  } else if (hub && hubs.length > MAX_HUBS) {
    err(
      'wireguard.hubs',
      `wireguard.hubs holds ${hubs.length} hubs but the hubs form a full mesh of at most ${MAX_HUBS}: list fewer hubs in wireguard.hubs (by default every cluster's first KVM host is one).`,
    );
  } else if (hub) {
    const seenHub = new Map<string, number>();
    hubs.forEach((h, i) => {
      const f = `wireguard.hubs[${i}]`;
      const j = seenHub.get(h);
      if (!meshNames.has(h)) err(f, `${f} is ${shown(h)}, which is not a host of this scenario: use the ingress name or a KVM host name.`);
      else if (j !== undefined) err(f, `${f} ${shown(h)} is already wireguard.hubs[${j}]: list each hub once.`);
      else seenHub.set(h, i);
    });
  }

  // WireGuard addresses: inside the subnet (one-deploy builds `bgp listen range` from wg0's prefix), unique, enough room.
  if (wg) {
    const { first, last } = range(wg);
    const members = meshMembers(s);
    // A /31 or /32 has no host address between network and broadcast.
    const usable = Math.max(0, last - first - 1);
    if (members.length > usable) {
      const fit = Math.max(1, 32 - Math.ceil(Math.log2(members.length + 2)));
      err(
        'wireguard.subnet',
        `wireguard.subnet ${s.wireguard.subnet} has ${usable === 0 ? 'no usable address' : `${usable} usable address${usable === 1 ? '' : 'es'}`} for ${members.length} hosts: choose a larger subnet, a /${Math.min(fit, 24)} or larger.`,
      );
    }
    const pinned = new Map<string, string>();
    const pinField = (m: (typeof members)[number]) => {
      if (m.role === 'ingress') return 'ingress.wireguard_address';
      const ci = s.clusters.findIndex((c) => c.name === m.cluster);
      const hi = s.clusters[ci]!.hosts.findIndex((h) => h.name === m.name);
      return `clusters[${ci}].hosts[${hi}].wireguard_address`;
    };
    for (const m of members) {
      if (!m.pinned_address) continue;
      const f = pinField(m);
      const n = toInt(m.pinned_address);
      if (!contains(wg, m.pinned_address)) {
        err(
          f,
          `${f} ${m.pinned_address} is outside wireguard.subnet ${s.wireguard.subnet} (the route reflector listens only on that prefix): pick an address inside it.`,
        );
      } else if (n === first || n === last) {
        err(f, `${f} ${m.pinned_address} is the subnet's ${n === first ? 'network' : 'broadcast'} address: pick a host address such as ${fromInt(first + 1)}.`);
      } else if (pinned.has(m.pinned_address)) {
        err(f, `${f} ${m.pinned_address} is already pinned for ${pinned.get(m.pinned_address)}: give every host a different address.`);
      }
      pinned.set(m.pinned_address, m.name);
    }
  }

  // MTU: WireGuard over the underlay, VXLAN over WireGuard.
  const underlayFamilies = [s.ingress.public_ip, ...kvms.map((h) => h.public_ip)].filter(isIp).map(family);
  const fam = underlayFamilies.includes('ipv6') ? 'ipv6' : 'ipv4';
  const wgMax = maxWireguardMtu(s.wireguard.underlay_mtu, fam);
  if (wgMax < MIN_MTU) {
    // No wireguard.mtu fits: the fix is the underlay's (a suggested value must itself be valid).
    err(
      'wireguard.underlay_mtu',
      `wireguard.underlay_mtu ${s.wireguard.underlay_mtu} leaves less than ${MIN_MTU} bytes for wg0 over ${fam === 'ipv4' ? 'IPv4' : 'IPv6'} (WireGuard adds ${WIREGUARD_OVERHEAD[fam]} bytes): raise it to at least ${MIN_MTU + WIREGUARD_OVERHEAD[fam]}, your underlay's real MTU.`,
    );
  } else if (s.wireguard.mtu > wgMax) {
    err(
      'wireguard.mtu',
      `wireguard.mtu ${s.wireguard.mtu} is too large for an underlay MTU of ${s.wireguard.underlay_mtu} over ${fam === 'ipv4' ? 'IPv4' : 'IPv6'} (WireGuard adds ${WIREGUARD_OVERHEAD[fam]} bytes): use at most ${wgMax}.`,
    );
  } else if (s.wireguard.mtu < maxWireguardMtu(s.wireguard.underlay_mtu, 'ipv6') && wgMax >= MIN_MTU) {
    warn(
      'wireguard.mtu',
      `wireguard.mtu ${s.wireguard.mtu} wastes bytes: ${maxWireguardMtu(s.wireguard.underlay_mtu, 'ipv6')} fits any underlay of MTU ${s.wireguard.underlay_mtu}.`,
    );
  }
  const guestMax = maxGuestMtu(s.wireguard.mtu);
  s.networks.forEach((n, i) => {
    const f = networkField(s, i);
    if (n.guest_mtu > guestMax && guestMax < MIN_MTU) {
      err(
        `${f}.guest_mtu`,
        `${f}.guest_mtu ${n.guest_mtu} does not fit in wireguard.mtu ${s.wireguard.mtu} after VXLAN's ${VXLAN_OVERHEAD} bytes, and no guest MTU below ${MIN_MTU} is allowed: raise wireguard.mtu to at least ${MIN_MTU + VXLAN_OVERHEAD}.`,
      );
    } else if (n.guest_mtu > guestMax) {
      err(
        `${f}.guest_mtu`,
        `${f}.guest_mtu ${n.guest_mtu} does not fit in wireguard.mtu ${s.wireguard.mtu} after VXLAN's ${VXLAN_OVERHEAD} bytes: use at most ${guestMax}.`,
      );
    } else if (n.guest_mtu < guestMax) {
      warn(
        `${f}.guest_mtu`,
        `${f}.guest_mtu ${n.guest_mtu} is below the ${guestMax} that wireguard.mtu ${s.wireguard.mtu} allows: raise it unless you need the headroom.`,
      );
    }
  });

  // EVPN leases and gateways; the Virtual Router takes the first lease of the first network.
  s.networks.forEach((n, i) => {
    const evpn = evpnNets[i];
    if (!evpn) return;
    const f = networkField(s, i);
    const vr = s.virtual_router.enabled && i === 0;
    const { first, last } = range(evpn);
    if (last - first < 3) {
      // A /31 or /32 has no room for a gateway and a lease: any address suggested below would be wrong.
      err(
        `${f}.network_mask`,
        `${f}.network_mask ${n.network_mask} (/${evpn.prefix}) leaves no room for a gateway and leases: use a mask such as 255.255.255.0.`,
      );
      return;
    }
    const start = isIpv4(n.ar_start) ? toInt(n.ar_start) : NaN;
    const end = start + n.ar_size - 1;
    const arStartOk = contains(evpn, n.ar_start) && start !== first && start !== last;
    if (!arStartOk) {
      err(`${f}.ar_start`, `${f}.ar_start ${n.ar_start} is not a host address of the EVPN network ${cidrString(evpn)}: use one such as ${fromInt(first + 1)}.`);
    } else if (end >= last) {
      err(`${f}.ar_size`, `${f}.ar_size ${n.ar_size} runs past the end of ${cidrString(evpn)} from ${n.ar_start}: use at most ${last - start}.`);
    }
    const needed = kvms.length + (vr ? 1 : 0);
    if (n.ar_size < needed) {
      err(
        `${f}.ar_size`,
        `${f}.ar_size ${n.ar_size} is too small for ${kvms.length} KVM hosts${vr ? ' plus the Virtual Router' : ''}: use at least ${needed}.`,
      );
    }
    const gw = isIpv4(n.gateway) ? toInt(n.gateway) : NaN;
    if (!contains(evpn, n.gateway)) {
      err(
        `${f}.gateway`,
        `${f}.gateway ${n.gateway} is outside the EVPN network ${cidrString(evpn)}: use an address inside it, such as ${arStartOk ? n.ar_start : fromInt(first + 1)}.`,
      );
    } else if (gw === first || gw === last) {
      err(
        `${f}.gateway`,
        `${f}.gateway ${n.gateway} is the ${gw === first ? 'network' : 'broadcast'} address of ${cidrString(evpn)}, which no host can have: use a host address such as ${arStartOk ? n.ar_start : fromInt(first + 1)}.`,
      );
    } else if (arStartOk && vr && n.gateway !== n.ar_start) {
      err(`${f}.gateway`, `${f}.gateway ${n.gateway} is not the first lease ${n.ar_start}, which the Virtual Router takes: set ${f}.gateway to ${n.ar_start}.`);
    }
  });

  // Public IP budget and the Virtual Router's cluster.
  s.clusters.forEach((c, ci) => {
    const n = c.public_network.ips.length;
    if (n > MAX_PUBLIC_IPS) {
      err(
        `clusters[${ci}].public_network.ips`,
        `clusters[${ci}].public_network.ips (cluster ${c.name}) lists ${n} public IPs but an edge cluster has at most ${MAX_PUBLIC_IPS}, the Virtual Router's included: remove ${n - MAX_PUBLIC_IPS}.`,
      );
    }
  });
  if (s.virtual_router.enabled && s.clusters.length > 0) {
    const ci = s.clusters.findIndex((c) => c.name === s.virtual_router.cluster);
    if (ci < 0) {
      err(
        'virtual_router.cluster',
        `virtual_router.cluster "${s.virtual_router.cluster}" is not a cluster of this scenario: use one of ${s.clusters.map((c) => c.name).join(', ')}.`,
      );
    } else if (s.clusters[ci]!.public_network.ips.length === 0) {
      err(
        `clusters[${ci}].public_network.ips`,
        `clusters[${ci}].public_network.ips (cluster ${s.virtual_router.cluster}) is empty but the Virtual Router needs one public IP there: add the provision's public IPs.`,
      );
    }
  }

  // {env: NAME}: the variable is kept from every process edge-wizard starts for Ansible (ansible-runner
  // writes its environment into its artifacts), so it cannot be one those processes need.
  const pw = s.opennebula.password;
  if (pw && typeof pw === 'object' && 'env' in pw && RESERVED_ENV.test(pw.env)) {
    err(
      'opennebula.password.env',
      `opennebula.password.env names ${pw.env}, which edge-wizard and Ansible need for themselves (it is kept from Ansible's processes, as the password's variable always is): use a variable of its own, like ONE_PASS.`,
    );
  }

  // one-deploy reads no `frr_repo` setting (it is the name of a registered result); its switch is repos_enabled.
  if (s.ansible.frr_repo !== undefined) {
    warn(
      'ansible.frr_repo',
      s.ansible.repos_enabled?.length === 0
        ? "ansible.frr_repo is retired and is read as ansible.repos_enabled: [] (FRR from the distribution): write that instead, or remove both to get one-deploy's pinned FRR 10.5."
        : 'ansible.frr_repo is retired and ignored, since ansible.repos_enabled is set: remove it.',
    );
  }

  // External EVPN gateways (docs/interconnect.md).
  const interconnect = checkInterconnect(s);
  errors.push(...interconnect.errors);
  warnings.push(...interconnect.warnings);
  warnings.push(...fleetLimitWarnings(s)); // past what bench:fleet measured (docs/fleet.md)

  return { errors, warnings };
}
