import { stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { createTwoFilesPatch } from 'diff';
import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UsageError } from '../errors.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { readText, writeAtomic } from '../../adapters/files.js';
import { parseScenario } from '../../core/index.js';
import { parseOneprovision, parseOneform, detectFormat, ImportFormatError, type Provisioned } from '../../core/import/provision.js';
import { mergeProvision, MergeError } from '../../core/import/merge.js';

export const help = `Usage: edge-wizard import [-f SCENARIO] --from FILE [--format oneprovision|oneform]
                         [--hosts FILE] [--cluster NAME] [--remove-missing] [--yes] [--dry-run]

Updates the scenario file from what provisioning left, then run "edge-wizard
generate" to regenerate the inventory:
  - OpenNebula 6.x: --from is "oneprovision show ID --json", --hosts is
    "onehost list --json" (hosts are named by their public IP);
  - OpenNebula 7.x: --from is the one-deploy inventory OneForm rendered.

New hosts are added to the provision's edge cluster (named kvm_<cluster>_<n>;
the mesh planner gives them the next free WireGuard addresses). Existing hosts
keep their names, addresses and keys; nothing is renumbered. Hosts of that
cluster the provision no longer lists are reported and kept until you confirm
with --remove-missing (or --yes). The file is rewritten in place, comments
kept, atomically.

Options:
  -f, --file FILE       Scenario file (default: edge-wizard.yaml)
  --from FILE           Provisioning output to read
  --format FORMAT       oneprovision or oneform (default: guessed from the file)
  --hosts FILE          "onehost list --json" output (oneprovision)
  --cluster NAME        Edge cluster the provision's hosts belong to
  --remove-missing      Remove hosts the provision no longer lists
  -y, --yes             Same as --remove-missing; never asks
  --dry-run             Print the diff of the scenario file; write nothing
  -h, --help            Show this help
`;

async function readInput(path: string, flag: string): Promise<string> {
  const t = await readText(path).catch(() => undefined);
  if (t === undefined) throw new UsageError(`${flag} ${path} cannot be read: check the path.`);
  return t;
}

export async function runImport(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parse(
    argv,
    {
      file: { type: 'string', short: 'f' },
      from: { type: 'string' },
      format: { type: 'string' },
      hosts: { type: 'string' },
      cluster: { type: 'string' },
      'remove-missing': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      'dry-run': { type: 'boolean' },
    },
    'import',
  );
  if (!values.from) throw new UsageError('--from FILE is required: pass the output of "oneprovision show ID --json" or the OneForm inventory.');
  if (values.format !== undefined && values.format !== 'oneprovision' && values.format !== 'oneform') {
    throw new UsageError(`--format is "${values.format}": use oneprovision or oneform.`);
  }
  const { scenario, path, text } = await loadScenarioFile(values.file);
  const from = await readInput(values.from, '--from');
  const format = (values.format as 'oneprovision' | 'oneform' | undefined) ?? detectFormat(from);
  let prov: Provisioned;
  try {
    prov = format === 'oneprovision' ? parseOneprovision(from, values.hosts ? await readInput(values.hosts, '--hosts') : undefined) : parseOneform(from);
  } catch (e) {
    if (e instanceof ImportFormatError) throw new UsageError(`--from ${values.from} ${e.message}`);
    throw e;
  }
  const doc = parseDocument(text);
  let r;
  try {
    r = mergeProvision(doc, scenario, prov, { cluster: values.cluster, removeMissing: Boolean(values['remove-missing'] || values.yes) });
  } catch (e) {
    if (e instanceof MergeError) throw new UsageError(e.message);
    throw e;
  }
  // yaml keeps comments; it re-spaces inline comments to one space. No padding inside [flow] lists, as users write them.
  const after = doc.toString({ flowCollectionPadding: false });
  // The result must still be a valid scenario (this throws ValidationFailed, exit 2, otherwise).
  parseScenario(after, path);

  io.out.write(`Read ${prov.hosts.length} host(s) from ${format} ${prov.name ? `provision "${prov.name}"` : 'output'} into cluster ${r.cluster}${r.newCluster ? ' (new)' : ''}.\n`);
  for (const h of r.added) io.out.write(`+ ${h.name} (${h.public_ip}) added\n`);
  for (const h of r.removed) io.out.write(`- ${h.name} (${h.public_ip}) removed\n`);
  const kept = r.missing.filter((m) => !r.removed.some((x) => x.name === m.name));
  for (const h of kept) io.err.write(`warning: ${h.name} (${h.public_ip}) is no longer in the provision; kept. Run again with --remove-missing to remove it.\n`);

  if (after === text) {
    io.out.write(`${path} is already up to date.\n`);
    return 0;
  }
  if (values['dry-run']) {
    io.out.write(createTwoFilesPatch(path, path, text, after, 'current', 'after import'));
    return 0;
  }
  const mode = (await stat(path)).mode & 0o777;
  await writeAtomic(path, after, mode);
  io.out.write(`Updated ${path}; run "edge-wizard generate -f ${path}" to regenerate the inventory.\n`);
  return 0;
}

export const command: Command = {
  help,
  run: (argv, io) => runImport(argv, io),
};
