import type { Command } from '../command.js';
import { parse } from '../args.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { kvmHosts } from '../../core/scenario.js';

export const command: Command = {
  help: `Usage: edge-wizard validate [-f FILE]

Checks a scenario file: its shape against schema/edge-wizard.schema.json, then
addresses, subnets, MTU, leases and the public-IP budget. Every problem is
reported at once, one sentence each; exit code 2 when there is any.

Options:
  -f, --file FILE   Scenario file (default: edge-wizard.yaml)
  -q, --quiet       Print nothing when the file is valid
  -h, --help        Show this help
`,
  async run(argv, io) {
    const { values } = parse(argv, { file: { type: 'string', short: 'f' }, quiet: { type: 'boolean', short: 'q' } }, 'validate');
    const { scenario, warnings, path } = await loadScenarioFile(values.file);
    for (const w of warnings) io.err.write(`warning: ${w.message}\n`);
    if (!values.quiet) {
      io.out.write(`${path}: valid (scenario "${scenario.name}", ${scenario.clusters.length} clusters, ${kvmHosts(scenario).length} KVM hosts)\n`);
    }
    return 0;
  },
};
