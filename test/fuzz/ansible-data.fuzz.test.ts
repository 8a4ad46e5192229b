/**
 * Property test: every string field of the scenario, set to a string built from
 * Jinja, shell, YAML and authorized_keys metacharacters (and a key comment and
 * --restrict-from alike), written in the scenario file or given to `init
 * --answers`, goes through `generate` and a deploy with a fake
 * runner; the exit is 0 or 2 only. Every accepted case's output (hosts.yml,
 * host_vars, .deploy-vars.json, the runner's env/extravars) is then read by the
 * real ansible-core in one process (test/hostile/ansible-readback.py: its
 * inventory plugins, `-e @file` loader and Templar, as `ansible -m debug -a
 * var=X` uses them): templating changes no value, the hostile string is there
 * byte for byte where the field reaches Ansible, and no command ran (no sentinel
 * file). The class holds whatever the string: this is what a corpus of hostile
 * cases meets.
 *
 * The same for every string of a provision's output (`import --from`, OpenNebula 7.2+ form).
 *
 * FUZZ_RUNS cases (default 24, half as many imports; `npm run fuzz`: 2000). SKIPPED loudly without ansible-core.
 */
import { afterAll, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { runDeploy } from '../../src/cli/commands/deploy.js';
import { fakeRunner } from '../support/fake-runner.js';
import { cli } from '../support/cli.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 24);
/** Printed with every failure: FUZZ_SEED=<seed> replays the same cases. */
const SEED_USED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const SEED = readFileSync('examples/seed-practical.yaml', 'utf8');
const root = mkdtempSync(join(tmpdir(), 'ew-fuzz-ansible-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const SENTINEL = join(root, 'pwned');

const ansibleBin = spawnSync('sh', ['-c', 'command -v ansible'], { encoding: 'utf8' }).stdout.trim();
/** The Python ansible-core runs under (its launcher's #! line). */
const python = ansibleBin ? (/^#!\s*(\S+)/.exec(readFileSync(ansibleBin, 'utf8').split('\n')[0]!)?.[1] ?? 'python3') : undefined;
if (!python)
  console.warn('\n*** SKIPPED (the Ansible read-back): test/fuzz/ansible-data.fuzz.test.ts needs ansible-core: install it (scripts/bootstrap.sh) ***\n');

/** Every string field a scenario has (the seed's, and the optional ones), and whether its value reaches Ansible. */
const FIELDS: Array<{ path: Array<string | number>; reaches: boolean }> = [
  { path: ['name'], reaches: false },
  { path: ['opennebula', 'version'], reaches: true },
  // A plain password is left out of hosts.yml and withheld from every run (docs/one-deploy.md).
  { path: ['opennebula', 'password'], reaches: false },
  { path: ['control_subnet'], reaches: false },
  { path: ['frontend', 'name'], reaches: true },
  { path: ['frontend', 'address'], reaches: true },
  { path: ['frontend', 'ssh_user'], reaches: true },
  { path: ['frontend', 'proxy_jump'], reaches: true },
  { path: ['frontend', 'oneprovision_key'], reaches: true },
  { path: ['ingress', 'name'], reaches: true },
  { path: ['ingress', 'public_ip'], reaches: true },
  { path: ['ingress', 'control_ip'], reaches: false },
  { path: ['ingress', 'ssh_user'], reaches: true },
  { path: ['ingress', 'wireguard_address'], reaches: true },
  { path: ['clusters', 0, 'name'], reaches: true },
  { path: ['clusters', 0, 'region'], reaches: false },
  { path: ['clusters', 0, 'public_network', 'name'], reaches: false },
  { path: ['clusters', 0, 'public_network', 'ips', 0], reaches: false },
  { path: ['clusters', 0, 'hosts', 0, 'name'], reaches: true },
  { path: ['clusters', 0, 'hosts', 0, 'public_ip'], reaches: true },
  { path: ['clusters', 0, 'hosts', 0, 'ssh_user'], reaches: true },
  { path: ['clusters', 0, 'hosts', 0, 'public_interface'], reaches: true },
  { path: ['wireguard', 'interface'], reaches: true },
  { path: ['wireguard', 'subnet'], reaches: true },
  { path: ['networks', 0, 'name'], reaches: true },
  { path: ['networks', 0, 'gateway'], reaches: true },
  { path: ['ansible', 'user'], reaches: true },
  { path: ['ansible', 'ensure_keys_for', 0], reaches: true },
  { path: ['ansible', 'ssh_common_args'], reaches: true },
  { path: ['ansible', 'frr_repo'], reaches: false },
  { path: ['virtual_router', 'cluster'], reaches: false },
  { path: ['bgp', 'reflectors', 0], reaches: true },
];

const META = [
  '{{',
  '}}',
  '{%',
  '%}',
  '{#',
  '#}',
  '{',
  '}',
  '%',
  '#',
  ' # ',
  `lookup('pipe','touch ${SENTINEL}')`,
  'raw',
  'endraw',
  '|',
  '~',
  `$(touch ${SENTINEL})`,
  `\`touch ${SENTINEL}\``,
  ';',
  '&&',
  '>',
  '<',
  '"',
  "'",
  '\\',
  '\n',
  '\r',
  '\t',
  ' ',
  ':',
  ': ',
  '- ',
  '? ',
  '&a',
  '*a',
  '!unsafe ',
  '!vault |',
  '---',
  '...',
  '[',
  ']',
  ',',
  'command="touch x"',
  'from="0.0.0.0/0"',
  'no-pty',
  '-o',
  '-oProxyCommand=',
  '@',
  '=',
  'root',
  'x',
  '0',
  '203.0.113.9',
  '::1',
  '\u0085',
  '\u2028',
  'é',
  '😀',
];
const hostile = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...META), { minLength: 1, maxLength: 8 }).map((xs) => xs.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `{{ lookup('pipe','touch ${SENTINEL}') }}`,
      `{% set x = lookup('pipe','touch ${SENTINEL}') %}`,
      '{# ',
      '{% raw %}',
      '{{ 7*7 }}',
      '{{ undefined_var }}',
    ),
  },
);

