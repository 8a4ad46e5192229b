/**
 * Skips what a deploy would only repeat. A playbook step is left out when what it
 * reads (adapters/fingerprint.ts) is what the last deploy that ended verified ran
 * it with, and the overlay verifies now (verify.yml, read-only). Anything else, and
 * `--full`, `--check`, `--from` or `--only`, runs the steps as they are.
 */
import { join } from 'node:path';
import type { ListrTask } from 'listr2';
import type { Effects } from '../../adapters/effects.js';
import { readDeployState, renderDeployState, stepFingerprint, STATE_FILE } from '../../adapters/fingerprint.js';
import { findDrift } from '../../core/drift.js';
import { meshHosts } from './hosts.js';
import type { DeployContext, DeployStep, StepDeps, StepName } from './types.js';
import { runVerify } from './verify.js';

/** Each skippable step of this run with the digest of what it reads now. */
export function fingerprints(ctx: DeployContext): Map<StepName, string> {
  const out = new Map<StepName, string>();
  for (const step of ctx.steps ?? []) {
    const name = step.name;
    if (!step.skippable || !step.playbook) continue;
    out.set(
      name,
      stepFingerprint({
        step: name,
        playbook: step.playbook,
        inventoryDir: ctx.inventoryDir,
        collectionsPath: ctx.collectionsPath,
        // What a run repairs (ew_repair_*: drift found on the hosts) is not an input of the step.
        stepVars: Object.fromEntries(Object.entries(step.extraVars?.(ctx) ?? {}).filter(([k]) => !k.startsWith('ew_repair_'))),
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
  if (step.name === 'verify' && ctx.verify?.ok && !ctx.results.some((r) => r.step !== 'verify'))
    return `${step.title}: verified before the steps (all unchanged)`;
  return false;
}

/** The hosts a state describes, when they are not this scenario's mesh hosts: why it is not trusted. */
export function otherHosts(recorded: Record<string, unknown> | undefined, mesh: string[]): string | undefined {
  if (!recorded) return undefined;
  const gone = Object.keys(recorded).filter((h) => !mesh.includes(h));
  const added = mesh.filter((h) => !(h in recorded));
  if (!gone.length && !added.length) return undefined;
  const list = (xs: string[]) => xs.slice(0, 3).join(', ') + (xs.length > 3 ? ` and ${xs.length - 3} more` : '');
  return [added.length ? `${list(added)} new` : '', gone.length ? `${list(gone)} gone` : ''].filter(Boolean).join(', ');
}

export const unchanged: DeployStep<'unchanged'> = {
  name: 'unchanged',
  title: 'Steps unchanged since the last verified deploy',
  help: [
    'Skips a step when what it reads (playbook, roles, one-deploy, inventory, vars) is',
    `as the last deploy that verified left it (${STATE_FILE}), on the same hosts, and the`,
    'overlay verifies now with nothing changed by hand (drift); a failing check only makes',
    'the steps run; runs in a full deploy only (not with --full, --check, --from or --only)',
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
      const others = otherHosts(state.hosts, meshHosts(ctx.scenario));
      if (others) return skip(`the last verified deploy was on other hosts (${others}), every step runs`);
      const now = fingerprints(ctx);
      const same = [...now].filter(([name, fp]) => state.steps[name] === fp).map(([name]) => name);
      if (!same.length) return skip('inputs changed for every step, every step runs');
      let report;
      try {
        report = await runVerify(ctx, deps, deps.progress ? (line) => (task.output = line) : undefined, { probe: true, recorded: state.hosts });
      } catch (e) {
        return skip(`the overlay could not be verified (${(e as Error).message}), every step runs`);
      }
      if (!report.ok) {
        ctx.drift = findDrift(report.marks ?? {}, state.hosts);
        const bad = report.checks.filter((c) => !c.ok);
        const drift = bad.filter((c) => c.kind === 'drift');
        const what = drift.length
          ? `drift found: ${drift
              .slice(0, 3)
              .map((c) => c.detail!.split(';')[0])
              .join('; ')}${drift.length > 3 ? ` and ${drift.length - 3} more` : ''}`
          : `${bad.length} verify check${bad.length === 1 ? '' : 's'} failed (${bad[0]!.title}${bad.length > 1 ? ', ...' : ''})`;
        deps.log.write(`unchanged: not passing now:\n${bad.map((c) => `  - ${c.title}: ${c.detail ?? 'failed'}`).join('\n')}\n`);
        return skip(`${what}, every step runs`);
      }
      ctx.unchanged = { steps: new Set(same), since: state.at };
      task.title = `${unchanged.title} (${state.at}): ${same.join(', ')} skipped, the overlay verified (${report.checks.length} checks)`;
    },
  }),
};

/**
 * After a deploy that ended verified with every host: the digest of what each of
 * its playbook steps read (ran now, or unchanged), merged into the earlier ones, and
 * what each host holds (its marks, SSH host key first), for the next deploy's
 * `unchanged` step and for `verify`'s drift checks. An earlier digest can only match
 * inputs that are the same again. Nothing is recorded in check mode or without a
 * passing verify.
 */
export async function recordUnchanged(ctx: DeployContext, effects: Effects, now: number): Promise<void> {
  if (ctx.check || ctx.failedHosts.size || !ctx.verify?.ok) return;
  const steps = { ...(readDeployState(ctx.inventoryDir)?.steps ?? {}), ...Object.fromEntries(fingerprints(ctx)) };
  const hosts = ctx.verify.marks ?? {};
  await effects.writeFile(join(ctx.inventoryDir, STATE_FILE), renderDeployState({ at: new Date(now).toISOString(), steps, hosts }), 0o644);
}

/** The playbook steps of this deploy that will run: their digests leave the state before they start (fingerprint.ts forgetSteps). */
export function stepsAboutToRun(ctx: DeployContext): StepName[] {
  return [...fingerprints(ctx).keys()].filter((n) => !ctx.unchanged?.steps.has(n));
}
