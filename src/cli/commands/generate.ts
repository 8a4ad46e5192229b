import type { Command } from '../command.js';
import { parse } from '../args.js';
import { createEffects } from '../../adapters/effects.js';
import { realExec } from '../../adapters/exec.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { checkOutDir } from '../../adapters/paths.js';
import { defaultOutDir, generate } from '../../app/generate.js';
import { renderDryRun, summary } from '../output.js';

export const command: Command = {
  help: `Usage: edge-wizard generate [-f FILE] [--out DIR] [--dry-run]

Writes the one-deploy inventory and the WireGuard plan for a scenario:
  hosts.yml               overlay inventory (router, edge_frontend, node groups; not for one-deploy site runs)
  host_vars/<host>.yml    WireGuard plan per host (roles/wireguard reads it)
  wireguard/<host>.conf   readable wg0.conf preview (no key material)
  ansible.cfg             pipelining, ControlPersist, forks

Writes are atomic; unchanged files are not touched; a file holding a plain
password is 0600. Your own additions to hosts.yml (vars, hosts' extra vars,
groups, comments) survive regeneration, and WireGuard addresses never change.

Options:
  -f, --file FILE   Scenario file (default: edge-wizard.yaml)
  -o, --out DIR     Output directory (default: inventories/<scenario name>)
  -n, --dry-run     Show the diff (secrets masked) and write nothing
  -h, --help        Show this help
`,
  async run(argv, io) {
    const { values } = parse(argv, { file: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' }, 'dry-run': { type: 'boolean', short: 'n' } }, 'generate');
    const { scenario, warnings } = await loadScenarioFile(values.file);
    for (const w of warnings) io.err.write(`warning: ${w.message}\n`);
    const outDir = values.out ?? defaultOutDir(scenario);
    const dir = checkOutDir(values.out, defaultOutDir(scenario));
    const effects = createEffects({ dryRun: Boolean(values['dry-run']), exec: realExec });
    const { changes } = await generate(scenario, dir, effects);
    if (effects.dryRun) io.out.write(renderDryRun(effects.record));
    io.out.write(summary(changes, outDir, effects.dryRun));
    return 0;
  },
};
