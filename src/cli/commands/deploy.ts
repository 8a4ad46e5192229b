import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UsageError } from '../errors.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { checkOutDir } from '../../adapters/paths.js';
import type { DeployInput, DeployOutcome } from '../../app/deploy.js';
import { defaultOutDir } from '../../app/generate.js';
import { STEP_NAMES, stepsHelp } from '../../app/steps/index.js';
import { DEFAULT_SETTLE_S } from '../../app/steps/verify.js';
import { defaultRunDeps, deployAndPrint, type DeployRunDeps } from '../wiring.js';

export const command: Command = {
  help: `Usage: edge-wizard deploy -f FILE [options]

Brings the overlay up on the scenario's hosts, one idempotent step at a time:
${stepsHelp()}

The inventory is (re)generated first (as "edge-wizard generate"). A host that
fails is named with its step and cause; the other hosts finish; run deploy
again once it is fixed. Each run writes a log (no secrets) under DIR/logs/.

Options:
  -f, --file FILE        Scenario file (default: edge-wizard.yaml)
  -o, --out DIR          Inventory directory (default: inventories/<scenario name>)
      --from STEP        Start at STEP (preflight always runs)
      --only STEP        Run only STEP (after preflight)
      --check            Ansible check mode with diff: change nothing
      --full             Run every step, also those unchanged since the last verified deploy
  -n, --dry-run          Show the inventory diff and the ansible-playbook commands; run nothing
  -y, --yes              Do not ask for confirmation
      --identity FILE    Controller public key to install on the KVM hosts
                         (default: the IdentityFile of the scenario's ssh options, else ~/.ssh/id_*.pub)
      --restrict-from ADDR  Restrict that key to connections from ADDR (from="ADDR")
      --firewall MODE    open (default) or strict
      --accept-new-host-key HOST[,HOST...]
                         Hosts rebuilt under the same name and address: read each new SSH
                         host key through the frontend and accept it (preflight stops and
                         names a host whose key changed, with this exact flag)
      --renumber         Accept a changed wireguard.subnet: every host gets a new overlay
                         address at once, and VMs lose the network until OpenNebula re-creates
                         their VXLAN devices (deploy refuses the change without it)
      --settle SECONDS   How long verify keeps checking while sessions come up (default ${DEFAULT_SETTLE_S}; 0: one snapshot)
      --no-opennebula    Skip the OpenNebula step (e.g. on the lab, which has no oned)
      --one-endpoint URL oned XML-RPC endpoint instead of the SSH tunnel to the frontend
      --json             Print the final report as one JSON document on stdout (progress
                         goes to stderr; shape: docs/CONTRACTS.md, "Machine output")
  -h, --help             Show this help

Steps: ${STEP_NAMES.join(', ')}
`,
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
    if (values.firewall && !['open', 'strict'].includes(values.firewall)) throw new UsageError(`--firewall ${values.firewall} is not a mode: use open or strict.`);
    const settle = values.settle === undefined ? DEFAULT_SETTLE_S : Number(values.settle);
    if (!Number.isInteger(settle) || settle < 0 || settle > 3600) throw new UsageError(`--settle ${values.settle} is not a number of seconds: use a whole number from 0 to 3600.`);
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
        acceptNewHostKey: (values['accept-new-host-key'] ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean),
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
  return deployAndPrint({ ...opts, scenario, source, warnings: warnings.map((w) => w.message), outDir: checkOutDir(opts.out, defaultOutDir(scenario)) }, io, deps);
}

export type { DeployRunDeps };
