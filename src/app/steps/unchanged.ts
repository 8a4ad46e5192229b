/**
 * Skips what a deploy would only repeat. A playbook step is left out when what it
 * reads (adapters/fingerprint.ts) is what the last deploy that ended verified ran
 * it with, and the overlay verifies now (verify.yml, read-only). Anything else, and
 * `--full`, `--check`, `--from` or `--only`, runs the steps as they are.
 */
import { join } from 'node:path';
import type { ListrTask } from 'listr2';
import type { Effects } from '../../adapters/effects.js';
import { readDeployState, stepFingerprint, STATE_FILE } from '../../adapters/fingerprint.js';
import { stepNamed } from './index.js';
import type { DeployContext, DeployStep, StepDeps, StepName } from './types.js';
import { runVerify } from './verify.js';

/** The steps whose result a verified overlay stands for. */
const SKIPPABLE: readonly StepName[] = ['root-access', 'firewall', 'wireguard', 'frr', 'frr-layer'];

/** Each skippable step of this run with the digest of what it reads now. */
export function fingerprints(ctx: DeployContext): Map<StepName, string> {
  const out = new Map<StepName, string>();
  for (const name of ctx.stepNames ?? []) {
    const step = stepNamed(name);
    if (!SKIPPABLE.includes(name) || !step.playbook) continue;
    out.set(
      name,
      stepFingerprint({
        step: name,
        playbook: step.playbook,
        inventoryDir: ctx.inventoryDir,
        collectionsPath: ctx.collectionsPath,
        stepVars: step.extraVars?.(ctx) ?? {},
        ansibleVersion: ctx.ansibleVersion,
      }),
    );
  }
  return out;
}

/** Why `step` is left out of this deploy because of the unchanged step, or false. */
export function skippedAsUnchanged(ctx: DeployContext, step: Pick<DeployStep, 'name' | 'title'>): string | false {
  const u = ctx.unchanged;
  if (!u) return false;
  if (u.steps.has(step.name)) return `${step.title}: unchanged since ${u.since}, skipped`;
  // Every playbook step was unchanged: the overlay was verified just before them.
  if (step.name === 'verify' && ctx.verify?.ok && !ctx.results.some((r) => r.step !== 'verify')) return `${step.title}: verified before the steps (all unchanged)`;
  return false;
}

export const unchanged: DeployStep = {
  name: 'unchanged',
  title: 'Steps unchanged since the last verified deploy',
  help: [
    'Skips a step when what it reads (playbook, roles, one-deploy, inventory, vars) is',
    `as the last deploy that verified left it (${STATE_FILE}) and the overlay verifies now;`,
    'runs in a full deploy only (not with --full, --check, --from or --only)',
  ],
  enabled: (ctx) => !ctx.check && !ctx.full,
  dryRun: () => `compare each step's inputs with ${STATE_FILE}; if some are unchanged, verify the overlay (verify.yml) and skip them`,
  task: (deps: StepDeps): ListrTask<DeployContext> => ({
    title: unchanged.title,
    task: async (ctx, task) => {
      // The reason is the title too: every renderer shows it, and the log holds it.
      const skip = (why: string) => {
        task.title = `${unchanged.title}: ${why}`;
        deps.log.write(`\n=== unchanged: ${why}\n`);
        task.skip(task.title);
      };
      const state = readDeployState(ctx.inventoryDir);
      if (!state) return skip('no earlier verified deploy here, every step runs');
      const now = fingerprints(ctx);
      const same = [...now].filter(([name, fp]) => state.steps[name] === fp).map(([name]) => name);
      if (!same.length) return skip('inputs changed for every step, every step runs');
      let report;
      try {
        report = await runVerify(ctx, deps, deps.progress ? (line) => (task.output = line) : undefined);
      } catch (e) {
        return skip(`the overlay could not be verified (${(e as Error).message}), every step runs`);
      }
      if (!report.ok) {
        ctx.verify = undefined;
        const bad = report.checks.filter((c) => !c.ok).length;
        return skip(`${bad} verify check${bad === 1 ? '' : 's'} failed, every step runs`);
      }
      ctx.unchanged = { steps: new Set(same), since: state.at };
      task.title = `${unchanged.title} (${state.at}): ${same.join(', ')} skipped, the overlay verified (${report.checks.length} checks)`;
    },
  }),
};

/**
 * After a deploy that ended verified with every host: the digest of what each of
 * its playbook steps read (ran now, or unchanged), merged into the earlier ones, for
 * the next deploy's `unchanged` step. An earlier digest can only match inputs that
 * are the same again. Nothing is recorded in check mode or without a passing verify.
 */
export async function recordUnchanged(ctx: DeployContext, effects: Effects, now: number): Promise<void> {
  if (ctx.check || ctx.failedHosts.size || !ctx.verify?.ok) return;
  const steps = { ...(readDeployState(ctx.inventoryDir)?.steps ?? {}), ...Object.fromEntries(fingerprints(ctx)) };
  await effects.writeFile(join(ctx.inventoryDir, STATE_FILE), `${JSON.stringify({ version: 1, at: new Date(now).toISOString(), steps }, null, 2)}\n`, 0o644);
}
