import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UsageError } from '../errors.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { checkOutDir } from '../../adapters/paths.js';
import type { DeployInput, DeployOutcome } from '../../app/deploy.js';
import { defaultOutDir } from '../../app/generate.js';
import { DEFAULT_SETTLE_S } from '../../app/steps/verify.js';
import { defaultRunDeps, deployAndPrint, type DeployRunDeps } from '../wiring.js';
import { help } from '../help/deploy.js';

export const command: Command = {
  help,
  async run(argv, io) {
    const { values } = parse(
      argv,
      {
        file: { type: 'string', short: 'f' },
        out: { type: 'string', short: 'o' },
        from: { type: 'string' },
        only: { type: 'string' },
        check: { type: 'boolean' },
        full: { type: 'boolean' },
        'dry-run': { type: 'boolean', short: 'n' },
        yes: { type: 'boolean', short: 'y' },
        identity: { type: 'string' },
        'restrict-from': { type: 'string' },
        firewall: { type: 'string' },
        'accept-new-host-key': { type: 'string', multiple: true },
        renumber: { type: 'boolean' },
        settle: { type: 'string' },
        'no-opennebula': { type: 'boolean' },
        'one-endpoint': { type: 'string' },
        json: { type: 'boolean' },
      },
      'deploy',
    );
    if (values.from && values.only) throw new UsageError('--from and --only cannot be used together: pick one.');
    if (values.firewall && !['open', 'strict'].includes(values.firewall))
      throw new UsageError(`--firewall ${values.firewall} is not a mode: use open or strict.`);
    const settle = values.settle === undefined ? DEFAULT_SETTLE_S : Number(values.settle);
    if (!Number.isInteger(settle) || settle < 0 || settle > 3600)
      throw new UsageError(`--settle ${values.settle} is not a number of seconds: use a whole number from 0 to 3600.`);
    const result = await runDeploy(
      {
        file: values.file,
        out: values.out,
        from: values.from,
        only: values.only,
        check: Boolean(values.check),
        full: Boolean(values.full),
        settle,
        dryRun: Boolean(values['dry-run']),
        yes: Boolean(values.yes),
        identity: values.identity,
        restrictFrom: values['restrict-from'],
        firewallMode: values.firewall as 'open' | 'strict' | undefined,
        acceptNewHostKey: (values['accept-new-host-key'] ?? [])
          .flatMap((v) => v.split(','))
          .map((v) => v.trim())
          .filter(Boolean),
        renumber: Boolean(values.renumber),
        opennebula: !values['no-opennebula'],
        oneEndpoint: values['one-endpoint'],
        json: Boolean(values.json),
      },
      io,
      defaultRunDeps({ json: Boolean(values.json) }),
    );
    return result.ok ? 0 : 1;
  },
};

/** The deploy use case's input as the command line gives it: a file and a directory instead of the scenario. */
export type DeployOptions = Omit<DeployInput, 'scenario' | 'source' | 'warnings' | 'outDir'> & {
  file?: string;
  out?: string;
  dryRun?: boolean;
  /** Final report as JSON on stdout (cli/machine.ts). */
  json?: boolean;
};

/** `edge-wizard deploy` minus argv parsing: load the scenario, then the use case (tests call this). */
export async function runDeploy(opts: DeployOptions, io: CommandIO, deps: DeployRunDeps = defaultRunDeps()): Promise<DeployOutcome> {
  const { scenario, warnings, path: source } = await loadScenarioFile(opts.file);
  for (const w of warnings) io.err.write(`warning: ${w.message}\n`);
  return deployAndPrint(
    { ...opts, scenario, source, warnings: warnings.map((w) => w.message), outDir: checkOutDir(opts.out, defaultOutDir(scenario)) },
    io,
    deps,
  );
}

export type { DeployRunDeps };
