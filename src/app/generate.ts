/**
 * Use case: the scenario -> the inventory directory (hosts.yml, host_vars/,
 * WireGuard previews, ansible.cfg). Plan in core, apply through Effects.
 */
import { join } from 'node:path';
import type { Effects } from '../adapters/effects.js';
import { readPrevious, readText, type FileChange } from '../adapters/files.js';
import { readSite } from '../adapters/site-inventory.js';
import { ansiblePaths } from '../adapters/ansible.js';
import { addressesFromHostVars, planFiles, precheckPeerVars } from '../core/index.js';
import { PUBLIC_MODE, type AnsiblePaths } from '../core/plan.js';
import { planInto } from '../core/site-inventory.js';
import type { Scenario } from '../core/scenario.js';

export function defaultOutDir(s: Scenario): string {
  return join('inventories', s.name);
}

export interface Generated {
  changes: FileChange[];
  /** WireGuard address (no prefix) of every mesh host, as written. */
  addresses: Record<string, string>;
  /** Topology hub: the peers precheck.yml expects (`precheckPeerVars`); `{}` for a mesh. */
  peerChecks?: Record<string, unknown>;
}

/**
 * Plans the files of a scenario against what is on disk and applies them (or records them, in a dry run).
 * `paths`: where edge-wizard's roles and one-deploy are, written into ansible.cfg (default: found from this process's environment).
 */
export async function generate(scenario: Scenario, outDir: string, effects: Effects, paths: AnsiblePaths = ansiblePaths()): Promise<Generated> {
  const previous = await readPrevious(outDir);
  const { files, mesh } = planFiles(scenario, { hostsYml: previous.hostsYml, addresses: addressesFromHostVars(previous.hostVars) }, paths);
  const changes = await effects.syncFiles(outDir, files);
  const addresses = Object.fromEntries(mesh.hosts.map((h) => [h.name, h.address.split('/')[0]!]));
  return { changes, addresses, peerChecks: precheckPeerVars(mesh) };
}

export interface Merged {
  /** The hosts file as given, then edge-wizard's own files, then removals. */
  changes: FileChange[];
  /** What a one-deploy run would still change (core/site-inventory.ts notes). */
  notes: string[];
  /** The hosts file, links resolved. */
  hostsPath: string;
}

/**
 * `generate --into SITE`: the overlay merged into a team's one-deploy inventory. Everything is planned
 * (and every conflict refused) before the first write; then edge-wizard's own files, each atomically,
 * and their hosts file last, atomically and with its own mode.
 */
export async function generateInto(scenario: Scenario, hostsFile: string, effects: Effects): Promise<Merged> {
  const site = await readSite(hostsFile);
  const previous: Record<string, string> = {};
  for (const rel of site.ownFiles) {
    const m = /^host_vars\/([^/]+)\/edge-wizard\.yml$/.exec(rel);
    const text = m ? await readText(join(site.dir, rel)) : undefined;
    if (m && text !== undefined) previous[m[1]!] = text;
  }
  const plan = planInto(scenario, site, addressesFromHostVars(previous));
  const changes: FileChange[] = [];
  for (const f of plan.files) changes.push({ ...(await effects.writeFile(join(site.dir, f.path), f.content, PUBLIC_MODE)), path: f.path });
  changes.unshift({ ...(await effects.writeFile(site.path, plan.hostsText, site.mode)), path: hostsFile });
  for (const rel of plan.remove) changes.push({ ...(await effects.removeFile(join(site.dir, rel))), path: rel });
  return { changes, notes: plan.notes, hostsPath: site.path };
}
