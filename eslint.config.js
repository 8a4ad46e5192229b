// npm run lint (scripts/lint.mjs): eslint's and typescript-eslint's recommended rules over
// src/, test/, bench/, scripts/, bin/ and the config files, plus three type-aware rules
// about promises (a CLI that drops a promise loses its error). A rule is turned off only
// with the reason next to it.
import js from '@eslint/js';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'inventories/', 'logs/', '.lab/', '.tmp-*'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore names a value left unused on purpose (omitting keys with a rest, a callback's slot).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Type-aware, over the TypeScript of src/ and test/ (tsconfig.typecheck.json).
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.typecheck.json'], tsconfigRootDir: fileURLToPath(new URL('.', import.meta.url)) } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    // CommonJS (jest loads the summary reporter with require): require() is how it imports.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**'],
    languageOptions: { globals: globals.jest },
  },
  {
    // UNPRINTABLE matches C0/C1 control characters on purpose: they must not reach a terminal.
    files: ['src/core/printable.ts'],
    rules: { 'no-control-regex': 'off' },
  },
);
