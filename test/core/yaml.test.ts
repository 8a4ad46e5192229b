/** core/yaml.ts: the bounded reader and the scalar writer; the bounds as the CLI reports them. */
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { decodeInput, MAX_ALIAS_VALUES, MAX_DEPTH, MAX_INPUT_BYTES, MAX_VALUES, needsQuotes, readYaml, yamlScalar } from '../../src/core/yaml.js';
import { parseScenario, planFiles, ValidationFailed } from '../../src/core/index.js';
import { UsageError } from '../../src/core/errors.js';
import { cli } from '../support/cli.js';

const SEED = readFileSync('examples/seed-practical.yaml', 'utf8');

/** The problems a ValidationFailed lists (what the CLI prints after "  - "). */
function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationFailed) return e.problems;
    throw e;
  }
  throw new Error('no ValidationFailed');
}

async function tmpFile(name: string, content: string | Uint8Array): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ew-yaml-'));
  const file = join(dir, name);
  await writeFile(file, content);
  return file;
}

describe('yamlScalar: one writer for hand-printed YAML', () => {
  test('ordinary values stay plain, byte for byte', () => {
    for (const s of ['wg0', 'kvm_london', 'ingress', 'fe1', '192.168.0.1/24', '192.168.0.2/32', '10.0.1.87', 'eth0', 'enp125s0', 'private_evpn-vxlan']) {
      expect(yamlScalar(s)).toBe(s);
    }
  });

  test('YAML 1.1 and 1.2 words, numbers, dates and syntax are quoted', () => {
    const quoted = [
      'yes',
      'Yes',
      'YES',
      'yEs',
      'no',
      'NO',
      'on',
      'On',
      'ON',
      'off',
      'OFF',
      'y',
      'N',
      'true',
      'False',
      'null',
      'Null',
      'NULL',
      '~',
      '',
      '1',
      '-1',
      '+1',
      '0x1F',
      '0o17',
      '017',
      '0b101',
      '1_000',
      '1e3',
      'e0',
      'E+5',
      '1.5',
      '.5',
      '.inf',
      '-.Inf',
      '.NaN',
      '2001-12-14',
      '2001-12-14t21:59:43.10-05:00',
      '12:30',
      '190:20:30',
      '=',
      '<<',
      ' a',
      'a ',
      'a: b',
      'a #b',
      '#x',
      '-x',
      '*x',
      '&x',
      '!x',
      '%x',
      '@x',
      '`x',
      '[x]',
      '{x}',
      'x,y',
      '"q"',
      "'q'",
      'a\nb',
      'tab\there',
      '\u0085',
      '\u2028',
      '\ufeff',
      '\u001b[31m',
    ];
    for (const s of quoted) expect({ s, needs: needsQuotes(s) }).toEqual({ s, needs: true });
    expect(yamlScalar('yes')).toBe('"yes"');
    expect(yamlScalar('a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
    expect(yamlScalar('\u0085\u2028\u007f')).toBe('"\\u0085\\u2028\\u007f"');
  });

  test('host_vars keep a host named yes and an interface named on as strings', () => {
    const text = SEED.replace('name: kvm_london', 'name: "yes"').replace('name: kvm_ncalifornia', 'name: "null"').replace('interface: wg0', 'interface: "on"');
    const { scenario } = parseScenario(text);
    const { files } = planFiles(scenario);
    const ingress = parse(files.find((f) => f.path === 'host_vars/ingress.yml')!.content, { version: '1.1' });
    expect(ingress.wireguard_interface).toBe('on');
    const mesh = parse(files.find((f) => f.path === 'group_vars/all/wireguard.yml')!.content, { version: '1.1' });
    expect(mesh.wireguard_mesh.map((p: { name: string }) => p.name)).toEqual(['ingress', 'yes', 'null']);
    const hosts = parse(files.find((f) => f.path === 'hosts.yml')!.content, { version: '1.1' });
    expect(Object.keys(hosts.node.hosts)).toEqual(['yes', 'null']);
    expect(hosts.all.vars.evpn_if).toBe('on');
  });

  test('hosts.yml also quotes what only YAML 1.2 reads as a number', () => {
    // (ansible.user is a user name, which starts with a letter: ssh_common_args is free text.)
    const { scenario } = parseScenario(SEED.replace('mode: ssh', 'mode: ssh\nansible:\n  ssh_common_args: "0o17"'));
    const hostsYml = planFiles(scenario).files.find((f) => f.path === 'hosts.yml')!.content;
    expect(hostsYml).toContain('ansible_ssh_common_args: "0o17"');
  });
});

describe('decodeInput: bytes of an input file', () => {
  const what = 'The scenario file x.yaml';
  const sentence = (b: Uint8Array) => {
    try {
      decodeInput(b, what);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    return 'decoded';
  };
  test('UTF-16 and UTF-32, with or without a byte order mark, are named', () => {
    const le = Buffer.from(SEED, 'utf16le');
    const be = Buffer.from(le).swap16();
    expect(sentence(Buffer.concat([Buffer.from([0xff, 0xfe]), le]))).toBe(
      `${what} is UTF-16 LE text, not UTF-8: save it as UTF-8 (for example: iconv -f UTF-16LE -t UTF-8).`,
    );
    expect(sentence(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toBe(
      `${what} is UTF-16 BE text, not UTF-8: save it as UTF-8 (for example: iconv -f UTF-16BE -t UTF-8).`,
    );
    expect(sentence(le)).toContain('is UTF-16 LE text');
    expect(sentence(be)).toContain('is UTF-16 BE text');
    expect(sentence(Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]))).toContain('is UTF-32 LE text');
    expect(sentence(Buffer.from([0, 0, 0xfe, 0xff, 0, 0, 0, 0x61]))).toContain('is UTF-32 BE text');
  });
  test('NUL bytes, Latin-1 and sizes over the limit are refused; a UTF-8 BOM is dropped', () => {
    expect(sentence(Buffer.from('name: a\nb: c\u0000d\n'))).toBe(`${what} holds a NUL byte on line 2, so it is not a text file: pass the YAML file itself.`);
    expect(sentence(Buffer.from('name: x\nregion: eu-w\u00e9st\n', 'latin1'))).toBe(
      `${what} is not UTF-8 text (line 2 has the byte 0xE9, perhaps Latin-1 or Windows-1252): save it as UTF-8.`,
    );
    expect(sentence(Buffer.alloc(MAX_INPUT_BYTES + 1, 0x20))).toBe(`${what} is larger than 4 MiB, the limit for input files: check that it is the right file.`);
    expect(decodeInput(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name: é\n')]), what)).toBe('name: é\n');
  });
});

describe('readYaml: bounds', () => {
  test('an alias bomb is one sentence; an anchor used 100 times is fine', () => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let k = 1; k < 10; k++)
      bomb += `${'abcdefghij'[k]}: &${'abcdefghij'[k]} [${Array(9)
        .fill(`*${'abcdefghij'[k - 1]}`)
        .join(',')}]\n`;
    expect(problems(() => readYaml(bomb, 'bomb.yaml'))).toEqual([
      `bomb.yaml line 5: aliases expand the file by more than ${MAX_ALIAS_VALUES} values (at *d); write the values out instead.`,
    ]);
    const hundred = `u: &u root\nl:\n${'  - *u\n'.repeat(100)}`;
    expect((readYaml(hundred, 'x') as { l: string[] }).l).toHaveLength(100);
    expect(problems(() => readYaml('a: &x [1, *x]\n', 'x'))).toEqual(['x line 1: alias *x refers to the collection that contains it; remove the alias.']);
  });

  test('deep nesting stops early, in brackets, dashes, indentation and through aliases', () => {
    const deep = `collections nest more than ${MAX_DEPTH} levels deep; fix the indentation or brackets there.`;
    const t0 = Date.now();
    expect(problems(() => readYaml(`a: ${'['.repeat(MAX_INPUT_BYTES - 10)}`, 'x'))).toEqual([`x line 1: ${deep}`]);
    expect(problems(() => readYaml(`${'- '.repeat(MAX_INPUT_BYTES / 2 - 10)}x`, 'x'))).toEqual([`x line 1: ${deep}`]);
    expect(problems(() => readYaml(Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'), 'x'))).toEqual([`x line 33: ${deep}`]);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const nested = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
    expect(readYaml(`a: ${nested(MAX_DEPTH - 1)}`, 'x')).toBeTruthy();
    expect(problems(() => readYaml(`a: &a ${nested(20)}\nb: ${'['.repeat(20)}*a${']'.repeat(20)}\n`, 'x'))).toEqual([
      `x line 2: alias *a makes collections nest more than ${MAX_DEPTH} levels deep; write the values out instead.`,
    ]);
  });

  test('duplicate keys are found in linear time, with both lines', () => {
    expect(problems(() => readYaml('a: 1\nb:\n  c: 1\n  c: 2\na: 3\n', 'x'))).toEqual([
      'x line 4: the key "c" is set twice in the same mapping (first on line 3); keep one of them.',
      'x line 5: the key "a" is set twice in the same mapping (first on line 1); keep one of them.',
    ]);
    const many = Array.from({ length: 40_000 }, (_, i) => `k${i % 20_000}: 1\n`).join('');
    const t0 = Date.now();
    const found = problems(() => readYaml(many, 'x'));
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(found).toHaveLength(21);
    expect(found[20]).toBe('and 19980 more problems: fix the ones above and run validate again to see the rest.');
  });

  test('keys that are collections are refused, not stringified with a process warning', () => {
    const warnings: unknown[] = [];
    const listen = (w: unknown) => warnings.push(w);
    process.on('warning', listen);
    try {
      expect(problems(() => readYaml('? [a, b]\n: 1\n{x: 1}: 2\n', 'x'))).toEqual([
        'x line 1: a key here is a list, but keys are plain words; write the key as text.',
        'x line 3: a key here is a mapping, but keys are plain words; write the key as text.',
      ]);
    } finally {
      process.off('warning', listen);
    }
    expect(warnings).toEqual([]);
  });

  test('too many values, a second document, syntax errors', () => {
    const lines = Array.from({ length: MAX_VALUES }, (_, i) => `k${i}: 1\n`).join('');
    expect(problems(() => readYaml(lines, 'x'))[0]).toBe(
      `x line ${MAX_VALUES / 2 + 1}: the file holds more than ${MAX_VALUES} keys and values, far more than any scenario needs; check that it is the right file.`,
    );
    expect(problems(() => readYaml('a: 1\n---\nb: 2\n', 'x'))).toEqual(['x line 2: a second YAML document starts here; keep one document per file.']);
    expect(problems(() => readYaml('a: [1\n', ''))[0]).toMatch(/^Line 2: .*; fix the YAML syntax there\.$/);
  });
});

describe('validate through the CLI: sentences, exit 2, bounded', () => {
  test('40,000 unknown keys: 20 problems shown with a count of the rest, in seconds', async () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `unknown_setting_${String(i).padStart(5, '0')}: 1\n`).join('');
    const file = await tmpFile('big.yaml', SEED + keys);
    const t0 = Date.now();
    const r = await cli('validate', '-f', file);
    expect(Date.now() - t0).toBeLessThan(20_000); // 93 s before the yaml package's quadratic key check was replaced
    expect(r.code).toBe(2);
    const lines = r.err.trimEnd().split('\n');
    expect(lines[0]).toBe(`edge-wizard: ${file}: 40000 problems found, the first 20 shown:`);
    expect(lines).toHaveLength(22);
    expect(lines[21]).toBe('  - and 39980 more problems: fix the ones above and run validate again to see the rest.');
  }, 60_000);

  test('a UTF-16 file, a NUL byte, a file over 4 MiB: one sentence each', async () => {
    const utf16 = await tmpFile('u16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SEED, 'utf16le')]));
    expect(await cli('validate', '-f', utf16)).toEqual({
      code: 2,
      out: '',
      err: `edge-wizard: The scenario file ${utf16} is UTF-16 LE text, not UTF-8: save it as UTF-8 (for example: iconv -f UTF-16LE -t UTF-8).\n`,
    });
    const big = await tmpFile('big.yaml', `${SEED}# ${'x'.repeat(MAX_INPUT_BYTES)}\n`);
    expect((await cli('validate', '-f', big)).err).toBe(
      `edge-wizard: The scenario file ${big} is larger than 4 MiB, the limit for input files: check that it is the right file.\n`,
    );
  });

  test('echoed values are cut and escaped, never raw control characters', async () => {
    const evil = `"\\e[31mred\\0 and \\u202e${'x'.repeat(200)}"`;
    const file = await tmpFile('ctrl.yaml', SEED.replace(/proxy_jump: .*/, `proxy_jump: ${evil}`).replace('mode: ssh', `mode: ssh\n"\\e]0;pwned\\a": 1`));
    const r = await cli('validate', '-f', file);
    expect(r.code).toBe(2);
    // eslint-disable-next-line no-control-regex
    expect(r.err).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(r.err).toContain('  - \\x1b]0;pwned\\x07 is not a known setting');
    // The schema fails first; the proxy_jump sentence comes once the key is gone.
    const r2 = await cli('validate', '-f', await tmpFile('ctrl2.yaml', SEED.replace(/proxy_jump: .*/, `proxy_jump: ${evil}`)));
    expect(r2.err).toContain(`  - frontend.proxy_jump "\\x1b[31mred\\x00 and \\u202e${'x'.repeat(33)}…" (215 characters) is not "ingress"`);
  });

  test('generate writes nothing for a hostile file', async () => {
    const out = await mkdtemp(join(tmpdir(), 'ew-yaml-out-'));
    const file = await tmpFile('deep.yaml', `name: ${'['.repeat(100_000)}`);
    const r = await cli('generate', '-f', file, '--out', out);
    expect(r.code).toBe(2);
    expect(await readdir(out)).toEqual([]);
    expect(await readFile(file, 'utf8')).toHaveLength(100_006);
  });
});
