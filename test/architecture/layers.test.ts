/**
 * The layering rules of docs/ARCHITECTURE.md, read from the imports of every
 * source file: core < adapters < lab < app < cli, never upwards; core is pure;
 * no command imports another command.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const LAYERS = ['core', 'adapters', 'lab', 'app', 'cli'] as const;
type Layer = (typeof LAYERS)[number];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module specifier a file imports (static, dynamic and re-exports). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const re of [/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm, /import\(\s*[`'"]([^`'"]+)[`'"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm]) {
    for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]!);
  }
  return out;
}

const layerOf = (file: string): Layer => relative(SRC, file).split('/')[0] as Layer;

const all = files(SRC).map((f) => ({ file: relative(SRC, f), layer: layerOf(f), imports: imports(f), abs: f }));

describe('layers', () => {
  test('every source file is in a known layer', () => {
    expect(all.filter((f) => !LAYERS.includes(f.layer)).map((f) => f.file)).toEqual([]);
  });

  test('no layer imports a layer above it', () => {
    const bad: string[] = [];
    for (const f of all) {
      for (const spec of f.imports.filter((s) => s.startsWith('.'))) {
        const target = resolve(dirname(f.abs), spec);
        const to = relative(SRC, target).split('/')[0] as Layer;
        if (LAYERS.indexOf(to) > LAYERS.indexOf(f.layer)) bad.push(`${f.file} -> ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test('core is pure: no fs, processes, prompts or task lists', () => {
    const impure = /^(node:(fs|fs\/promises|child_process|net|http|os)|fs|child_process|execa|inquirer|@inquirer\/.*|listr2)$/;
    const bad = all.filter((f) => f.layer === 'core').flatMap((f) => f.imports.filter((s) => impure.test(s)).map((s) => `${f.file} -> ${s}`));
    expect(bad).toEqual([]);
  });

  test('no command imports another command', () => {
    const bad = all
      .filter((f) => f.file.startsWith('cli/commands/'))
      .flatMap((f) => f.imports.filter((s) => /^\.\/[^/]+(\.js)?$/.test(s) || /commands\//.test(s)).map((s) => `${f.file} -> ${s}`));
    expect(bad).toEqual([]);
  });

  test('the bin file only bootstraps the CLI', () => {
    const bin = readFileSync(resolve(SRC, '../bin/edge-wizard.js'), 'utf8');
    const specs = [...bin.matchAll(/(?:from\s+|import\(\s*)['"`]([^'"`]+)['"`]/g)].map((m) => m[1]);
    expect(specs.every((s) => s === '../dist/cli/main.js' || s!.startsWith('node:'))).toBe(true);
  });
});
