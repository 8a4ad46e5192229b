/**
 * What provisioning leaves behind, read into one shape: the hosts (by public IP)
 * of one edge cluster. Pure: the command reads the files. Each format below is
 * what a user can produce with OpenNebula's own tools; the files and lines each
 * field comes from are in test/fixtures/<format>/README.md.
 *
 * - `oneprovision-6`: OpenNebula 6.x `oneprovision show ID --json`
 *   (src/cli/one_helper/oneprovision_helper.rb show_resource: the provision
 *   document with `DOCUMENT.TEMPLATE.BODY` parsed from its JSON string; BODY from
 *   src/oneprovision/lib/provision/provision.rb), with `onehost list --json`
 *   (`HOST_POOL.HOST`, one object or a list; NAME is the public IP, renamed by
 *   provision.rb update_hosts; TEMPLATE.PROVISION holds the host's `provision`
 *   keys upcased, resources/physical/host.rb).
 * - `oneprovision-7`: OpenNebula 7.2+ `oneprovision show ID --json`, which asks
 *   the OneForm server (src/cli/one_helper/oneprovision_helper.rb
 *   format_resource) and prints the document unwrapped from `DOCUMENT`
 *   (src/oca/ruby/opennebula/oneform_client.rb handle_response): `ID`, `NAME`,
 *   `TEMPLATE.PROVISION_BODY` with `one_objects.{cluster,hosts,networks,datastores}`
 *   (src/form/app/models/provision.rb); hosts are named by the address the
 *   driver's Terraform output gives (src/form/lib/tools/terraform.rb save_outputs).
 * - `ansible-inventory`: `ansible-inventory -i inventory.yaml --list` (JSON) or
 *   `--list --yaml` in a OneForm driver's ansible directory, where
 *   inventory.yaml is `plugin: opennebula_form`
 *   (share/ansible/plugins/inventory/opennebula_form.py renders the driver's
 *   Jinja template from the provision): the one-deploy groups `frontend`,
 *   `node`, `router`; each node's `ansible_host` is a provision host's name.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isIp } from '../net.js';
import { ValidationFailed } from '../errors.js';
import { PROVIDERS } from '../scenario.js';
import { fieldPath, shown } from '../printable.js';
import { MAX_INPUT_BYTES, readYaml } from '../yaml.js';

export const IMPORT_FORMATS = ['oneprovision-6', 'oneprovision-7', 'ansible-inventory'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type Provider = (typeof PROVIDERS)[number];

export interface ProvisionedHost {
  public_ip: string;
  /** OpenNebula host ID, when known. */
  one_id?: number;
}

export interface Provisioned {
  format: ImportFormat;
  /** Provision ID (the document's ID; an inventory's `provision_id` extra var). */
  id?: number;
  /** Provision name (6.x BODY.name, 7.x PROVISION_BODY.name); an inventory has none. */
  name?: string;
  /** The cloud, only when the input says which (see providerOf* below). */
  provider?: Provider;
  hosts: ProvisionedHost[];
  /** Names of the provision's OpenNebula networks. */
  networks: string[];
  /** The provision's public network, when the input tells it by its driver (VN_MAD elastic). */
  publicNetwork?: string;
}

/**
 * An input file that is not what the command expects. The message continues
 * "--from FILE ...": one sentence naming the field and the fix.
 */
export class ImportFormatError extends Error {}

// The shapes read below, checked before use (a null host entry or a BODY that
// is not JSON is one sentence, not a TypeError). Unlisted keys are allowed:
// these files carry much more than we read.

/** OpenNebula IDs: numbers, or digits in a string (the XML-to-JSON pool output). */
const id = { type: ['integer', 'string'], pattern: '^[0-9]+$' };
/** One object or a list of them: OpenNebula's XML-to-JSON gives an object when there is one. */
const oneOrMany = (item: Record<string, unknown>) => ({ ...item, type: ['object', 'array'], items: item });

