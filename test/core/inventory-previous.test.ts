/** generate over a hosts.yml the user left in any shape: merged or one sentence, never a crash. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseScenario, renderInventory } from '../../src/core/index.js';
import { UsageError } from '../../src/core/errors.js';

const { scenario } = parseScenario(readFileSync('examples/seed-practical.yaml', 'utf8'));
const fresh = parse(renderInventory(scenario), { version: '1.1' });

test.each([
  ['only a comment', '# mine\n'],
  ['a scalar', 'just text\n'],
  ['a list', '- a\n- b\n'],
  ['all as a scalar', 'all: x\n'],
  ['vars as a list', 'all:\n  vars: [1]\n'],
  ['node as a list', 'node: [a]\n'],
  ['hosts as null', 'node:\n  hosts:\n'],
])('previous hosts.yml is %s: the managed content is written', (_what, previous) => {
  const merged = parse(renderInventory(scenario, previous), { version: '1.1' });
  expect(merged.all.vars).toEqual(fresh.all.vars);
  for (const g of ['router', 'edge_frontend', 'node']) expect(merged[g].hosts).toEqual(fresh[g].hosts);
});

test('previous hosts.yml that is not YAML: one sentence, exit 2', () => {
  expect(() => renderInventory(scenario, 'all:\n  vars: [\n')).toThrow(UsageError);
  expect(() => renderInventory(scenario, 'a: 1\na: 2\n')).toThrow(
    'The hosts.yml already in the output directory is not valid YAML (line 2: Map keys must be unique): fix or remove it, then run generate again.',
  );
  // Found in linear time at any depth (the parser's own check is quadratic and is off).
  expect(() => renderInventory(scenario, 'all:\n  vars:\n    x: 1\n    y: [{a: 1}, {b: 2, b: 3}]\n')).toThrow('(line 4: Map keys must be unique)');
});
