import { join } from 'node:path';
import type { ListrTask } from 'listr2';
import { ansibleEnv, COLLECTION_INSTALL_HINT, MIN_ANSIBLE_CORE, parseAdhoc, parseAnsibleVersion, parseProblems, playbookArgv, PLAYBOOKS_DIR, versionAtLeast } from '../../adapters/ansible.js';
import { inventoryPath } from './playbook.js';
import type { DeployContext, DeployStep, StepDeps } from './types.js';

/** Read-only checks that guard every other step; always runs, and its failure stops the deploy. */
export const preflight: DeployStep = {
  name: 'preflight',
  title: 'Preflight',
  help: ['scenario valid, ansible-core, opennebula.deploy collection,', 'SSH reach to the ingress and through it the frontend'],
  dryRun: () => '(read-only checks: ansible-core, the collection, precheck.yml, SSH reach)',
  task: (deps: StepDeps): ListrTask<DeployContext> => ({
    title: preflight.title,
    task: (first, task) =>
      task.newListr<DeployContext>(
        [
          {
            title: `Scenario ${first.scenarioSource} is valid`,
            task: (ctx, sub) => {
              if (ctx.warnings.length) sub.title = `${sub.title} (${ctx.warnings.length} warning${ctx.warnings.length > 1 ? 's' : ''})`;
            },
          },
          {
            title: `ansible-core ${MIN_ANSIBLE_CORE} or newer`,
            task: async (ctx, sub) => {
              const r = await deps.exec('ansible-playbook', ['--version']);
              if (r.failedToStart || r.exitCode !== 0) {
                throw new Error('ansible-playbook not found: install ansible-core (apt-get install ansible-core, or pipx install ansible-core).');
              }
              const v = parseAnsibleVersion(r.stdout);
              if (!v || !versionAtLeast(v, MIN_ANSIBLE_CORE)) {
                throw new Error(`ansible-core ${v ?? '(unknown)'} is too old: install ${MIN_ANSIBLE_CORE} or newer.`);
              }
              ctx.ansibleVersion = v;
              sub.title = `ansible-core ${v}`;
            },
          },
          {
            title: 'Find the opennebula.deploy collection',
            task: (ctx, sub) => {
              if (!ctx.collectionsPath) throw new Error(`The opennebula.deploy collection (one-deploy) was not found: ${COLLECTION_INSTALL_HINT}.`);
              sub.title = `opennebula.deploy found in ${ctx.collectionsPath}`;
            },
          },
          {
            title: 'Inventory is consistent (precheck.yml)',
            task: async (ctx) => {
              const env = ansibleEnv({ inventoryDir: ctx.inventoryDir, collectionsPath: ctx.collectionsPath });
              const args = playbookArgv({ playbook: join(PLAYBOOKS_DIR, 'precheck.yml'), inventory: inventoryPath(ctx), extraVarsFiles: ctx.extraVarsFile ? [ctx.extraVarsFile] : [] });
              deps.log.write(`\n=== precheck: ansible-playbook ${args.join(' ')}\n`);
              const r = await deps.exec('ansible-playbook', args, { env, onOutput: (c) => deps.log.write(c) });
              if (r.exitCode !== 0) {
                const p = parseProblems(r.stdout)[0];
                throw new Error(p ? p.message : `precheck failed (exit ${r.exitCode}): see the log.`);
              }
            },
          },
          {
            title: `Reach the ingress ${first.scenario.ingress.name} and, through it, the frontend ${first.scenario.frontend.name} over SSH`,
            task: async (ctx, sub) => {
              const s = ctx.scenario;
              const env = ansibleEnv({ inventoryDir: ctx.inventoryDir, collectionsPath: ctx.collectionsPath });
              const args = ['-i', inventoryPath(ctx), `${s.ingress.name}:${s.frontend.name}`, '-m', 'ansible.builtin.ping', '-o'];
              deps.log.write(`\n=== reach: ansible ${args.join(' ')}\n`);
              const r = await deps.exec('ansible', args, { env, onOutput: (c) => deps.log.write(c) });
              const res = parseAdhoc(`${r.stdout}\n${r.stderr}`);
              const bad = [s.ingress.name, s.frontend.name].filter((h) => !res[h]?.ok);
              if (bad.length) {
                throw new Error(
                  bad.map((h) => `${h} is not reachable over SSH: ${res[h]?.message ?? `no answer (exit ${r.exitCode})`}`).join('; ') +
                    ' — check the address, the user and your SSH key.',
                );
              }
              sub.title = `Reached ${s.ingress.name} and ${s.frontend.name} over SSH`;
            },
          },
        ],
        { concurrent: false, exitOnError: true },
      ),
  }),
};
