/**
 * Dry run decided once (release-it's `lib/shell.js` is the model): every side
 * effect of a use case goes through an `Effects`, which either does it or, in a
 * dry run, records what it would have done. Use cases never test `dryRun`
 * themselves to skip a write; the CLI prints `effects.record` the same way for
 * every command.
 */
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readText, syncFiles as syncToDisk, writeAtomic, type FileChange } from './files.js';
import type { Exec, ExecOptions, ExecResult } from './exec.js';
import type { PlannedFile } from '../core/plan.js';

/** What a dry run would have done (also kept, less verbosely, for a real run). */
export type Effect =
  { kind: 'file'; change: FileChange; root?: string } | { kind: 'run'; label: string; file: string; args: string[]; env?: Record<string, string> };

export interface Effects {
  readonly dryRun: boolean;
  readonly record: Effect[];
  /** Brings `outDir` in line with planned files; unchanged files are not touched. */
  syncFiles(outDir: string, files: PlannedFile[]): Promise<FileChange[]>;
  /** Writes one file atomically with `mode` (unless its bytes are already there). */
  writeFile(path: string, content: string, mode: number): Promise<FileChange>;
  /** Removes a file (and its directory when that leaves it empty); nothing when it is gone already. */
  removeFile(path: string): Promise<FileChange>;
  /** Creates a directory (private by default). */
  mkdir(path: string, mode?: number): Promise<void>;
  /** Runs a program that changes something; in a dry run only records it and returns undefined. */
  run(label: string, file: string, args: readonly string[], opts?: ExecOptions): Promise<ExecResult | undefined>;
}

export function createEffects(opts: { dryRun: boolean; exec: Exec }): Effects {
  const record: Effect[] = [];
  return {
    dryRun: opts.dryRun,
    record,
    async syncFiles(outDir, files) {
      const changes = await syncToDisk(outDir, files, { dryRun: opts.dryRun });
      for (const change of changes) record.push({ kind: 'file', change, root: outDir });
      return changes;
    },
    async writeFile(path, content, mode) {
      const before = await readText(path);
      const change: FileChange = { path, action: before === undefined ? 'create' : before === content ? 'unchanged' : 'update', before, after: content, mode };
      if (!opts.dryRun && change.action !== 'unchanged') await writeAtomic(path, content, mode);
      record.push({ kind: 'file', change });
      return change;
    },
    async removeFile(path) {
      const before = await readText(path);
      const change: FileChange = { path, action: before === undefined ? 'unchanged' : 'delete', before, after: '', mode: 0 };
      if (!opts.dryRun && before !== undefined) {
        await rm(path, { force: true });
        await rmdir(dirname(path)).catch(() => undefined);
      }
      record.push({ kind: 'file', change });
      return change;
    },
    async mkdir(path, mode = 0o700) {
      if (!opts.dryRun) await mkdir(path, { recursive: true, mode });
    },
    async run(label, file, args, execOpts) {
      record.push({ kind: 'run', label, file, args: [...args], env: execOpts?.env as Record<string, string> | undefined });
      if (opts.dryRun) return undefined;
      return opts.exec(file, args, execOpts);
    },
  };
}
