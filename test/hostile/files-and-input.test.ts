/**
 * Files and input, tried as an attacker or an unlucky user would:
 * - two generate runs on one --out at once: one writes, the other stops with one sentence
 *   (exit 2), and the inventory is whole; a lock left by a process that is gone is taken over;
 * - a symlinked --out or scenario is written through (the link stays a link);
 * - --out a dangling symlink: one sentence, exit 2, nothing created;
 * - directories are 0750 whatever the umask (000 included);
 * - verify --prometheus: a directory, another program's metrics file, a path under a file:
 *   one sentence, exit 2, before anything runs;
 * - a write the system refuses (init in a read-only directory, a path through a file): one
 *   sentence naming the path and the fix, exit 2;
 * - `init --answers` with `__proto__`, `constructor` keys: ordinary (unknown) keys, exit 2,
 *   the scenario untouched, no prototype changed.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { mergeAnswers } from '../../src/cli/prompts/answers.js';
import { setIn } from '../../src/core/fields.js';
import { writeProblem } from '../../src/adapters/files.js';

const SEED = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
const root = mkdtempSync(join(tmpdir(), 'ew-files-input-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dirFor(name: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'edge-wizard.yaml'), SEED);
  return d;
}

const oneSentence = (err: string) => {
  const lines = err.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/: .*\.$/);
};

describe('output directory', () => {
  test('two generate runs on one --out at the same time: one writes, the other says why in one sentence; the inventory is whole', async () => {
    const d = dirFor('race');
    const out = join(d, 'inv');
    const runs = await Promise.all([1, 2, 3].map(() => cli('generate', '-f', join(d, 'edge-wizard.yaml'), '--out', out)));
    const codes = runs.map((r) => r.code).sort();
    expect(codes[0]).toBe(0);
    for (const r of runs.filter((x) => x.code !== 0)) {
      expect(r.code).toBe(2);
      oneSentence(r.err);
      expect(r.err).toMatch(/is writing .* right now: wait for it to finish and run this again/);
    }
    // Whole: the same files a lone run writes, no lock or staging copy left beside it.
    const alone = join(d, 'alone');
    expect((await cli('generate', '-f', join(d, 'edge-wizard.yaml'), '--out', alone)).code).toBe(0);
    const list = (p: string) => readdirSync(p, { recursive: true }).map(String).sort();
    expect(list(out)).toEqual(list(alone));
    expect(readdirSync(d).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  test('a lock held by another live process: one sentence, exit 2, nothing written; a lock whose process is gone is taken over', async () => {
    const d = dirFor('locked');
    const out = join(d, 'inv');
    const lock = join(d, '.inv.ew-lock');
    // Jest's parent process: alive, and not this one.
    writeFileSync(lock, `${process.ppid} held\n`);
    const r = await cli('generate', '-f', join(d, 'edge-wizard.yaml'), '--out', out);
    expect(r.code).toBe(2);
    oneSentence(r.err);
    expect(r.err).toContain(`Another edge-wizard (pid ${process.ppid}) is writing`);
    expect(existsSync(out)).toBe(false);
    // Above the largest pid Linux hands out: no such process.
    writeFileSync(lock, '4194999 stale\n');
    expect((await cli('generate', '-f', join(d, 'edge-wizard.yaml'), '--out', out)).code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  test('a symlinked --out is written through, twice; the link stays a link', async () => {
    const d = dirFor('linked-out');
    mkdirSync(join(d, 'real'));
    symlinkSync(join(d, 'real'), join(d, 'inv'));
    for (let i = 0; i < 2; i++) expect((await cli('generate', '-f', join(d, 'edge-wizard.yaml'), '--out', join(d, 'inv'))).code).toBe(0);
    expect(lstatSync(join(d, 'inv')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(d, 'real', 'hosts.yml'))).toBe(true);
  });

  test('--out a dangling symlink: one sentence, exit 2, nothing created', async () => {
    const d = dirFor('dangling');
    symlinkSync(join(d, 'missing'), join(d, 'inv'));
    const r = await cli('generate', '-f', join(d, 'edge-wizard.yaml'), '--out', join(d, 'inv'));
    expect(r.code).toBe(2);
    oneSentence(r.err);
    expect(r.err).toContain('is a symbolic link to');
    expect(existsSync(join(d, 'missing'))).toBe(false);
    expect(readlinkSync(join(d, 'inv'))).toBe(join(d, 'missing'));
  });

  test('directories are 0750 under umask 000', async () => {
    const d = dirFor('umask');
    const old = process.umask(0);
    try {
      expect((await cli('generate', '-f', join(d, 'edge-wizard.yaml'), '--out', join(d, 'inv'))).code).toBe(0);
    } finally {
      process.umask(old);
    }
    for (const sub of ['', 'host_vars', 'group_vars', 'group_vars/all'])
      expect({ sub, mode: (statSync(join(d, 'inv', sub)).mode & 0o777).toString(8) }).toEqual({ sub, mode: '750' });
  });
});

describe('verify --prometheus refuses what is not its own, before anything runs', () => {
  test.each([
    ['a directory', (d: string) => (mkdirSync(join(d, 'metrics')), join(d, 'metrics')), /is a directory: give a file name in it, like .*edge-wizard\.prom\.$/],
    [
      'a file that is not ours',
      (d: string) => (writeFileSync(join(d, 'other.prom'), '# HELP node_load1 1m load average.\nnode_load1 0.5\n'), join(d, 'other.prom')),
      /already exists and is not a textfile edge-wizard wrote: give a new file name/,
    ],
    ['a path under a file', (d: string) => join(d, 'edge-wizard.yaml', 'x.prom'), /edge-wizard\.yaml is a file, not a directory; give another path\.$/],
  ])('%s: one sentence, exit 2, the file untouched', async (name, make, sentence) => {
    const d = dirFor(`prom-${name.replace(/\W+/g, '-')}`);
    const target = make(d);
    const before = existsSync(target) && statSync(target).isFile() ? readFileSync(target, 'utf8') : undefined;
    const r = await cli('verify', '-f', join(d, 'edge-wizard.yaml'), '--out', join(d, 'inv'), '--prometheus', target);
    expect(r.code).toBe(2);
    oneSentence(r.err);
    expect(r.err.trim()).toMatch(sentence);
    if (before !== undefined) expect(readFileSync(target, 'utf8')).toBe(before);
    expect(existsSync(join(d, 'inv'))).toBe(false);
  });
});

describe('a write the system refuses is one sentence, exit 2', () => {
  test('init writing its scenario under a file (ENOTDIR, EEXIST): one sentence, exit 2, nothing left', async () => {
    const d = dirFor('init-enotdir');
    const target = join(d, 'edge-wizard.yaml', 'new.yaml');
    const r = await cli('init', '-f', target, '--answers', join(d, 'edge-wizard.yaml'), '--yes', '--no-generate');
    expect(r.code).toBe(2);
    oneSentence(r.err);
    expect(r.err).toMatch(/Cannot write .*new\.yaml \((ENOTDIR|EEXIST)\): a part of its path is a file, not a directory: give another path\./);
    expect(readdirSync(d)).toEqual(['edge-wizard.yaml']);
  });

  // As root (this machine's tests) no directory refuses a write by its mode: the errno itself is mapped.
  test.each([
    ['EACCES', 'its directory is not writable by this user: fix the permissions or write it elsewhere'],
    ['EROFS', 'it is on a read-only file system: write it elsewhere'],
    ['ENOSPC', 'the disk is full: free some space and run this again'],
  ])('%s', (code, why) => {
    const e = Object.assign(new Error(`${code}: raw`), { code });
    expect((writeProblem('/ro/edge-wizard.yaml', e) as Error).message).toBe(`Cannot write /ro/edge-wizard.yaml (${code}): ${why}.`);
  });
});

describe('a symlinked scenario is written through', () => {
  test('import rewrites the file the link points at; the link stays', async () => {
    const d = dirFor('linked-scenario');
    writeFileSync(join(d, 'real.yaml'), SEED, { mode: 0o600 });
    symlinkSync(join(d, 'real.yaml'), join(d, 'link.yaml'));
    const inventory = new URL('../fixtures/ansible-inventory/list.json', import.meta.url).pathname;
    const r = await cli('import', '-f', join(d, 'link.yaml'), '--from', inventory, '--yes');
    expect(r.code).toBe(0);
    expect(lstatSync(join(d, 'link.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, 'real.yaml'), 'utf8')).not.toBe(SEED);
    expect(statSync(join(d, 'real.yaml')).mode & 0o777).toBe(0o600);
  });
});

describe('keys are data, never prototypes', () => {
  test('mergeAnswers and setIn keep __proto__ and constructor as own keys', () => {
    const over = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"x": 1}, "name": "n"}') as Record<string, unknown>;
    const merged = mergeAnswers({ name: 'seed' }, over) as Record<string, unknown>;
    expect(Object.keys(merged).sort()).toEqual(['__proto__', 'constructor', 'name']);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const set = setIn({}, ['__proto__', 'polluted'], true) as Record<string, unknown>;
    expect(Object.keys(set)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(set)).toBe(Object.prototype);
  });

  test.each(['__proto__', 'constructor', 'toString'])('init --answers with a %s key: exit 2 naming it, the scenario untouched', async (key) => {
    const d = dirFor(`answers-${key}`);
    writeFileSync(join(d, 'a.yaml'), `${key}:\n  polluted: true\nname: other\n`);
    const r = await cli('init', '-f', join(d, 'edge-wizard.yaml'), '--answers', join(d, 'a.yaml'), '--yes', '--no-generate');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${key} is not a known setting`);
    expect(readFileSync(join(d, 'edge-wizard.yaml'), 'utf8')).toBe(SEED);
  });
});
