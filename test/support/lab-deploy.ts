/**
 * Deploying a lab's scenario as an operator does, from the lab's controller namespace: the
 * lifecycle lab test and `npm run lifecycle` share it. Each deploy returns what the run
 * printed and its time; `changedSteps` sums changed tasks per step.
 */
import { readPrevious } from '../../src/adapters/files.js';
import { loadScenarioFile } from '../../src/adapters/scenario-file.js';
import type { DeployOutcome } from '../../src/app/deploy.js';
import { DEFAULT_SETTLE_S } from '../../src/app/steps/verify.js';
import { runDeploy, type DeployOptions } from '../../src/cli/commands/deploy.js';
import { addressesFromHostVars } from '../../src/core/index.js';
import type { Controller } from '../../src/lab/controller.js';
import type { LabPaths } from '../../src/lab/files.js';
import { sshRunner, vmPlan, type HostRunner, type VmPlan } from '../../src/lab/vms.js';
import type { Scenario } from '../../src/core/scenario.js';

export type TimedDeploy = DeployOutcome & { text: string; seconds: number };

export function labDeployer(ctl: Controller, paths: LabPaths, outDir: string) {
  return {
    async deploy(extra: Partial<DeployOptions> = {}): Promise<TimedDeploy> {
      const chunks: string[] = [];
      const w = { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream;
      const t0 = Date.now();
      const r = await runDeploy(
        { file: paths.scenario, out: outDir, yes: true, opennebula: false, renderer: 'silent', settle: DEFAULT_SETTLE_S, ...extra },
        { out: w, err: w, debug: false },
        { exec: ctl.exec, now: Date.now, env: { ...process.env, NODE_ENV: 'test' }, isTTY: false, confirm: async () => true },
      );
      return { ...r, text: chunks.join(''), seconds: (Date.now() - t0) / 1000 };
    },
    run: (): HostRunner => sshRunner(ctl.exec, paths.sshConfig),
    scenario: async (): Promise<Scenario> => (await loadScenarioFile(paths.scenario)).scenario,
    async vms(): Promise<VmPlan[]> {
      return vmPlan((await loadScenarioFile(paths.scenario)).scenario, addressesFromHostVars((await readPrevious(outDir)).hostVars));
    },
  };
}

/** Changed tasks per step (verify left out): what a row changed. */
export function changedSteps(r: DeployOutcome): Record<string, number> {
  return Object.fromEntries(
    (r.ctx?.results ?? []).filter((x) => x.step !== 'verify').map((x) => [x.step, Object.values(x.recap).reduce((n, st) => n + st.changed, 0)]),
  );
}
