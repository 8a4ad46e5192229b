/**
 * The lab's side effects on processes, injected so tests can pass fakes.
 * Argument arrays only: nothing here goes through a shell.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, openSync, closeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { realExec, type Exec, type ExecOptions } from '../adapters/exec.js';

// The one exec adapter of the project; the lab adds detached spawning, which and waits.
export type { Exec, ExecOptions } from '../adapters/exec.js';

export interface LabDeps {
  exec: Exec;
  /** Starts a long-running program in its own session with output to logFile; returns its PID. */
  spawnDetached: (file: string, args: string[], logFile: string) => number;
  /** Absolute path of a program on PATH, or undefined. */
  which: (program: string) => string | undefined;
  isRoot: () => boolean;
  log: (line: string) => void;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export function realSpawnDetached(file: string, args: string[], logFile: string): number {
  const fd = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`Could not start ${file}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function realWhich(program: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, program);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function defaultDeps(log: (line: string) => void = () => {}): LabDeps {
  return {
    // The lab reads command output as values: without the final newline.
    exec: async (file, args, opts) => {
      const r = await realExec(file, args, opts);
      return { ...r, stdout: r.stdout.replace(/\n$/, ''), stderr: r.stderr.replace(/\n$/, '') };
    },
    spawnDetached: realSpawnDetached,
    which: realWhich,
    isRoot: () => typeof process.getuid === 'function' && process.getuid() === 0,
    log,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** Runs and throws with the command's stderr when it fails. */
export async function run(deps: LabDeps, file: string, args: string[], opts?: ExecOptions): Promise<string> {
  const r = await deps.exec(file, args, opts);
  if (r.failedToStart) throw new Error(`${file} could not be started: is it installed?`);
  if (r.exitCode !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** Polls until check() returns a value, or throws with what was awaited. */
export async function waitFor<T>(deps: LabDeps, what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  const deadline = deps.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (deps.now() > deadline) throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await deps.sleep(intervalMs);
  }
}

/** Runs a fixed bash script on a host with positional arguments (never interpolated into the script). */
export type LabRunner = (
  host: string,
  script: string,
  args: string[],
  o?: { timeoutMs?: number },
) => Promise<{ exitCode: number; stdout: string; stderr: string }>;
