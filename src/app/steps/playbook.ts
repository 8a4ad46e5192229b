/**
 * A playbook step as a task: run its playbook once, through ansible-runner
 * (adapters/runner.ts: one private data dir per run under DIR/runner/, results
 * read from its job events), then one subtask per host shows what happened
 * there. A failing host fails its own subtask, the other hosts finish, and
 * later steps leave the failed host out (--limit).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListrTask } from 'listr2';
import { ansibleEnv, PLAYBOOKS_DIR, type HostProblem, type Recap } from '../../adapters/ansible.js';
import type { ExecResult } from '../../adapters/exec.js';
import {
  artifactDir,
  problemsFromEvents,
  readJobEvents,
  recapFromEvents,
  FACTS_DIR,
  rotateRuns,
  RUNNER_INSTALL_HINT,
  runnerArgv,
  runnerEnv,
  runnerIdent,
  writeRunnerFiles,
  type JobEvent,
  type RunnerRun,
} from '../../adapters/runner.js';
import type { DeployContext, DeployStep, StepCommand, StepDeps, StepResult } from './types.js';
import { secretEnvNames } from '../../core/secrets.js';

export function inventoryPath(ctx: Pick<DeployContext, 'inventoryDir'>): string {
  return join(ctx.inventoryDir, 'hosts.yml');
}

/** Whether a step runs in --check --diff mode for this context. */
function checking(ctx: DeployContext, step: DeployStep): boolean {
  return ctx.check && (step.checkMode ?? 'check') === 'check';
}

/** The ansible-runner job of a step: its private data dir, playbook, inventory, step vars and --limit. */
export function stepRun(ctx: DeployContext, step: DeployStep, now: number): RunnerRun | undefined {
  if (!step.playbook) return undefined;
  const skip = [...ctx.failedHosts.keys(), ...(ctx.pendingHosts?.keys() ?? [])];
  return {
    outDir: ctx.inventoryDir,
    ident: runnerIdent(now, step.name),
    playbook: join(PLAYBOOKS_DIR, step.playbook),
    inventory: inventoryPath(ctx),
    extraVars: { ...(step.extraVars?.(ctx) ?? {}) },
    check: checking(ctx, step),
    diff: checking(ctx, step),
    // The frontend is needed by root access and by frr (facts): never limited out.
    limit: skip.length ? ['all', ...skip.map((h) => `!${h}`)].join(',') : undefined,
    // Facts gathered once per deploy: the steps share a cache, emptied when the deploy starts.
    factCache: join(ctx.inventoryDir, FACTS_DIR),
  };
}

/** The ansible-runner call of one step (also what --dry-run prints); the extra vars go to its env/extravars. */
export function stepCommand(ctx: DeployContext, step: DeployStep, now = Date.now()): StepCommand | undefined {
  const run = stepRun(ctx, step, now);
  if (!run) return undefined;
  return { file: 'ansible-runner', args: runnerArgv(run), env: ansibleEnv({ inventoryDir: ctx.inventoryDir, collectionsPath: ctx.collectionsPath }) };
}

