// `npm run site`: writes playbooks/site.yml from the deploy steps (src/app/steps/site.ts).
import { writeFileSync } from 'node:fs';
import { renderSiteYml } from '../src/app/steps/site.ts';

writeFileSync(new URL('../playbooks/site.yml', import.meta.url), renderSiteYml());
console.log('playbooks/site.yml written from the deploy steps');
