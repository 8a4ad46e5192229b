/**
 * Property test of core/yaml.ts's scalar writer: any string, printed by
 * yamlScalar after a key, reads back as the same string under YAML 1.1
 * (Ansible's PyYAML) and 1.2, a string Ansible could template tagged !unsafe. FUZZ_RUNS cases (default 300; `npm run fuzz`: 2000).
 */
import fc from 'fast-check';
import { parse } from 'yaml';
import { yamlScalar } from '../../src/core/yaml.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
/** Ansible's tag: the value is the string itself. */
const UNSAFE = { tag: '!unsafe', resolve: (s: string) => s };

test(`yamlScalar: any string reads back as itself under YAML 1.1 and 1.2 (${RUNS} cases)`, () => {
  const words = fc.constantFrom(
    'yes',
    'no',
    'on',
    'off',
    'Y',
    'n',
    'null',
    '~',
    'true',
    '.inf',
    '0x10',
    '0o7',
    '1_0',
    '1e3',
    'e0',
    '2024-01-02',
    '1:30',
    '<<',
    '=',
    '-',
    '?',
    ':',
    '#',
    '...',
    '---',
  );
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    words,
    fc.constantFrom('{{ x }}', '{% if %}', '{#', '#}', '%', 'a}b'),
    fc.stringMatching(/^[-+.0-9eExXoObB_:]{1,10}$/),
    fc.stringMatching(/^[a-zA-Z0-9_./@+-]{1,8}$/),
  );
  fc.assert(
    fc.property(text, (s) => {
      const line = `k: ${yamlScalar(s)}\n`;
      for (const version of ['1.1', '1.2'] as const) expect(parse(line, { version, customTags: [UNSAFE] })).toEqual({ k: s });
      expect(line.includes('!unsafe')).toBe(/[{}%#]/.test(s));
    }),
    { numRuns: RUNS },
  );
});
