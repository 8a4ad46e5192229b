/**
 * Plan-then-apply: `planFiles` returns every file `generate` writes, with
 * its content and mode, relative to the output directory. Pure: the caller
 * passes what is already on disk (previous hosts.yml, previous addresses).
 */
import type { Scenario } from './scenario.js';
import { holdsPlainSecret, renderInventory } from './inventory.js';
import { planMesh, type MeshPlan } from './wireguard/mesh.js';
import { interconnectKey, type AddressBook } from './wireguard/addresses.js';
import { render } from './render.js';
import { fileURLToPath } from 'node:url';
import { MESH_VARS_PATH, renderConfPreview, renderHostVars } from './wireguard/render.js';
import { topologyOf } from './wireguard/topologies/index.js';
import { planFrrLayer, renderFrrLayerVars } from './frr/layer.js';
import { planInterconnect, renderInterconnectVars } from './frr/interconnect.js';
import { renderInterconnectSnippet, snippetPath } from './interconnect/snippet.js';

export interface PlannedFile {
  /** Relative to the output directory, `/`-separated. */
  path: string;
  /** Rendered on each read, so the writer renders, writes and drops one file at a time. */
  readonly content: string;
  /** File mode: 0o600 for anything holding a secret. */
  mode: number;
}

export interface Previous {
  /** hosts.yml as it is on disk. */
  hostsYml?: string;
  /** WireGuard addresses of the previous generation. */
  addresses?: AddressBook;
}

/**
 * wireguard/<host>.conf previews are written up to this many mesh hosts: each lists every
 * other host, so a 1000-host mesh would print 130 MB of them (the inventory itself is O(n)).
 */
export const PREVIEW_MAX_HOSTS = 64;

/**
 * Where Ansible finds edge-wizard's roles and playbooks and one-deploy's collection on the machine that
 * generates: absolute paths written into ansible.cfg, so that the hand path it prints works as printed.
 */
export interface AnsiblePaths {
  roles: string;
  playbooks: string;
  /** A dir holding, or being, `ansible_collections`; absent when one-deploy was not found. */
  collections?: string;
}

/** edge-wizard's own roles/ and playbooks/ (next to src/ and dist/), no collection: for callers that do not look for one-deploy. */
const PACKAGE_PATHS: AnsiblePaths = {
  roles: fileURLToPath(new URL('../../roles', import.meta.url)),
  playbooks: fileURLToPath(new URL('../../playbooks', import.meta.url)),
};

/**
 * Whether a path holds in ansible.cfg as written: ansible-core splits roles_path and collections_path on `:`,
 * expands `$VAR` and `~` in them, and a line ends the value (it does not interpolate `%`).
 */
const cfgPath = (p: string | undefined) => (p !== undefined && !/[:$\r\n]/.test(p) && !p.startsWith('~') ? p : undefined);

function renderAnsibleCfg(scenario: string, paths: AnsiblePaths): string {
  return render('ansible.cfg.njk', {
    scenario,
    forks: 50,
    site: `${paths.playbooks}/site.yml`,
    roles: cfgPath(paths.roles),
    rolesAsIs: JSON.stringify(paths.roles),
    collections: cfgPath(paths.collections),
    collectionsAsIs: paths.collections === undefined ? undefined : JSON.stringify(paths.collections),
  });
}

export const SECRET_MODE = 0o600;
export const PUBLIC_MODE = 0o644;

export function planFiles(s: Scenario, previous: Previous = {}, paths: AnsiblePaths = PACKAGE_PATHS): { files: PlannedFile[]; mesh: MeshPlan } {
  const mesh = planMesh(s, previous.addresses ?? {});
  const files: PlannedFile[] = [
    { path: 'hosts.yml', content: renderInventory(s, previous.hostsYml), mode: holdsPlainSecret(s) ? SECRET_MODE : PUBLIC_MODE },
    { path: 'ansible.cfg', content: renderAnsibleCfg(s.name, paths), mode: PUBLIC_MODE },
  ];
  const addresses = Object.fromEntries(mesh.hosts.map((h) => [h.name, h.address.split('/')[0]!]));
  files.push(lazy(MESH_VARS_PATH, PUBLIC_MODE, () => topologyOf(s).renderMeshVars(s.name, mesh)));
  const previews = mesh.hosts.length <= PREVIEW_MAX_HOSTS;
  // The sessions to external EVPN gateways live on the ingress (docs/interconnect.md).
  const interconnect = (h: (typeof mesh.hosts)[number]) => (h.role === 'ingress' ? renderInterconnectVars(planInterconnect(s, mesh)) : '');
  for (const host of mesh.hosts) {
    files.push(
      lazy(`host_vars/${host.name}.yml`, PUBLIC_MODE, () =>
        renderHostVars(s.name, host, renderFrrLayerVars(planFrrLayer(s, host.name, addresses)) + interconnect(host)),
      ),
    );
    if (previews) files.push(lazy(`wireguard/${host.name}.conf`, PUBLIC_MODE, () => renderConfPreview(s.name, host, mesh.subnet)));
  }
  // What each gateway's operator configures to match: no secret in it.
  (s.interconnect ?? []).forEach((p, i) => files.push(lazy(snippetPath(p.name), PUBLIC_MODE, () => renderInterconnectSnippet(s, mesh, i))));
  return { files, mesh };
}

function lazy(path: string, mode: number, make: () => string): PlannedFile {
  return {
    path,
    mode,
    get content() {
      return make();
    },
  };
}

/**
 * Reads `wireguard_address` back from previously generated host_vars files
 * (name -> text). The files are ours and one line holds the value, so a line
 * match is enough (parsing 1000 full-mesh files as YAML takes minutes).
 */
export function addressesFromHostVars(files: Record<string, string>): AddressBook {
  const out: AddressBook = {};
  for (const [name, text] of Object.entries(files)) {
    const m = /^wireguard_address:[ \t]*["']?([0-9.]+)(?:\/\d+)?["']?[ \t]*$/m.exec(text);
    if (m) out[name] = m[1]!;
    // Interconnect gateways: `wireguard_external_peers` entries start with name and address.
    for (const g of text.matchAll(EXTERNAL_PEER)) out[interconnectKey(g[1]!)] ??= g[2]!;
  }
  return out;
}

/** The head of a `wireguard_external_peers` entry (core/wireguard/render.ts). */
const EXTERNAL_PEER = /^ {2}- name: ["']?([A-Za-z][A-Za-z0-9_-]*)["']?\n {4}address: ["']?([0-9.]+)["']?$/gm;
