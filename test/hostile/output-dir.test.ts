/**
 * The output directory under hostile or unlucky conditions: bad --out values
 * are refused before any write; generate is all or nothing (a failure or a
 * signal mid-run leaves the old tree; a half-done swap is finished or rolled
 * back by the next run; stray temp files are removed).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { checkOutDir } from '../../src/adapters/paths.js';
import { recoverSwap, swapPaths, syncFiles } from '../../src/adapters/files.js';
import type { PlannedFile } from '../../src/core/plan.js';
import { cli } from '../support/cli.js';

const SEED = new URL('../../examples/seed-practical.yaml', import.meta.url).pathname;
const BIN = new URL('../../bin/edge-wizard.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'ew-hostile-out-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file under dir (relative path -> content), for byte comparisons. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const sentence = /^edge-wizard: [^\n]+\.\n$/;

describe('--out checked before any write', () => {
  test('empty (an unset shell variable): exit 2, nothing written in the current directory', async () => {
    const r = await cli('generate', '-f', SEED, '--out', '');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(sentence);
    expect(r.err).toContain('--out is empty');
  });

  test('a regular file: exit 2, the file untouched', async () => {
    const f = join(root, 'a-file');
    writeFileSync(f, 'mine\n');
    const r = await cli('generate', '-f', SEED, '--out', f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is a file, not a directory/);
    expect(readFileSync(f, 'utf8')).toBe('mine\n');
  });

  test("a directory holding someone else's files: exit 2, ansible.cfg untouched", async () => {
    const d = join(root, 'project');
    mkdirSync(d);
    writeFileSync(join(d, 'ansible.cfg'), '[defaults]\nmine = 1\n');
    const r = await cli('deploy', '-f', SEED, '--out', d, '--dry-run');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(sentence);
    expect(readFileSync(join(d, 'ansible.cfg'), 'utf8')).toBe('[defaults]\nmine = 1\n');
  });

  test("inside edge-wizard's own tree: exit 2", async () => {
    const r = await cli('generate', '-f', SEED, '--out', new URL('../../src/oops', import.meta.url).pathname);
    expect(r.code).toBe(2);
    expect(r.err).toContain("inside edge-wizard's own files");
  });

  test('no permission (root ignores modes, so the check is fed a refusal): one sentence', () => {
    const d = join(root, 'locked');
    mkdirSync(d);
    expect(() => checkOutDir(d, 'inventories/x', '--out', { canWrite: () => false })).toThrow(/is not writable by this user/);
    expect(() => checkOutDir(join(d, 'new'), 'inventories/x', '--out', { canWrite: () => false })).toThrow(/cannot be created: .* is not writable/);
  });
});

describe('generate is all or nothing', () => {
  const file = (path: string, content: string | (() => string)): PlannedFile => ({
    path,
    mode: 0o644,
    get content() {
      return typeof content === 'function' ? content() : content;
    },
  });

  test('a failure while writing leaves the old tree byte for byte, and the next run cleans up', async () => {
    const out = join(root, 'inv-fail');
    await syncFiles(out, [file('hosts.yml', 'old hosts\n'), file('host_vars/a.yml', 'old a\n'), file('host_vars/b.yml', 'old b\n')]);
    writeFileSync(join(out, 'mine.txt'), 'user file\n');
    const before = snapshot(out);
    const plan = [
      file('hosts.yml', 'new hosts\n'),
      file('host_vars/a.yml', 'new a\n'),
      file('host_vars/b.yml', () => {
        throw new Error('disk full');
      }),
    ];
    await expect(syncFiles(out, plan)).rejects.toThrow('disk full');
    expect(snapshot(out)).toEqual(before);
    // The next run removes the abandoned staging copy and applies everything.
    await syncFiles(out, [file('hosts.yml', 'new hosts\n'), file('host_vars/a.yml', 'new a\n'), file('host_vars/b.yml', 'new b\n')]);
    expect(snapshot(out)).toEqual({ 'hosts.yml': 'new hosts\n', 'host_vars/a.yml': 'new a\n', 'host_vars/b.yml': 'new b\n', 'mine.txt': 'user file\n' });
    expect(existsSync(swapPaths(out).staging)).toBe(false);
    expect(existsSync(swapPaths(out).old)).toBe(false);
  });

  test('modes survive the swap; a 0600 file is never widened', async () => {
    const out = join(root, 'inv-modes');
    await syncFiles(out, [{ ...file('hosts.yml', 'secret\n'), mode: 0o600 }, file('a.yml', 'a\n')]);
    await syncFiles(out, [{ ...file('hosts.yml', 'secret\n'), mode: 0o600 }, file('a.yml', 'b\n')]);
    expect(statSync(join(out, 'hosts.yml')).mode & 0o777).toBe(0o600);
  });

  test('a swap cut between its two renames is finished by the next run; with no staging copy it is rolled back', async () => {
    const out = join(root, 'inv-swap');
    await syncFiles(out, [file('hosts.yml', 'v1\n')]);
    const { staging, old } = swapPaths(out);
    // Cut after "old tree aside", with the new tree complete.
    mkdirSync(staging);
    writeFileSync(join(staging, 'hosts.yml'), 'v2\n');
    renameSync(out, old);
    await recoverSwap(out);
    expect(readFileSync(join(out, 'hosts.yml'), 'utf8')).toBe('v2\n');
    // Cut with no staging copy: the old tree comes back.
    renameSync(out, old);
    await recoverSwap(out);
    expect(readFileSync(join(out, 'hosts.yml'), 'utf8')).toBe('v2\n');
    expect(existsSync(old)).toBe(false);
  });

  test("stray temp files of an earlier crash are removed; the user's dotfiles are not", async () => {
    const out = join(root, 'inv-stray');
    await syncFiles(out, [file('hosts.yml', 'x\n'), file('host_vars/a.yml', 'a\n')]);
    writeFileSync(join(out, '.0123456789ab.tmp'), 'half');
    writeFileSync(join(out, 'host_vars', '.ba9876543210.tmp'), 'half');
    writeFileSync(join(out, '.mine'), 'keep');
    await syncFiles(out, [file('hosts.yml', 'x\n'), file('host_vars/a.yml', 'a\n')]);
    expect(Object.keys(snapshot(out)).sort()).toEqual(['.mine', 'host_vars/a.yml', 'hosts.yml']);
  });

  test('SIGINT in the middle of a 300-host generate leaves the old tree byte for byte; the next run removes the staging copy', async () => {
    const dir = join(root, 'sigint');
    mkdirSync(dir);
    const seed = parse(readFileSync(SEED, 'utf8')) as {
      clusters: Array<{ hosts: unknown[] }>;
      wireguard: { subnet: string; port: number };
      networks: Array<Record<string, unknown>>;
    };
    // The port is in every host_vars file: a change rewrites the whole tree.
    const make = (port: number) => {
      const s = structuredClone(seed) as typeof seed & { name: string };
      s.name = 'sigint';
      s.wireguard = { ...s.wireguard, subnet: '10.64.0.0/16', port };
      s.networks = [
        { ...s.networks[0], network_address: '172.17.0.0', network_mask: '255.255.252.0', ar_start: '172.17.0.1', ar_size: 700, gateway: '172.17.0.1' },
      ];
      s.clusters[0]!.hosts = Array.from({ length: 150 }, (_, i) => ({ name: `kvm_a${i}`, public_ip: `198.18.0.${i + 1}` }));
      s.clusters[1]!.hosts = Array.from({ length: 150 }, (_, i) => ({ name: `kvm_b${i}`, public_ip: `198.19.0.${i + 1}` }));
      const f = join(dir, `${port}.yaml`);
      writeFileSync(f, stringify(s));
      return f;
    };
    const v1 = make(51820);
    const v2 = make(51821);
    const out = join(dir, 'inv');
    expect((await cli('generate', '-f', v1, '--out', out)).code).toBe(0);
    const old = snapshot(out);
    const { staging } = swapPaths(out);
    const child = spawn(process.execPath, [BIN, 'generate', '-f', v2, '--out', out], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    let caught = false;
    for (let i = 0; i < 2000 && child.exitCode === null; i++) {
      if (existsSync(staging)) {
        child.kill('SIGINT');
        caught = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await exited;
    if (caught) expect(snapshot(out)).toEqual(old);
    else console.warn('the generate finished before it could be interrupted: only the end state is checked');
    expect((await cli('generate', '-f', v2, '--out', out)).code).toBe(0);
    expect(existsSync(staging)).toBe(false);
    expect(Object.values(snapshot(out)).filter((t) => t.includes('51820')).length).toBe(0);
  }, 60_000);
});

describe('other input files are read within the same bounds', () => {
  test('import --from over 4 MiB, or UTF-16: one sentence, exit 2', async () => {
    const big = join(root, 'big.json');
    writeFileSync(big, Buffer.alloc(5 * 1024 * 1024, 0x20));
    const r = await cli('import', '-f', SEED, '--from', big, '--dry-run');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--from .* is larger than 4 MiB/);
    const u16 = join(root, 'u16.json');
    writeFileSync(u16, Buffer.from([0xff, 0xfe, 0x7b, 0, 0x7d, 0]));
    const r2 = await cli('import', '-f', SEED, '--from', u16, '--dry-run');
    expect(r2.code).toBe(2);
    expect(r2.err).toContain('is UTF-16 LE text, not UTF-8');
  });

  test('init --answers over 4 MiB: one sentence, exit 2, nothing written', async () => {
    const big = join(root, 'big-answers.yaml');
    writeFileSync(big, Buffer.alloc(5 * 1024 * 1024, 0x61));
    const target = join(root, 'new-scenario.yaml');
    const r = await cli('init', '-f', target, '--answers', big, '--yes');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(sentence);
    expect(existsSync(target)).toBe(false);
  });
});
