import { Writable } from 'node:stream';
import type { CommandIO } from '../command.js';
/**
 * The deploy task list: listr2 task factories with action titles. Each step
 * runs one playbook; its per-host subtasks show what happened on each host
 * ("Distribute root key to kvm_london"). A failing host fails its own subtask,
 * the other hosts finish, and later steps leave the failed host out.
 */
import { Listr, type ListrTask } from 'listr2';
import { join } from 'node:path';
import type { Exec } from '../../adapters/exec.js';
import {
  ansibleEnv,
  MIN_ANSIBLE_CORE,
  COLLECTION_INSTALL_HINT,
  parseAnsibleVersion,
  parseProblems,
  parseRecap,
  playbookArgv,
  PLAYBOOKS_DIR,
  versionAtLeast,
  type HostProblem,
  type Recap,
} from '../../adapters/ansible.js';
import type { Scenario } from '../../core/scenario.js';
import { kvmHosts } from '../../core/scenario.js';
import { formatReport, judge, type HostObservation, type VerifyReport } from '../../core/verify.js';

export const STEPS = ['preflight', 'root-access', 'firewall', 'wireguard', 'frr', 'verify', 'opennebula'] as const;
export type StepName = (typeof STEPS)[number];

export const STEP_TITLES: Record<StepName, string> = {
  preflight: 'Preflight',
  'root-access': 'Root access on the KVM hosts',
  firewall: 'Firewall on the KVM hosts',
  wireguard: 'WireGuard mesh',
  frr: 'FRR EVPN (one-deploy frr.common + frr.evpn)',
  verify: 'Verify the overlay',
  opennebula: 'Ensure the OpenNebula cluster, EVPN network and Virtual Router',
};

const PLAYBOOK: Partial<Record<StepName, string>> = {
  'root-access': 'root-access.yml',
  firewall: 'firewall.yml',
  wireguard: 'wireguard.yml',
  frr: 'frr-evpn.yml',
  verify: 'verify.yml',
};

/** `--from` / `--only` -> the steps to run, in order. */
export function selectSteps(opts: { from?: string; only?: string }): StepName[] {
  const check = (s: string | undefined, flag: string) => {
    if (s !== undefined && !(STEPS as readonly string[]).includes(s)) {
      throw new Error(`--${flag} ${s} is not a step: use one of ${STEPS.join(', ')}.`);
    }
    return s as StepName | undefined;
  };
  const only = check(opts.only, 'only');
  const from = check(opts.from, 'from');
  if (only) return only === 'preflight' ? ['preflight'] : ['preflight', only];
  const start = from ? STEPS.indexOf(from) : 0;
  // Preflight always runs: it is read-only and guards every step.
  return STEPS.filter((s, i) => i >= start || s === 'preflight');
}

export type RendererName = 'default' | 'simple' | 'silent';

/** Fancy output only for a person at a terminal; simple in CI, silent in tests. */
export function chooseRenderer(env: { isTTY?: boolean; ci?: boolean; test?: boolean; quiet?: boolean }): RendererName {
  if (env.test || env.quiet) return 'silent';
  if (env.ci || !env.isTTY) return 'simple';
  return 'default';
}

export interface RunLog {
  /** Appends (already redacted by the implementation). */
  write(text: string): void;
  path?: string;
}

export interface DeployDeps {
  exec: Exec;
  log: RunLog;
  now: () => number;
  /** Reads the per-host JSON files verify.yml leaves in a directory. */
  readObservations: (dir: string) => Promise<HostObservation[]>;
  /** Empties/creates a directory (for verify results). */
  resetDir: (dir: string) => Promise<void>;
  /** Show the current Ansible task under the step (interactive renderer only). */
  progress?: boolean;
  /** Runs `edge-wizard one` with these arguments (default: the real command); throws on failure. */
  runOne?: (argv: string[], io: CommandIO) => Promise<number>;
}

export interface StepResult {
  step: StepName;
  exitCode: number;
  recap: Recap;
  problems: HostProblem[];
  durationMs: number;
  argv?: string[];
}

