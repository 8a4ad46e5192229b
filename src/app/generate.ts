/**
 * Use case: the scenario -> the inventory directory (hosts.yml, host_vars/,
 * WireGuard previews, ansible.cfg). Plan in core, apply through Effects.
 */
import { join } from 'node:path';
import type { Effects } from '../adapters/effects.js';
import { readPrevious, type FileChange } from '../adapters/files.js';
import { ansiblePaths } from '../adapters/ansible.js';
import { addressesFromHostVars, planFiles, precheckPeerVars } from '../core/index.js';
import type { AnsiblePaths } from '../core/plan.js';
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
