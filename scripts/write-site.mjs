// `npm run site`: writes playbooks/site.yml from the deploy steps (src/app/steps/site.ts).
import { writeFileSync } from 'node:fs';
import { renderDeployHelpSteps, renderSiteYml } from '../src/app/steps/site.ts';

writeFileSync(new URL('../playbooks/site.yml', import.meta.url), renderSiteYml());
writeFileSync(new URL('../src/cli/help/deploy-steps.generated.ts', import.meta.url), renderDeployHelpSteps());
console.log('playbooks/site.yml and src/cli/help/deploy-steps.generated.ts written from the deploy steps');
