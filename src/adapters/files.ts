/**
 * File writing for plan-then-apply: atomic (temp file in the same directory,
 * then rename), mode-aware (0600 files are created 0600, never widened), and
 * unchanged files are left untouched (same bytes and mode: no write at all).
 */
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { chmod, link, lstat, mkdir, open, readdir, readFile, readlink, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import type { PlannedFile } from '../core/plan.js';

/**
 * Directories we create: owner and group only, whatever the umask (an inventory holds
 * hosts.yml, 0600 with a plain password, and ansible.cfg, which Ansible refuses to read from a
 * world-writable directory). Existing directories keep their mode, less group and world write.
 */
export const DIR_MODE = 0o750;
const NO_SHARED_WRITE = ~0o022;

/** The file a path names, through any symbolic links (a link to a missing file: that file). */
export async function throughLinks(path: string): Promise<string> {
  let p = resolve(path);
  for (let i = 0; i < 40; i++) {
    let st;
    try {
      st = await lstat(p);
    } catch {
      return p;
    }
    if (!st.isSymbolicLink()) return p;
    p = resolve(dirname(p), await readlink(p));
  }
  throw new UsageError(`${path} is a loop of symbolic links: point it at a real file.`);
}

export type FileChange = { path: string; action: 'create' | 'update' | 'chmod' | 'delete' | 'unchanged'; before?: string; after: string; mode: number };

export async function readText(path: string): Promise<string | undefined> {
  return readTextNow(path);
}

/**
 * Writes `content` to `path` atomically with `mode`. A symbolic link is written through: the
 * file it points at is replaced, the link stays (a scenario kept in a dotfiles repository).
 */
export async function writeAtomic(link: string, content: string, mode: number): Promise<void> {
  try {
    await writeAtomicNow(await throughLinks(link), content, mode);
  } catch (e) {
    throw writeProblem(link, e);
  }
}

/**
 * A write that the system refused, as one sentence naming the path and the fix (exit 2): a
 * read-only directory or file system, a full disk, a path through a file. Other errors as they are.
 */
export function writeProblem(path: string, e: unknown): unknown {
  const why: Record<string, string> = {
    EACCES: 'its directory is not writable by this user: fix the permissions or write it elsewhere',
    EPERM: 'its directory is not writable by this user: fix the permissions or write it elsewhere',
    EROFS: 'it is on a read-only file system: write it elsewhere',
    ENOSPC: 'the disk is full: free some space and run this again',
    EDQUOT: 'the disk quota is used up: free some space and run this again',
    ENOTDIR: 'a part of its path is a file, not a directory: give another path',
    // mkdir of a directory on the way that exists as a file
    EEXIST: 'a part of its path is a file, not a directory: give another path',
    EISDIR: 'it is a directory: give a file name',
  };
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code && why[code] ? new UsageError(`Cannot write ${path} (${code}): ${why[code]}.`) : e;
}

async function writeAtomicNow(path: string, content: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
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
export async function syncFiles(given: string, files: PlannedFile[], opts: { dryRun?: boolean } = {}): Promise<FileChange[]> {
  // A symlinked output directory is written through: the swap happens beside the real directory.
  const outDir = await realDir(given);
  if (opts.dryRun) return syncLocked(outDir, files, opts);
  const release = await takeLock(outDir, given);
  try {
    return await syncLocked(outDir, files, opts);
  } finally {
    await release();
  }
}

/** The real path of an existing directory (links resolved), else the path itself. */
async function realDir(dir: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch {
    return resolve(dir);
  }
}

/**
 * One writer per output directory: a lock file beside it (`.<name>.ew-lock`, holding the pid),
 * taken with O_EXCL. A second generate or deploy on the same directory stops with one sentence
 * instead of swapping in a tree while the first is half way (two runs of 1000 hosts once left an
 * inventory missing files). A lock whose process is gone is taken over.
 */
async function takeLock(outDir: string, shown: string): Promise<() => Promise<void>> {
  const lock = join(dirname(outDir), `.${basename(outDir)}.ew-lock`);
  await mkdir(dirname(lock), { recursive: true, mode: DIR_MODE });
  const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    // Written whole, then linked into place: link() fails with EEXIST if the lock exists, and the lock is
    // never seen empty (a reader that found it empty once took it for stale while its writer went on).
    const tmp = `${lock}.${randomBytes(6).toString('hex')}`;
    await writeFile(tmp, `${token}\n`, { flag: 'wx', mode: 0o600 });
    try {
      await link(tmp, lock);
      HELD.add(token);
      return async () => {
        HELD.delete(token);
        await rm(lock, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const held = (await readFile(lock, 'utf8').catch(() => '')).trim();
      if (!held) continue; // removed in between: try again
      const pid = Number(held.split(' ')[0]);
      // Held: by another live process, or by another call of this one (tests run commands in-process).
      if (pid && (pid === process.pid ? HELD.has(held) : alive(pid))) {
        throw new UsageError(
          `Another edge-wizard (pid ${pid}) is writing ${shown} right now: wait for it to finish and run this again (remove ${lock} if that process is gone).`,
        );
      }
      // Stale: its process is gone. Moved aside and checked, so a fresh lock another run took meanwhile is put back.
      const aside = `${lock}.stale.${randomBytes(6).toString('hex')}`;
      if (
        await rename(lock, aside).then(
          () => true,
          () => false,
        )
      ) {
        const moved = (await readFile(aside, 'utf8').catch(() => '')).trim();
        if (moved !== held) await link(aside, lock).catch(() => undefined);
        await rm(aside, { force: true });
      }
    } finally {
      await rm(tmp, { force: true });
    }
  }
  throw new UsageError(`Another edge-wizard is writing ${shown} right now: wait for it to finish and run this again.`);
}

/** Locks this process holds (their tokens). */
const HELD = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncLocked(outDir: string, files: PlannedFile[], opts: { dryRun?: boolean }): Promise<FileChange[]> {
  if (!opts.dryRun) await recoverSwap(outDir);
  const existed = await isDir(outDir);
  let staging: string | undefined;
  const stage = async () => (staging ??= await makeStaging(outDir, existed));
  const made = new Set<string>();
  // One file at a time with synchronous calls: a thousand files through the thread pool cost
  // several times the CPU (a promise, a thread hop and an error object per ENOENT for each call).
  const one = async (f: PlannedFile): Promise<FileChange> => {
    const full = join(outDir, f.path);
    const after = f.content;
    const before = existed ? readTextNow(full) : undefined;
    if (before === undefined || before !== after) {
      if (!opts.dryRun) writeStaged(join(await stage(), f.path), after, f.mode, made);
      return { path: f.path, action: before === undefined ? 'create' : 'update', before, after, mode: f.mode };
    }
    if ((statSync(full).mode & 0o777) === f.mode) return { path: f.path, action: 'unchanged', after: '', mode: f.mode };
    // A hard link shares the inode: the staging tree gets a fresh copy with the new mode.
    if (!opts.dryRun) writeStaged(join(await stage(), f.path), after, f.mode, made);
    return { path: f.path, action: 'chmod', after: '', mode: f.mode };
  };
  const out: FileChange[] = [];
  try {
    for (const f of files) {
      const c = await one(f);
      // Keep the text only where a dry run will print a diff.
      out.push(opts.dryRun ? c : { ...c, before: undefined, after: '' });
    }
  } catch (e) {
    // The old tree is untouched; drop the half-written staging copy.
    if (staging) await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
  if (staging) await swapIn(outDir, staging, existed);
  return out;
}

/** The file's text, or undefined when it does not exist. */
function readTextNow(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * A file of the staging tree, always a new inode: the tree's other files are hard
 * links into the live tree and are never written through. No temp file and rename:
 * the whole tree is swapped in at the end, or dropped.
 */
function writeStaged(path: string, content: string, mode: number, made: Set<string>): void {
  const dir = dirname(path);
  if (!made.has(dir)) {
    // New directories get DIR_MODE whatever the umask (mkdir's mode is narrowed by it).
    const first = mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    for (let d = dir; first && d.length >= first.length; d = dirname(d)) chmodSync(d, DIR_MODE);
    made.add(dir);
  }
  rmSync(path, { force: true });
  const fd = openSync(path, 'wx', mode);
  try {
    writeFileSync(fd, content);
    fchmodSync(fd, mode); // umask may have narrowed it
  } finally {
    closeSync(fd);
  }
}

const NEW = '.ew-new';
const OLD = '.ew-old';
/** Sibling paths of an output directory used by the swap. */
export function swapPaths(outDir: string): { staging: string; old: string } {
  const dir = resolve(outDir);
  return { staging: join(dirname(dir), `.${basename(dir)}${NEW}`), old: join(dirname(dir), `.${basename(dir)}${OLD}`) };
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function makeStaging(outDir: string, existed: boolean): Promise<string> {
  const { staging } = swapPaths(outDir);
  await rm(staging, { recursive: true, force: true });
  await mkdir(dirname(staging), { recursive: true, mode: DIR_MODE });
  if (existed) await linkTree(outDir, staging);
  else {
    await mkdir(staging, { recursive: true, mode: DIR_MODE });
    await chmod(staging, DIR_MODE);
  }
  return staging;
}

/** A copy of a tree made of hard links (directories recreated with their modes; our stray temp files left behind). */
async function linkTree(from: string, to: string): Promise<void> {
  const st = await stat(from);
  const mode = st.mode & 0o7777 & NO_SHARED_WRITE;
  await mkdir(to, { mode });
  await chmod(to, mode);
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

function readHead(path: string, bytes: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0)).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Previously generated files the planner reads back: hosts.yml and the head of host_vars/*.yml. */
export async function readPrevious(outDir: string): Promise<{ hostsYml?: string; hostVars: Record<string, string> }> {
  // Synchronous reads, one file after another: 10,000 awaited reads spent seconds waiting on the thread pool.
  const hostsYml = readTextNow(join(outDir, 'hosts.yml'));
  const hostVars: Record<string, string> = {};
  let names: string[] = [];
  try {
    names = readdirSync(join(outDir, 'host_vars'));
  } catch {
    names = [];
  }
  for (const n of names.filter((n) => n.endsWith('.yml'))) {
    const t = readHead(join(outDir, 'host_vars', n), HOST_VARS_HEAD);
    if (t !== undefined) hostVars[n.slice(0, -4)] = t;
  }
  return { hostsYml, hostVars };
}
