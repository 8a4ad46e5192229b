import { resolve } from 'node:path';
import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UsageError, UserFacingError } from '../errors.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { defaultOutDir } from '../../app/generate.js';
import { lastVerify } from '../../app/verify.js';
import { renderGraph, topologyGraph, type GraphFormat, type MeshDrawing } from '../../core/graph.js';
import { help } from '../help/graph.js';

export const command: Command = {
  help,
  async run(argv, io) {
    const { values } = parse(
      argv,
      {
        file: { type: 'string', short: 'f' },
        format: { type: 'string' },
        mesh: { type: 'string' },
        verify: { type: 'boolean' },
        out: { type: 'string', short: 'o' },
      },
      'graph',
    );
    return runGraph({ file: values.file, format: values.format, mesh: values.mesh, verify: Boolean(values.verify), out: values.out }, io);
  },
};

export interface GraphCommandOptions {
  file?: string;
  format?: string;
  mesh?: string;
  verify?: boolean;
  out?: string;
}

export async function runGraph(opts: GraphCommandOptions, io: CommandIO): Promise<number> {
  const format = (opts.format ?? 'mermaid') as GraphFormat;
  if (!['mermaid', 'dot'].includes(format)) throw new UsageError(`--format ${opts.format} is not a format: use mermaid or dot.`);
  const mesh = (opts.mesh ?? 'auto') as MeshDrawing;
  if (!['auto', 'hosts', 'clusters'].includes(mesh)) throw new UsageError(`--mesh ${opts.mesh} is not a mode: use auto, hosts or clusters.`);
  if (opts.out && !opts.verify) throw new UsageError('--out is only read with --verify: add --verify, or leave --out out.');
  const { scenario } = await loadScenarioFile(opts.file);
  let verify;
  if (opts.verify) {
    const outDir = resolve(opts.out ?? defaultOutDir(scenario));
    try {
      verify = await lastVerify(scenario, outDir);
    } catch (e) {
      throw new UserFacingError(
        `The verify results in ${outDir}/.verify cannot be read (${(e as Error).message}): run "edge-wizard verify -f ${opts.file ?? 'FILE'}" again.`,
      );
    }
    if (!verify) throw new UserFacingError(`There are no verify results in ${outDir}/.verify: run "edge-wizard verify" (or deploy) first, or pass --out DIR.`);
  }
  io.out.write(renderGraph(topologyGraph(scenario, { mesh, verify }), format));
  return 0;
}
