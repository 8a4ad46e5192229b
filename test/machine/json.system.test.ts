/** The built bin's --json: only JSON on stdout, valid against its schema. The documents themselves: json.test.ts. */
import { expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import { VALIDATE_JSON_SCHEMA } from '../../src/cli/machine.js';

function document(stdout: string): Record<string, unknown> {
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  const validate = new Ajv({ allErrors: true, strict: true }).compile(VALIDATE_JSON_SCHEMA);
  expect(validate(doc) ? [] : validate.errors).toEqual([]);
  return doc;
}

test('the built bin: validate --json writes only JSON to stdout', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/edge-wizard.js', 'validate', '-f', 'examples/seed-practical.yaml', '--json']);
  expect(stderr).toBe('');
  expect(document(stdout).valid).toBe(true);
});
