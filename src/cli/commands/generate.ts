import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { Command } from '../command.js';
import { parse } from '../args.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { readPrevious, syncFiles, type FileChange } from '../../adapters/files.js';
import { addressesFromHostVars, planFiles } from '../../core/index.js';
import { redact } from '../../core/redact.js';
import type { Scenario } from '../../core/scenario.js';

export const command: Command = {
  help: `Usage: edge-wizard generate [-f FILE] [--out DIR] [--dry-run]

Writes the one-deploy inventory and the WireGuard plan for a scenario:
  hosts.yml               one-deploy inventory (router, frontend, node groups)
  host_vars/<host>.yml    WireGuard plan per host (roles/wireguard reads it)
  wireguard/<host>.conf   readable wg0.conf preview (no key material)
  ansible.cfg             pipelining, ControlPersist, forks

Writes are atomic; unchanged files are not touched; a file holding a plain
password is 0600. Your own additions to hosts.yml (vars, hosts' extra vars,
groups, comments) survive regeneration, and WireGuard addresses never change.

Options:
  -f, --file FILE   Scenario file (default: edge-wizard.yaml)
  -o, --out DIR     Output directory (default: inventories/<scenario name>)
  -n, --dry-run     Show the diff (secrets redacted) and write nothing
  -h, --help        Show this help
`,
  async run(argv, io) {
    const { values } = parse(argv, { file: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' }, 'dry-run': { type: 'boolean', short: 'n' } }, 'generate');
    const { scenario, warnings } = await loadScenarioFile(values.file);
    for (const w of warnings) io.err.write(`warning: ${w.message}\n`);
    const outDir = values.out ?? defaultOutDir(scenario);
    const changes = await generate(scenario, outDir, { dryRun: Boolean(values['dry-run']) });
    io.out.write(values['dry-run'] ? renderDiff(changes) : '');
    io.out.write(summary(changes, outDir, Boolean(values['dry-run'])));
    return 0;
  },
};

export function defaultOutDir(s: Scenario): string {
  return join('inventories', s.name);
}

/** Plans and (unless dryRun) applies the files of a scenario; returns what changed. */
export async function generate(scenario: Scenario, outDir: string, opts: { dryRun?: boolean } = {}): Promise<FileChange[]> {
  const previous = await readPrevious(outDir);
  const { files } = planFiles(scenario, { hostsYml: previous.hostsYml, addresses: addressesFromHostVars(previous.hostVars) });
  return syncFiles(outDir, files, opts);
}

export function renderDiff(changes: FileChange[]): string {
  return changes
    .filter((c) => c.action !== 'unchanged')
    .map((c) =>
      c.action === 'chmod'
        ? `mode ${c.path} -> ${c.mode.toString(8)}\n`
        : redact(createTwoFilesPatch(c.before === undefined ? '/dev/null' : `a/${c.path}`, `b/${c.path}`, c.before ?? '', c.after, '', '', { context: 3 })),
    )
    .join('');
}

export function summary(changes: FileChange[], outDir: string, dryRun: boolean): string {
  const count = (a: FileChange['action']) => changes.filter((c) => c.action === a).length;
  const verb = dryRun ? 'would write' : 'wrote';
  const created = count('create');
  const updated = count('update') + count('chmod');
  const same = count('unchanged');
  return `${outDir}: ${verb} ${created} new and ${updated} changed file${created + updated === 1 ? '' : 's'}, ${same} unchanged${dryRun ? ' (dry run: nothing written)' : ''}\n`;
}
