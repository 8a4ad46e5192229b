// npm test: jest's three tiers (jest.config.js): unit, then system (suites in parallel), then lab in
// band (the lab suites share this machine's network namespaces), then the plain closing line
// "N passed, N failed, N skipped" over all of them. Extra arguments go to jest.
// --unit, --system, --lab pick tiers (npm run test:unit passes --unit: pure code and fakes).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TIERS = ['unit', 'system', 'lab'];
const args = process.argv.slice(2);
const picked = TIERS.filter((t) => args.includes(`--${t}`));
const tiers = picked.length ? picked : TIERS;
const extra = args.filter((a) => !TIERS.includes(a.replace(/^--/, '')));
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

const runs = tiers.map((t) => jest(t, ['--selectProjects', t, '--passWithNoTests', ...(t === 'lab' ? ['--runInBand'] : [])]));
rmSync(dir, { recursive: true, force: true });
const [p, f, s] = [0, 1, 2].map((i) => runs.reduce((n, r) => n + r.counts[i], 0));
process.stdout.write(`\n${p} passed, ${f} failed, ${s} skipped\n`);
process.exit(runs.find((r) => r.status !== 0)?.status ?? 0);
