/**
 * Property test of the real CLI on mutated scenarios: examples/seed-practical.yaml
 * with values replaced (types, YAML 1.1 words, unicode, control characters, huge
 * strings), keys deleted or added, list items repeated, the text itself cut and
 * spliced, other encodings. For every case, `validate` and `generate` run in-process
 * and must: exit 0 or 2 only, and the same for both; print sentences (no stack, no
 * "TypeError", no raw control characters, bounded lines); on exit 2 leave the output
 * directory as it was; on exit 0 write host_vars whose peers Ansible reads back as
 * the inventory's host names; raise no process warning; finish each case in
 * bounded time and memory.
 *
 * `npm test` runs FUZZ_RUNS (default 40) cases; `npm run fuzz` runs 2000. A failure
 * prints fast-check's seed and path: FUZZ_SEED=<seed> FUZZ_PATH=<path> replays it.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, parseDocument, stringify } from 'yaml';
import { cli, type CliResult } from '../support/cli.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED_TEXT = readFileSync('examples/seed-practical.yaml', 'utf8');
const SEED = parse(SEED_TEXT) as Record<string, unknown>;
/** One case (validate + generate) must finish well within this. */
const CASE_MS = 15_000;
const HEAP_LIMIT = 1.5 * 1024 ** 3;

type Path = Array<string | number>;

/** Every path in the seed: mapping keys, list items, and the root's children. */
function pathsOf(v: unknown, at: Path = []): { all: Path[]; containers: Path[]; items: Path[] } {
  const out = { all: [] as Path[], containers: [] as Path[], items: [] as Path[] };
  const walk = (x: unknown, p: Path) => {
    if (p.length) out.all.push(p);
    if (Array.isArray(x)) {
      out.containers.push(p);
      x.forEach((y, i) => {
        out.items.push([...p, i]);
        walk(y, [...p, i]);
      });
    } else if (x && typeof x === 'object') {
      out.containers.push(p);
      for (const [k, y] of Object.entries(x)) walk(y, [...p, k]);
    }
  };
  walk(v, at);
  return out;
}
const PATHS = pathsOf(SEED);

const yaml11Words = fc.constantFrom(
  'yes',
  'no',
  'on',
  'off',
  'Yes',
  'NO',
  'On',
  'OFF',
  'y',
  'n',
  'Y',
  'N',
  'true',
  'False',
  'null',
  'Null',
  '~',
  '.inf',
  '-.Inf',
  '.NaN',
  '0x1F',
  '0o17',
  '017',
  '0b101',
  '1_000',
  '1e3',
  'e0',
  '2001-12-14',
  '12:30',
  '190:20:30',
  '<<',
  '=',
);
const oddText = fc.constantFrom(
  '',
  ' ',
  '-',
  '--- ',
  '...',
  '*x',
  '&a',
  '!tag x',
  '{{ lookup("env", "HOME") }}',
  '%',
  '@',
  '#',
  'a: b',
  'a #b',
  '"',
  "'",
  '\\',
  '\n',
  'x\ny',
  '\t',
  '\u0000',
  '\u001b[31mred\u001b[0m',
  '\u202egnp.exe',
  '\ufeff',
  '\u2028',
  'кластер',
  '東京',
  '😀',
  'a'.repeat(64),
  'all',
  'node',
  'frontend',
  'router',
  'ungrouped',
);
const huge = fc
  .tuple(fc.constantFrom('x', 'é', '\u0000', '\u001b', '😀', 'a1_', '- ', '[', '{a: '), fc.constantFrom(100, 1_000, 70_000, 400_000, 1_500_000))
  .map(([c, n]) => c.repeat(Math.ceil(n / c.length)));
const leaf = fc.oneof(
  yaml11Words,
  oddText,
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,70}$/),
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4Extended(),
  fc.integer(),
  fc.integer({ min: -2, max: 70_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.oneof(
  { weight: 6, arbitrary: leaf },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), leaf, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(...PATHS.all).map((p) => get(SEED, p)) }, // a value from elsewhere in the seed
);

/** A value of the same kind as the seed's at that path: most such scenarios stay valid, so generate runs too. */
const nameWords = fc.constantFrom(
  'yes',
  'no',
  'on',
  'off',
  'Yes',
  'NO',
  'On',
  'OFF',
  'y',
  'n',
  'Y',
  'N',
  'true',
  'False',
  'null',
  'Null',
  'NULL',
  'e0',
  'E5',
  'inf',
  'nan',
  'all',
  'node',
  'x'.repeat(63),
  'x'.repeat(64),
);
function similar(path: Path): fc.Arbitrary<unknown> {
  const was = get(SEED, path);
  if (typeof was === 'number') return fc.oneof(fc.constant(was), fc.integer({ min: Math.max(0, was - 100), max: was + 100 }));
  if (typeof was === 'boolean') return fc.boolean();
  if (typeof was !== 'string') return fc.constant(structuredClone(was));
  if (/^[0-9.]+$/.test(was)) return fc.oneof(fc.ipV4(), fc.constant(was));
  return fc.oneof(nameWords, fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,64}$/), fc.constant(`${was}_2`), fc.constant(was.toUpperCase()));
}

