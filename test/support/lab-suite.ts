/**
 * Whether a root lab suite can run here. When it cannot, it says SKIPPED loudly, with
 * why, and `suite` is describe.skip: a lab suite never passes silently.
 */
import { describe } from '@jest/globals';
import { findOneDeploy } from '../../src/adapters/ansible.js';
import { realWhich } from '../../src/lab/exec.js';

export function labSuite(what: string): { runs: boolean; why?: string; suite: typeof describe | typeof describe.skip } {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const canRun = isRoot && realWhich('systemd-nspawn') !== undefined && realWhich('ansible-playbook') !== undefined;
  const why = !canRun
    ? 'they need root, systemd-nspawn and ansible-playbook'
    : !findOneDeploy(process.env)
      ? 'one-deploy not found: they deploy with the opennebula.deploy collection (set ONE_DEPLOY_DIR to an extracted one-deploy)'
      : undefined;
  if (why) console.warn(`${what} SKIPPED: ${why}`);
  return { runs: why === undefined, why, suite: why === undefined ? describe : describe.skip };
}
