import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UsageError } from '../errors.js';
import { shown } from '../../core/printable.js';
import { createEffects } from '../../adapters/effects.js';
import { realExec } from '../../adapters/exec.js';
import { loadScenarioFile, readInputFile } from '../../adapters/scenario-file.js';
import { applyFrontendImport, importProvision, readFrontendPlan } from '../../app/import.js';
import { defaultOutDir } from '../../app/generate.js';
import { describePlan, planIsEmpty, removals, REMOVAL_EFFECT, type FrontendChoices } from '../../core/import/frontend.js';
import { proxyJumpSpec } from '../../core/inventory.js';
import type { Scenario } from '../../core/scenario.js';
import type { Exec } from '../../adapters/exec.js';
import { resolve } from 'node:path';
import { canAsk, inquirerPrompt } from '../prompts/inquirer.js';
import { askReaddress, describeRemovals } from '../prompts/frontend.js';
import type { Prompter } from '../prompts/types.js';
import { deployAndPrint } from '../wiring.js';
import { IMPORT_FORMATS, type ImportFormat, type Provider } from '../../core/import/provision.js';
import { PROVIDERS } from '../../core/scenario.js';
import { renderDryRun } from '../output.js';
import { help } from '../help/import.js';
export { help };

const readInput = (path: string, flag: string) => readInputFile(path, flag);

/** The outside world of `import --from-frontend`: tests pass a fake exec (ssh), prompt and deploy. */
export interface ImportDeps {
  exec: Exec;
  prompt: Prompter;
  /** Whether questions may be asked (a terminal and not CI). */
  interactive: boolean;
  deploy(scenario: Scenario, source: string, io: CommandIO): Promise<number>;
}

export function defaultImportDeps(): ImportDeps {
  return {
    exec: realExec,
    prompt: inquirerPrompt,
    interactive: canAsk(),
    deploy: async (scenario, source, io) => {
      const r = await deployAndPrint({ scenario, source, warnings: [], outDir: resolve(defaultOutDir(scenario)) }, io);
      return r.ok ? 0 : 1;
    },
  };
}

