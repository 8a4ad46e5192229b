/**
 * ansible-runner as a library (the interface AWX and its execution nodes use):
 * a private data dir per playbook run under the inventory directory
 * (`<out>/runner/<ident>/`: `env/extravars`, `env/cmdline`, and the runner's
 * `artifacts/<ident>/` with `job_events/*.json`, `stdout`, `rc`, `status`,
 * `command`), the argv (argument arrays only), the environment it may see, the
 * job events read back into per-host results, and rotation (the last
 * KEEP_RUNS runs are kept).
 *
 * Secrets: the extra vars always end with WITHHELD_VARS (core/secrets.ts), so
 * no playbook sees the real one_pass; and the runner starts from a clean
 * environment (runnerEnv), because it copies its whole environment into
 * `artifacts/<ident>/command` (an `{env: NAME}` password would land there).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { problemMessage, type HostProblem, type HostStats, type Recap } from './ansible.js';
import { WITHHELD_VARS } from '../core/secrets.js';
import { unsafeJsonData } from '../core/unsafe.js';

/** Folder of the deploy's fact cache, inside the inventory directory (emptied when a deploy starts). */
export const FACTS_DIR = 'facts';
/** Folder of the private data dirs, inside the inventory directory. */
export const RUNNER_DIR = 'runner';
/** Private data dirs kept (about three deploys); older ones are removed after each run. */
export const KEEP_RUNS = 24;
export const RUNNER_INSTALL_HINT = 'install ansible-runner (apt-get install python3-ansible-runner, or pipx install ansible-runner)';

export interface RunnerRun {
  /** Inventory directory: the private data dir is `<outDir>/runner/<ident>`. */
  outDir: string;
  /** Unique, sortable by time: `<ISO time>-<name>`. */
  ident: string;
  /** Absolute path of the playbook; its directory is the runner's project dir. */
  playbook: string;
  inventory: string;
  /** Merged in this order, WITHHELD_VARS last (extra vars win over the inventory). */
  extraVars: Record<string, unknown>;
  check?: boolean;
  diff?: boolean;
  limit?: string;
  forks?: number;
  /**
   * Ansible's fact cache (jsonfile) shared by the runs of one deploy, instead of the runner's
   * own per run: with ANSIBLE_GATHERING=smart (ansibleEnv), a play's fact gathering skips the
   * hosts an earlier step already gathered (env/settings `fact_cache`; absolute).
   */
  factCache?: string;
}

/** `2026-01-01T00-00-00-000Z-wireguard`: sorts by time, safe as a file name. */
const identsGiven = new Set<string>();