type Mutation =
  | { kind: 'set'; path: Path; value: unknown }
  | { kind: 'delete'; path: Path }
  | { kind: 'add'; path: Path; key: string; value: unknown }
  | { kind: 'repeat'; path: Path; times: number };
const plausible: fc.Arbitrary<Mutation> = fc.constantFrom(...PATHS.all).chain((path) => similar(path).map((v) => ({ kind: 'set' as const, path, value: v })));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: plausible },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...PATHS.all), value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...PATHS.all) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      path: fc.constantFrom(...PATHS.containers),
      key: fc.oneof(fc.string({ maxLength: 12 }), yaml11Words),
      value,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), path: fc.constantFrom(...PATHS.items), times: fc.integer({ min: 1, max: 40 }) }) },
);

type TextEdit = { kind: 'insert'; at: number; text: string } | { kind: 'cut'; at: number; length: number } | { kind: 'indent'; line: number; by: number };
const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    text: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constantFrom(':', '- ', '[', ']', '{', '}', '&a ', '*a', '\n  ', '"', "'", '#', '---\n', '\t', '\r', '|', '>', '? ', '!!binary ', '<<: *a\n'),
    ),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('indent' as const), line: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
);

const encoding = fc.oneof({ weight: 16, arbitrary: fc.constant('utf8') }, { weight: 1, arbitrary: fc.constantFrom('bom', 'utf16le', 'utf16be', 'latin1') });

function get(o: unknown, p: Path): unknown {
  return p.reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string | number, unknown>)[k] : undefined), o);
}

function apply(data: Record<string, unknown>, m: Mutation): void {
  const parent = get(data, m.path.slice(0, -1));
  const key = m.path[m.path.length - 1]!;
  if (m.kind === 'add') {
    const target = get(data, m.path) ?? data;
    if (Array.isArray(target)) target.push(m.value);
    else if (target && typeof target === 'object') (target as Record<string, unknown>)[m.key] = m.value;
    return;
  }
  if (!parent || typeof parent !== 'object') return;
  if (m.kind === 'set') (parent as Record<string | number, unknown>)[key] = m.value;
  else if (m.kind === 'delete') {
    if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
    else delete (parent as Record<string | number, unknown>)[key];
  } else if (Array.isArray(parent) && typeof key === 'number' && key < parent.length) {
    parent.splice(key, 0, ...Array.from({ length: m.times }, () => structuredClone(parent[key])));
  }
}

function edit(text: string, e: TextEdit): string {
  if (e.kind === 'insert') {
    const at = Math.floor(e.at * text.length);
    return text.slice(0, at) + e.text + text.slice(at);
  }
  if (e.kind === 'cut') {
    const at = Math.floor(e.at * text.length);
    return text.slice(0, at) + text.slice(at + e.length);
  }
  const lines = text.split('\n');
  const i = e.line % lines.length;
  lines[i] = e.by >= 0 ? ' '.repeat(e.by) + lines[i] : lines[i]!.replace(new RegExp(`^ {0,${-e.by}}`), '');
  return lines.join('\n');
}

function encode(text: string, enc: string): Buffer {
  switch (enc) {
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    case 'utf16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf16be':
      return Buffer.from(text, 'utf16le').swap16();
    case 'latin1':
      return Buffer.from(text, 'latin1');
    default:
      return Buffer.from(text);
  }
}