export interface DeployContext {
  scenario: Scenario;
  inventoryDir: string;
  collectionsPath?: string;
  check: boolean;
  /** JSON file of non-secret extra vars for every playbook. */
  extraVarsFile?: string;
  results: StepResult[];
  /** Hosts that failed or were unreachable in an earlier step: left out of later steps. */
  failedHosts: Map<string, { step: StepName; problem: HostProblem }>;
  /** Check mode: KVM hosts that would first get root access, so later steps cannot be checked on them yet. */
  pendingHosts?: Map<string, string>;
  verify?: VerifyReport;
  ansibleVersion?: string;
  /** Run the OpenNebula step (off with --no-opennebula, e.g. on the lab, which has no oned). */
  opennebula?: boolean;
  /** oned XML-RPC endpoint instead of the SSH tunnel (`edge-wizard one --endpoint`). */
  oneEndpoint?: string;
  /** The scenario file, for the OpenNebula step. */
  scenarioFile?: string;
}

export function inventoryPath(ctx: Pick<DeployContext, 'inventoryDir'>): string {
  return join(ctx.inventoryDir, 'hosts.yml');
}

export function verifyDir(ctx: Pick<DeployContext, 'inventoryDir'>): string {
  return join(ctx.inventoryDir, '.verify');
}

/** The hosts a step reports on, in scenario order. */
export function stepHosts(s: Scenario, step: StepName): string[] {
  const kvm = kvmHosts(s);
  switch (step) {
    case 'root-access':
      return kvm.map((h) => h.name);
    case 'firewall':
      return kvm.map((h) => h.name);
    case 'wireguard':
    case 'frr':
    case 'verify':
      return [s.ingress.name, ...kvm.map((h) => h.name)];
    default:
      return [];
  }
}

export function hostTaskTitle(s: Scenario, step: StepName, host: string, check = false): string {
  const would = check ? 'Check: ' : '';
  switch (step) {
    case 'root-access':
      return `${would}Distribute root key to ${host}`;
    case 'firewall': {
      const h = kvmHosts(s).find((k) => k.name === host);
      if (!h?.aws_reject_rule) return `${would}Leave the firewall of ${host} as it is`;
      return `${would}Remove the AWS REJECT rule on ${host} (${h.public_interface})`;
    }
    case 'wireguard':
      return `${would}Configure ${s.wireguard.interface} on ${host}`;
    case 'frr':
      return `${would}Configure FRR EVPN on ${host}${host === s.ingress.name ? ' (route reflector)' : ''}`;
    default:
      return host;
  }
}

/** ansible-playbook argv and env of one step (also what --dry-run prints). */
export function stepCommand(ctx: DeployContext, step: StepName): { file: string; args: string[]; env: Record<string, string> } | undefined {
  const pb = PLAYBOOK[step];
  if (!pb) return undefined;
  const skip = [...ctx.failedHosts.keys(), ...(ctx.pendingHosts?.keys() ?? [])];
  const args = playbookArgv({
    playbook: join(PLAYBOOKS_DIR, pb),
    inventory: inventoryPath(ctx),
    check: ctx.check && step !== 'verify',
    diff: ctx.check && step !== 'verify',
    extraVarsFiles: ctx.extraVarsFile ? [ctx.extraVarsFile] : [],
    extraVars: step === 'verify' ? { ew_verify_dir: verifyDir(ctx) } : undefined,
    // The frontend is needed by root access and by frr (facts): never limited out.
    limit: skip.length ? ['all', ...skip.map((h) => `!${h}`)].join(',') : undefined,
  });
  return { file: 'ansible-playbook', args, env: ansibleEnv({ inventoryDir: ctx.inventoryDir, collectionsPath: ctx.collectionsPath }) };
}

