import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { realExec } from '../../adapters/exec.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { defaultOneDeps, ensureOpenNebula, type OneDeps } from '../../app/one.js';
import { vmStateName } from '../../core/opennebula/plan.js';
import { checkEndpoint } from '../../core/opennebula/endpoint.js';
import { UsageError } from '../../core/errors.js';
import { help } from '../help/one.js';
export { help };

export type { OneDeps };

export async function defaultDeps(): Promise<OneDeps> {
  return defaultOneDeps(realExec);
}

export async function runOne(argv: string[], io: CommandIO, deps: OneDeps): Promise<number> {
  const { values } = parse(
    argv,
    {
      file: { type: 'string', short: 'f' },
      'dry-run': { type: 'boolean' },
      endpoint: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      unlock: { type: 'boolean' },
    },
    'one',
  );
  // Before the scenario is read: a bad --endpoint is one sentence, exit 2.
  const checked = values.endpoint === undefined ? undefined : checkEndpoint(values.endpoint);
  if (checked?.error) throw new UsageError(checked.error);
  const { scenario, warnings } = await loadScenarioFile(values.file);
  for (const w of warnings) io.err.write(`warning: ${w.message}\n`);
  const dryRun = values['dry-run'] ?? false;
  if (dryRun) io.out.write(`Calls edge-wizard one would make (session string omitted):\n`);
  const warn = (w: string) => io.err.write(`warning: ${w}\n`);
  const r = await ensureOpenNebula(scenario, { endpoint: values.endpoint, dryRun, warn, unlock: values.unlock }, deps, (l) =>
    io.out.write(dryRun ? `  ${l}\n` : `- ${l}\n`),
  );
  if (values.unlock) return 0;
  if (dryRun) {
    if (!r.plan.steps.length) io.out.write('  (none: OpenNebula already matches the scenario)\n');
    return 0;
  }
  if (!r.done.length) io.out.write('OpenNebula already matches the scenario: nothing to change.\n');
  if (r.vrouter) {
    const v = r.vrouter;
    const vm = v.vm === undefined ? '' : `, VM ${v.vm}${v.state === undefined ? '' : ` ${vmStateName(v.state)}`}`;
    if (v.ip)
      io.out.write(`Virtual router ${r.plan.vrouterName} (ID ${v.id}${vm}): public address ${v.ip}${v.private_ip ? ` (private ${v.private_ip})` : ''}\n`);
    else if (v.private_ip)
      io.out.write(
        `Virtual router ${r.plan.vrouterName} (ID ${v.id}${vm}): eth0 has the private address ${v.private_ip} on an elastic network but no EXTERNAL_IP: check the public network's address ranges ("onevnet show").\n`,
      );
    else io.out.write(`Virtual router ${r.plan.vrouterName} (ID ${v.id}) has no address yet: check "onevrouter show ${v.id}" once its VM is running.\n`);
  }
  return 0;
}

export const command: Command = {
  help,
  async run(argv, io) {
    return runOne(argv, io, await defaultDeps());
  },
};
