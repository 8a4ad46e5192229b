import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { parse } from '../args.js';
import { UsageError } from '../errors.js';
import { realExec } from '../../adapters/exec.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { defaultOutDir } from '../../app/generate.js';
import { rotateKeys } from '../../app/rotate-keys.js';
import { formatReport } from '../../core/verify.js';
import { help } from '../help/rotate-keys.js';

export const command: Command = {
  help,
  async run(argv, io) {
    const { values } = parse(
      argv,
      { file: { type: 'string', short: 'f' }, host: { type: 'string', multiple: true }, out: { type: 'string', short: 'o' } },
      'rotate-keys',
    );
    const { scenario, path } = await loadScenarioFile(values.file);
    const outDir = resolve(values.out ?? defaultOutDir(scenario));
    if (!existsSync(join(outDir, 'hosts.yml')))
      throw new UsageError(`There is no inventory in ${outDir}: deploy first ("edge-wizard deploy -f ${path}"), or pass --out DIR.`);
    const r = await rotateKeys(scenario, path, outDir, values.host ?? [], { exec: realExec, now: Date.now, env: process.env });
    io.out.write(`Rotated the WireGuard keys of ${r.hosts.join(', ')} at ${new Date(r.at).toISOString()}.\n`);
    for (const p of r.problems) io.out.write(`  - ${p}\n`);
    if (r.verify)
      io.out.write(
        `${formatReport(r.verify)}\n${r.verify.ok ? 'verify: all checks passed' : `verify: ${r.verify.checks.filter((c) => !c.ok).length} checks failed`}\n`,
      );
    io.out.write(`log: ${r.logPath}\n`);
    return r.ok ? 0 : 1;
  },
};
