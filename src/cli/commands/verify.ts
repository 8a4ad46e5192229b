import { resolve } from 'node:path';
import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UsageError } from '../errors.js';
import { jsonLine, verifyJson } from '../machine.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { writeAtomic } from '../../adapters/files.js';
import { checkPrometheusFile } from '../../adapters/paths.js';
import { defaultOutDir } from '../../app/generate.js';
import { verifyOverlay, type VerifyDeps, type VerifyOutcome } from '../../app/verify.js';
import { realExec } from '../../adapters/exec.js';
import { renderPrometheus } from '../../core/prometheus.js';
import { kvmHosts } from '../../core/scenario.js';
import { formatReport } from '../../core/verify.js';
import { help } from '../help/verify.js';

export const command: Command = {
  help,
  async run(argv, io) {
    const { values } = parse(
      argv,
      { file: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' }, json: { type: 'boolean' }, prometheus: { type: 'string' } },
      'verify',
    );
    const r = await runVerifyCommand({ file: values.file, out: values.out, json: Boolean(values.json), prometheus: values.prometheus }, io);
    return r.report.ok ? 0 : 1;
  },
};

export interface VerifyOptions {
  file?: string;
  out?: string;
  json?: boolean;
  prometheus?: string;
}

/** `edge-wizard verify` minus argv parsing (tests call this with a fake exec). */
export async function runVerifyCommand(
  opts: VerifyOptions,
  io: CommandIO,
  deps: VerifyDeps = { exec: realExec, now: Date.now, env: process.env },
): Promise<VerifyOutcome> {
  if (opts.prometheus !== undefined && !opts.prometheus)
    throw new UsageError('--prometheus needs a file name, like /var/lib/prometheus/node-exporter/edge-wizard.prom.');
  // Refused before anything runs: a directory, or a file that is not a textfile of ours.
  const promFile = opts.prometheus ? checkPrometheusFile(opts.prometheus) : undefined;
  const { scenario, path } = await loadScenarioFile(opts.file);
  const outDir = resolve(opts.out ?? defaultOutDir(scenario));
  const r = await verifyOverlay(scenario, path, outDir, deps);
  if (r.stale.length)
    io.err.write(
      `note: the inventory differs from ${path} in ${r.stale.length} file(s) (${r.stale.slice(0, 3).join(', ')}${r.stale.length > 3 ? ', ...' : ''}): run "edge-wizard deploy" to apply the scenario.\n`,
    );
  if (promFile) {
    const clusters = new Map(kvmHosts(scenario).map((h) => [h.name, h.cluster]));
    const text = renderPrometheus({
      scenario: scenario.name,
      facts: r.facts,
      report: r.report,
      finishedAt: Math.floor(r.finishedAt / 1000),
      clusterOf: (h) => clusters.get(h) ?? '',
    });
    const file = promFile;
    // node_exporter reads *.prom only, and must never see a half-written one: temp file + rename.
    await writeAtomic(file, text, 0o644);
    if (!file.endsWith('.prom')) io.err.write(`note: ${file} does not end in .prom: node_exporter's textfile collector only reads *.prom files.\n`);
    else if (!opts.json) io.err.write(`metrics: ${file}\n`);
  }
  if (opts.json) {
    io.out.write(jsonLine(verifyJson(r, { scenario: scenario.name, source: path, inventory: outDir })));
  } else {
    const bad = r.report.checks.filter((c) => !c.ok).length;
    io.out.write(
      `${formatReport(r.report)}\n${r.report.ok ? 'verify: all checks passed' : `verify: ${bad} of ${r.report.checks.length} checks failed`}\nlog: ${r.logPath}\n`,
    );
  }
  return r;
}