/** What every run must print: sentences, not stacks or raw bytes. */
function expectSentences(r: CliResult, what: string): void {
  const all = r.out + r.err;
  expect({ what, all }).not.toEqual({
    what,
    all: expect.stringMatching(
      /TypeError|ReferenceError|RangeError|SyntaxError|Maximum call stack|\n\s+at |at Object\.|resource exhaustion|run again with --debug|\[object Object\]|undefined is not|Cannot read prop/,
    ),
  });
  // eslint-disable-next-line no-control-regex
  expect({ what, all }).not.toEqual({ what, all: expect.stringMatching(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/) });
  for (const line of all.split('\n')) expect({ what, long: line.length > 1000 }).toEqual({ what, long: false });
  if (r.code === 2) {
    expect({ what, err: r.err.startsWith('edge-wizard: ') }).toEqual({ what, err: true });
    for (const line of r.err.trimEnd().split('\n').slice(1)) expect({ what, line }).toEqual({ what, line: expect.stringMatching(/^ {2}- \S/) });
  }
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length + 1)] = await readFile(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

/** On success: every host_vars file and every entry of the mesh table reads back (YAML 1.1, as Ansible) as a string naming a host of hosts.yml. */
async function expectConsistentOutput(out: string, what: string): Promise<void> {
  const inv = parse(await readFile(join(out, 'hosts.yml'), 'utf8'), { version: '1.1' });
  const hosts = new Set<string>();
  for (const g of ['router', 'edge_frontend', 'node']) for (const h of Object.keys(inv?.[g]?.hosts ?? {})) hosts.add(h);
  for (const f of await readdir(join(out, 'host_vars'))) {
    const hv = parse(await readFile(join(out, 'host_vars', f), 'utf8'), { version: '1.1' });
    expect({ what, f, iface: typeof hv.wireguard_interface }).toEqual({ what, f, iface: 'string' });
    expect({ what, f, host: hosts.has(f.replace(/\.yml$/, '')) }).toEqual({ what, f, host: true });
  }
  const mesh = parse(await readFile(join(out, 'group_vars/all/wireguard.yml'), 'utf8'), { version: '1.1' });
  for (const p of mesh.wireguard_mesh)
    expect({ what, peer: p.name, known: typeof p.name === 'string' && hosts.has(p.name) }).toEqual({ what, peer: p.name, known: true });
  expect({ what, entries: mesh.wireguard_mesh.length }).toEqual({
    what,
    entries: hosts.size - (inv?.edge_frontend?.hosts ? Object.keys(inv.edge_frontend.hosts).length : 0),
  });
}

const scenarioCase = fc.record({
  mutations: fc.oneof(fc.array(plausible, { minLength: 1, maxLength: 3 }), fc.array(mutation, { minLength: 1, maxLength: 4 })),
  edits: fc.oneof({ weight: 3, arbitrary: fc.constant([] as TextEdit[]) }, { weight: 1, arbitrary: fc.array(textEdit, { minLength: 1, maxLength: 3 }) }),
  keepComments: fc.boolean(),
  encoding,
});

test(
  `mutated scenarios: exit 0 or 2, sentences, nothing written on 2, bounded (${RUNS} cases)`,
  async () => {
    const work = await mkdtemp(join(tmpdir(), 'ew-fuzz-'));
    let n = 0;
    const outcomes = { ok: 0, refused: 0 };
    // Text on the process's own stderr (e.g. the yaml package's warnings) would bypass the CLI's sentences.
    const warnings: string[] = [];
    const listen = (w: Error) => {
      if (w.name !== 'ExperimentalWarning') warnings.push(`${w.name}: ${w.message}`);
    };
    process.on('warning', listen);
    try {
      await fc.assert(
        fc.asyncProperty(scenarioCase, async (c) => {
          const data = structuredClone(SEED);
          for (const m of c.mutations) apply(data, m);
          // Either the data re-serialized, or the seed's own text (comments and all) with the first value swapped in place.
          let text = stringify(data, { lineWidth: 0 });
          const first = c.mutations[0]!;
          if (c.keepComments && first.kind === 'set') {
            const doc = parseDocument(SEED_TEXT);
            doc.setIn(first.path, doc.createNode(first.value));
            text = doc.toString({ lineWidth: 0 });
          }
          for (const e of c.edits) text = edit(text, e);
          const dir = join(work, String(n++));
          const out = join(dir, 'out');
          await mkdir(out, { recursive: true });
          const file = join(dir, 'scenario.yaml');
          await writeFile(file, encode(text, c.encoding));
          await writeFile(join(out, 'hosts.yml'), '# mine\n');
          const before = await snapshot(out);
          const what = JSON.stringify(c).slice(0, 300);

          const t0 = Date.now();
          const v = await cli('validate', '-f', file);
          const g = await cli('generate', '-f', file, '--out', out);
          expect({ what, ms: Date.now() - t0 < CASE_MS }).toEqual({ what, ms: true });
          expect({ what, code: [0, 2].includes(v.code) }).toEqual({ what, code: true });
          expect({ what, generate: g.code }).toEqual({ what, generate: v.code });
          expectSentences(v, what);
          expectSentences(g, what);
          if (g.code === 2) expect(await snapshot(out)).toEqual(before);
          else await expectConsistentOutput(out, what);
          expect({ what, warnings }).toEqual({ what, warnings: [] });
          outcomes[g.code === 0 ? 'ok' : 'refused']++;
          expect({ what, heap: process.memoryUsage().heapUsed < HEAP_LIMIT }).toEqual({ what, heap: true });
          await rm(dir, { recursive: true, force: true });
        }),
        {
          numRuns: RUNS,
          ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED), path: process.env.FUZZ_PATH } : {}),
        },
      );
    } finally {
      process.off('warning', listen);
      await rm(work, { recursive: true, force: true });
    }
    if (process.env.FUZZ_RUNS) process.stdout.write(`fuzz: ${outcomes.ok} cases generated, ${outcomes.refused} refused with exit 2\n`);
  },
  Math.max(120_000, RUNS * 3_000),
);
