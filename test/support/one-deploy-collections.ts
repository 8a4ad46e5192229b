/**
 * The one-deploy collections a system test runs against: the pinned release (archived from the
 * mirror, ONE_DEPLOY_MIRROR) and this machine's (ONE_DEPLOY_DIR, /opt/one-deploy), each as
 * [label, collections path]. Empty when neither is here: the caller says SKIPPED loudly.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOneDeploy } from '../../src/adapters/ansible.js';
import { readPin } from '../../src/adapters/one-deploy.js';

const MIRROR = process.env.ONE_DEPLOY_MIRROR ?? '/work/.mirror/OpenNebula+one-deploy/repo';

export function oneDeployCollections(): Array<[string, string]> {
  const collections: Array<[string, string]> = [];
  if (existsSync(MIRROR)) {
    const pin = readPin();
    const dir = mkdtempSync(join(tmpdir(), 'ew-one-deploy-pin-'));
    execFileSync('sh', ['-c', 'git --git-dir "$1" archive "$2" | tar -x -C "$3"', 'sh', MIRROR, pin.commit, dir]);
    collections.push([`pinned ${pin.tag}`, join(dir, 'ansible_collections')]);
  }
  const local = findOneDeploy();
  if (local) collections.push([`this machine's (${local})`, local]);
  return collections;
}
