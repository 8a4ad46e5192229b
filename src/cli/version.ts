/**
 * `edge-wizard --version`: our version, the ansible-core that deploy would run,
 * the one-deploy pin and whether the pinned one-deploy is installed (the same
 * checks preflight makes, without a scenario).
 */
import { ansibleCoreVersion, findOneDeploy } from '../adapters/ansible.js';
import { realExec, type Exec } from '../adapters/exec.js';
import { comparePin, PIN_INSTALL_HINT, readInstalled, readPin } from '../adapters/one-deploy.js';

export interface VersionDeps {
  exec: Exec;
  env: NodeJS.ProcessEnv;
}

export async function versionReport(ours: string, deps: VersionDeps = { exec: realExec, env: process.env }): Promise<string> {
  const lines = [`edge-wizard ${ours}`];
  const ansible = await ansibleCoreVersion(deps.exec).catch(() => undefined);
  lines.push(ansible ? `ansible-core ${ansible}` : 'ansible-core not found (ansible-playbook --version failed): install ansible-core');
  let pin;
  try {
    pin = readPin();
  } catch (e) {
    lines.push(`one-deploy pin unreadable: ${(e as Error).message}`);
    return lines.join('\n') + '\n';
  }
  const name = `one-deploy pin ${pin.tag} (${pin.commit.slice(0, 7)})`;
  const path = findOneDeploy(deps.env);
  const installed = path ? readInstalled(path) : undefined;
  if (!installed) lines.push(`${name}: not found; install it with \`${PIN_INSTALL_HINT}\` or set ONE_DEPLOY_DIR`);
  else {
    const cmp = comparePin(installed, pin);
    lines.push(
      cmp.pinned
        ? `${name}: found in ${installed.dir}`
        : `${name}: ${installed.dir} is another release (roles ${cmp.differing.join(', ')} differ); install the pinned one with \`${PIN_INSTALL_HINT}\``,
    );
  }
  return lines.join('\n') + '\n';
}
