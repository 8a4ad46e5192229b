/**
 * playbooks/site.yml, derived from STEPS: precheck.yml (the inventory's asserts), then the
 * playbook of every step that changes hosts, in order, for teams that run edge-wizard's
 * playbooks with plain ansible-playbook. A step added to STEPS reaches it by
 * `npm run site`; test/deploy/site.test.ts fails while the file is stale.
 */
import { STEPS, STEP_NAMES, stepsHelp } from './index.js';
import type { DeployStep } from './types.js';
import { DEFAULT_SETTLE_S } from './verify.js';

export function renderSiteYml(): string {
  const plays = [
    { title: 'Precheck: the inventory is consistent', playbook: 'precheck.yml' },
    ...(STEPS as readonly DeployStep[]).filter((s) => s.skippable && s.playbook).map((s) => ({ title: s.title, playbook: s.playbook! })),
  ];
  return [
    '---',
    '# Generated from the deploy steps (src/app/steps/site.ts; `npm run site` writes it): everything',
    '# `edge-wizard deploy` runs on the hosts, in order. Deploy runs them one by one (so it can',
    '# skip, resume with --from/--only and report per host); this file is for plain ansible-playbook.',
    ...plays.flatMap((p) => [`- name: ${JSON.stringify(p.title)}`, `  ansible.builtin.import_playbook: ${p.playbook}`]),
    '',
  ].join('\n');
}

/**
 * src/cli/help/deploy-steps.generated.ts, derived from STEPS too: `deploy --help` prints the
 * steps without loading them (and YAML, the runner, ...), as fast as `--help`.
 */
export function renderDeployHelpSteps(): string {
  return [
    '// Generated from the deploy steps by `npm run site` (src/app/steps/site.ts); test/deploy/site.test.ts fails while stale.',
    `export const STEPS_HELP = ${JSON.stringify(stepsHelp())};`,
    `export const STEP_NAMES = ${JSON.stringify(STEP_NAMES)};`,
    `export const DEFAULT_SETTLE_S = ${DEFAULT_SETTLE_S};`,
    '',
  ].join('\n');
}
