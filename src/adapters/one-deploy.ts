/**
 * one-deploy (the `opennebula.deploy` collection) as installed, against the
 * pin in `collections/`. one-deploy's galaxy.yml says `version: 0.0.0` on every
 * branch and tag, and `ansible-galaxy collection install` from git copies that
 * into MANIFEST.json, so the version alone cannot tell releases apart: the pin
 * also records a digest of each role edge-wizard runs, and an installed
 * collection is the pinned one when those roles are byte-identical.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from './ansible.js';
import { pinFromRepositoryTasks } from '../core/frr-pin.js';

/** The roles edge-wizard runs (playbooks/frr-evpn.yml and what they include), as paths under roles/. */
export const PINNED_ROLES = ['helper/facts', 'common', 'frr/common', 'frr/evpn', 'repository'] as const;

export const COLLECTIONS_DIR = join(PACKAGE_ROOT, 'collections');
export const REQUIREMENTS_FILE = join(COLLECTIONS_DIR, 'requirements.yml');
export const PIN_FILE = join(COLLECTIONS_DIR, 'one-deploy.pin.json');

/** The install command for the pinned collection (run from edge-wizard's directory). */
export const PIN_INSTALL_HINT = 'ansible-galaxy collection install -r collections/requirements.yml';

export interface OneDeployPin {
  /** Git source, as in requirements.yml. */
  source: string;
  /** The release tag the commit carries. */
  tag: string;
  /** The commit requirements.yml pins (`version:`). */
  commit: string;
  /** sha256 of each role in PINNED_ROLES at that commit (see roleDigest). */
  roles: Record<string, string>;
}

export interface InstalledCollection {
  /** The collection's own directory (…/ansible_collections/opennebula/deploy). */
  dir: string;
  /** `version` of MANIFEST.json (installed by ansible-galaxy) or galaxy.yml (a checkout). */
  version?: string;
  versionFrom?: 'MANIFEST.json' | 'galaxy.yml';
  /** Digest of each pinned role; absent when the role is missing. */
  roles: Record<string, string | undefined>;
}

export type PinComparison = { pinned: true } | { pinned: false; differing: string[] };

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    // Symlinks are followed: the digest is of what Ansible reads.
    const isDir = e.isDirectory() || (e.isSymbolicLink() && statSync(p).isDirectory());
    if (isDir) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

/** sha256 over every file of a role directory: relative path, NUL, content, NUL, in path order. */
export function roleDigest(roleDir: string): string {
  const h = createHash('sha256');
  for (const f of files(roleDir)
    .map((p) => relative(roleDir, p))
    .sort()) {
    h.update(f)
      .update('\0')
      .update(readFileSync(join(roleDir, f)))
      .update('\0');
  }
  return h.digest('hex');
}

/** `opennebula/deploy` under a value of ANSIBLE_COLLECTIONS_PATH (a dir holding or being `ansible_collections`). */
export function collectionDir(collectionsPath: string): string {
  const base = collectionsPath.endsWith('ansible_collections') ? collectionsPath : join(collectionsPath, 'ansible_collections');
  return join(base, 'opennebula', 'deploy');
}

function versionOf(dir: string): Pick<InstalledCollection, 'version' | 'versionFrom'> {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as { collection_info?: { version?: unknown } };
    if (m.collection_info?.version !== undefined) return { version: String(m.collection_info.version), versionFrom: 'MANIFEST.json' };
  } catch {
    // Not installed by ansible-galaxy: a checkout has galaxy.yml instead.
  }
  try {
    const g = parse(readFileSync(join(dir, 'galaxy.yml'), 'utf8')) as { version?: unknown } | null;
    if (g?.version !== undefined) return { version: String(g.version), versionFrom: 'galaxy.yml' };
  } catch {
    // Neither file: the version stays unknown.
  }
  return {};
}

/** What is installed under `collectionsPath`, or undefined when it holds no opennebula.deploy. */
export function readInstalled(collectionsPath: string): InstalledCollection | undefined {
  const dir = collectionDir(collectionsPath);
  if (!existsSync(join(dir, 'roles'))) return undefined;
  const roles: Record<string, string | undefined> = {};
  for (const r of PINNED_ROLES) {
    const rd = join(dir, 'roles', r);
    roles[r] = existsSync(rd) ? roleDigest(rd) : undefined;
  }
  return { dir, ...versionOf(dir), roles };
}

/** The pin: collections/one-deploy.pin.json, checked against collections/requirements.yml. */
export function readPin(pinFile = PIN_FILE, requirementsFile = REQUIREMENTS_FILE): OneDeployPin {
  const pin = JSON.parse(readFileSync(pinFile, 'utf8')) as OneDeployPin;
  const req = parse(readFileSync(requirementsFile, 'utf8')) as { collections?: Array<{ name?: string; type?: string; version?: string }> };
  const entry = req.collections?.find((c) => c.name === pin.source);
  if (!entry || entry.type !== 'git' || entry.version !== pin.commit) {
    throw new Error(`${requirementsFile} does not pin ${pin.source} at ${pin.commit} as ${pinFile} says: make the two agree.`);
  }
  return pin;
}

/** Pure: the installed roles against the pin's digests. */
export function comparePin(installed: Pick<InstalledCollection, 'roles'>, pin: Pick<OneDeployPin, 'roles'>): PinComparison {
  const differing = Object.keys(pin.roles).filter((r) => installed.roles[r] !== pin.roles[r]);
  return differing.length ? { pinned: false, differing } : { pinned: true };
}

/** The FRR series (`10.5`) the installed one-deploy installs from FRR's repository, or undefined when its repository role says none. */
export function readFrrPin(collectionsPath: string): string | undefined {
  try {
    return pinFromRepositoryTasks(readFileSync(join(collectionDir(collectionsPath), 'roles', 'repository', 'tasks', 'frr.yml'), 'utf8'));
  } catch {
    return undefined;
  }
}
