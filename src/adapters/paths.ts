/**
 * Path arguments checked before anything is written: one sentence and exit 2
 * (UsageError) instead of a raw error, a write into the wrong place, or an
 * existing file clobbered.
 */
import { accessSync, constants, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import { isOurTextfile } from '../core/prometheus.js';
import { PACKAGE_ROOT } from './ansible.js';

/** Directories of edge-wizard's own tree that an output directory must never be, or be inside. */
const OWN_DIRS = ['src', 'dist', 'bin', 'test', 'roles', 'playbooks', 'schema', 'templates', 'examples', 'docs', 'node_modules', 'scripts', 'bench', '.git'];

export interface PathDeps {
  /** Throws when `path` is not writable (fs.accessSync with W_OK). */
  canWrite: (path: string) => boolean;
}

const realPathDeps: PathDeps = {
  canWrite: (p) => {
    try {
      accessSync(p, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/**
 * An output directory given as `raw` on the command line (undefined: the
 * default was used). Returns the absolute path, or throws one sentence.
 */
export function checkOutDir(raw: string | undefined, fallback: string, flag = '--out', deps: PathDeps = realPathDeps): string {
  if (raw !== undefined && raw.trim() === '') {
    throw new UsageError(`${flag} is empty (an unset shell variable?): give a directory, or leave ${flag} out to use ${fallback}.`);
  }
  const shown = raw ?? fallback;
  const dir = resolve(shown);
  const root = resolve(PACKAGE_ROOT);
  const rel = relative(root, dir);
  if (dir === root || (!rel.startsWith('..') && OWN_DIRS.includes(rel.split(sep)[0]!))) {
    throw new UsageError(`${flag} ${shown} is inside edge-wizard's own files, which it would overwrite: use inventories/<name> or a directory elsewhere.`);
  }
  const link = lstatSync(dir, { throwIfNoEntry: false });
  if (link?.isSymbolicLink() && !existsSync(dir)) {
    throw new UsageError(`${flag} ${shown} is a symbolic link to ${readlinkSync(dir)}, which does not exist: create that directory, or give another ${flag}.`);
  }
  if (existsSync(dir)) {
    const st = statSync(dir);
    if (!st.isDirectory()) throw new UsageError(`${flag} ${shown} is a file, not a directory: give a directory (it is created when missing).`);
    if (!deps.canWrite(dir)) throw new UsageError(`${flag} ${shown} is not writable by this user: fix its permissions or choose another directory.`);
    const entries = readdirSync(dir);
    if (entries.length && !isOurInventory(dir)) {
      const shownEntries = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', ...' : '');
      throw new UsageError(`${flag} ${shown} already holds files that are not an edge-wizard inventory (${shownEntries}): choose an empty or new directory.`);
    }
    return dir;
  }
  // Missing: created later; its nearest existing parent must be a writable directory.
  let parent = dirname(dir);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  if (!statSync(parent).isDirectory()) throw new UsageError(`${flag} ${shown} cannot be created: ${parent} is a file, not a directory.`);
  if (!deps.canWrite(parent)) throw new UsageError(`${flag} ${shown} cannot be created: ${parent} is not writable by this user.`);
  return dir;
}

/** An inventory directory (ours, possibly edited by its user): it has a hosts.yml. */
function isOurInventory(dir: string): boolean {
  return existsSync(join(dir, 'hosts.yml'));
}

/**
 * `verify --prometheus FILE`: a file of our own or a new one, in an existing directory. A
 * directory, or a file that is not a textfile edge-wizard wrote (a dashboard, another
 * exporter's metrics), is refused before anything runs. Returns the absolute path.
 */
export function checkPrometheusFile(raw: string): string {
  const file = resolve(raw);
  let st;
  try {
    st = statSync(file, { throwIfNoEntry: false });
  } catch {
    st = undefined; // ENOTDIR: a parent is a file (said below)
  }
  if (st?.isDirectory()) throw new UsageError(`--prometheus ${raw} is a directory: give a file name in it, like ${join(raw, 'edge-wizard.prom')}.`);
  if (st && !st.isFile()) throw new UsageError(`--prometheus ${raw} is not a regular file: give the path of a .prom file.`);
  if (st) {
    let head = '';
    try {
      head = readFileSync(file, 'utf8').slice(0, 4096);
    } catch (e) {
      throw new UsageError(`--prometheus ${raw} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}): fix its permissions or give another file.`);
    }
    if (!isOurTextfile(head))
      throw new UsageError(
        `--prometheus ${raw} already exists and is not a textfile edge-wizard wrote: give a new file name (edge-wizard only replaces its own).`,
      );
  }
  // A missing directory is created; its nearest existing parent must be a writable directory.
  let dir = dirname(file);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw new UsageError(`--prometheus ${raw} cannot be written: ${dir} is a file, not a directory; give another path.`);
  if (!realPathDeps.canWrite(dir)) throw new UsageError(`--prometheus ${raw} cannot be written: ${dir} is not writable by this user.`);
  return file;
}
