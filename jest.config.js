/**
 * Jest runs the TypeScript sources directly (ts-jest, ESM), in three projects, by cost:
 * - unit: pure code and fakes (in-process CLI, fake runner, stand-in oned). No root, no
 *   tools run, no build needed; the tier to run on every change (`npm run test:unit`).
 * - system: suites that run real tools on this machine: ansible-playbook / ansible-runner
 *   (some under unshare), python3's Jinja2 and FRR's parser, tmux, node_exporter, Graphviz
 *   `dot`, the built bin. Root for some; no lab (`npm run test:system`).
 * - lab: test/lab, the systemd-nspawn lab (root; skipped loudly without it), except its pure
 *   suites, which are unit.
 * `npm test` (CI) runs all three (scripts/test.mjs).
 *
 * A suite's tier is its file name: `*.system.test.ts` is system; test/lab/ is lab; the rest
 * is unit. SYSTEM_PATHS and PURE_LAB name the exceptions; test/architecture/tiers.test.ts
 * fails when a unit suite starts a process.
 */
import { readdirSync } from 'node:fs';

/** Suites that run real tools but keep their plain name (their folders are being edited by others). */
export const SYSTEM_PATHS = [
  'test/cli/bin.test.ts',
  'test/cli/completion.test.ts',
  'test/fuzz/ansible-data.fuzz.test.ts',
  'test/hostile/ansible-data.test.ts',
  'test/hostile/output-dir.test.ts',
  'test/init/tmux.test.ts',
  'test/opennebula/vault.test.ts',
];

/** Pure suites in test/lab: the lab's planning, no root, no namespaces. */
export const PURE_LAB = ['test/lab/topology.test.ts', 'test/lab/any-topology.test.ts', 'test/lab/vms.test.ts'];

/** 'unit' | 'system' | 'lab' for a test file path relative to the repository root. */
export function tierOf(path) {
  if (path.endsWith('.system.test.ts') || SYSTEM_PATHS.includes(path)) return 'system';
  if (path.startsWith('test/lab/') && !PURE_LAB.includes(path)) return 'lab';
  return 'unit';
}

/** Every test file under test/, relative to the repository root. */
export function testFiles(dir = 'test') {
  return readdirSync(new URL(`./${dir}`, import.meta.url), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(`${dir}/${e.name}`) : e.name.endsWith('.test.ts') ? [`${dir}/${e.name}`] : [],
  );
}

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, diagnostics: false }],
  },
};

const files = testFiles();
const project = (tier) => ({ ...common, displayName: tier, testMatch: files.filter((f) => tierOf(f) === tier).map((f) => `<rootDir>/${f}`) });

export default {
  projects: [project('unit'), project('system'), project('lab')],
  testTimeout: 30000,
  verbose: true,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
};
