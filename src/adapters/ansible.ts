/**
 * ansible-playbook as a library: argv building (argument arrays only), the
 * environment that points Ansible at our ansible.cfg, roles and one-deploy's
 * collection, and parsing of the default callback's output (PLAY RECAP and
 * failure lines) into per-host results. Deploy steps run their playbooks
 * through ansible-runner (adapters/runner.ts), which reads results from job
 * events; the text parsers remain for direct ansible-playbook runs (precheck)
 * and ad-hoc commands.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Exec } from './exec.js';
import { WITHHELD_VARS } from '../core/secrets.js';

/** Repository root (where roles/ and playbooks/ live), from dist/adapters or src/adapters. */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const ROLES_DIR = join(PACKAGE_ROOT, 'roles');
export const PLAYBOOKS_DIR = join(PACKAGE_ROOT, 'playbooks');

export const MIN_ANSIBLE_CORE = '2.14.0';
export const COLLECTION_INSTALL_HINT =
  'install it with `ansible-galaxy collection install git+https://github.com/OpenNebula/one-deploy.git` ' +
  '(or extract one-deploy and set ONE_DEPLOY_DIR to it)';

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
    PYTHONUNBUFFERED: '1',
  };
  if (setup.collectionsPath) env.ANSIBLE_COLLECTIONS_PATH = setup.collectionsPath;
  return env;
}

export interface PlaybookRun {
  playbook: string;
  inventory: string;
  check?: boolean;
  diff?: boolean;
  /** Files passed as `-e @FILE` (JSON or YAML). */
  extraVarsFiles?: string[];
  /** Plain `-e key=value` pairs for non-secret values. */
  extraVars?: Record<string, string | number | boolean>;
  limit?: string;
  forks?: number;
}

export function playbookArgv(r: PlaybookRun): string[] {
  const argv = ['-i', r.inventory];
  for (const f of r.extraVarsFiles ?? []) argv.push('-e', `@${f}`);
  if (r.extraVars && Object.keys(r.extraVars).length) argv.push('-e', JSON.stringify(r.extraVars));
  // The real one_pass never reaches a playbook of ours (none needs it), so never its output.
  argv.push('-e', JSON.stringify(WITHHELD_VARS));
  if (r.limit) argv.push('--limit', r.limit);
  if (r.forks) argv.push('--forks', String(r.forks));
  if (r.check) argv.push('--check');
  if (r.diff) argv.push('--diff');
  argv.push(r.playbook);
  return argv;
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

/** PLAY RECAP lines -> per-host counters (last recap wins when there are several). */
export function parseRecap(output: string): Recap {
  const recap: Recap = {};
  const at = output.lastIndexOf('PLAY RECAP');
  if (at < 0) return recap;
  for (const line of output.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const stats: HostStats = { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
    for (const kv of m[2]!.trim().split(/\s+/)) {
      const [k, v] = kv.split('=');
      if (k && k in stats) stats[k as keyof HostStats] = Number(v);
    }
    recap[m[1]!] = stats;
  }
  return recap;
}

export interface HostProblem {
  host: string;
  /** Delegated-to host, e.g. the frontend in root access. */
  via?: string;
  task: string;
  kind: 'failed' | 'unreachable';
  item?: string;
  message: string;
}

/** `fatal: [h]: FAILED! => {...}`, `failed: [h -> d] (item=x) => {...}`, `fatal: [h]: UNREACHABLE! => {...}`. */
export function parseProblems(output: string): HostProblem[] {
  const problems: HostProblem[] = [];
  let task = '';
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const t = /^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+/.exec(line);
    if (t) {
      task = t[1]!;
      continue;
    }
    const m = /^(fatal|failed): \[([^\]\s]+)(?: -> ([^\]\s]+))?\]:?(?: \(item=(.*?)\))?(?:: (FAILED|UNREACHABLE)!)? => (.*)$/.exec(line);
    if (!m) continue;
    // A failure ansible ignores (`ignore_errors`) is followed by "...ignoring".
    if ((lines[i + 1] ?? '').trim() === '...ignoring') continue;
    let body = m[6]!;
    // Multi-line JSON (rare with the default callback): read until it parses.
    let parsed: Record<string, unknown> | undefined;
    for (let j = i; j < Math.min(lines.length, i + 200); j++) {
      try {
        parsed = JSON.parse(body) as Record<string, unknown>;
        break;
      } catch {
        body += `\n${lines[j + 1] ?? ''}`;
      }
    }
    const unreachable = m[5] === 'UNREACHABLE' || parsed?.unreachable === true;
    problems.push({
      host: m[2]!,
      via: m[3],
      task,
      kind: unreachable ? 'unreachable' : 'failed',
      item: m[4],
      message: problemMessage(parsed, m[6]!),
    });
  }
  return problems;
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

export async function ansibleCoreVersion(exec: Exec): Promise<string | undefined> {
  const r = await exec('ansible-playbook', ['--version']);
  if (r.exitCode !== 0) return undefined;
  return parseAnsibleVersion(r.stdout);
}

/** `host | UNREACHABLE! => {...}` / `host | SUCCESS => {...}` from ad-hoc `ansible ... -o`. */
export function parseAdhoc(output: string): Record<string, { ok: boolean; message: string }> {
  const out: Record<string, { ok: boolean; message: string }> = {};
  const re = /^(\S+) \| (SUCCESS|CHANGED|UNREACHABLE!|FAILED!)(?: \| rc=\d+)? =>\s*(.*)$/gm;
  for (let m = re.exec(output); m; m = re.exec(output)) {
    let message = m[3] ?? '';
    const rest = output.slice(m.index + m[0].length);
    if (message.trim() === '{') {
      const end = rest.indexOf('\n}');
      message = `{${rest.slice(0, end + 2)}`;
    }
    try {
      const j = JSON.parse(message) as { msg?: string };
      message = j.msg ?? message;
    } catch {
      // keep raw
    }
    out[m[1]!] = { ok: m[2] === 'SUCCESS' || m[2] === 'CHANGED', message: String(message).replace(/\s+/g, ' ').trim().slice(0, 300) };
  }
  return out;
}
