/** Jest runs the TypeScript sources directly (ts-jest, ESM). Lab tests need root. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, diagnostics: false }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30000,
  verbose: true,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
};
