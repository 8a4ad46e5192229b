/**
 * File writing for plan-then-apply: atomic (temp file in the same directory,
 * then rename), mode-aware (0600 files are created 0600, never widened), and
 * unchanged files are left untouched (same bytes and mode: no write at all).
 */
import { chmod, link, mkdir, open, readdir, readFile, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
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
 * Brings the output directory in line with the plan, all or nothing: each file
 * is rendered once and compared with the disk; on the first difference a
 * staging copy of the directory is made beside it (hard links, so it costs no
 * data copy and keeps the user's own files, logs and modes), changed files are
 * written into the staging copy, and the copy is swapped in at the end with two
 * renames. An interrupted run leaves the old tree as it was; the next run
 * finishes or rolls back a half-done swap (recoverSwap) and removes stray
 * staging copies and temp files. With `dryRun` nothing is written.
 */
export async function syncFiles(outDir: string, files: PlannedFile[], opts: { dryRun?: boolean } = {}): Promise<FileChange[]> {
  if (!opts.dryRun) await recoverSwap(outDir);
  const existed = await isDir(outDir);
  let staging: Promise<string> | undefined;
  const stage = () => (staging ??= makeStaging(outDir, existed));
  const one = async (f: PlannedFile): Promise<FileChange> => {
    const full = join(outDir, f.path);
    const after = f.content;
    const before = await readText(full);
    if (before === undefined || before !== after) {
      if (!opts.dryRun) await writeAtomic(join(await stage(), f.path), after, f.mode);
      return { path: f.path, action: before === undefined ? 'create' : 'update', before, after, mode: f.mode };
    }
    const st = await stat(full);
    if ((st.mode & 0o777) === f.mode) return { path: f.path, action: 'unchanged', after: '', mode: f.mode };
    if (!opts.dryRun) {
      // A hard link shares the inode: chmod a fresh copy in the staging tree instead.
      const dest = join(await stage(), f.path);
      await writeAtomic(dest, after, f.mode);
    }
    return { path: f.path, action: 'chmod', after: '', mode: f.mode };
  };
  const out: FileChange[] = [];
  try {
    for (let i = 0; i < files.length; i += 16) {
      // Every write of the batch settles before a failure is raised: nothing keeps writing behind it.
      const settled = await Promise.allSettled(files.slice(i, i + 16).map(one));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const batch = settled.map((r) => (r as PromiseFulfilledResult<FileChange>).value);
      // Keep the text only where a dry run will print a diff.
      out.push(...batch.map((c) => (opts.dryRun ? c : { ...c, before: undefined, after: '' })));
    }
  } catch (e) {
    // The old tree is untouched; drop the half-written staging copy.
    if (staging) await staging.then((p) => rm(p, { recursive: true, force: true })).catch(() => undefined);
    throw e;
  }
  if (staging) await swapIn(outDir, await staging, existed);
  return out;
}

const NEW = '.ew-new';
const OLD = '.ew-old';
/** Sibling paths of an output directory used by the swap. */
export function swapPaths(outDir: string): { staging: string; old: string } {
  const dir = resolve(outDir);
  return { staging: join(dirname(dir), `.${basename(dir)}${NEW}`), old: join(dirname(dir), `.${basename(dir)}${OLD}`) };
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

async function makeStaging(outDir: string, existed: boolean): Promise<string> {
  const { staging } = swapPaths(outDir);
  await rm(staging, { recursive: true, force: true });
  await mkdir(dirname(staging), { recursive: true });
  if (existed) await linkTree(outDir, staging);
  else await mkdir(staging, { recursive: true });
  return staging;
}

/** A copy of a tree made of hard links (directories recreated with their modes; our stray temp files left behind). */
async function linkTree(from: string, to: string): Promise<void> {
  const st = await stat(from);
  await mkdir(to, { mode: st.mode & 0o7777 });
  await chmod(to, st.mode & 0o7777);
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (STRAY_TMP.test(e.name)) continue;
    const a = join(from, e.name);
    const b = join(to, e.name);
    if (e.isDirectory()) await linkTree(a, b);
    else if (e.isSymbolicLink()) await symlink(await readlink(a), b);
    else await link(a, b);
  }
}

/** Old tree aside, new tree in, old tree removed; recoverSwap finishes this if it is cut short. */
async function swapIn(outDir: string, staging: string, existed: boolean): Promise<void> {
  const { old } = swapPaths(outDir);
  if (existed) {
    await rm(old, { recursive: true, force: true });
    await rename(outDir, old);
  }
  await rename(staging, outDir);
  if (existed) await rm(old, { recursive: true, force: true });
}

/** Finishes or rolls back a swap an earlier run did not complete, and removes its leftovers. */
export async function recoverSwap(outDir: string): Promise<void> {
  const { staging, old } = swapPaths(outDir);
  const [hasOut, hasStaging, hasOld] = await Promise.all([isDir(outDir), isDir(staging), isDir(old)]);
  if (!hasOut && hasOld) {
    // Cut between the two renames: the staging tree is complete (it is renamed only once written).
    if (hasStaging) await rename(staging, outDir);
    else await rename(old, outDir);
  }
  await rm(old, { recursive: true, force: true });
  await rm(staging, { recursive: true, force: true });
  if (await isDir(outDir)) await removeStrayTemps(outDir);
}

/** writeAtomic's temp files (`.<12 hex>.tmp`) left by a crash of an older version. */
const STRAY_TMP = /^\.[0-9a-f]{12}\.tmp$/;

async function removeStrayTemps(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) await removeStrayTemps(join(dir, e.name));
    else if (STRAY_TMP.test(e.name)) await rm(join(dir, e.name), { force: true });
  }
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
