/**
 * A playbook step as a task: run its playbook once, then one subtask per host
 * shows what happened there. A failing host fails its own subtask, the other
 * hosts finish, and later steps leave the failed host out (--limit).
 */
import { join } from 'node:path';
import type { ListrTask } from 'listr2';
import { ansibleEnv, parseProblems, parseRecap, playbookArgv, PLAYBOOKS_DIR } from '../../adapters/ansible.js';
import type { DeployContext, DeployStep, StepCommand, StepDeps, StepResult } from './types.js';

export function inventoryPath(ctx: Pick<DeployContext, 'inventoryDir'>): string {
  return join(ctx.inventoryDir, 'hosts.yml');
}

/** Whether a step runs in --check --diff mode for this context. */
function checking(ctx: DeployContext, step: DeployStep): boolean {
  return ctx.check && (step.checkMode ?? 'check') === 'check';
}

/** ansible-playbook argv and env of one step (also what --dry-run prints). */
export function stepCommand(ctx: DeployContext, step: DeployStep): StepCommand | undefined {
  if (!step.playbook) return undefined;
  const skip = [...ctx.failedHosts.keys(), ...(ctx.pendingHosts?.keys() ?? [])];
  const args = playbookArgv({
    playbook: join(PLAYBOOKS_DIR, step.playbook),
    inventory: inventoryPath(ctx),
    check: checking(ctx, step),
    diff: checking(ctx, step),
    extraVarsFiles: ctx.extraVarsFile ? [ctx.extraVarsFile] : [],
    extraVars: step.extraVars?.(ctx),
    // The frontend is needed by root access and by frr (facts): never limited out.
    limit: skip.length ? ['all', ...skip.map((h) => `!${h}`)].join(',') : undefined,
  });
  return { file: 'ansible-playbook', args, env: ansibleEnv({ inventoryDir: ctx.inventoryDir, collectionsPath: ctx.collectionsPath }) };
}

/** Runs a step's playbook and records its result (per-host recap and problems) in the context. */
export async function runPlaybook(ctx: DeployContext, deps: StepDeps, step: DeployStep, onLine?: (line: string) => void): Promise<StepResult> {
  const cmd = stepCommand(ctx, step)!;
  deps.log.write(`\n=== ${step.name}: ${cmd.file} ${cmd.args.join(' ')}\n`);
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
    step: step.name,
    exitCode: r.exitCode,
    recap: parseRecap(r.stdout),
    problems: parseProblems(r.stdout),
    durationMs: r.durationMs,
    argv: [cmd.file, ...cmd.args],
  };
  if (r.failedToStart) {
    result.problems.push({ host: 'controller', task: step.name, kind: 'failed', message: 'ansible-playbook could not be started: install ansible-core (apt-get install ansible-core, or pipx install ansible-core).' });
  } else if (r.exitCode !== 0 && !result.problems.length && !Object.keys(result.recap).length) {
    // A syntax or inventory error: no host ran at all.
    const err = output.split('\n').filter((l) => /ERROR!|error/i.test(l)).slice(0, 3).join(' ').trim();
    result.problems.push({ host: 'controller', task: step.name, kind: 'failed', message: err || `ansible-playbook exited ${r.exitCode}` });
  }
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
    return { ok: false, changed: stats?.changed ?? 0, message: `${host} ${what} at "${problem.task}"${problem.via ? ` (via ${problem.via})` : ''}: ${problem.message}` };
  }
  if (!stats) return { ok: true, changed: 0, skipped: true };
  if (stats.failed || stats.unreachable) return { ok: false, changed: stats.changed, message: `${host}: failed=${stats.failed} unreachable=${stats.unreachable}` };
  return { ok: true, changed: stats.changed };
}

/** The task of a plain playbook step. */
export function playbookTask(step: DeployStep, deps: StepDeps): ListrTask<DeployContext> {
  return {
    title: step.title,
    task: async (ctx, task) => {
      const title = (host: string) => `${ctx.check ? 'Check: ' : ''}${step.hostTitle ? step.hostTitle(ctx.scenario, host) : host}`;
      // root-access is what makes a pending host reachable: it never leaves them out.
      const left = (h: string) => ctx.failedHosts.has(h) || (step.name !== 'root-access' && Boolean(ctx.pendingHosts?.has(h)));
      const all = step.hosts?.(ctx.scenario) ?? [];
      const hosts = all.filter((h) => !left(h));
      const skipped = all.filter(left);
      const result = await runPlaybook(ctx, deps, step, deps.progress ? (line) => (task.output = line) : undefined);
      const controllerProblem = result.problems.find((p) => p.host === 'controller');
      if (controllerProblem) throw new Error(`${step.title}: ${controllerProblem.message}`);
      // Hosts outside the step's own list (e.g. the frontend in root access, facts in frr).
      const others = result.problems.filter((p) => !hosts.includes(p.host));
      return task.newListr<DeployContext>(
        [
          ...hosts.map(
            (host): ListrTask<DeployContext> => ({
              title: title(host),
              task: (_c, sub) => {
                const o = hostOutcome(result, host);
                if (!o.ok) throw new Error(o.message);
                sub.title = `${sub.title}${o.skipped ? ' (no tasks ran)' : o.changed ? ` (${o.changed} changed)` : ' (no change)'}`;
              },
            }),
          ),
          ...skipped.map(
            (host): ListrTask<DeployContext> => ({
              title: title(host),
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
