/** playbooks/site.yml is derived from the deploy steps: a step added to STEPS reaches it (npm run site). */
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { renderDeployHelpSteps, renderSiteYml } from '../../src/app/steps/site.js';
import { STEPS } from '../../src/app/steps/index.js';

test('playbooks/site.yml is what the steps give (run `npm run site` after changing STEPS)', () => {
  expect(readFileSync(new URL('../../playbooks/site.yml', import.meta.url), 'utf8')).toBe(renderSiteYml());
});

test('deploy --help reads the steps from a file generated from them (run `npm run site` after changing STEPS)', () => {
  expect(readFileSync(new URL('../../src/cli/help/deploy-steps.generated.ts', import.meta.url), 'utf8')).toBe(renderDeployHelpSteps());
});

test('every step that changes hosts is in site.yml, the FRR layer included, in the deploy order', () => {
  const site = renderSiteYml();
  const order = [...site.matchAll(/import_playbook: (\S+)/g)].map((m) => m[1]);
  expect(order).toEqual(['precheck.yml', ...STEPS.filter((s) => 'skippable' in s && s.skippable).map((s) => s.playbook)]);
  expect(order).toContain('frr-layer.yml');
});
