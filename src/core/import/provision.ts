/**
 * What provisioning leaves behind, read into one shape: the hosts (by public IP)
 * of one edge cluster. Pure: the command reads the files.
 *
 * OpenNebula 6.x `oneprovision show ID --json` (OpenNebula/one one-6.8,
 * src/cli/one_helper/oneprovision_helper.rb show_resource): the provision
 * document as JSON, `DOCUMENT.TEMPLATE.BODY` parsed from its JSON string. BODY is
 * built by src/oneprovision/lib/provision/provision.rb (to_json: name,
 * description, start_time, state, provider, provision.infrastructure /
 * provision.resource; add_hosts / create_cluster append `{id, name}` entries to
 * provision.infrastructure.{hosts,clusters,networks,datastores}).
 *
 * `onehost list --json` (src/cli/one_helper.rb list_pool: the HOST_POOL XML as a
 * hash, JSON.pretty_generate): `HOST_POOL.HOST` (one object or an array), each
 * with ID, NAME (oneprovision renames hosts to their public IP: physical/host.rb
 * "Public IP which is the NAME of the HOST") and TEMPLATE.PROVISION (the host's
 * `provision` keys upcased: ID = provision ID, INDEX, HOSTNAME, ...).
 *
 * OpenNebula 7.x OneForm: the one-deploy inventory a driver renders, e.g.
 * OpenNebula/oneform-registry aws/ansible/templates/ssh_cluster.j2: group `node`
 * with hosts n1..nN, `ansible_host` = the node's address; `frontend` f1.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isIp } from '../net.js';
import { ValidationFailed } from '../errors.js';
import { fieldPath, shown } from '../validate.js';
import { MAX_INPUT_BYTES, readYaml } from '../yaml.js';

export interface ProvisionedHost {
  public_ip: string;
  /** OpenNebula host ID, when known. */
  one_id?: number;
}

export interface Provisioned {
  format: 'oneprovision' | 'oneform';
  /** Provision name (oneprovision BODY.name). */
  name?: string;
  provider?: string;
  hosts: ProvisionedHost[];
  /** Names of the provision's networks (oneprovision provision.infrastructure.networks). */
  networks: string[];
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
    TEMPLATE: { type: 'object', properties: { PROVISION: { type: 'object', properties: { ID: id } } } },
  },
};

const POOL = {
  type: 'object',
  required: ['HOST_POOL'],
  properties: { HOST_POOL: { type: 'object', properties: { HOST: oneOrMany(HOST) } } },
};

const ONEFORM = {
  type: 'object',
  properties: {
    all: { type: ['object', 'null'], properties: { vars: { type: ['object', 'null'], properties: { vn: { type: ['object', 'null'] } } } } },
    node: {
      type: ['object', 'null'],
      properties: {
        hosts: { type: ['object', 'null'], additionalProperties: { type: ['object', 'null'], properties: { ansible_host: { type: 'string' } } } },
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
  const value = e.instancePath.split('/').slice(1).reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), data);
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

function tooLarge(text: string): boolean {
  return text.length > MAX_INPUT_BYTES || Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES;
}

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const SHOW_FIX = 'save the output of "oneprovision show ID --json" again.';
const HOSTS_FIX = 'save the output of "onehost list --json" again.';
const HOSTS_LEAD = 'is fine, but the --hosts file ';

export function parseOneprovision(showJson: string, hostsJson?: string): Provisioned {
  const limit = `is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB, the limit for input files: check that it is the right file.`;
  if (tooLarge(showJson)) throw new ImportFormatError(limit);
  let doc: J;
  try {
    doc = JSON.parse(showJson) as J;
  } catch {
    throw new ImportFormatError('is not JSON: save the output of "oneprovision show ID --json".');
  }
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
    if (tooLarge(hostsJson)) throw new ImportFormatError(HOSTS_LEAD + limit);
    let pool: J;
    try {
      pool = JSON.parse(hostsJson) as J;
    } catch {
      throw new ImportFormatError(`${HOSTS_LEAD}is not JSON: save the output of "onehost list --json".`);
    }
    check(POOL, pool, '', HOSTS_FIX, HOSTS_LEAD);
    hostPool = list(pool.HOST_POOL.HOST as J | J[] | undefined);
  }
  const hosts: ProvisionedHost[] = [];
  const seen = new Set<string>();
  const push = (ip: string, id?: number) => {
    if (!isIp(ip) || seen.has(ip)) return;
    seen.add(ip);
    hosts.push({ public_ip: ip, one_id: id });
  };
  if (hostPool.length) {
    const ids = new Set(infraHosts.map((h) => h.id));
    for (const h of hostPool) {
      const belongs = ids.has(Number(h.ID)) || Number(h.TEMPLATE?.PROVISION?.ID) === provisionId;
      if (belongs) push(h.NAME as string, Number(h.ID));
    }
  } else {
    for (const h of infraHosts) push(h.name, h.id);
  }
  if (!hosts.length) {
    throw new ImportFormatError(`lists no host named by a public IP for provision ${provisionId}: pass "onehost list --json" with --hosts.`);
  }
  return { format: 'oneprovision', name: body.name || undefined, provider: body.provider || undefined, hosts, networks };
}

export function parseOneform(inventoryYaml: string): Provisioned {
  const fix = 'pass the one-deploy inventory OneForm rendered.';
  let inv: unknown;
  try {
    inv = readYaml(inventoryYaml, '', { version: '1.1' });
  } catch (e) {
    if (e instanceof ValidationFailed) throw new ImportFormatError(`is not YAML edge-wizard can read (${e.problems[0]!.replace(/\.$/, '')}): ${fix}`);
    throw e;
  }
  check(ONEFORM, inv, '', fix);
  const nodes = ((inv as J | null)?.node?.hosts ?? {}) as Record<string, J | null>;
  const hosts: ProvisionedHost[] = [];
  for (const [name, vars] of Object.entries(nodes)) {
    const ip = vars?.ansible_host ?? name;
    if (isIp(ip) && !hosts.some((h) => h.public_ip === ip)) hosts.push({ public_ip: ip });
  }
  if (!hosts.length) throw new ImportFormatError(`has no host with an IP ansible_host in the "node" group: ${fix}`);
  const vn = ((inv as J | null)?.all?.vars?.vn ?? {}) as Record<string, unknown>;
  return { format: 'oneform', hosts, networks: Object.keys(vn) };
}

/** oneprovision JSON starts with `{`; OneForm's inventory is YAML. */
export function detectFormat(text: string): 'oneprovision' | 'oneform' {
  return text.trimStart().startsWith('{') ? 'oneprovision' : 'oneform';
}
