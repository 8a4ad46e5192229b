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
import YAML from 'yaml';
import { isIp } from '../net.js';

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

export class ImportFormatError extends Error {}

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function parseOneprovision(showJson: string, hostsJson?: string): Provisioned {
  let doc: J;
  try {
    doc = JSON.parse(showJson) as J;
  } catch {
    throw new ImportFormatError('is not JSON: save the output of "oneprovision show ID --json".');
  }
  let body = doc?.DOCUMENT?.TEMPLATE?.BODY as J | string | undefined;
  if (typeof body === 'string') body = JSON.parse(body) as J;
  if (!body || typeof body !== 'object') throw new ImportFormatError('has no DOCUMENT.TEMPLATE.BODY: save the output of "oneprovision show ID --json".');
  const provisionId = Number(doc.DOCUMENT.ID);
  const infra = (body.provision?.infrastructure ?? {}) as J;
  const infraHosts = list(infra.hosts as J[] | undefined).map((h) => ({ id: Number(h.id), name: String(h.name ?? '') }));
  const networks = list(infra.networks as J[] | undefined).map((n) => String(n.name ?? ''));

  let hostPool: J[] = [];
  if (hostsJson !== undefined) {
    let pool: J;
    try {
      pool = JSON.parse(hostsJson) as J;
    } catch {
      throw new ImportFormatError('--hosts is not JSON: save the output of "onehost list --json".');
    }
    hostPool = list(pool?.HOST_POOL?.HOST as J | J[] | undefined);
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
      if (belongs) push(String(h.NAME), Number(h.ID));
    }
  } else {
    for (const h of infraHosts) push(h.name, h.id);
  }
  if (!hosts.length) {
    throw new ImportFormatError(`lists no host named by a public IP for provision ${provisionId}: pass "onehost list --json" with --hosts.`);
  }
  return { format: 'oneprovision', name: body.name ? String(body.name) : undefined, provider: body.provider ? String(body.provider) : undefined, hosts, networks };
}

export function parseOneform(inventoryYaml: string): Provisioned {
  let inv: J;
  try {
    inv = YAML.parse(inventoryYaml) as J;
  } catch {
    throw new ImportFormatError('is not YAML: pass the one-deploy inventory OneForm rendered.');
  }
  const nodes = (inv?.node?.hosts ?? {}) as Record<string, J | null>;
  const hosts: ProvisionedHost[] = [];
  for (const [name, vars] of Object.entries(nodes)) {
    const ip = String(vars?.ansible_host ?? name);
    if (isIp(ip) && !hosts.some((h) => h.public_ip === ip)) hosts.push({ public_ip: ip });
  }
  if (!hosts.length) throw new ImportFormatError('has no host with an IP ansible_host in the "node" group: pass the one-deploy inventory OneForm rendered.');
  const vn = (inv?.all?.vars?.vn ?? {}) as Record<string, unknown>;
  return { format: 'oneform', hosts, networks: Object.keys(vn) };
}

/** oneprovision JSON starts with `{`; OneForm's inventory is YAML. */
export function detectFormat(text: string): 'oneprovision' | 'oneform' {
  return text.trimStart().startsWith('{') ? 'oneprovision' : 'oneform';
}
