import { join } from 'node:path';
import type { ListrTask } from 'listr2';
import type { HostMarks } from '../../core/drift.js';
import { formatReport, judge, type VerifyReport } from '../../core/verify.js';
import { meshHosts } from './hosts.js';
import { hostCounter, runPlaybook } from './playbook.js';
import type { DeployContext, DeployStep, StepDeps } from './types.js';

export function verifyDir(ctx: Pick<DeployContext, 'inventoryDir'>): string {
  return join(ctx.inventoryDir, '.verify');
}

/**
 * How long deploy's verify keeps collecting while checks fail (`deploy --settle`): a host
 * back from an outage waits for WireGuard to handshake again and BGP and BFD to come up.
 * Measured on the lab after a 150 s cut of a KVM host: 0.1 to 34 s (docs/resilience.md).
 */
export const DEFAULT_SETTLE_S = 120;
/** Between two collections while settling (a collection itself takes 1 to 3 s on the lab). */
export const SETTLE_INTERVAL_MS = 1_000;

export interface VerifyOptions {
  /**
   * A probe (the unchanged step): what it finds decides which steps run, so a host it
   * cannot reach is not a failed host of this deploy, its run is not a result, and it
   * does not settle (a failing check is a reason to run the steps, not to wait).
   */
  probe?: boolean;
  /** The marks the last verified deploy recorded: differences are `drift` checks (core/drift.ts). */
  recorded?: Record<string, HostMarks>;
}

/** Runs verify.yml (read-only, never in check mode) once and judges what it collected. */
async function collect(ctx: DeployContext, deps: StepDeps, onLine: ((line: string) => void) | undefined, o: VerifyOptions): Promise<VerifyReport> {
  await deps.resetDir(verifyDir(ctx));
  const saved = ctx.check;
  ctx.check = false;
  const result = await runPlaybook(ctx, deps, verify, onLine, { record: !o.probe }).finally(() => {
    ctx.check = saved;
  });
  const controllerProblem = result.problems.find((p) => p.host === 'controller');
  if (controllerProblem) throw new Error(`Verify: ${controllerProblem.message}`);
  return judge(await deps.readObservations(verifyDir(ctx)), meshHosts(ctx.scenario), { recorded: o.recorded });
}

/**
 * Verify: collect and judge; while a check fails, every host of the run succeeded and
 * `ctx.settleMs` has not run out, collect again (a snapshot taken seconds after a change
 * would blame sessions that are still coming up). A host that failed in this run is not
 * waited for: its checks fail at once.
 */
export async function runVerify(ctx: DeployContext, deps: StepDeps, onLine?: (line: string) => void, o: VerifyOptions = {}): Promise<VerifyReport> {
  const deadline = deps.now() + (ctx.failedHosts.size === 0 && !o.probe ? (ctx.settleMs ?? 0) : 0);
  let report = await collect(ctx, deps, onLine, o);
  for (;;) {
    const failing = report.checks.filter((c) => !c.ok).length;
    const left = deadline - deps.now();
    if (failing === 0 || left <= 0) break;
    const line = `${failing} of ${report.checks.length} checks not passing yet; collecting again (settling, ${Math.ceil(left / 1000)} s left)`;
    deps.log.write(`verify: ${line}\n`);
    onLine?.(line);
    await (deps.sleep ?? sleep)(Math.min(SETTLE_INTERVAL_MS, left));
    report = await collect(ctx, deps, onLine, o);
  }
  if (!o.probe || report.ok) ctx.verify = report;
  deps.log.write(`\n=== verify report\n${formatReport(report)}\n`);
  return report;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sessions, handshakes and MTU probes, one subtask per check. */
export const verify: DeployStep<'verify'> = {
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
