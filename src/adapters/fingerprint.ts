/**
 * What a deploy step reads, as one digest: its playbook, edge-wizard's roles, the
 * one-deploy roles it runs, the generated inventory (hosts.yml, ansible.cfg,
 * group_vars/, host_vars/), the deploy's extra vars and the step's own, and ansible-core's
 * version. Two deploys with the same digest for a step hand Ansible the same input
 * for it. The digests of the last deploy that verified are kept in
 * DIR/.deploy-state.json (no secret: digests and times only).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HostMarks } from '../core/drift.js';
import { PLAYBOOKS_DIR, ROLES_DIR } from './ansible.js';
import { writeAtomic } from './files.js';
import { readInstalled, roleDigest } from './one-deploy.js';

export const STATE_FILE = '.deploy-state.json';

export interface DeployState {
  version: 1 | 2;
  /** When the deploy that recorded these digests ended (ISO time). */
  at: string;
  steps: Record<string, string>;
  /**
   * The hosts it describes (version 2): what each held when that deploy ended verified,
   * its SSH host key first (core/drift.ts). A state without them (version 1) describes
   * hosts it cannot name, and a deploy that finds other hosts does not trust it.
   */
  hosts?: Record<string, HostMarks>;
}

export interface FingerprintInput {
  step: string;
  playbook: string;
  inventoryDir: string;
  collectionsPath?: string;
  stepVars: Record<string, unknown>;
  ansibleVersion?: string;
}

const read = (p: string): string => (existsSync(p) ? readFileSync(p, 'utf8') : '');

/** `.yml` files under DIR/sub, as paths relative to DIR, sorted. */
function ymlFiles(dir: string, sub: string): string[] {
  const root = join(dir, sub);
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.yml'))
    .map((f) => `${sub}/${f}`)
    .sort();
}

/** The inventory's own files; logs, runner/ artifacts, .verify/ and this state are not inputs. */
function inventoryText(dir: string): string[] {
  return [
    ...['hosts.yml', 'ansible.cfg', '.deploy-vars.json'].map((f) => `${f}\0${read(join(dir, f))}`),
    ...[...ymlFiles(dir, 'group_vars'), ...ymlFiles(dir, 'host_vars')].map((f) => `${f}\0${read(join(dir, f))}`),
  ];
}

export function stepFingerprint(i: FingerprintInput): string {
  const h = createHash('sha256');
  const part = (s: string) => h.update(s).update('\0');
  part(i.step);
  part(read(join(PLAYBOOKS_DIR, i.playbook)));
  part(roleDigest(ROLES_DIR));
  part(JSON.stringify(i.collectionsPath ? (readInstalled(i.collectionsPath)?.roles ?? {}) : {}));
  for (const t of inventoryText(i.inventoryDir)) part(t);
  part(JSON.stringify(i.stepVars));
  part(i.ansibleVersion ?? '');
  return h.digest('hex');
}

export function readDeployState(inventoryDir: string): DeployState | undefined {
  try {
    const s = JSON.parse(readFileSync(join(inventoryDir, STATE_FILE), 'utf8')) as DeployState;
    return (s.version === 1 || s.version === 2) && typeof s.steps === 'object' && s.steps ? s : undefined;
  } catch {
    return undefined;
  }
}

export function renderDeployState(s: Omit<DeployState, 'version'>): string {
  return `${JSON.stringify({ version: 2, ...s }, null, 2)}\n`;
}

/**
 * Before steps change hosts: their digests leave the state (written at once), so a
 * deploy interrupted in them (Ctrl-C, SIGKILL, a lost controller) is never taken for
 * one that finished: the next deploy runs them again. Safe to repeat.
 */
export async function forgetSteps(inventoryDir: string, steps: readonly string[]): Promise<void> {
  const s = readDeployState(inventoryDir);
  if (!s || !steps.some((n) => n in s.steps)) return;
  const kept = Object.fromEntries(Object.entries(s.steps).filter(([n]) => !steps.includes(n)));
  await writeAtomic(join(inventoryDir, STATE_FILE), renderDeployState({ ...s, steps: kept }), 0o644);
}

/** The deploy state goes (lab down: the hosts it described are gone). */
export function removeDeployState(inventoryDir: string): void {
  rmSync(join(inventoryDir, STATE_FILE), { force: true });
}
