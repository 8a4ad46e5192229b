/** Reading the scenario file from disk into a validated Scenario. */
import { open, stat } from 'node:fs/promises';
import { decodeInput, MAX_INPUT_BYTES, parseScenario, type ParsedScenario } from '../core/index.js';
import { UsageError } from '../core/errors.js';

export const DEFAULT_SCENARIO_FILE = 'edge-wizard.yaml';

/**
 * At most `limit` + 1 bytes of `path` (enough to tell it is too large, even
 * for /dev/zero or a pipe), or undefined when it does not exist.
 */
export async function readBounded(path: string, limit = MAX_INPUT_BYTES): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    // ENOTDIR: a part of the path is a file, so there is no such file either.
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  }
  try {
    const buf = Buffer.alloc(limit + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

export async function loadScenarioFile(path: string | undefined): Promise<ParsedScenario & { path: string; text: string }> {
  const file = path ?? DEFAULT_SCENARIO_FILE;
  const bytes = await readBounded(file).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read the scenario file ${file} (${e.code ?? e.message}): check the path given with -f.`);
  });
  if (bytes === undefined) {
    throw new UsageError(
      path
        ? `The scenario file ${file} does not exist: check the path given with -f.`
        : `No ${DEFAULT_SCENARIO_FILE} here: pass -f FILE, or run "edge-wizard init" to write one.`,
    );
  }
  const text = decodeInput(bytes, `The scenario file ${file}`);
  return { ...parseScenario(text, file), path: file, text };
}

/**
 * Any other input file a command reads (provisioning output, answers): the same
 * bounds and encoding checks as the scenario file; `flag` names it in the sentence.
 */
export async function readInputFile(path: string, flag: string): Promise<string> {
  const bytes = await readBounded(path).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`${flag} ${path} cannot be read (${e.code ?? e.message}): check the path.`);
  });
  if (bytes === undefined) throw new UsageError(`${flag} ${path} does not exist: check the path.`);
  return decodeInput(bytes, `${flag} ${path}`);
}

/**
 * The mode to write a scenario file back with: its current mode (a 0600 file stays 0600, a
 * group the owner chose keeps reading it), less any access for others when the scenario
 * holds a plain-text password.
 */
export async function scenarioWriteMode(path: string, holdsPlainPassword: boolean): Promise<number> {
  const mode = (await stat(path)).mode & 0o777;
  return holdsPlainPassword ? mode & 0o770 : mode;
}
