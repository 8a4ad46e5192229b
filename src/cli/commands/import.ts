import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UsageError } from '../errors.js';
import { shown } from '../../core/validate.js';
import { createEffects } from '../../adapters/effects.js';
import { realExec } from '../../adapters/exec.js';
import { loadScenarioFile, readInputFile } from '../../adapters/scenario-file.js';
import { importProvision } from '../../app/import.js';
import { IMPORT_FORMATS, type ImportFormat, type Provider } from '../../core/import/provision.js';
import { PROVIDERS } from '../../core/schema.js';
import { renderDryRun } from '../output.js';

export const help = `Usage: edge-wizard import [-f SCENARIO] --from FILE [--hosts FILE]
         [--format oneprovision-6|oneprovision-7|ansible-inventory]
         [--cluster NAME] [--provider NAME] [--remove-missing] [--yes] [--dry-run]

Updates the scenario file from what provisioning left, then run "edge-wizard
generate" to regenerate the inventory. --from is one of:
  - OpenNebula 6.x: "oneprovision show ID --json", with --hosts
    "onehost list --json" (hosts are named by their public IP);
  - OpenNebula 7.2+: "oneprovision show ID --json" (OneForm provisions);
  - OpenNebula 7.2+: "ansible-inventory -i inventory.yaml --list" (or --yaml)
    in a OneForm provision's ansible directory, with the -e variables OneForm
    passes (provision_id, form_server, ...): the one-deploy inventory OneForm
    builds; hosts are the node group's ansible_host.

New hosts are added to the provision's edge cluster (named kvm_<cluster>_<n>;
the mesh planner gives them the next free WireGuard addresses). Existing hosts
keep their names, addresses and keys; nothing is renumbered. Hosts of that
cluster the provision no longer lists are reported and kept until you confirm
with --remove-missing (or --yes). The file is rewritten in place, comments
kept, atomically.

Options:
  -f, --file FILE       Scenario file (default: edge-wizard.yaml)
  --from FILE           Provisioning output to read
  --format FORMAT       oneprovision-6, oneprovision-7 or ansible-inventory
                        (default: told from the file)
  --hosts FILE          "onehost list --json" output (OpenNebula 6.x)
  --cluster NAME        Edge cluster the provision's hosts belong to
  --provider NAME       Provider of a new cluster, when the file does not
                        tell it: ${PROVIDERS.join(', ')}
  --remove-missing      Remove hosts the provision no longer lists
  -y, --yes             Same as --remove-missing; never asks
  --dry-run             Print the diff of the scenario file; write nothing
  -h, --help            Show this help
`;

const readInput = (path: string, flag: string) => readInputFile(path, flag);

export async function runImport(argv: string[], io: CommandIO): Promise<number> {
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
    },
    'import',
  );
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
  for (const h of kept) io.err.write(`warning: ${h.name} (${h.public_ip}) is no longer in the provision; kept. Run again with --remove-missing to remove it.\n`);
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

export const command: Command = {
  help,
  run: (argv, io) => runImport(argv, io),
};
