/**
 * File writing for plan-then-apply: atomic (temp file in the same directory,
 * then rename), mode-aware (0600 files are created 0600, never widened), and
 * unchanged files are left untouched (same bytes and mode: no write at all).
 */
import { mkdir, open, readFile, readdir, rename, rm, stat, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { PlannedFile } from '../core/plan.js';

export type FileChange = { path: string; action: 'create' | 'update' | 'chmod' | 'unchanged'; before?: string; after: string; mode: number };

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes `content` to `path` atomically with `mode`. */
export async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content);
    await fh.chmod(mode); // umask may have narrowed it
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Compares the plan with the disk, a few files at a time; keeps `before` only where it differs. */
export async function diffPlan(outDir: string, files: PlannedFile[]): Promise<FileChange[]> {
  const one = async (f: PlannedFile): Promise<FileChange> => {
    const full = join(outDir, f.path);
    const before = await readText(full);
    if (before === undefined) return { path: f.path, action: 'create', after: f.content, mode: f.mode };
    if (before !== f.content) return { path: f.path, action: 'update', before, after: f.content, mode: f.mode };
    const st = await stat(full);
    return { path: f.path, action: (st.mode & 0o777) !== f.mode ? 'chmod' : 'unchanged', after: f.content, mode: f.mode };
  };
  const out: FileChange[] = [];
  for (let i = 0; i < files.length; i += 16) out.push(...(await Promise.all(files.slice(i, i + 16).map(one))));
  return out;
}

export async function applyChanges(outDir: string, changes: FileChange[]): Promise<void> {
  const one = async (c: FileChange) => {
    const full = join(outDir, c.path);
    if (c.action === 'create' || c.action === 'update') await writeAtomic(full, c.after, c.mode);
    else if (c.action === 'chmod') await chmod(full, c.mode);
  };
  for (let i = 0; i < changes.length; i += 16) await Promise.all(changes.slice(i, i + 16).map(one));
}

/** Previously generated files the planner reads back: hosts.yml and host_vars/*.yml. */
export async function readPrevious(outDir: string): Promise<{ hostsYml?: string; hostVars: Record<string, string> }> {
  const hostsYml = await readText(join(outDir, 'hosts.yml'));
  const hostVars: Record<string, string> = {};
  let names: string[] = [];
  try {
    names = await readdir(join(outDir, 'host_vars'));
  } catch {
    names = [];
  }
  for (const n of names.filter((n) => n.endsWith('.yml'))) {
    const t = await readText(join(outDir, 'host_vars', n));
    if (t !== undefined) hostVars[n.slice(0, -4)] = t;
  }
  return { hostsYml, hostVars };
}