/** Our own templates, on purpose: group_vars/all/wireguard.yml (each host's peers from the mesh list). */
const INTENDED_TEMPLATES = ['wireguard_peers'];

const PUBKEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsFakeKeyForTestsFakeKeyFo';
const exec = fakeRunner([
  { match: (f, a) => f === 'ansible-playbook' && a[0] === '--version', result: { stdout: 'ansible-playbook [core 2.14.18]\n' } },
  { match: (f) => f === 'ansible-playbook', result: { stdout: 'PLAY RECAP *********\n' } },
]);
const sink = { write: () => true } as unknown as NodeJS.WritableStream;

interface Accepted {
  dir: string;
  field: string;
  needles: string[];
}

/** Every string leaf of a JSON document, by path. */
function stringPaths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof v === 'string') return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringPaths(x, [...at, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => stringPaths(x, [...at, k]));
  return [];
}

/** One ansible-core process reads every accepted output: nothing templated, each needle there, no sentinel. */
function readBack(accepted: Accepted[]): void {
  if (!python || accepted.length === 0) return;
  // One ansible-core process reads every accepted output.
  const extra = Object.fromEntries(
    accepted.map((a) => {
      const runs = existsSync(join(a.dir, 'runner')) ? readdirSync(join(a.dir, 'runner')) : [];
      const files = [join(a.dir, '.deploy-vars.json'), ...runs.map((r) => join(a.dir, 'runner', r, 'env', 'extravars'))].filter((f) => existsSync(f));
      return [a.dir, files];
    }),
  );
  const r = spawnSync(python, ['test/hostile/ansible-readback.py', ...accepted.map((a) => a.dir)], {
    input: JSON.stringify({ extra, intended: INTENDED_TEMPLATES }),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ANSIBLE_CONFIG: join(root, 'none.cfg') },
  });
  expect(r.stderr).not.toMatch(/Traceback/);
  const result = JSON.parse(r.stdout) as Record<string, { values: string[]; changed: unknown[]; error?: string }>;
  for (const a of accepted) {
    const got = result[a.dir]!;
    expect({ seed: SEED_USED, dir: a.dir, field: a.field, error: got.error, changed: got.changed }).toEqual({
      seed: SEED_USED,
      dir: a.dir,
      field: a.field,
      error: undefined,
      changed: [],
    });
    // The value is there byte for byte (alone, or inside a longer one: ssh args joined with ProxyJump).
    for (const needle of a.needles)
      expect({ seed: SEED_USED, dir: a.dir, field: a.field, needle, found: got.values.some((v) => v.includes(needle)) }).toEqual({
        seed: SEED_USED,
        dir: a.dir,
        field: a.field,
        needle,
        found: true,
      });
  }
  expect(existsSync(SENTINEL)).toBe(false);
}

