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

/**
 * Brings the output directory in line with the plan, a few files at a time:
 * each file is rendered once, compared with the disk, and written only when it
 * differs (or chmod-ed when only its mode does). With `dryRun` nothing is
 * written. `before`/`after` are kept only for changed files, for the diff.
 */
export async function syncFiles(outDir: string, files: PlannedFile[], opts: { dryRun?: boolean } = {}): Promise<FileChange[]> {
  const one = async (f: PlannedFile): Promise<FileChange> => {
    const full = join(outDir, f.path);
    const after = f.content;
    const before = await readText(full);
    if (before === undefined || before !== after) {
      if (!opts.dryRun) await writeAtomic(full, after, f.mode);
      return { path: f.path, action: before === undefined ? 'create' : 'update', before, after, mode: f.mode };
    }
    const st = await stat(full);
    if ((st.mode & 0o777) === f.mode) return { path: f.path, action: 'unchanged', after: '', mode: f.mode };
    if (!opts.dryRun) await chmod(full, f.mode);
    return { path: f.path, action: 'chmod', after: '', mode: f.mode };
  };
  const out: FileChange[] = [];
  for (let i = 0; i < files.length; i += 16) {
    const batch = await Promise.all(files.slice(i, i + 16).map(one));
    // Keep the text only where a dry run will print a diff.
    out.push(...batch.map((c) => (opts.dryRun ? c : { ...c, before: undefined, after: '' })));
  }
  return out;
}

/** The generated header of a host_vars file (its `wireguard_address` line) fits in this many bytes. */
const HOST_VARS_HEAD = 2048;

async function readHead(path: string, bytes: number): Promise<string | undefined> {
  try {
    const fh = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(bytes), 0, bytes, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/** Previously generated files the planner reads back: hosts.yml and the head of host_vars/*.yml. */
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
    const t = await readHead(join(outDir, 'host_vars', n), HOST_VARS_HEAD);
    if (t !== undefined) hostVars[n.slice(0, -4)] = t;
  }
  return { hostsYml, hostVars };
}
