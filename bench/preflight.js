// What every lab bench needs before it starts (root, one-deploy): one sentence and exit 2 if not.
import { findOneDeploy } from '../dist/adapters/ansible.js';

export function labBenchPreflight(what) {
  if (process.getuid?.() !== 0) {
    console.error(`${what} needs root (it builds a lab of containers in network namespaces).`);
    process.exit(2);
  }
  if (!findOneDeploy(process.env)) {
    console.error('SKIPPED: one-deploy not found: set ONE_DEPLOY_DIR to an extracted one-deploy.');
    process.exit(2);
  }
}