export async function runImport(argv: string[], io: CommandIO, deps: ImportDeps = defaultImportDeps()): Promise<number> {
  const { values } = parse(
    argv,
    {
      file: { type: 'string', short: 'f' },
      from: { type: 'string' },
      format: { type: 'string' },
      hosts: { type: 'string' },
      cluster: { type: 'string' },
      provider: { type: 'string' },
      'remove-missing': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      'dry-run': { type: 'boolean' },
      'from-frontend': { type: 'boolean' },
    },
    'import',
  );
  if (values['from-frontend']) {
    if (values.from || values.hosts || values.format || values.cluster || values.provider) {
      throw new UsageError('--from-frontend reads every provision on the frontend: leave out --from, --hosts, --format, --cluster and --provider.');
    }
    return fromFrontend({ file: values.file, yes: Boolean(values.yes || values['remove-missing']), dryRun: Boolean(values['dry-run']) }, io, deps);
  }
  if (!values.from) throw new UsageError('--from FILE is required: pass the output of "oneprovision show ID --json" or of "ansible-inventory --list".');
  if (values.format !== undefined && !(IMPORT_FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(`--format is ${shown(values.format)}: use ${IMPORT_FORMATS.join(', ')}.`);
  }
  if (values.provider !== undefined && !(PROVIDERS as readonly string[]).includes(values.provider)) {
    throw new UsageError(`--provider is ${shown(values.provider)}: use ${PROVIDERS.join(', ')}.`);
  }
  const { scenario, path, text } = await loadScenarioFile(values.file);
  const effects = createEffects({ dryRun: Boolean(values['dry-run']), exec: realExec });
  const r = await importProvision(
    {
      scenario,
      path,
      text,
      from: { name: values.from, text: await readInput(values.from, '--from') },
      hostsText: values.hosts ? await readInput(values.hosts, '--hosts') : undefined,
      format: values.format as ImportFormat | undefined,
      cluster: values.cluster,
      provider: values.provider as Provider | undefined,
      removeMissing: Boolean(values['remove-missing'] || values.yes),
    },
    effects,
  );
  const { merge: m, provisioned: prov } = r;
  const what = prov.name ? `provision "${prov.name}"` : prov.id !== undefined ? `provision ${prov.id}` : 'output';
  io.out.write(`Read ${prov.hosts.length} host(s) from ${r.format} ${what} into cluster ${m.cluster}${m.newCluster ? ' (new)' : ''}.\n`);
  for (const w of m.warnings) io.err.write(`warning: ${w}\n`);
  for (const h of m.added) io.out.write(`+ ${h.name} (${h.public_ip}) added\n`);
  for (const h of m.removed) io.out.write(`- ${h.name} (${h.public_ip}) removed\n`);
  const kept = m.missing.filter((x) => !m.removed.some((y) => y.name === x.name));
  for (const h of kept)
    io.err.write(`warning: ${h.name} (${h.public_ip}) is no longer in the provision; kept. Run again with --remove-missing to remove it.\n`);
  if (!r.changed) {
    io.out.write(`${path} is already up to date.\n`);
    return 0;
  }
  if (effects.dryRun) {
    io.out.write(renderDryRun(effects.record));
    return 0;
  }
  io.out.write(`Updated ${path}; run "edge-wizard generate -f ${path}" to regenerate the inventory.\n`);
  return 0;
}

/** `import --from-frontend`: read the frontend, show the changes, ask, apply, offer to deploy. */
export async function fromFrontend(opts: { file?: string; yes: boolean; dryRun: boolean }, io: CommandIO, deps: ImportDeps): Promise<number> {
  const { scenario, path, text } = await loadScenarioFile(opts.file);
  const interactive = deps.interactive && !opts.yes && !opts.dryRun;
  const say = (t: string) => io.out.write(t);
  const jump = proxyJumpSpec(scenario);
  say(
    `Reading the provisions on the frontend ${scenario.frontend.name} (${scenario.frontend.ssh_user}@${scenario.frontend.address}${jump ? ` through ${jump}` : ''}), read only...\n`,
  );
  const { plan, provisions } = await readFrontendPlan(scenario, deps.exec);
  say(
    `${provisions.length} provision(s) on the frontend${provisions.length ? `: ${provisions.map((p) => `${p.id ?? '?'}${p.name ? ` ${shown(p.name)}` : ''} (${p.hosts.length} host(s))`).join(', ')}` : ''}.\n`,
  );
  if (planIsEmpty(plan)) {
    say(`${path} already matches the frontend: nothing to change.\n`);
    return 0;
  }
  const choices: FrontendChoices = { remove: opts.yes, readdress: interactive ? await askReaddress(plan, deps.prompt) : {} };
  const gone = removals(plan, choices);
  if (gone.hosts.length || gone.clusters.length) {
    const what = describeRemovals(gone);
    if (interactive) {
      say(`The frontend no longer provisions ${what}.\n`);
      choices.remove = await confirm(deps.prompt, 'import.remove', `Remove ${what} from ${path}? (${REMOVAL_EFFECT})`, false);
    } else if (!opts.yes) {
      io.err.write(`warning: the frontend no longer provisions ${what}; kept. Run again with --yes to remove (${REMOVAL_EFFECT}).\n`);
    }
  }
  say(
    `Changes to ${path}:\n${describePlan(plan, choices)
      .map((l) => `  ${l}\n`)
      .join('')}`,
  );
  for (const c of plan.changes) {
    if (c.isNew && !c.providerKnown)
      io.err.write(
        `warning: the provision of the new cluster ${c.cluster} does not say which cloud its hosts run on: it gets provider other (no AWS REJECT rule handling); set its provider in ${path}.\n`,
      );
  }
  const effects = createEffects({ dryRun: opts.dryRun, exec: realExec });
  if (interactive && !(await confirm(deps.prompt, 'import.apply', `Apply these changes to ${path}?`, true))) {
    say('Nothing written.\n');
    return 0;
  }
  const changed = await applyFrontendImport({ path, text, plan, choices }, effects);
  if (!changed) {
    say(`${path} is unchanged.\n`);
    return 0;
  }
  if (effects.dryRun) {
    say(renderDryRun(effects.record));
    return 0;
  }
  say(`Updated ${path}.\n`);
  if (
    interactive &&
    (await confirm(deps.prompt, 'import.deploy', 'Deploy now (regenerate the inventory, then root access, firewall, WireGuard, FRR EVPN)?', false))
  ) {
    const { scenario: after } = await loadScenarioFile(path);
    return deps.deploy(after, path, io);
  }
  say(`Run "edge-wizard deploy -f ${path}" to bring the hosts in line.\n`);
  return 0;
}

async function confirm(prompt: Prompter, name: string, message: string, def: boolean): Promise<boolean> {
  return (await prompt<boolean>({ type: 'confirm', name, message, default: def })) ?? def;
}

export const command: Command = {
  help,
  run: (argv, io) => runImport(argv, io),
};
