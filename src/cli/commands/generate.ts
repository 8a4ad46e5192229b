import { createTwoFilesPatch } from 'diff';
import type { Command } from '../command.js';
import type { FileChange } from '../../adapters/files.js';
import { parse } from '../args.js';
import { createEffects } from '../../adapters/effects.js';
import { realExec } from '../../adapters/exec.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { checkOutDir } from '../../adapters/paths.js';
import { defaultOutDir, generate, generateInto } from '../../app/generate.js';
import { renderDiff, renderDryRun, summary } from '../output.js';
import { UsageError } from '../errors.js';
import { help } from '../help/generate.js';

export const command: Command = {
  help,
  async run(argv, io) {
    const { values } = parse(
      argv,
      { file: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' }, into: { type: 'string' }, 'dry-run': { type: 'boolean', short: 'n' } },
      'generate',
    );
    if (values.into !== undefined && values.out !== undefined) {
      throw new UsageError(
        '--into and --out go apart: --out writes the overlay-only inventory, --into merges the overlay into your one-deploy inventory; give one.',
      );
    }
    const { scenario, warnings } = await loadScenarioFile(values.file);
    for (const w of warnings) io.err.write(`warning: ${w.message}\n`);
    if (values.into !== undefined) {
      const effects = createEffects({ dryRun: Boolean(values['dry-run']), exec: realExec });
      const { changes, notes } = await generateInto(scenario, values.into, effects);
      if (effects.dryRun) io.out.write(renderIntoDiff(changes));
      for (const n of notes) io.err.write(`note: ${n}\n`);
      io.out.write(summary(changes, values.into, effects.dryRun));
      return 0;
    }
    const outDir = values.out ?? defaultOutDir(scenario);
    const dir = checkOutDir(values.out, defaultOutDir(scenario));
    const effects = createEffects({ dryRun: Boolean(values['dry-run']), exec: realExec });
    const { changes } = await generate(scenario, dir, effects);
    if (effects.dryRun) io.out.write(renderDryRun(effects.record));
    io.out.write(summary(changes, outDir, effects.dryRun));
    return 0;
  },
};

/**
 * The dry run of --into: their hosts file with no context lines (only edge-wizard's own lines show, never
 * a secret of theirs beside them), edge-wizard's files in full.
 */
function renderIntoDiff(changes: FileChange[]): string {
  const [hosts, ...own] = changes;
  let out = '';
  if (hosts && hosts.action === 'update') out += createTwoFilesPatch(hosts.path, hosts.path, hosts.before ?? '', hosts.after, '', '', { context: 0 });
  return out + renderDiff(own);
}
