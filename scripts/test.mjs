// npm test: jest over both projects (in band: lab tests share this machine's network), then
// the plain closing line "N passed, N failed, N skipped". Extra arguments go to jest.
// npm run test:unit passes --unit: only the unit project (no root, no lab), in parallel.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const unit = args.includes('--unit');
const jestArgs = unit ? ['--selectProjects', 'unit', ...args.filter((a) => a !== '--unit')] : ['--runInBand', ...args];
const dir = mkdtempSync(join(tmpdir(), 'ew-test-'));
const summary = join(dir, 'summary');
const r = spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', ...jestArgs], {
  stdio: 'inherit',
  env: { ...process.env, EW_TEST_SUMMARY: summary, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() },
});
let line = '';
try {
  line = readFileSync(summary, 'utf8');
} catch {
  line = '0 passed, 1 failed, 0 skipped';
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`\n${line}\n`);
process.exit(r.status ?? 1);
