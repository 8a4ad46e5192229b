/**
 * Writing the draft back into the user's YAML document: only changed values are
 * set (Document.setIn / deleteIn), so comments and layout of everything else survive.
 */
import { isDeepStrictEqual } from 'node:util';
import { Document, isCollection, isSeq, parseDocument, type YAMLSeq } from 'yaml';

type Path = Array<string | number>;

const STRINGIFY = { flowCollectionPadding: false } as const;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function setValue(doc: Document, path: Path, value: unknown): void {
  const old = doc.getIn(path, true);
  const node = doc.createNode(value);
  // Keep the flow style of a list written as [a, b].
  if (isSeq(old) && (old as YAMLSeq).flow && isCollection(node)) node.flow = true;
  doc.setIn(path, node);
}

function sync(doc: Document, path: Path, before: unknown, after: unknown): void {
  if (isDeepStrictEqual(before, after)) return;
  if (isObj(before) && isObj(after)) {
    for (const [k, v] of Object.entries(after as Record<string, unknown>)) {
      if (v === undefined) continue;
      sync(doc, [...path, k], (before as Record<string, unknown>)[k], v);
    }
    for (const k of Object.keys(before as Record<string, unknown>)) {
      if ((after as Record<string, unknown>)[k] === undefined) doc.deleteIn([...path, k]);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && (after.some(isObj) || before.some(isObj))) {
    // Lists of mappings (clusters, hosts): item by item; removed items from the end backwards.
    after.forEach((v, i) => {
      if (i < before.length) sync(doc, [...path, i], before[i], v);
      else (doc.getIn(path, true) as YAMLSeq).add(doc.createNode(v));
    });
    for (let i = before.length - 1; i >= after.length; i--) doc.deleteIn([...path, i]);
    return;
  }
  setValue(doc, path, after);
}

/** The document text after applying `after` over `before` (the data `text` held). */
export function updateYaml(text: string, after: Record<string, unknown>): string {
  const doc = parseDocument(text);
  const before = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (doc.contents === null) return newYaml(after);
  if (isDeepStrictEqual(before, after)) return text;
  sync(doc, [], before, after);
  return doc.toString(STRINGIFY);
}

export function newYaml(data: Record<string, unknown>): string {
  const doc = new Document(data);
  doc.commentBefore = ' yaml-language-server: $schema=https://edge-wizard.dev/schema/edge-wizard.schema.json\n Written by `edge-wizard init`; run it again to add clusters or hosts (comments you add survive).';
  return doc.toString(STRINGIFY);
}
