/** What the commands print about files and programs: summaries, and one dry-run printer for every command. */
import { createTwoFilesPatch } from 'diff';
import type { Effect } from '../adapters/effects.js';
import type { FileChange } from '../adapters/files.js';
import { maskFile } from '../core/secrets.js';

/** Unified diffs of changed files, secrets masked where the file's kind keeps them (core/secrets.ts). */
export function renderDiff(changes: FileChange[]): string {
  return changes
    .filter((c) => c.action !== 'unchanged')
    .map((c) => {
      if (c.action === 'chmod') return `mode ${c.path} -> ${c.mode.toString(8)}\n`;
      if (c.action === 'delete') return `removed ${c.path}\n`;
      const before = c.before === undefined ? '' : maskFile(c.path, c.before);
      const after = maskFile(c.path, c.after);
      if (before === after) return `${c.path}: a secret changed (not shown)\n`;
      return createTwoFilesPatch(c.before === undefined ? '/dev/null' : `a/${c.path}`, `b/${c.path}`, before, after, '', '', { context: 3 });
    })
    .join('');
}

export function summary(changes: FileChange[], outDir: string, dryRun: boolean): string {
  const count = (a: FileChange['action']) => changes.filter((c) => c.action === a).length;
  const verb = dryRun ? 'would write' : 'wrote';
  const created = count('create');
  const updated = count('update') + count('chmod');
  const same = count('unchanged');
  const removed = count('delete');
  const gone = removed ? `, ${dryRun ? 'would remove' : 'removed'} ${removed}` : '';
  return `${outDir}: ${verb} ${created} new and ${updated} changed file${created + updated === 1 ? '' : 's'}${gone}, ${same} unchanged${dryRun ? ' (dry run: nothing written)' : ''}\n`;
}

export function shellQuote(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** What a dry run recorded: the diff of every file, then every program that would run. */
export function renderDryRun(record: Effect[], opts: { env?: string } = {}): string {
  const files = record.flatMap((e) => (e.kind === 'file' ? [e.change] : []));
  const runs = record.flatMap((e) => (e.kind === 'run' ? [e] : []));
  let out = renderDiff(files);
  if (runs.length) {
    out += `\nWould run${opts.env ? ` (env ${opts.env})` : ''}:\n`;
    for (const r of runs) out += `  ${r.label}: ${r.args.length ? [r.file, ...r.args].map(shellQuote).join(' ') : r.file}\n`;
  }
  return out;
}