const SHOW = {
  type: 'object',
  required: ['DOCUMENT'],
  properties: {
    DOCUMENT: {
      type: 'object',
      required: ['ID', 'TEMPLATE'],
      properties: {
        ID: id,
        TEMPLATE: { type: 'object', required: ['BODY'], properties: { BODY: { type: ['object', 'string'] } } },
      },
    },
  },
};

const BODY = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    provider: { type: 'string' },
    provision: {
      type: 'object',
      properties: {
        infrastructure: {
          type: 'object',
          properties: {
            hosts: oneOrMany({ type: 'object', required: ['id', 'name'], properties: { id, name: { type: 'string' } } }),
            networks: oneOrMany({ type: 'object', required: ['name'], properties: { name: { type: 'string' } } }),
          },
        },
      },
    },
  },
};

const HOST = {
  type: 'object',
  required: ['ID', 'NAME'],
  properties: {
    ID: id,
    NAME: { type: 'string' },
    TEMPLATE: {
      type: 'object',
      properties: { PROVISION: { type: 'object', properties: { ID: id, PROVIDER_NAME: { type: 'string' } } } },
    },
  },
};

const POOL = {
  type: 'object',
  required: ['HOST_POOL'],
  properties: { HOST_POOL: { type: 'object', properties: { HOST: oneOrMany(HOST) } } },
};

