/**
 * The one wiring point between the CLI and the use cases: the real outside
 * world (exec, clock, prompts, oned) handed to app/ functions, and the printing
 * shared by every command that deploys (deploy, init, demo). Tests pass fakes.
 */
import type { CommandIO } from './command.js';
import { ansibleEnv, findOneDeploy } from '../adapters/ansible.js';
import { createEffects } from '../adapters/effects.js';
import { realExec, type Exec } from '../adapters/exec.js';
import { deploy, type DeployDeps, type DeployInput, type DeployOutcome } from '../app/deploy.js';
import { defaultOneDeps, ensureOpenNebula } from '../app/one.js';
import { deployJson, jsonLine } from './machine.js';
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

/** With `json`, the confirmation is asked on stderr: stdout holds the JSON document only. */
export function defaultRunDeps(opts: { json?: boolean } = {}): DeployRunDeps {
  return {
    exec: realExec,
    now: Date.now,
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    confirm: async (message) => {
      const { default: inquirer } = await import('inquirer');
      const prompt = opts.json ? inquirer.createPromptModule({ output: process.stderr }) : inquirer.prompt;
      const { ok } = await prompt([{ type: 'confirm', name: 'ok', message, default: false }]);
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

/**
 * Runs the deploy use case and prints its report (or, in a dry run, what it would do).
 * With `json`, stdout gets one JSON document (cli/machine.ts) and the task list writes to stderr.
 */
export async function deployAndPrint(
  input: DeployInput & { dryRun?: boolean; json?: boolean },
  io: CommandIO,
  deps: DeployRunDeps = defaultRunDeps({ json: input.json }),
): Promise<DeployOutcome> {
  const { outDir } = input;
  const d = deployDeps(deps, io, Boolean(input.dryRun));
  const r = await deploy(input.json ? { ...input, rendererOutput: io.err as NodeJS.WriteStream } : input, d);
  if (input.json) {
    io.out.write(
      jsonLine(
        deployJson(r, { scenario: input.scenario.name, source: input.source, check: Boolean(input.check), dryRun: d.effects.dryRun, record: d.effects.record }),
      ),
    );
  } else if (d.effects.dryRun) {
    // The environment the steps run with (ansible.cfg names the same roles and collection paths once generated).
    const env = ansibleEnv({ inventoryDir: outDir, collectionsPath: (deps.findCollections ?? (() => findOneDeploy(deps.env)))() });
    const shown = `ANSIBLE_CONFIG=${env.ANSIBLE_CONFIG} ANSIBLE_ROLES_PATH=${env.ANSIBLE_ROLES_PATH} ANSIBLE_COLLECTIONS_PATH=${env.ANSIBLE_COLLECTIONS_PATH ?? '(not found)'}`;
    io.out.write(renderDryRun(d.effects.record, { env: shown }));
  } else if (r.declined) io.err.write(r.report);
  else io.out.write(r.report);
  return r;
}
