import type { Command } from '../command.js';
import { parse } from '../args.js';
import { createEffects } from '../../adapters/effects.js';
import { realExec } from '../../adapters/exec.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { checkOutDir } from '../../adapters/paths.js';
import { defaultOutDir, generate } from '../../app/generate.js';
import { renderDryRun, summary } from '../output.js';
import { help } from '../help/generate.js';

export const command: Command = {
  help,
  async run(argv, io) {
    const { values } = parse(
      argv,
      { file: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' }, 'dry-run': { type: 'boolean', short: 'n' } },
      'generate',
    );
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
