// npm run lint: eslint (eslint.config.js), prettier (formatting), knip (knip.json: an unused file, export or
// dependency is a finding, so dead code cannot come back), the files generated from the
// scenario's JSON Schema (scripts/write-schema.mjs --check), then ansible-lint on roles/ and playbooks/
// (.ansible-lint, offline) when it is installed; without it, says so loudly and goes on.
// All run even if one fails, so one run shows every finding. Exit 1 on any finding.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const run = (file, args) => spawnSync(file, args, { stdio: 'inherit' }).status ?? 1;

/** Like `command -v NAME`: the first executable NAME on PATH. */
function which(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

// The files prettier formats (also package.json's format and format:check).
const FORMATTED = ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.{js,ts}', 'scripts/**/*.mjs', 'bin/*.js', '*.js'];
const failed = [];
console.log('> eslint src test bench scripts bin eslint.config.js jest.config.js');
if (run(process.execPath, ['node_modules/eslint/bin/eslint.js', 'src', 'test', 'bench', 'scripts', 'bin', 'eslint.config.js', 'jest.config.js']) !== 0)
  failed.push('eslint');

console.log('> prettier --check (.prettierrc.json; npm run format writes)');
if (run(process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '--log-level', 'warn', ...FORMATTED]) !== 0) failed.push('prettier');

console.log('> knip (unused files, exports and dependencies; knip.json)');
if (run(process.execPath, ['node_modules/knip/bin/knip.js', '--no-progress']) !== 0) failed.push('knip');

console.log('> write-schema --check (schema/edge-wizard.schema.json and src/core/scenario.generated.ts up to date)');
if (run(process.execPath, ['--import', 'tsx', 'scripts/write-schema.mjs', '--check']) !== 0) failed.push('write-schema');

const ansibleLint = which('ansible-lint');
if (ansibleLint) {
  console.log('> ansible-lint -p roles playbooks');
  if (run(ansibleLint, ['-p', 'roles', 'playbooks']) !== 0) failed.push('ansible-lint');
} else {
  console.error('\n!!! ansible-lint not installed: skipped (roles/ and playbooks/ were NOT linted; install it: apt-get install ansible-lint) !!!\n');
}

if (failed.length) {
  console.error(`lint: ${failed.join(' and ')} found problems (above).`);
  process.exit(1);
}
console.log(`lint: passed${ansibleLint ? '' : ' (eslint only: ansible-lint not installed)'}`);
