import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.js';

const DIR = 'test/fixtures/bad';
const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function expected(file: string): string[] {
  return readFileSync(join(DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => l.slice('# expect: '.length));
}

test('the corpus has at least 20 bad scenarios', () => {
  expect(cases.length).toBeGreaterThanOrEqual(20);
});

describe.each(cases)('%s', (file) => {
  test('validate prints the exact problems and exits 2', async () => {
    const r = await cli('validate', '-f', join(DIR, file));
    expect(r.code).toBe(2);
    const problems = r.err
      .split('\n')
      .filter((l) => l.startsWith('  - '))
      .map((l) => l.slice(4));
    expect(problems).toEqual(expected(file));
    expect(r.out).toBe('');
  });

  test('generate touches nothing already on disk', async () => {
    const out = await mkdtemp(join(tmpdir(), 'ew-bad-'));
    await writeFile(join(out, 'hosts.yml'), '# mine\n');
    const r = await cli('generate', '-f', join(DIR, file), '--out', out);
    expect(r.code).toBe(2);
    expect(await readdir(out)).toEqual(['hosts.yml']);
    expect(await readFile(join(out, 'hosts.yml'), 'utf8')).toBe('# mine\n');
  });
});
