/**
 * Jest runs the TypeScript sources directly (ts-jest, ESM), in two projects:
 * - unit: everything but test/lab: pure and fake-backed suites, the built bin and the
 *   tmux session (no root, under a minute; `npm run test:unit`);
 * - lab: test/lab, which needs root for the systemd-nspawn lab (skipped without it).
 * `npm test` runs both.
 */
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, diagnostics: false }],
  },
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/lab/'] },
    { ...common, displayName: 'lab', testMatch: ['<rootDir>/test/lab/**/*.test.ts'] },
  ],
  testTimeout: 30000,
  verbose: true,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
};
