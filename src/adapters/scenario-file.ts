/** Reading the scenario file from disk into a validated Scenario. */
import { readText } from './files.js';
import { parseScenario, type ParsedScenario } from '../core/index.js';
import { UsageError } from '../core/errors.js';

export const DEFAULT_SCENARIO_FILE = 'edge-wizard.yaml';

export async function loadScenarioFile(path: string | undefined): Promise<ParsedScenario & { path: string; text: string }> {
  const file = path ?? DEFAULT_SCENARIO_FILE;
  const text = await readText(file).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read the scenario file ${file} (${e.code ?? e.message}): check the path given with -f.`);
  });
  if (text === undefined) {
    throw new UsageError(
      path
        ? `The scenario file ${file} does not exist: check the path given with -f.`
        : `No ${DEFAULT_SCENARIO_FILE} here: pass -f FILE, or run "edge-wizard init" to write one.`,
    );
  }
  return { ...parseScenario(text, file), path: file, text };
}