/** A run's directory name: its time and name, made unique within this process (two runs in one millisecond, a fixed test clock). */
export function runnerIdent(now: number, name: string): string {
  const base = `${new Date(now).toISOString().replace(/[:.]/g, '-')}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  let id = base;
  for (let i = 2; identsGiven.has(id); i++) id = `${base}-${i}`;
  identsGiven.add(id);
  return id;
}

export function privateDataDir(r: Pick<RunnerRun, 'outDir' | 'ident'>): string {
  return join(r.outDir, RUNNER_DIR, r.ident);
}

export function artifactDir(r: Pick<RunnerRun, 'outDir' | 'ident'>): string {
  return join(privateDataDir(r), 'artifacts', r.ident);
}

/** The extra vars a run is given: its own, then one_pass withheld. */
export function runnerExtraVars(extra: Record<string, unknown>): Record<string, unknown> {
  return { ...extra, ...WITHHELD_VARS };
}

/** The files of the private data dir written before the run (0600: extra vars are private by habit, though they hold no secret). */
export function runnerFiles(r: RunnerRun): Array<{ path: string; content: string; mode: number }> {
  const pdd = privateDataDir(r);
  // Every string that Ansible could read as a template is marked unsafe (core/unsafe.ts): the
  // runner hands the file to ansible-playbook as `-e @env/extravars`, read by AnsibleJSONDecoder.
  const files = [{ path: join(pdd, 'env', 'extravars'), content: `${JSON.stringify(unsafeJsonData(runnerExtraVars(r.extraVars)), null, 2)}\n`, mode: 0o600 }];
  // Fixed flags only: the runner splits env/cmdline like a shell, so nothing variable goes there.
  const flags = [...(r.check ? ['--check'] : []), ...(r.diff ? ['--diff'] : [])];
  if (flags.length) files.push({ path: join(pdd, 'env', 'cmdline'), content: flags.join(' '), mode: 0o600 });
  if (r.factCache)
    files.push({ path: join(pdd, 'env', 'settings'), content: `${JSON.stringify({ fact_cache_type: 'jsonfile', fact_cache: r.factCache })}\n`, mode: 0o600 });
  return files;
}

/** `ansible-runner run <pdd> ... -p <playbook>` (the runner runs `ansible-playbook -i INV [--limit] -e @env/extravars PLAYBOOK`). */
export function runnerArgv(r: RunnerRun): string[] {
  const argv = ['run', privateDataDir(r), '--project-dir', dirname(r.playbook), '--inventory', r.inventory, '--ident', r.ident];
  if (r.limit) argv.push('--limit', r.limit);
  if (r.forks) argv.push('--forks', String(r.forks));
  // Absolute: the runner passes it on as given (cwd is the project dir).
  argv.push('-p', r.playbook);
  return argv;
}

/** Variables of this process a playbook run may see: tools, locale, ssh-agent, Ansible's own settings (no password-like ones). */
const PASS_THROUGH = /^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|SSH_AUTH_SOCK|VIRTUAL_ENV|PYTHONPATH|ANSIBLE_[A-Z0-9_]+)$/;
const SECRET_LIKE = /PASS|SECRET|TOKEN|CREDENTIAL/i;

/**
 * The runner's whole environment: the allowed part of `base` without the variables named in
 * `drop` (the scenario's `{env: NAME}` password, whatever NAME is: core/secrets.ts secretEnvNames),
 * then edge-wizard's Ansible settings. ansible-runner copies it into artifacts/<ident>/command.
 */
export function runnerEnv(base: NodeJS.ProcessEnv, ansible: Record<string, string>, drop: readonly string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && PASS_THROUGH.test(k) && !SECRET_LIKE.test(k) && !drop.includes(k)) env[k] = v;
  // ansible-runner turns host key checking off unless the variable is set: keep Ansible's default (on).
  return { ANSIBLE_HOST_KEY_CHECKING: 'True', ...env, ...ansible };
}

export async function writeRunnerFiles(r: RunnerRun): Promise<void> {
  await mkdir(join(privateDataDir(r), 'env'), { recursive: true, mode: 0o700 });
  for (const f of runnerFiles(r)) await writeFile(f.path, f.content, { mode: f.mode });
}

/** The private data dirs beyond the newest `keep` are removed (idents sort by time). */
export async function rotateRuns(outDir: string, keep = KEEP_RUNS): Promise<string[]> {
  const root = join(outDir, RUNNER_DIR);
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
  const old = names.sort().slice(0, Math.max(0, names.length - keep));
  for (const n of old) await rm(join(root, n), { recursive: true, force: true });
  return old;
}

export interface JobEvent {
  event: string;
  counter: number;
  event_data?: {
    host?: string;
    task?: string;
    role?: string;
    ignore_errors?: boolean | null;
    res?: Record<string, unknown>;
    [k: string]: unknown;
  };
}

/** Every job event of a run, in order (none when the runner did not get that far). */
export async function readJobEvents(r: Pick<RunnerRun, 'outDir' | 'ident'>): Promise<JobEvent[]> {
  const dir = join(artifactDir(r), 'job_events');
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const events = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as JobEvent));
  return events.sort((a, b) => a.counter - b.counter);
}

const STAT_KEYS: Array<[keyof HostStats, string]> = [
  ['ok', 'ok'],
  ['changed', 'changed'],
  ['unreachable', 'dark'],
  ['failed', 'failures'],
  ['skipped', 'skipped'],
  ['rescued', 'rescued'],
  ['ignored', 'ignored'],
];

/** `playbook_on_stats` -> per-host counters (what PLAY RECAP prints). */
export function recapFromEvents(events: JobEvent[]): Recap {
  const stats = events.filter((e) => e.event === 'playbook_on_stats').pop()?.event_data as Record<string, Record<string, number> | undefined> | undefined;
  const recap: Recap = {};
  if (!stats) return recap;
  const hosts = new Set<string>();
  for (const [, key] of STAT_KEYS) for (const h of Object.keys(stats[key] ?? {})) hosts.add(h);
  for (const h of Object.keys(stats.processed ?? {})) hosts.add(h);
  for (const h of hosts) {
    const s: HostStats = { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
    for (const [field, key] of STAT_KEYS) s[field] = Number(stats[key]?.[h] ?? 0);
    recap[h] = s;
  }
  return recap;
}

/** Failed (not ignored) and unreachable task results -> problems, named like the default callback's lines. */
export function problemsFromEvents(events: JobEvent[]): HostProblem[] {
  const problems: HostProblem[] = [];
  for (const e of events) {
    if (e.event !== 'runner_on_failed' && e.event !== 'runner_on_unreachable') continue;
    const d = e.event_data ?? {};
    if (e.event === 'runner_on_failed' && d.ignore_errors) continue;
    const res = d.res ?? {};
    const delegated = (res._ansible_delegated_vars as { ansible_delegated_host?: string } | undefined)?.ansible_delegated_host;
    const failedItem = Array.isArray(res.results) ? (res.results as Array<Record<string, unknown>>).find((x) => x.failed) : undefined;
    const item = failedItem ? String(failedItem._ansible_item_label ?? failedItem.item ?? '') : undefined;
    problems.push({
      host: String(d.host ?? 'unknown'),
      ...(delegated && delegated !== d.host ? { via: delegated } : {}),
      task: d.role ? `${d.role} : ${d.task ?? ''}` : String(d.task ?? ''),
      kind: e.event === 'runner_on_unreachable' || res.unreachable === true ? 'unreachable' : 'failed',
      ...(item ? { item } : {}),
      // A loop's result says "One or more items failed": the failed item says why.
      message: problemMessage(failedItem ?? res, JSON.stringify(res).slice(0, 300)),
    });
  }
  return problems;
}