async function runPlaybook(ctx: DeployContext, deps: DeployDeps, step: StepName, onLine?: (line: string) => void): Promise<StepResult> {
  const cmd = stepCommand(ctx, step)!;
  deps.log.write(`\n=== ${step}: ${cmd.file} ${cmd.args.join(' ')}\n`);
  let pending = '';
  const r = await deps.exec(cmd.file, cmd.args, {
    env: cmd.env,
    onOutput: (chunk) => {
      deps.log.write(chunk);
      if (!onLine) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (/^(TASK|PLAY) \[/.test(l)) onLine(l.replace(/\s*\*+$/, ''));
    },
  });
  const output = `${r.stdout}\n${r.stderr}`;
  const result: StepResult = {
    step,
    exitCode: r.exitCode,
    recap: parseRecap(r.stdout),
    problems: parseProblems(r.stdout),
    durationMs: r.durationMs,
    argv: [cmd.file, ...cmd.args],
  };
  if (r.failedToStart) {
    result.problems.push({ host: 'controller', task: step, kind: 'failed', message: 'ansible-playbook could not be started: install ansible-core (apt-get install ansible-core, or pipx install ansible-core).' });
  } else if (r.exitCode !== 0 && !result.problems.length && !Object.keys(result.recap).length) {
    // A syntax or inventory error: no host ran at all.
    const err = output.split('\n').filter((l) => /ERROR!|error/i.test(l)).slice(0, 3).join(' ').trim();
    result.problems.push({ host: 'controller', task: step, kind: 'failed', message: err || `ansible-playbook exited ${r.exitCode}` });
  }
  ctx.results.push(result);
  for (const p of result.problems) {
    if (p.host !== 'controller' && !ctx.failedHosts.has(p.host)) ctx.failedHosts.set(p.host, { step, problem: p });
  }
  if (ctx.check && step === 'root-access') {
    for (const [host, st] of Object.entries(result.recap)) {
      if (st.changed > 0 && !ctx.failedHosts.has(host)) (ctx.pendingHosts ??= new Map()).set(host, 'root access not granted yet (check mode)');
    }
  }
  return result;
}

function hostOutcome(result: StepResult, host: string): { ok: boolean; changed: number; message?: string; skipped?: boolean } {
  const problem = result.problems.find((p) => p.host === host);
  const stats = result.recap[host];
  if (problem) {
    const what = problem.kind === 'unreachable' ? 'unreachable' : 'failed';
    return { ok: false, changed: stats?.changed ?? 0, message: `${host} ${what} at "${problem.task}"${problem.via ? ` (via ${problem.via})` : ''}: ${problem.message}` };
  }
  if (!stats) return { ok: true, changed: 0, skipped: true };
  if (stats.failed || stats.unreachable) return { ok: false, changed: stats.changed, message: `${host}: failed=${stats.failed} unreachable=${stats.unreachable}` };
  return { ok: true, changed: stats.changed };
}

/** One step as a task: runs its playbook, then one subtask per host shows the outcome. */
export function playbookStepTask(step: StepName, deps: DeployDeps): ListrTask<DeployContext> {
  return {
    title: STEP_TITLES[step],
    task: async (ctx, task) => {
      const left = (h: string) => ctx.failedHosts.has(h) || (step !== 'root-access' && Boolean(ctx.pendingHosts?.has(h)));
      const hosts = stepHosts(ctx.scenario, step).filter((h) => !left(h));
      const skipped = stepHosts(ctx.scenario, step).filter(left);
      const result = await runPlaybook(ctx, deps, step, deps.progress ? (line) => (task.output = line) : undefined);
      const controllerProblem = result.problems.find((p) => p.host === 'controller');
      if (controllerProblem) throw new Error(`${STEP_TITLES[step]}: ${controllerProblem.message}`);
      // Hosts outside the step's own list (e.g. the frontend in root access, facts in frr).
      const others = result.problems.filter((p) => !hosts.includes(p.host));
      return task.newListr<DeployContext>(
        [
          ...hosts.map(
            (host): ListrTask<DeployContext> => ({
              title: hostTaskTitle(ctx.scenario, step, host, ctx.check),
              task: (_c, sub) => {
                const o = hostOutcome(result, host);
                if (!o.ok) throw new Error(o.message);
                sub.title = `${sub.title}${o.skipped ? ' (no tasks ran)' : o.changed ? ` (${o.changed} changed)` : ' (no change)'}`;
              },
            }),
          ),
          ...skipped.map(
            (host): ListrTask<DeployContext> => ({
              title: hostTaskTitle(ctx.scenario, step, host, ctx.check),
              skip: (c) => (c.failedHosts.has(host) ? `Skipped: ${host} failed at ${c.failedHosts.get(host)?.step}` : `Skipped: ${c.pendingHosts?.get(host)}`),
              task: () => undefined,
            }),
          ),
          ...others.map(
            (p): ListrTask<DeployContext> => ({
              title: `${p.host}: ${p.task}`,
              task: () => {
                throw new Error(`${p.host} ${p.kind} at "${p.task}": ${p.message}`);
              },
            }),
          ),
        ],
        { concurrent: false, exitOnError: false },
      );
    },
  };
}

export function verifyTask(deps: DeployDeps): ListrTask<DeployContext> {
  return {
    title: STEP_TITLES.verify,
    task: async (ctx, task) => {
      const report = await runVerify(ctx, deps, deps.progress ? (line) => (task.output = line) : undefined);
      return task.newListr<DeployContext>(
        report.checks.map((c) => ({
          title: c.title,
          task: (_x, sub) => {
            if (!c.ok) throw new Error(`${c.title}: ${c.detail ?? 'failed'}`);
            if (c.detail) sub.title = `${c.title} (${c.detail})`;
          },
        })),
        { concurrent: false, exitOnError: false },
      );
    },
  };
}

/** Runs verify.yml (read-only) and judges what it collected. */
export async function runVerify(ctx: DeployContext, deps: DeployDeps, onLine?: (line: string) => void): Promise<VerifyReport> {
  await deps.resetDir(verifyDir(ctx));
  const saved = ctx.check;
  ctx.check = false;
  const result = await runPlaybook(ctx, deps, 'verify', onLine).finally(() => {
    ctx.check = saved;
  });
  const controllerProblem = result.problems.find((p) => p.host === 'controller');
  if (controllerProblem) throw new Error(`Verify: ${controllerProblem.message}`);
  const observations = await deps.readObservations(verifyDir(ctx));
  const report = judge(observations, stepHosts(ctx.scenario, 'verify'));
  ctx.verify = report;
  deps.log.write(`\n=== verify report\n${formatReport(report)}\n`);
  return report;
}

export interface PreflightChecks {
  /** SSH reach through the generated inventory (ansible ad-hoc ping). */
  reach: boolean;
}

/** `host | UNREACHABLE! => {...}` / `host | SUCCESS => {...}` from ad-hoc ansible. */
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

export function preflightTask(deps: DeployDeps, opts: { scenarioSource: string; warnings: string[] }): ListrTask<DeployContext> {
  return {
    title: STEP_TITLES.preflight,
    task: (_ctx, task) =>
      task.newListr<DeployContext>(
        [
          {
            title: `Scenario ${opts.scenarioSource} is valid`,
            task: (_c, sub) => {
              if (opts.warnings.length) sub.title = `${sub.title} (${opts.warnings.length} warning${opts.warnings.length > 1 ? 's' : ''})`;
            },
          },
          {
            title: `ansible-core ${MIN_ANSIBLE_CORE} or newer`,
            task: async (ctx, sub) => {
              const r = await deps.exec('ansible-playbook', ['--version']);
              if (r.failedToStart || r.exitCode !== 0) {
                throw new Error('ansible-playbook not found: install ansible-core (apt-get install ansible-core, or pipx install ansible-core).');
              }
              const v = parseAnsibleVersion(r.stdout);
              if (!v || !versionAtLeast(v, MIN_ANSIBLE_CORE)) {
                throw new Error(`ansible-core ${v ?? '(unknown)'} is too old: install ${MIN_ANSIBLE_CORE} or newer.`);
              }
              ctx.ansibleVersion = v;
              sub.title = `ansible-core ${v}`;
            },
          },
          {
            title: 'Find the opennebula.deploy collection',
            task: (ctx, sub) => {
              if (!ctx.collectionsPath) throw new Error(`The opennebula.deploy collection (one-deploy) was not found: ${COLLECTION_INSTALL_HINT}.`);
              sub.title = `opennebula.deploy found in ${ctx.collectionsPath}`;
            },
          },
          {
            title: 'Inventory is consistent (precheck.yml)',
            task: async (ctx) => {
              const env = ansibleEnv({ inventoryDir: ctx.inventoryDir, collectionsPath: ctx.collectionsPath });
              const args = playbookArgv({ playbook: join(PLAYBOOKS_DIR, 'precheck.yml'), inventory: inventoryPath(ctx) });
              deps.log.write(`\n=== precheck: ansible-playbook ${args.join(' ')}\n`);
              const r = await deps.exec('ansible-playbook', args, { env, onOutput: (c) => deps.log.write(c) });
              if (r.exitCode !== 0) {
                const p = parseProblems(r.stdout)[0];
                throw new Error(p ? p.message : `precheck failed (exit ${r.exitCode}): see the log.`);
              }
            },
          },
          {
            title: `Reach the ingress ${_ctx.scenario.ingress.name} and, through it, the frontend ${_ctx.scenario.frontend.name} over SSH`,
            task: async (ctx, sub) => {
              const s = ctx.scenario;
              const env = ansibleEnv({ inventoryDir: ctx.inventoryDir, collectionsPath: ctx.collectionsPath });
              const args = ['-i', inventoryPath(ctx), `${s.ingress.name}:${s.frontend.name}`, '-m', 'ansible.builtin.ping', '-o'];
              deps.log.write(`\n=== reach: ansible ${args.join(' ')}\n`);
              const r = await deps.exec('ansible', args, { env, onOutput: (c) => deps.log.write(c) });
              const res = parseAdhoc(`${r.stdout}\n${r.stderr}`);
              const bad = [s.ingress.name, s.frontend.name].filter((h) => !res[h]?.ok);
              if (bad.length) {
                throw new Error(
                  bad
                    .map((h) => `${h} is not reachable over SSH: ${res[h]?.message ?? `no answer (exit ${r.exitCode})`}`)
                    .join('; ') + ' — check the address, the user and your SSH key.',
                );
              }
              sub.title = `Reached ${s.ingress.name} and ${s.frontend.name} over SSH`;
            },
          },
        ],
        { concurrent: false, exitOnError: true },
      ),
  };
}

/** `edge-wizard one` arguments for the OpenNebula step (also what --dry-run prints). */
export function oneArgv(ctx: Pick<DeployContext, 'scenarioFile' | 'oneEndpoint' | 'check'>): string[] {
  return ['-f', ctx.scenarioFile ?? 'edge-wizard.yaml', ...(ctx.oneEndpoint ? ['--endpoint', ctx.oneEndpoint] : []), ...(ctx.check ? ['--dry-run'] : [])];
}

/** The OpenNebula objects, through the same code as `edge-wizard one`; its lines go to the task output and the log. */
export function opennebulaTask(deps: DeployDeps): ListrTask<DeployContext> {
  return {
    title: STEP_TITLES.opennebula,
    enabled: (ctx) => ctx.opennebula !== false,
    task: async (ctx, task) => {
      const argv = oneArgv(ctx);
      deps.log.write(`\n=== opennebula: edge-wizard one ${argv.join(' ')}\n`);
      const sink = new Writable({
        write(chunk, _enc, cb) {
          const text = String(chunk);
          deps.log.write(text);
          for (const line of text.split('\n').filter(Boolean)) task.output = line;
          cb();
        },
      });
      const run = deps.runOne ?? (async (a: string[], io: CommandIO) => {
        const one = await import('../commands/one.js');
        return one.runOne(a, io, await one.defaultDeps());
      });
      const started = deps.now();
      let exitCode = 1;
      try {
        exitCode = await run(argv, { out: sink, err: sink, debug: false });
      } catch (e) {
        deps.log.write(`${(e as Error).message}\n`);
        throw new Error(`OpenNebula step: ${(e as Error).message}`);
      } finally {
        ctx.results.push({ step: 'opennebula', exitCode, recap: {}, problems: [], durationMs: deps.now() - started, argv: ['edge-wizard', 'one', ...argv] });
      }
    },
    rendererOptions: { persistentOutput: true },
  } as ListrTask<DeployContext>;
}

export function deployTasks(steps: StepName[], deps: DeployDeps, opts: { scenarioSource: string; warnings: string[] }): ListrTask<DeployContext>[] {
  return steps.map((step) => {
    if (step === 'preflight') return preflightTask(deps, opts);
    if (step === 'opennebula') return opennebulaTask(deps);
    if (step === 'verify') return { ...verifyTask(deps), skip: (ctx: DeployContext) => (ctx.check ? 'Skipped in check mode' : false) };
    return playbookStepTask(step, deps);
  });
}

export function deployList(steps: StepName[], ctx: DeployContext, deps: DeployDeps, opts: { scenarioSource: string; warnings: string[]; renderer: RendererName }): Listr<DeployContext> {
  return new Listr<DeployContext>(deployTasks(steps, deps, opts), {
    ctx,
    // Preflight failures stop everything; a failing host inside a step does not.
    exitOnError: true,
    renderer: opts.renderer,
    fallbackRenderer: 'simple',
    rendererOptions: { collapseSubtasks: false, showErrorMessage: true },
  } as never);
}

/** The end-of-run report: per step, which host failed where and why. */
export function deployReport(ctx: DeployContext): { ok: boolean; text: string } {
  const lines: string[] = [];
  for (const r of ctx.results.filter((x) => x.step !== 'verify')) {
    if (r.step === 'opennebula') {
      lines.push(`opennebula: ${r.exitCode === 0 ? 'done' : 'failed'}, ${(r.durationMs / 1000).toFixed(1)}s${ctx.check ? ' (dry run: calls listed, none made)' : ''}`);
      continue;
    }
    const changed = Object.values(r.recap).reduce((n, s) => n + s.changed, 0);
    const hosts = Object.keys(r.recap).length;
    lines.push(`${r.step}: ${hosts} host${hosts === 1 ? '' : 's'}, changed=${changed}, ${(r.durationMs / 1000).toFixed(1)}s${r.problems.length ? `, ${r.problems.length} problem${r.problems.length > 1 ? 's' : ''}` : ''}`);
  }
  const problems = [...ctx.failedHosts.entries()].map(([host, f]) => `  - ${host}: ${f.step} failed at "${f.problem.task}": ${f.problem.message}`);
  if (ctx.pendingHosts?.size) {
    lines.push(`check mode: ${[...ctx.pendingHosts.keys()].join(', ')} would first get root access; the later steps were not checked on them.`);
  }
  if (problems.length) {
    lines.push('Hosts that did not finish (fix them and run deploy again; the other hosts are done):', ...problems);
  }
  if (ctx.verify) {
    const bad = ctx.verify.checks.filter((c) => !c.ok);
    lines.push(bad.length ? `verify: ${bad.length} of ${ctx.verify.checks.length} checks failed:` : `verify: all ${ctx.verify.checks.length} checks passed`);
    for (const c of bad) lines.push(`  - ${c.title}: ${c.detail ?? 'failed'}`);
  }
  const ok = !problems.length && ctx.results.every((r) => r.exitCode === 0 || r.step === 'verify') && (ctx.verify ? ctx.verify.ok : true);
  return { ok, text: `${lines.join('\n')}\n` };
}

/** Every task's title and final state, depth first (tests assert on these). */
export function taskStates(list: { tasks: unknown[] }): Array<{ title: string; state: string }> {
  const out: Array<{ title: string; state: string }> = [];
  const walk = (tasks: unknown[]) => {
    for (const t of tasks as Array<{ title?: string; state?: string; subtasks?: unknown[] }>) {
      out.push({ title: String(t.title ?? ''), state: String(t.state ?? '') });
      if (t.subtasks?.length) walk(t.subtasks);
    }
  };
  walk(list.tasks);
  return out;
}