/** 7.2+ provision document (oneprovision show: unwrapped; the OneForm API: under DOCUMENT). */
const SHOW7 = {
  type: 'object',
  required: ['ID', 'TEMPLATE'],
  properties: {
    ID: id,
    NAME: { type: 'string' },
    TEMPLATE: {
      type: 'object',
      required: ['PROVISION_BODY'],
      properties: {
        PROVISION_BODY: {
          type: 'object',
          required: ['one_objects'],
          properties: {
            name: { type: 'string' },
            fireedge: { type: ['object', 'null'], properties: { logo: { type: 'string' } } },
            user_inputs_values: { type: ['object', 'null'] },
            one_objects: {
              type: 'object',
              required: ['hosts'],
              properties: {
                // hosts is `maybe(:array)` in OneForm's schema; an id is null until the host exists in OpenNebula.
                hosts: {
                  type: ['array', 'null'],
                  items: { type: 'object', required: ['name'], properties: { id: { ...id, type: ['integer', 'string', 'null'] }, name: { type: 'string' } } },
                },
                networks: {
                  type: ['array', 'null'],
                  items: {
                    type: 'object',
                    required: ['name'],
                    properties: {
                      name: { type: 'string' },
                      template: {
                        type: ['object', 'null'],
                        properties: {
                          vn_mad: { type: 'string' },
                          ar: oneOrMany({ type: 'object', properties: { ipam: { type: 'string' }, ipam_mad: { type: 'string' } } }),
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

const hostVars = {
  type: ['object', 'null'],
  properties: { ansible_host: { type: 'string' }, provision_id: { type: ['string', 'integer'] }, vn: { type: ['object', 'null'] } },
};

/** `ansible-inventory --list` (JSON): groups at the top level, host variables under _meta.hostvars. */
const INVENTORY_JSON = {
  type: 'object',
  properties: {
    _meta: { type: 'object', properties: { hostvars: { type: 'object', additionalProperties: hostVars } } },
    all: { type: 'object', properties: { children: { type: 'array', items: { type: 'string' } }, vars: hostVars } },
    node: { type: 'object', properties: { hosts: { type: 'array', items: { type: 'string' } } } },
  },
};

/** `ansible-inventory --list --yaml`: groups nested under all.children, a host's variables where it is first listed. */
const INVENTORY_YAML = {
  type: 'object',
  required: ['all'],
  properties: { all: { $ref: '#/$defs/group' } },
  $defs: {
    group: {
      type: ['object', 'null'],
      properties: {
        hosts: { type: ['object', 'null'], additionalProperties: hostVars },
        children: { type: ['object', 'null'], additionalProperties: { $ref: '#/$defs/group' } },
        vars: hostVars,
      },
    },
  },
};

let ajv: Ajv | undefined;
const compiled = new Map<object, ValidateFunction>();
function validator(schema: object): ValidateFunction {
  ajv ??= new Ajv({ allErrors: false, strict: false });
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(schema)));
  return v;
}

const kinds: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'a number', null: 'nothing' };
const kind = (t: unknown) => (Array.isArray(t) ? t : [t]).map((x) => kinds[String(x)] ?? String(x)).join(' or ');

/** The first problem ajv finds, as the rest of a sentence: "has FIELD ... : FIX." */
function problem(e: ErrorObject, data: unknown, prefix: string, fix: string): string {
  const path = (extra?: string) => {
    const f = fieldPath(e.instancePath, extra);
    return f === '(top level)' ? prefix.replace(/\.$/, '') : prefix + f;
  };
  const value = e.instancePath
    .split('/')
    .slice(1)
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), data);
  switch (e.keyword) {
    case 'required':
      return e.instancePath === '' && !prefix
        ? `has no ${String(e.params.missingProperty)} at the top level: ${fix}`
        : `has no ${path(String(e.params.missingProperty))}: ${fix}`;
    case 'type':
      return e.instancePath === '' && !prefix
        ? `holds ${shown(value)} where ${kind(e.params.type)} belongs: ${fix}`
        : `has ${path()} ${shown(value)} where ${kind(e.params.type)} belongs: ${fix}`;
    case 'pattern':
      return `has ${path()} ${shown(value)} where a number belongs: ${fix}`;
    default:
      return `has ${path()} ${shown(value)}, which ${e.message ?? 'is not valid'}: ${fix}`;
  }
}

function check(schema: object, data: unknown, prefix: string, fix: string, lead = ''): void {
  const validate = validator(schema);
  if (!validate(data)) throw new ImportFormatError(lead + problem(validate.errors![0]!, data, prefix, fix));
}

const LIMIT = `is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB, the limit for input files: check that it is the right file.`;

function tooLarge(text: string): boolean {
  return text.length > MAX_INPUT_BYTES || Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES;
}

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const list = <T>(v: T | T[] | undefined | null): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const isObject = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Hosts by public IP, once each; names that are not addresses (a hostname, `localhost`) are left out. */
function hostList(): { hosts: ProvisionedHost[]; push: (ip: string, id?: number) => void } {
  const hosts: ProvisionedHost[] = [];
  const seen = new Set<string>();
  return {
    hosts,
    push: (ip, oneId) => {
      if (!isIp(ip) || seen.has(ip)) return;
      seen.add(ip);
      hosts.push(oneId === undefined ? { public_ip: ip } : { public_ip: ip, one_id: oneId });
    },
  };
}

/** A provider as edge-wizard names it, from a name that is one, or starts with one (`aws-london`, `vultr_metal`). */
function providerFromName(name: unknown): Provider | undefined {
  if (typeof name !== 'string') return undefined;
  const m = /^(aws|equinix|vultr|onprem)(?:[-_].*)?$/i.exec(name.trim());
  return m ? (m[1]!.toLowerCase() as Provider) : undefined;
}

// ---------------------------------------------------------------------------
// OpenNebula 6.x: oneprovision show ID --json (+ onehost list --json)
// ---------------------------------------------------------------------------

const SHOW_FIX = 'save the output of "oneprovision show ID --json" again.';
const HOSTS_FIX = 'save the output of "onehost list --json" again.';
const HOSTS_LEAD = 'is fine, but the --hosts file ';

/**
 * 6.x provider: BODY.provider is the provider *object's* name (provision.rb
 * to_json), which a user chooses (`aws-london`); the hosts carry the provision
 * template's `provider_name` as TEMPLATE/PROVISION/PROVIDER_NAME and, on AWS
 * only, the AMI (share/oneprovision/.../aws.yml `defaults.provision.ami`).
 */
function providerOf6(body: J, pool: J[]): Provider | undefined {
  if (pool.some((h) => isObject(h.TEMPLATE?.PROVISION) && h.TEMPLATE.PROVISION.AMI !== undefined)) return 'aws';
  for (const h of pool) {
    const p = providerFromName(h.TEMPLATE?.PROVISION?.PROVIDER_NAME);
    if (p) return p;
  }
  return providerFromName(body.provider);
}

/** `oneprovision show ID --json` text (any version) as JSON, bounded. */
function readShowJson(showJson: string): J {
  if (tooLarge(showJson)) throw new ImportFormatError(LIMIT);
  try {
    return JSON.parse(showJson) as J;
  } catch {
    throw new ImportFormatError('is not JSON: save the output of "oneprovision show ID --json".');
  }
}

export function parseOneprovision(showJson: string, hostsJson?: string): Provisioned {
  const doc = readShowJson(showJson);
  check(SHOW, doc, '', SHOW_FIX);
  let body = doc.DOCUMENT.TEMPLATE.BODY as J | string;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as J;
    } catch {
      throw new ImportFormatError(`has a DOCUMENT.TEMPLATE.BODY that is not valid JSON: ${SHOW_FIX}`);
    }
  }
  check(BODY, body, 'DOCUMENT.TEMPLATE.BODY.', SHOW_FIX);
  const provisionId = Number(doc.DOCUMENT.ID);
  const infra = (body.provision?.infrastructure ?? {}) as J;
  const infraHosts = list(infra.hosts as J[] | undefined).map((h) => ({ id: Number(h.id), name: String(h.name) }));
  const networks = list(infra.networks as J[] | undefined).map((n) => String(n.name));

  let hostPool: J[] = [];
  if (hostsJson !== undefined) {
    if (tooLarge(hostsJson)) throw new ImportFormatError(HOSTS_LEAD + LIMIT);
    let pool: J;
    try {
      pool = JSON.parse(hostsJson) as J;
    } catch {
      throw new ImportFormatError(`${HOSTS_LEAD}is not JSON: save the output of "onehost list --json".`);
    }
    check(POOL, pool, '', HOSTS_FIX, HOSTS_LEAD);
    hostPool = list(pool.HOST_POOL.HOST as J | J[] | undefined);
  }
  const { hosts, push } = hostList();
  const ids = new Set(infraHosts.map((h) => h.id));
  const mine = hostPool.filter((h) => ids.has(Number(h.ID)) || Number(h.TEMPLATE?.PROVISION?.ID) === provisionId);
  if (hostPool.length) {
    for (const h of mine) push(h.NAME as string, Number(h.ID));
  } else {
    for (const h of infraHosts) push(h.name, h.id);
  }
  if (!hosts.length) {
    throw new ImportFormatError(`lists no host named by a public IP for provision ${provisionId}: pass "onehost list --json" with --hosts.`);
  }
  return {
    format: 'oneprovision-6',
    id: provisionId,
    name: body.name || undefined,
    provider: providerOf6(body, mine),
    hosts,
    networks,
  };
}

// ---------------------------------------------------------------------------
// OpenNebula 7.2+: oneprovision show ID --json (OneForm)
// ---------------------------------------------------------------------------

const SHOW7_FIX = 'save the output of "oneprovision show ID --json" (OpenNebula 7.2 or later) again.';

/**
 * 7.x provider, from what the provision body says of its driver: the elastic
 * network's address ranges carry the driver name as `ipam_mad` (added by
 * provision.rb add_public_ip_ars) or `ipam` (rewritten by update_ars from
 * IPAM_MAD); on-premises provisions have the `oneform_onprem_hosts` input
 * (provision.rb onprem?); `fireedge.logo` is the driver.conf logo,
 * `.../providers/<driver>.png`.
 */
function providerOf7(body: J, elastic: J | undefined): Provider | undefined {
  for (const ar of list(elastic?.template?.ar as J | J[] | undefined)) {
    const p = providerFromName(ar.ipam_mad) ?? providerFromName(ar.ipam);
    if (p) return p;
  }
  if (isObject(body.user_inputs_values) && 'oneform_onprem_hosts' in body.user_inputs_values) return 'onprem';
  const logo = /\/providers\/([A-Za-z0-9_-]+)\.png$/.exec(typeof body.fireedge?.logo === 'string' ? body.fireedge.logo : '');
  return logo ? providerFromName(logo[1]) : undefined;
}

export function parseOneprovision7(showJson: string): Provisioned {
  const doc = readShowJson(showJson);
  // The OneForm API (GET /provisions/ID) wraps the same document in DOCUMENT; oneprovision show unwraps it.
  const wrapped = isObject(doc) && isObject(doc.DOCUMENT) && !('TEMPLATE' in doc);
  const prefix = wrapped ? 'DOCUMENT.' : '';
  const d = wrapped ? (doc.DOCUMENT as J) : doc;
  check(SHOW7, d, prefix, SHOW7_FIX);
  const body = d.TEMPLATE.PROVISION_BODY as J;
  const objects = body.one_objects as J;
  const provisionId = Number(d.ID);
  const { hosts, push } = hostList();
  for (const h of list(objects.hosts as J[] | null)) push(String(h.name), h.id === null || h.id === undefined ? undefined : Number(h.id));
  if (!hosts.length) {
    throw new ImportFormatError(
      `lists no host named by an IP address under ${prefix}TEMPLATE.PROVISION_BODY.one_objects.hosts for provision ${provisionId}: run it again once the provision is RUNNING.`,
    );
  }
  const nets = list(objects.networks as J[] | null);
  const elastic = nets.find((n) => n.template?.vn_mad === 'elastic');
  return {
    format: 'oneprovision-7',
    id: provisionId,
    name: body.name || d.NAME || undefined,
    provider: providerOf7(body, elastic),
    hosts,
    networks: nets.map((n) => String(n.name)),
    publicNetwork: elastic ? String(elastic.name) : undefined,
  };
}

// ---------------------------------------------------------------------------
// ansible-inventory --list of a OneForm driver inventory
// ---------------------------------------------------------------------------

const INVENTORY_FIX = 'save the output of "ansible-inventory -i inventory.yaml --list" in the provision\'s ansible directory again.';

/** The one-deploy `vn` map: in every host's variables (all's vars flattened), or all.vars with --export. */
function networksOf(vn: unknown): { networks: string[]; publicNetwork?: string } {
  if (!isObject(vn)) return { networks: [] };
  const networks = Object.keys(vn);
  const publicNetwork = networks.find((k) => {
    const t = (vn[k] as J | null)?.template as J | undefined;
    // Tagged networks carry the OpenNebula template upper-cased (deployment_template.py _update_templates).
    return isObject(t) && String(t.VN_MAD ?? t.vn_mad ?? '').toLowerCase() === 'elastic';
  });
  return { networks, publicNetwork };
}

function inventoryResult(nodes: Array<[string, J | null | undefined]>, allVars: J | undefined): Provisioned {
  const { hosts, push } = hostList();
  for (const [name, vars] of nodes) push(typeof vars?.ansible_host === 'string' ? vars.ansible_host : name);
  if (!hosts.length) throw new ImportFormatError(`has no host with an IP address as ansible_host in the "node" group: ${INVENTORY_FIX}`);
  const withVn = [allVars, ...nodes.map(([, v]) => v)].find((v) => isObject(v?.vn));
  const pid = [allVars, ...nodes.map(([, v]) => v)].map((v) => v?.provision_id).find((v) => v !== undefined && /^[0-9]+$/.test(String(v)));
  return { format: 'ansible-inventory', id: pid === undefined ? undefined : Number(pid), hosts, ...networksOf(withVn?.vn) };
}

export function parseAnsibleInventory(text: string): Provisioned {
  if (tooLarge(text)) throw new ImportFormatError(LIMIT);
  if (/^\s*[[{]/.test(text)) {
    let inv: J;
    try {
      inv = JSON.parse(text) as J;
    } catch {
      throw new ImportFormatError(`is not JSON: ${INVENTORY_FIX}`);
    }
    check(INVENTORY_JSON, inv, '', INVENTORY_FIX);
    const hostvars = (inv._meta?.hostvars ?? {}) as Record<string, J | null>;
    const names = list(inv.node?.hosts as string[] | undefined);
    return inventoryResult(
      names.map((n) => [n, hostvars[n]]),
      inv.all?.vars as J | undefined,
    );
  }
  let inv: unknown;
  try {
    inv = readYaml(text, '', { version: '1.1' });
  } catch (e) {
    if (e instanceof ValidationFailed) throw new ImportFormatError(`is not YAML edge-wizard can read (${e.problems[0]!.replace(/\.$/, '')}): ${INVENTORY_FIX}`);
    throw e;
  }
  check(INVENTORY_YAML, inv, '', INVENTORY_FIX);
  // A host's variables are printed where it is first listed (ansible's yaml_inventory), so gather them all first.
  const vars = new Map<string, J>();
  const nodes: string[] = [];
  const walk = (name: string, g: J | null | undefined) => {
    if (!g) return;
    for (const [h, v] of Object.entries((g.hosts ?? {}) as Record<string, J | null>)) {
      if (v && Object.keys(v).length && !vars.has(h)) vars.set(h, v);
      if (name === 'node' && !nodes.includes(h)) nodes.push(h);
    }
    for (const [child, c] of Object.entries((g.children ?? {}) as Record<string, J | null>)) walk(child, c);
  };
  const all = (inv as J).all as J | null;
  walk('all', all);
  return inventoryResult(
    nodes.map((n) => [n, vars.get(n)]),
    (all?.vars ?? undefined) as J | undefined,
  );
}

// ---------------------------------------------------------------------------
// Which format a file is in
// ---------------------------------------------------------------------------

/**
 * Tells the formats apart by their shape: 6.x keeps the body in
 * DOCUMENT.TEMPLATE.BODY, 7.x in TEMPLATE.PROVISION_BODY (DOCUMENT.TEMPLATE... from
 * the OneForm API), ansible-inventory has `_meta` and `all` (JSON) or a top-level
 * `all` (YAML). Undefined when the text is none of them.
 */
export function detectFormat(text: string): ImportFormat | undefined {
  if (tooLarge(text)) return undefined;
  if (!/^\s*[[{]/.test(text)) {
    // ansible-inventory --list --yaml starts with `all:`; anything else in YAML is no format we know.
    return /^all:/m.test(text) ? 'ansible-inventory' : undefined;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(v)) return undefined;
  const doc = v.DOCUMENT;
  if (isObject(doc) && isObject(doc.TEMPLATE) && 'PROVISION_BODY' in doc.TEMPLATE) return 'oneprovision-7';
  if (isObject(v.TEMPLATE) && 'PROVISION_BODY' in v.TEMPLATE) return 'oneprovision-7';
  if ('DOCUMENT' in v) return 'oneprovision-6';
  if ('_meta' in v || 'all' in v) return 'ansible-inventory';
  return undefined;
}

const WHAT =
  'pass "oneprovision show ID --json" (with --hosts "onehost list --json" on OpenNebula 6.x) or "ansible-inventory -i inventory.yaml --list" of a OneForm provision.';

/** Reads `text` in `format`, or in the format detectFormat finds. */
export function parseProvision(text: string, opts: { format?: ImportFormat; hostsText?: string } = {}): Provisioned {
  if (tooLarge(text)) throw new ImportFormatError(LIMIT);
  const format = opts.format ?? detectFormat(text);
  if (format === undefined) {
    let json = true;
    try {
      JSON.parse(text);
    } catch {
      json = false;
    }
    throw new ImportFormatError(
      json ? `is JSON of no kind edge-wizard imports: ${WHAT}` : `is not JSON, nor the YAML of "ansible-inventory --list --yaml": ${WHAT}`,
    );
  }
  if (opts.hostsText !== undefined && format !== 'oneprovision-6') {
    throw new ImportFormatError(`is ${format} output, which lists its hosts itself: drop --hosts (it is for OpenNebula 6.x "onehost list --json").`);
  }
  if (format === 'oneprovision-6') return parseOneprovision(text, opts.hostsText);
  if (format === 'oneprovision-7') return parseOneprovision7(text);
  return parseAnsibleInventory(text);
}
