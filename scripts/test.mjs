// npm test: jest's unit project in parallel, then its lab project in band (the lab suites
// share this machine's network namespaces), then the plain closing line
// "N passed, N failed, N skipped" over both. Extra arguments go to jest.
// npm run test:unit passes --unit: only the unit project (no root, no lab).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const unit = args.includes('--unit');
const extra = args.filter((a) => a !== '--unit');
const dir = mkdtempSync(join(tmpdir(), 'ew-test-'));

/** One jest run; returns its exit status and its counts [passed, failed, skipped]. */
function jest(name, jestArgs) {
  const summary = join(dir, name);
  const r = spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', ...jestArgs, ...extra], {
    stdio: 'inherit',
    env: { ...process.env, EW_TEST_SUMMARY: summary, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() },
  });
  let counts = [0, 1, 0];
  try {
    counts = readFileSync(summary, 'utf8').match(/\d+/g).map(Number);
  } catch {
    // jest ended before its reporter wrote: counted as one failure
  }
  return { status: r.status ?? 1, counts };
}

const runs = [jest('unit', ['--selectProjects', 'unit', '--passWithNoTests'])];
if (!unit) runs.push(jest('lab', ['--selectProjects', 'lab', '--runInBand', '--passWithNoTests']));
rmSync(dir, { recursive: true, force: true });
const [p, f, s] = [0, 1, 2].map((i) => runs.reduce((n, r) => n + r.counts[i], 0));
process.stdout.write(`\n${p} passed, ${f} failed, ${s} skipped\n`);
process.exit(runs.find((r) => r.status !== 0)?.status ?? 0);
