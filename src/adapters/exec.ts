/**
 * Child processes, argument arrays only (never shell strings). Everything that
 * runs a program takes an `Exec` so tests pass a fake table instead.
 */
import type { execa as Execa } from 'execa';

/** execa, loaded on the first run: importing it costs ~0.2 s of CPU, which commands that run nothing (validate, generate) skip. */
let execaFn: typeof Execa | undefined;

export interface ExecOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  /** Milliseconds; the process is killed after it. */
  timeout?: number;
  /** Called with each chunk of stdout+stderr as it arrives (progress, logs). */
  onOutput?: (chunk: string) => void;
  /** Only `env` reaches the child, not this process's environment (ansible-runner records its env in artifacts). */
  cleanEnv?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when the program could not be started (ENOENT, EACCES). */
  failedToStart?: boolean;
  timedOut?: boolean;
  durationMs: number;
}

export type Exec = (file: string, args: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

/** The real thing: execa with `reject: false`, so a non-zero exit is data, not an exception. */
export const realExec: Exec = async (file, args, opts = {}) => {
  const started = Date.now();
  execaFn ??= (await import('execa')).execa;
  const child = execaFn(file, [...args], {
    reject: false,
    env: opts.env,
    extendEnv: !opts.cleanEnv,
    cwd: opts.cwd,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    timeout: opts.timeout,
    stripFinalNewline: false,
  });
  if (opts.onOutput) {
    child.stdout?.on('data', (b: Buffer) => opts.onOutput!(b.toString()));
    child.stderr?.on('data', (b: Buffer) => opts.onOutput!(b.toString()));
  }
  const r = await child;
  const code = (r as { code?: string }).code;
  return {
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : 127,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    failedToStart: code === 'ENOENT' || code === 'EACCES',
    timedOut: Boolean(r.timedOut),
    durationMs: Date.now() - started,
  };
};

/** One row of a fake exec table: the first row whose `match` accepts the call answers it. */
export interface FakeExecRow {
  match: (file: string, args: readonly string[]) => boolean;
  result: Partial<ExecResult> | ((file: string, args: readonly string[], opts?: ExecOptions) => Partial<ExecResult> | Promise<Partial<ExecResult>>);
}

/** A fake `Exec` for tests; `calls` records every invocation. Unmatched calls exit 127. */
export function fakeExec(rows: FakeExecRow[]): Exec & { calls: Array<{ file: string; args: string[]; opts?: ExecOptions }> } {
  const calls: Array<{ file: string; args: string[]; opts?: ExecOptions }> = [];
  const fn = (async (file: string, args: readonly string[], opts?: ExecOptions) => {
    calls.push({ file, args: [...args], opts });
    const row = rows.find((r) => r.match(file, args));
    if (!row) return { exitCode: 127, stdout: '', stderr: `fake exec: no row for ${file} ${args.join(' ')}`, failedToStart: true, durationMs: 0 };
    const partial = typeof row.result === 'function' ? await row.result(file, args, opts) : row.result;
    const full: ExecResult = { exitCode: 0, stdout: '', stderr: '', durationMs: 0, ...partial };
    if (opts?.onOutput && full.stdout) opts.onOutput(full.stdout);
    return full;
  }) as Exec & { calls: typeof calls };
  fn.calls = calls;
  return fn;
}