/** The deploy's non-secret extra vars (.deploy-vars.json), when this context has them. */
async function deployVars(ctx: DeployContext): Promise<Record<string, unknown>> {
  if (!ctx.extraVarsFile) return {};
  try {
    return JSON.parse(await readFile(ctx.extraVarsFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}

/** What one ansible-runner run gave: its exit, per-host results from the job events (and the events, to tell plays apart), and where its artifacts are. */
export interface RunnerOutcome {
  exec: ExecResult;
  events: JobEvent[];
  recap: Recap;
  problems: HostProblem[];
  artifacts: string;
  argv: string[];
}

/**
 * Runs one playbook through ansible-runner with the deploy's extra vars
 * (.deploy-vars.json, then the job's own; one_pass withheld last), logs its
 * output, reads its job events, and rotates old private data dirs. A run that
 * could not start, or ended before any host ran, is a `controller` problem.
 */
export async function runRunnerJob(ctx: DeployContext, deps: StepDeps, run: RunnerRun, label: string, onLine?: (line: string) => void): Promise<RunnerOutcome> {
  // Same precedence as `-e @.deploy-vars.json -e {step vars}`.
  run.extraVars = { ...(await deployVars(ctx)), ...run.extraVars };
  await writeRunnerFiles(run);
  const args = runnerArgv(run);
  deps.log.write(`\n=== ${label}: ansible-runner ${args.join(' ')}${run.check ? ' (env/cmdline: --check --diff)' : ''}\n`);
  let pending = '';
  const env = runnerEnv(process.env, ansibleEnv({ inventoryDir: ctx.inventoryDir, collectionsPath: ctx.collectionsPath }), secretEnvNames(ctx.scenario));
  const r = await deps.exec('ansible-runner', args, {
    env,
    cleanEnv: true,
    onOutput: (chunk) => {
      deps.log.write(chunk);
      if (!onLine) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (/^(TASK|PLAY) \[/.test(l)) onLine(l.replace(/\s*\*+$/, ''));
    },
  });
  const events = await readJobEvents(run);
  const out: RunnerOutcome = {
    exec: r,
    events,
    recap: recapFromEvents(events),
    problems: problemsFromEvents(events),
    artifacts: artifactDir(run),
    argv: ['ansible-runner', ...args],
  };
  if (r.failedToStart) {
    out.problems.push({ host: 'controller', task: label, kind: 'failed', message: `ansible-runner could not be started: ${RUNNER_INSTALL_HINT}.` });
  } else if (r.exitCode !== 0 && !out.problems.length && !Object.keys(out.recap).length) {
    // A syntax or inventory error (or the runner's own): no host ran at all.
    const err = `${r.stdout}\n${r.stderr}`
      .split('\n')
      .filter((l) => /ERROR!|error/i.test(l))
      .slice(0, 3)
      .join(' ')
      .trim();
    out.problems.push({ host: 'controller', task: label, kind: 'failed', message: err || `ansible-runner exited ${r.exitCode} (see ${out.artifacts})` });
  }
  await rotateRuns(ctx.inventoryDir);
  return out;
}

/**
 * Runs a step's playbook through ansible-runner and records its result (per-host recap and
 * problems, from job events) in the context; with `record: false` (a probe) it only returns it.
 */
export async function runPlaybook(
  ctx: DeployContext,
  deps: StepDeps,
  step: DeployStep,
  onLine?: (line: string) => void,
  opts: { record?: boolean } = {},
): Promise<StepResult> {
  const o = await runRunnerJob(ctx, deps, stepRun(ctx, step, deps.now())!, step.name, onLine);
  const result: StepResult = {
    step: step.name,
    exitCode: o.exec.exitCode,
    recap: o.recap,
    problems: o.problems,
    durationMs: o.exec.durationMs,
    argv: o.argv,
    artifacts: o.artifacts,
  };
  if (opts.record === false) return result;
  ctx.results.push(result);
  for (const p of result.problems) {
    if (p.host !== 'controller' && !ctx.failedHosts.has(p.host)) ctx.failedHosts.set(p.host, { step: step.name, problem: p });
  }
  step.judge?.(ctx, result);
  return result;
}

function hostOutcome(result: StepResult, host: string): { ok: boolean; changed: number; message?: string; skipped?: boolean } {
  const problem = result.problems.find((p) => p.host === host);
  const stats = result.recap[host];
  if (problem) {
    const what = problem.kind === 'unreachable' ? 'unreachable' : 'failed';
    return {
      ok: false,
      changed: stats?.changed ?? 0,
      message: `${host} ${what} at "${problem.task}"${problem.via ? ` (via ${problem.via})` : ''}: ${problem.message}`,
    };
  }
  if (!stats) return { ok: true, changed: 0, skipped: true };
  if (stats.failed || stats.unreachable)
    return { ok: false, changed: stats.changed, message: `${host}: failed=${stats.failed} unreachable=${stats.unreachable}` };
  return { ok: true, changed: stats.changed };
}

/** "WireGuard mesh (2/3 hosts, 1 failed, 1 skipped, 12 s)": a step's title with its hosts done and its time so far. */
export function progressTitle(title: string, n: { done: number; total: number; failed?: number; skipped?: number }, ms: number): string {
  const extra = [n.failed ? `${n.failed} failed` : '', n.skipped ? `${n.skipped} skipped` : ''].filter(Boolean);
  return `${title} (${[`${n.done}/${n.total} host${n.total === 1 ? '' : 's'}`, ...extra, `${Math.floor(Math.max(0, ms) / 1000)} s`].join(', ')})`;
}

/**
 * Keeps a step's title at its host count and elapsed time. For the interactive
 * renderer the clock ticks every second while the playbook runs and stops with
 * it, and the count moves as each host's result is judged; the other renderers
 * log every title change, so they get the final title only.
 */
export function hostCounter(task: { title: string }, title: string, n: { total: number; skipped?: number }, deps: Pick<StepDeps, 'now' | 'progress'>) {
  const started = deps.now();
  let ended: number | undefined;
  let done = 0;
  let failed = 0;
  const show = () => {
    if (deps.progress || (ended !== undefined && done === n.total)) task.title = progressTitle(title, { done, failed, ...n }, (ended ?? deps.now()) - started);
  };
  show();
  const timer = deps.progress ? setInterval(show, 1000).unref() : undefined;
  return {
    /** One more host finished, ok or failed. */
    finished(ok: boolean) {
      done += 1;
      if (!ok) failed += 1;
      show();
    },
    /** The playbook ended: the clock stops here. */
    stop() {
      clearInterval(timer);
      ended ??= deps.now();
      show();
    },
  };
}

/** The task of a plain playbook step. */
export function playbookTask(step: DeployStep, deps: StepDeps): ListrTask<DeployContext> {
  return {
    title: step.title,
    task: async (ctx, task) => {
      const title = (host: string) => `${ctx.check ? 'Check: ' : ''}${step.hostTitle ? step.hostTitle(ctx.scenario, host) : host}`;
      // The step that lets this controller in (root access) never leaves a pending host out.
      const left = (h: string) => ctx.failedHosts.has(h) || (!step.opensHosts && Boolean(ctx.pendingHosts?.has(h)));
      const all = step.hosts?.(ctx.scenario) ?? [];
      const hosts = all.filter((h) => !left(h));
      const skipped = all.filter(left);
      const count = hostCounter(task, step.title, { total: hosts.length, skipped: skipped.length }, deps);
      const result = await runPlaybook(ctx, deps, step, deps.progress ? (line) => (task.output = line) : undefined).finally(() => count.stop());
      const controllerProblem = result.problems.find((p) => p.host === 'controller');
      if (controllerProblem) throw new Error(`${step.title}: ${controllerProblem.message}`);
      // Hosts outside the step's own list (e.g. the frontend in root access, facts in frr).
      const others = result.problems.filter((p) => !hosts.includes(p.host));
      return task.newListr<DeployContext>(
        [
          ...hosts.map((host): ListrTask<DeployContext> => ({
            title: title(host),
            task: (_c, sub) => {
              const o = hostOutcome(result, host);
              count.finished(o.ok);
              if (!o.ok) throw new Error(o.message);
              sub.title = `${sub.title}${o.skipped ? ' (no tasks ran)' : o.changed ? ` (${o.changed} changed)` : ' (no change)'}`;
            },
          })),
          ...skipped.map((host): ListrTask<DeployContext> => ({
            title: title(host),
            skip: (c) => (c.failedHosts.has(host) ? `Skipped: ${host} failed at ${c.failedHosts.get(host)?.step}` : `Skipped: ${c.pendingHosts?.get(host)}`),
            task: () => undefined,
          })),
          ...others.map((p): ListrTask<DeployContext> => ({
            title: `${p.host}: ${p.task}`,
            task: () => {
              throw new Error(`${p.host} ${p.kind} at "${p.task}": ${p.message}`);
            },
          })),
        ],
        { concurrent: false, exitOnError: false },
      );
    },
  };
}
