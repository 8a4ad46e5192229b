/**
 * `edge-wizard` / `edge-wizard init`: the interactive session that writes the
 * scenario file. One wiring point, `runInit(opts, deps)`: tests pass a fake prompt
 * (answering by name), fake files and an output buffer.
 */
import { join, resolve } from 'node:path';
import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UsageError, ValidationFailed } from '../errors.js';
import { createEffects } from '../../adapters/effects.js';
import { realExec } from '../../adapters/exec.js';
import { readPrevious, writeAtomic } from '../../adapters/files.js';
import { generate } from '../../app/generate.js';
import { maskSecrets, SECRET_PATHS } from '../../core/secrets.js';
import { summary as filesSummary } from '../output.js';
import { deployAndPrint } from '../wiring.js';
import { DEFAULT_SCENARIO_FILE, readBounded } from '../../adapters/scenario-file.js';
import { defaultSshConfigPath, readSshAliases } from '../../adapters/ssh-config.js';
import { addressesFromHostVars, decodeInput, parseYaml, validateScenario, type Scenario, type ScenarioInput } from '../../core/index.js';
import type { SshAlias } from '../../core/ssh-hosts.js';
import { newYaml, updateYaml } from '../prompts/document.js';
import { allProblems, mergeAnswers } from '../prompts/answers.js';
import { editSession, freshSession } from '../prompts/session.js';
import { summary } from '../prompts/summary.js';
import { ask } from '../prompts/ask.js';
import { EXIT_INTERRUPTED, isAbort } from '../interrupt.js';
import type { Ctx, Prompter } from '../prompts/types.js';
import type { FrontendReader } from '../prompts/frontend.js';
import { readFrontendPlan } from '../../app/import.js';
import { canAsk, inquirerPrompt } from '../prompts/inquirer.js';

import { help } from '../help/init.js';

export interface InitOptions {
  file?: string;
  answers?: string;
  yes?: boolean;
  sshConfig?: string;
  generate?: boolean;
  dryRun?: boolean;
}

export interface InitDeps {
  prompt: Prompter;
  readFile(path: string): Promise<string | undefined>;
  writeFile(path: string, content: string, mode: number): Promise<void>;
  out(text: string): void;
  /** Whether questions may be asked (a TTY and not CI). */
  interactive: boolean;
  sshAliases(path: string): Promise<SshAlias[]>;
  /** WireGuard addresses of a previous generation (inventories/<name>/host_vars). */
  previousAddresses(outDir: string): Promise<Record<string, string>>;
  generate(scenario: Scenario, outDir: string): Promise<string>;
  /** Reads the provisions on the frontend over SSH (read only), for the session's frontend section. */
  readFrontend?: FrontendReader;
  /** Deploys the scenario just written (the deploy use case, scenario in memory); resolves to the exit code. */
  deploy(scenario: Scenario, source: string, outDir: string): Promise<number>;
}

export function defaultDeps(io?: CommandIO): InitDeps {
  return {
    prompt: inquirerPrompt,
    // The scenario and answers files, read within the same bounds as every input (4 MiB, UTF-8).
    readFile: async (p) => {
      const bytes = await readBounded(p);
      return bytes === undefined ? undefined : decodeInput(bytes, `The file ${p}`);
    },
    writeFile: writeAtomic,
    out: (t) => (io?.out ?? process.stdout).write(t),
    interactive: canAsk(),
    sshAliases: readSshAliases,
    readFrontend: (s) => readFrontendPlan(s, realExec),
    previousAddresses: async (dir) => addressesFromHostVars((await readPrevious(dir)).hostVars),
    generate: async (scenario, outDir) => {
      const { changes } = await generate(scenario, outDir, createEffects({ dryRun: false, exec: realExec }));
      return filesSummary(changes, outDir, false);
    },
    deploy: async (scenario, source, outDir) => {
      const r = await deployAndPrint(
        { scenario, source, warnings: [], outDir: resolve(outDir) },
        io ?? { out: process.stdout, err: process.stderr, debug: false },
      );
      return r.ok ? 0 : 1;
    },
  };
}

const isPlainPassword = (s: Scenario) => typeof s.opennebula.password === 'string';

export async function runInit(opts: InitOptions, deps: InitDeps = defaultDeps()): Promise<number> {
  try {
    return await session(opts, deps);
  } catch (e) {
    if (isAbort(e)) {
      deps.out('\nAborted, nothing written.\n');
      return EXIT_INTERRUPTED;
    }
    throw e;
  }
}

