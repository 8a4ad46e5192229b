import type { Command } from '../command.js';
import { parse } from '../args.js';
import { ValidationFailed } from '../errors.js';
import { jsonLine, validateJson } from '../machine.js';
import { DEFAULT_SCENARIO_FILE, loadScenarioFile } from '../../adapters/scenario-file.js';
import { kvmHosts } from '../../core/scenario.js';
import { help } from '../help/validate.js';

export const command: Command = {
  help,
  async run(argv, io) {
    const { values } = parse(argv, { file: { type: 'string', short: 'f' }, quiet: { type: 'boolean', short: 'q' }, json: { type: 'boolean' } }, 'validate');
    if (values.json) {
      const source = values.file ?? DEFAULT_SCENARIO_FILE;
      try {
        const { scenario, warnings, path } = await loadScenarioFile(values.file);
        io.out.write(
          jsonLine(
            validateJson({
              source: path,
              valid: true,
              scenario: { name: scenario.name, clusters: scenario.clusters.length, kvmHosts: kvmHosts(scenario).length },
              problems: [],
              warnings,
            }),
          ),
        );
        return 0;
      } catch (e) {
        // A file that cannot be read is a usage error (stderr, empty stdout); problems in it are the answer.
        if (!(e instanceof ValidationFailed)) throw e;
        io.out.write(jsonLine(validateJson({ source, valid: false, problems: e.details, warnings: [] })));
        return e.exitCode;
      }
    }
    const { scenario, warnings, path } = await loadScenarioFile(values.file);
    for (const w of warnings) io.err.write(`warning: ${w.message}\n`);
    if (!values.quiet) {
      io.out.write(`${path}: valid (scenario "${scenario.name}", ${scenario.clusters.length} clusters, ${kvmHosts(scenario).length} KVM hosts)\n`);
    }
    return 0;
  },
};
