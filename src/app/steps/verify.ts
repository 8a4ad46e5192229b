import { join } from 'node:path';
import type { ListrTask } from 'listr2';
import { formatReport, judge, type VerifyReport } from '../../core/verify.js';
import { meshHosts } from './hosts.js';
import { hostCounter, runPlaybook } from './playbook.js';
import type { DeployContext, DeployStep, StepDeps } from './types.js';

export function verifyDir(ctx: Pick<DeployContext, 'inventoryDir'>): string {
  return join(ctx.inventoryDir, '.verify');
}

/** Runs verify.yml (read-only, never in check mode) and judges what it collected. */
export async function runVerify(ctx: DeployContext, deps: StepDeps, onLine?: (line: string) => void): Promise<VerifyReport> {
  await deps.resetDir(verifyDir(ctx));
  const saved = ctx.check;
  ctx.check = false;
  const result = await runPlaybook(ctx, deps, verify, onLine).finally(() => {
    ctx.check = saved;
  });
  const controllerProblem = result.problems.find((p) => p.host === 'controller');
  if (controllerProblem) throw new Error(`Verify: ${controllerProblem.message}`);
  const observations = await deps.readObservations(verifyDir(ctx));
  const report = judge(observations, meshHosts(ctx.scenario));
  ctx.verify = report;
  deps.log.write(`\n=== verify report\n${formatReport(report)}\n`);
  return report;
}

/** Sessions, handshakes and MTU probes, one subtask per check. */
export const verify: DeployStep = {
  name: 'verify',
  title: 'Verify the overlay',
  help: ['EVPN sessions Established, handshakes fresh, DF ping at the MTU'],
  playbook: 'verify.yml',
  hosts: meshHosts,
  checkMode: { skip: 'Skipped in check mode' },
  extraVars: (ctx) => ({ ew_verify_dir: verifyDir(ctx) }),
  task: (deps: StepDeps): ListrTask<DeployContext> => ({
    title: verify.title,
    task: async (ctx, task) => {
      const hosts = meshHosts(ctx.scenario).filter((h) => !ctx.failedHosts.has(h));
      const count = hostCounter(task, verify.title, { total: hosts.length, skipped: meshHosts(ctx.scenario).length - hosts.length }, deps);
      const report = await runVerify(ctx, deps, deps.progress ? (line) => (task.output = line) : undefined).finally(() => count.stop());
      // One playbook reads every host: they finish together.
      const recap = ctx.results.filter((r) => r.step === 'verify').at(-1)?.recap ?? {};
      for (const h of hosts) count.finished(!recap[h]?.failed && !recap[h]?.unreachable);
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
  }),
};