async function session(opts: InitOptions, deps: InitDeps): Promise<number> {
  const file = opts.file ?? DEFAULT_SCENARIO_FILE;
  const text = await deps.readFile(file);
  const existing = text === undefined ? {} : ((parseYaml(text, file) ?? {}) as Record<string, unknown>);
  let data: Record<string, unknown> = existing;
  if (opts.answers) {
    const answersText = await deps.readFile(opts.answers);
    if (answersText === undefined) throw new UsageError(`The answers file ${opts.answers} does not exist: check the path given with --answers.`);
    data = mergeAnswers(existing, parseYaml(answersText, opts.answers) ?? {}) as Record<string, unknown>;
  }
  const interactive = deps.interactive && !opts.yes && !opts.answers;
  const ctx: Ctx = { draft: data as ScenarioInput, fresh: text === undefined, ci: 0, hi: 0, ni: 0, gi: 0, aliases: [], notes: [], scratch: {} };

  let scenario: Scenario;
  if (!interactive) {
    const problems = allProblems(ctx.draft as Record<string, unknown>);
    if (problems.length)
      throw new ValidationFailed(problems, opts.answers ? `${opts.answers} over ${file}` : `${file} (no terminal to ask in: pass --answers FILE)`);
    scenario = validateScenario(ctx.draft, file).scenario;
  } else {
    const sshFile = opts.sshConfig ?? defaultSshConfigPath();
    ctx.aliases = await deps.sshAliases(sshFile);
    ctx.readFrontend = deps.readFrontend;
    // Ansible's ssh reads the same file (absolute: ansible-playbook may run from elsewhere).
    if (opts.sshConfig) ctx.sshConfigFile = resolve(opts.sshConfig);
    if (ctx.aliases.length) deps.out(`Offering the Host aliases of ${sshFile} (${ctx.aliases.map((a) => a.alias).join(', ')}) for hosts.\n`);
    deps.out(text === undefined ? `No ${file} yet: let's describe your edge clusters.\n` : `Editing ${file}: current values are the defaults.\n`);
    if (text === undefined) await freshSession(ctx, deps.prompt, deps.out);
    for (;;) {
      if (text !== undefined || ctx.scratch.retry) await editSession(ctx, deps.prompt, deps.out);
      const problems = allProblems(ctx.draft as Record<string, unknown>);
      if (!problems.length) break;
      deps.out(`The scenario is not complete yet:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
      ctx.scratch.retry = true;
    }
    scenario = validateScenario(ctx.draft, file).scenario;
  }

  const outDir = join('inventories', scenario.name);
  deps.out('\n' + summary(scenario, file, outDir, await deps.previousAddresses(outDir).catch(() => ({}))));
  const yaml = text === undefined ? newYaml(ctx.draft as Record<string, unknown>) : updateYaml(text, ctx.draft as Record<string, unknown>);
  if (opts.dryRun) {
    deps.out(`\n--- ${file} (dry run: nothing written; secrets masked)\n${maskSecrets(yaml, SECRET_PATHS.scenario)}`);
    return 0;
  }
  const yes = (name: string, message: string, def: boolean) =>
    interactive ? ask<boolean>({ name, type: 'confirm', message, default: () => def }, ctx, deps.prompt).then((v) => v ?? def) : Promise.resolve(def);

  if (!(await yes('write', `Write ${file}?`, true))) {
    deps.out('Nothing written.\n');
    return 0;
  }
  if (yaml === text) deps.out(`${file} is unchanged.\n`);
  else {
    await deps.writeFile(file, yaml, isPlainPassword(scenario) ? 0o600 : 0o644);
    deps.out(`Wrote ${file}${isPlainPassword(scenario) ? ' (mode 0600: it holds a plain password)' : ''}.\n`);
  }
  if (opts.generate === false) return 0;
  if (await yes('generate', `Generate the inventory in ${outDir}/ now?`, true)) {
    deps.out(await deps.generate(scenario, outDir));
    if (await yes('deploy', 'Deploy now (root access, firewall, WireGuard, FRR EVPN)?', false)) return deps.deploy(scenario, file, outDir);
  }
  return 0;
}

export const command: Command = {
  help,
  async run(argv, io) {
    const { values } = parse(
      argv,
      {
        file: { type: 'string', short: 'f' },
        answers: { type: 'string' },
        yes: { type: 'boolean', short: 'y' },
        'ssh-config': { type: 'string', short: 'F' },
        'no-generate': { type: 'boolean' },
        'dry-run': { type: 'boolean', short: 'n' },
      },
      'init',
    );
    return runInit(
      {
        file: values.file,
        answers: values.answers,
        yes: values.yes,
        sshConfig: values['ssh-config'],
        generate: !values['no-generate'],
        dryRun: values['dry-run'],
      },
      defaultDeps(io),
    );
  },
};
