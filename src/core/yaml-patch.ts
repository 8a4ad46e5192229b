/**
 * The one comment-preserving YAML patcher: change a user's document only where
 * the data changed, so every other node keeps its comments and style. Used for
 * hosts.yml (core/inventory.ts), the scenario file the wizard edits
 * (cli/prompts/document.ts) and, through yaml's own addIn/deleteIn, import.
 */
import { isDeepStrictEqual } from 'node:util';
import { isCollection, isMap, isScalar, isSeq, parseDocument, Scalar, type Document, type YAMLMap, type YAMLSeq } from 'yaml';

type Path = Array<string | number>;

export const STRINGIFY = { flowCollectionPadding: false } as const;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `doc.setIn` after making every parent on the path a mapping: the user's file
 * may lack a parent or hold a scalar there, and yaml's own setIn builds missing
 * parents as !!omap under YAML 1.1, which it then cannot descend into.
 */
export function setPath(doc: Document, path: Path, node: unknown): void {
  for (let i = 1; i < path.length; i++) {
    const parent = path.slice(0, i);
    const here = doc.getIn(parent, true);
    if (!isMap(here) && !(isSeq(here) && typeof path[i] === 'number')) doc.setIn(parent, doc.createNode({}));
  }
  doc.setIn(path, node);
}

function sameValue(node: unknown, want: unknown): boolean {
  if (want instanceof Scalar) return isScalar(node) && node.tag === want.tag && node.value === want.value;
  const have = node && typeof node === 'object' && 'toJSON' in node ? (node as { toJSON(): unknown }).toJSON() : node;
  return JSON.stringify(have) === JSON.stringify(want);
}

/** Sets `path` to `value` only when it differs; keeps the flow style of a list written as [a, b]. */
export function ensureIn(doc: Document, path: Path, value: unknown): void {
  const old = doc.getIn(path, true);
  if (sameValue(old, value)) return;
  const node = value instanceof Scalar ? value : doc.createNode(value);
  if (isSeq(old) && (old as YAMLSeq).flow && isCollection(node)) node.flow = true;
  setPath(doc, path, node);
}

/**
 * `ensureIn` for one key of a mapping already in hand (a host of hosts.yml): set when it
 * differs, deleted when `value` is undefined. No lookup by path from the root.
 */
export function ensureKey(doc: Document, map: YAMLMap, key: string, value: unknown): void {
  if (value === undefined) {
    if (map.has(key)) map.delete(key);
    return;
  }
  const old = map.get(key, true);
  if (sameValue(old, value)) return;
  const node = value instanceof Scalar ? value : doc.createNode(value);
  if (isSeq(old) && (old as YAMLSeq).flow && isCollection(node)) node.flow = true;
  map.set(key, node);
}

/** Applies `after` over `before` (the data `doc` held at `path`), key by key and item by item. */
export function syncIn(doc: Document, path: Path, before: unknown, after: unknown): void {
  if (isDeepStrictEqual(before, after)) return;
  if (isObj(before) && isObj(after)) {
    for (const [k, v] of Object.entries(after)) {
      if (v === undefined) continue;
      syncIn(doc, [...path, k], before[k], v);
    }
    for (const k of Object.keys(before)) {
      if (after[k] === undefined) doc.deleteIn([...path, k]);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && (after.some(isObj) || before.some(isObj))) {
    // Lists of mappings (clusters, hosts): item by item; removed items from the end backwards.
    after.forEach((v, i) => {
      if (i < before.length) syncIn(doc, [...path, i], before[i], v);
      else (doc.getIn(path, true) as YAMLSeq).add(doc.createNode(v));
    });
    for (let i = before.length - 1; i >= after.length; i--) doc.deleteIn([...path, i]);
    return;
  }
  ensureIn(doc, path, after);
}

/** The document text after applying `after` over the data `text` held; `text` itself when nothing changed. */
export function updateYaml(text: string, after: Record<string, unknown>, fresh: (data: Record<string, unknown>) => string): string {
  const doc = parseDocument(text);
  const before = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (doc.contents === null) return fresh(after);
  if (isDeepStrictEqual(before, after)) return text;
  syncIn(doc, [], before, after);
  return doc.toString(STRINGIFY);
}
