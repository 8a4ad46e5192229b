/**
 * Ansible on this machine: the environment that points Ansible at our ansible.cfg, roles
 * and one-deploy's collection, where one-deploy is, the ansible-core version and the per-host
 * result types. Playbooks run through ansible-runner
 * (adapters/runner.ts), which reads results from job events into these types.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Exec } from './exec.js';
import type { AnsiblePaths } from '../core/plan.js';

/** Repository root (where roles/ and playbooks/ live), from dist/adapters or src/adapters. */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const ROLES_DIR = join(PACKAGE_ROOT, 'roles');
export const PLAYBOOKS_DIR = join(PACKAGE_ROOT, 'playbooks');

export const MIN_ANSIBLE_CORE = '2.14.0';

export interface AnsibleSetup {
  /** Inventory directory written by `generate` (hosts.yml, host_vars/, ansible.cfg). */
  inventoryDir: string;
  /** Value for ANSIBLE_COLLECTIONS_PATH (a dir holding, or being, `ansible_collections`). */
  collectionsPath?: string;
  rolesPath?: string;
}

export function ansibleEnv(setup: AnsibleSetup): Record<string, string> {
  const env: Record<string, string> = {
    ANSIBLE_CONFIG: join(setup.inventoryDir, 'ansible.cfg'),
    ANSIBLE_ROLES_PATH: setup.rolesPath ?? ROLES_DIR,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_STDOUT_CALLBACK: 'default',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_DEPRECATION_WARNINGS: '0',
    // A play gathers facts only for hosts whose facts are not in the cache yet (a deploy's steps share one: adapters/runner.ts).
    ANSIBLE_GATHERING: 'smart',
    PYTHONUNBUFFERED: '1',
  };
  if (setup.collectionsPath) env.ANSIBLE_COLLECTIONS_PATH = setup.collectionsPath;
  return env;
}

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export type Recap = Record<string, HostStats>;

export interface HostProblem {
  host: string;
  /** Delegated-to host, e.g. the frontend in root access. */
  via?: string;
  task: string;
  kind: 'failed' | 'unreachable';
  item?: string;
  message: string;
}

/** One line out of a failed task's result: msg, the last lines of stderr, or the first failed item's. */
export function problemMessage(r: Record<string, unknown> | undefined, raw: string): string {
  if (!r) return raw.slice(0, 300);
  const parts: string[] = [];
  const msg = typeof r.msg === 'string' ? r.msg : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr.trim() : '';
  if (msg && !(msg === 'non-zero return code' && stderr)) parts.push(msg.trim());
  if (stderr) parts.push(stderr.split('\n').slice(-3).join(' / '));
  if (!parts.length && typeof r.stdout === 'string' && r.stdout.trim()) parts.push(r.stdout.trim().split('\n').slice(-2).join(' / '));
  if (!parts.length && Array.isArray(r.results)) {
    const bad = (r.results as Array<Record<string, unknown>>).find((x) => x.failed);
    if (bad) return problemMessage(bad, '');
  }
  return (parts.join(': ') || raw).replace(/\s+/g, ' ').slice(0, 400);
}

/** `ansible-playbook [core 2.14.18]` -> `2.14.18`. */
export function parseAnsibleVersion(output: string): string | undefined {
  return /\[core ([0-9]+\.[0-9]+\.[0-9]+)[^\]]*\]/.exec(output)?.[1] ?? /ansible(?:-playbook)? ([0-9]+\.[0-9]+\.[0-9]+)/.exec(output)?.[1];
}

export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/**
 * Where `opennebula.deploy` is: ONE_DEPLOY_DIR (one-deploy checkout/extract or
 * a collections dir), /opt/one-deploy, then the standard collections paths.
 * Returns the value for ANSIBLE_COLLECTIONS_PATH, or undefined.
 */
export function findOneDeploy(env: NodeJS.ProcessEnv = process.env, exists: (p: string) => boolean = existsSync): string | undefined {
  const candidates: string[] = [];
  const add = (dir: string | undefined) => {
    if (!dir) return;
    candidates.push(join(dir, 'ansible_collections'), dir);
  };
  add(env.ONE_DEPLOY_DIR);
  add('/opt/one-deploy');
  for (const p of (env.ANSIBLE_COLLECTIONS_PATH ?? env.ANSIBLE_COLLECTIONS_PATHS ?? '').split(':')) add(p || undefined);
  add(join(homedir(), '.ansible/collections'));
  add('/usr/share/ansible/collections');
  for (const c of candidates) {
    const base = c.endsWith('ansible_collections') ? c : join(c, 'ansible_collections');
    if (exists(join(base, 'opennebula/deploy/roles/frr/evpn'))) return base;
  }
  return undefined;
}

/** What ansible.cfg points at on this machine: our roles and playbooks, and one-deploy when found (`collections`, as findOneDeploy). */
export function ansiblePaths(env: NodeJS.ProcessEnv = process.env, collections: string | undefined = findOneDeploy(env)): AnsiblePaths {
  return { roles: ROLES_DIR, playbooks: PLAYBOOKS_DIR, ...(collections ? { collections } : {}) };
}

export async function ansibleCoreVersion(exec: Exec): Promise<string | undefined> {
  const r = await exec('ansible-playbook', ['--version']);
  if (r.exitCode !== 0) return undefined;
  return parseAnsibleVersion(r.stdout);
}
