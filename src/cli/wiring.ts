/**
 * The one wiring point between the CLI and the use cases: the real outside
 * world (exec, clock, prompts, oned) handed to app/ functions, and the printing
 * shared by every command that deploys (deploy, init, demo). Tests pass fakes.
 */
import { join } from 'node:path';
import type { CommandIO } from './command.js';
import { ansibleEnv, findOneDeploy } from '../adapters/ansible.js';
import { createEffects } from '../adapters/effects.js';
import { realExec, type Exec } from '../adapters/exec.js';
import { deploy, type DeployDeps, type DeployInput, type DeployOutcome } from '../app/deploy.js';
import { defaultOneDeps, ensureOpenNebula } from '../app/one.js';
import { renderDryRun, summary } from './output.js';

/** The outside world of a deploy from the command line (tests pass fakes). */
export interface DeployRunDeps {
  exec: Exec;
  now: () => number;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  confirm: (message: string) => Promise<boolean>;
  findCollections?: () => string | undefined;
}

export function defaultRunDeps(): DeployRunDeps {
  return {
    exec: realExec,
    now: Date.now,
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    confirm: async (message) => {
      const { default: inquirer } = await import('inquirer');
      const { ok } = await inquirer.prompt([{ type: 'confirm', name: 'ok', message, default: false }]);
      return ok;
    },
  };
}

/** The use-case wiring of `edge-wizard deploy`: load the scenario, run app/deploy, print. */
export function deployDeps(deps: DeployRunDeps, io: CommandIO, dryRun: boolean): DeployDeps {
  return {
    ...deps,
    effects: createEffects({ dryRun, exec: deps.exec }),
    onGenerated: (g, outDir) => io.err.write(summary(g.changes, outDir, dryRun)),
    one: async (scenario, opts, say) => ensureOpenNebula(scenario, opts, { ...(await defaultOneDeps(deps.exec)), env: deps.env }, say),
  };
}

/** Runs the deploy use case and prints its report (or, in a dry run, what it would do). */
export async function deployAndPrint(input: DeployInput & { dryRun?: boolean }, io: CommandIO, deps: DeployRunDeps = defaultRunDeps()): Promise<DeployOutcome> {
  const { outDir } = input;
  const d = deployDeps(deps, io, Boolean(input.dryRun));
  const r = await deploy(input, d);
  if (d.effects.dryRun) {
    const env = ansibleEnv({ inventoryDir: outDir, collectionsPath: (deps.findCollections ?? (() => findOneDeploy(deps.env)))() });
    io.out.write(renderDryRun(d.effects.record, { env: `ANSIBLE_CONFIG=${join(outDir, 'ansible.cfg')} ANSIBLE_COLLECTIONS_PATH=${env.ANSIBLE_COLLECTIONS_PATH ?? '(not found)'}` }));
  } else if (r.declined) io.err.write(r.report);
  else io.out.write(r.report);
  return r;
}
