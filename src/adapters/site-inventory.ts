/**
 * A team's one-deploy inventory on disk, for `generate --into`: their hosts file (its text and
 * mode) and the group_vars/ and host_vars/ files beside it, edge-wizard's own told apart.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { isOwnFile, type SiteInventory } from '../core/site-inventory.js';
import { throughLinks } from './files.js';

/** Files Ansible's host_group_vars plugin reads: no extension, .yml, .yaml, .json; hidden files skipped. */
const VARS_FILE = /^[^.][^/]*?(\.ya?ml|\.json)?$/;
/** Bigger than any inventory's vars file: refused rather than read (a wrong path, a disk image). */
const MAX_BYTES = 16 * 1024 * 1024;

export interface SiteOnDisk extends SiteInventory {
  /** The hosts file (links resolved): what is written. */
  path: string;
  /** Its directory: where group_vars/ and host_vars/ are. */
  dir: string;
  mode: number;
}

export async function readSite(given: string): Promise<SiteOnDisk> {
  if (given.trim() === '') throw new UsageError('--into is empty (an unset shell variable?): give the hosts file of your one-deploy inventory.');
  const path = await throughLinks(resolve(given));
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new UsageError(`--into ${given}: no such file: give the hosts file of your one-deploy inventory (it is never created).`);
  if (st.isDirectory()) throw new UsageError(`--into ${given} is a directory: give its hosts file (e.g. ${join(given, 'hosts.yml')}).`);
  if (st.size > MAX_BYTES)
    throw new UsageError(`--into ${given} is ${st.size} bytes, more than any inventory: give the hosts file of your one-deploy inventory.`);
  const buf = await readFile(path);
  const text = buf.toString('utf8');
  if (Buffer.compare(Buffer.from(text, 'utf8'), buf) !== 0)
    throw new UsageError(`--into ${given} is not UTF-8 text: give the YAML hosts file of your one-deploy inventory.`);
  const dir = dirname(path);
  const varsFiles: Record<string, string> = {};
  const ownFiles: string[] = [];
  for (const top of ['group_vars', 'host_vars']) {
    for (const file of await listFiles(join(dir, top), 2)) {
      const rel = relative(dir, file).split('\\').join('/');
      if (isOwnFile(rel)) ownFiles.push(rel);
      else {
        const s = await stat(file);
        if (s.size <= MAX_BYTES) varsFiles[rel] = await readFile(file, 'utf8');
      }
    }
  }
  return { name: given, text, varsFiles, ownFiles, path, dir, mode: st.mode & 0o7777 };
}

/** Regular files under `dir`, `depth` levels down, sorted (a missing dir: none). */
async function listFiles(dir: string, depth: number): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!VARS_FILE.test(e.name)) continue;
    const p = join(dir, e.name);
    const s = await stat(p).catch(() => undefined);
    if (s?.isDirectory() && depth > 1) out.push(...(await listFiles(p, depth - 1)));
    else if (s?.isFile()) out.push(p);
  }
  return out;
}