test(`hostile strings in every string field: exit 0 or 2, and Ansible reads every accepted one literally, running nothing (${RUNS} cases)`, async () => {
  const accepted: Accepted[] = [];
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...FIELDS), hostile, hostile, fc.boolean(), fc.boolean(), async (field, value, comment, restrict, viaAnswers) => {
      const dir = join(root, `case-${n++}`);
      mkdirSync(dir, { recursive: true });
      const doc = parseDocument(SEED);
      if (field.path[0] === 'ansible') doc.setIn(['ansible'], doc.createNode({ ensure_keys_for: ['root'] }));
      doc.setIn(field.path, value);
      const file = join(dir, 'edge-wizard.yaml');
      if (viaAnswers) {
        // The same data as `init --answers` takes it, over an empty directory: init writes the scenario.
        writeFileSync(join(dir, 'answers.yaml'), doc.toString());
        const i = await cli('init', '-f', file, '--answers', join(dir, 'answers.yaml'), '--yes', '--no-generate');
        expect([0, 2]).toContain(i.code);
        if (i.code === 2) {
          expect(existsSync(file)).toBe(false);
          return;
        }
      } else writeFileSync(file, doc.toString());
      writeFileSync(join(dir, 'id.pub'), `${PUBKEY} ${comment.replace(/[\r\n]/g, ' ')}\n`);
      const out = join(dir, 'inv');
      const g = await cli('generate', '-f', file, '--out', out);
      expect([0, 2]).toContain(g.code);
      if (g.code === 2) {
        expect(existsSync(out)).toBe(false);
        return;
      }
      const d = await cli(
        'deploy',
        '-f',
        file,
        '--out',
        out,
        '--identity',
        join(dir, 'id'),
        ...(restrict ? ['--restrict-from', value] : []),
        '--only',
        'root-access',
        '--dry-run',
      );
      expect([0, 2]).toContain(d.code);
      if (d.code === 2) return;
      await runDeploy(
        {
          file,
          out,
          identity: join(dir, 'id'),
          yes: true,
          opennebula: false,
          only: 'root-access',
          renderer: 'silent',
          ...(restrict ? { restrictFrom: value } : {}),
        },
        { out: sink, err: sink, debug: false },
        {
          exec,
          now: Date.now,
          env: { ...process.env, NODE_ENV: 'test' },
          isTTY: false,
          confirm: async () => true,
          findCollections: () => '/nonexistent/ansible_collections',
        },
      );
      // What YAML and JSON make of the value (a scalar is read back whole; surrounding spaces of a key comment are trimmed).
      const needles = [field.reaches ? value : undefined, `${PUBKEY} ${comment.replace(/[\r\n]/g, ' ')}`.trim()].filter((x): x is string => x !== undefined);
      accepted.push({ dir: out, field: field.path.join('.'), needles });
    }),
    { numRuns: RUNS, seed: SEED_USED, ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}) },
  );
  expect(existsSync(SENTINEL)).toBe(false);
  expect(existsSync(SENTINEL)).toBe(false);
  readBack(accepted);
}, 600_000);

/** OpenNebula 7.2+ `oneprovision show` (test/fixtures/oneprovision-7): every string in it is input `import` may read. */
const SHOW7 = JSON.parse(readFileSync('test/fixtures/oneprovision-7/show-5.json', 'utf8')) as unknown;
const SHOW7_PATHS = stringPaths(SHOW7);
const IMPORT_RUNS = Math.max(4, Math.round(RUNS / 2));

test(`hostile strings in every string of a provision's output: import and generate exit 0 or 2, and Ansible reads the result literally (${IMPORT_RUNS} cases)`, async () => {
  const accepted: Accepted[] = [];
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...SHOW7_PATHS), hostile, async (path, value) => {
      const dir = join(root, `import-${n++}`);
      mkdirSync(dir, { recursive: true });
      const show = JSON.parse(JSON.stringify(SHOW7)) as Record<string | number, unknown>;
      let o = show;
      for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
      o[path[path.length - 1]!] = value;
      writeFileSync(join(dir, 'show.json'), JSON.stringify(show));
      const file = join(dir, 'edge-wizard.yaml');
      writeFileSync(file, SEED);
      const i = await cli('import', '-f', file, '--from', join(dir, 'show.json'), '--yes');
      expect([0, 2]).toContain(i.code);
      if (i.code === 2) {
        expect(readFileSync(file, 'utf8')).toBe(SEED);
        return;
      }
      const g = await cli('generate', '-f', file, '--out', join(dir, 'inv'));
      expect([0, 2]).toContain(g.code);
      if (g.code === 0) accepted.push({ dir: join(dir, 'inv'), field: `--from ${path.join('.')}`, needles: [] });
    }),
    { numRuns: IMPORT_RUNS, seed: SEED_USED, ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}) },
  );
  expect(existsSync(SENTINEL)).toBe(false);
  readBack(accepted);
}, 600_000);
