import { readFileSync } from 'node:fs';
import { scenarioSchema } from '../../src/core/schema.js';
import { checkSchema } from '../../src/core/validate.js';
import { parse } from 'yaml';

test('schema/edge-wizard.schema.json is the schema the code uses (run `npm run schema` after changing it)', () => {
  expect(JSON.parse(readFileSync('schema/edge-wizard.schema.json', 'utf8'))).toEqual(JSON.parse(JSON.stringify(scenarioSchema)));
});

test('the bundled examples pass the schema', () => {
  for (const f of ['examples/seed-practical.yaml']) {
    expect(checkSchema(parse(readFileSync(f, 'utf8')))).toEqual([]);
  }
});

test('the schema is valid JSON Schema (the validator skips this check at run time)', async () => {
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ strict: false });
  expect(ajv.validateSchema(scenarioSchema)).toBe(true);
  expect(ajv.errors ?? null).toBeNull();
});
