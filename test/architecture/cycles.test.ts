/**
 * No import loop among the source files, counting the imports that run (an `import type` is erased).
 * The schema imports the WireGuard topologies' registry for its enum (core/schema.ts): a loop back
 * from a topology to the schema or to validation would make the enum depend on load order.
 */
import { expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The relative modules a file imports or re-exports at run time (static imports; `import type` and `{ type A }` alone left out). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s+(?!type\s)([^'"]*?)\s*from\s+['"](\.[^'"]+)['"]/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const names = m[1]!.trim();
    const onlyTypes =
      names.startsWith('{') &&
      names.endsWith('}') &&
      names
        .slice(1, -1)
        .split(',')
        .every((n) => !n.trim() || n.trim().startsWith('type '));
    if (!onlyTypes) out.push(resolve(dirname(file), m[2]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

test('no source file reaches itself through the imports that run', () => {
  const graph = new Map(files(SRC).map((f) => [f, runtimeImports(f)]));
  const loops: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (f: string) => {
    if (done.has(f) || !graph.has(f)) return;
    const at = path.indexOf(f);
    if (at >= 0) {
      loops.push([...path.slice(at), f].map((p) => relative(SRC, p)).join(' -> '));
      return;
    }
    path.push(f);
    for (const g of graph.get(f)!) visit(g);
    path.pop();
    done.add(f);
  };
  for (const f of graph.keys()) visit(f);
  expect(loops).toEqual([]);
});
