/**
 * YAML in and out. In: every file a user hands us is read within bounds (size,
 * encoding, nesting, aliases) and duplicate keys are found in linear time, so a
 * hostile file costs one sentence and exit 2, not minutes or a crash. Out: the
 * one scalar writer for the YAML files we print by hand (host_vars), quoting
 * any string a YAML 1.1 or 1.2 reader would take for another type.
 */
import { Composer, Lexer, LineCounter, Parser, isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import { UsageError, ValidationFailed, validationFailed } from './errors.js';
import { printable, shown } from './printable.js';
import { mayTemplate, UNSAFE_TAG } from './unsafe.js';

/** Largest input file (scenario, answers, provisioning output) read. */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;
/** Deepest nesting of collections; a scenario needs six levels. */
export const MAX_DEPTH = 32;
/** Values aliases (*name) may add beyond the ones written out. */
export const MAX_ALIAS_VALUES = 10_000;
/** Scalars (keys and values) in one file: a scenario of 1000 hosts has about 15,000. */
export const MAX_VALUES = 100_000;

const MiB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Bytes of an input file -> text, or a UsageError naming the encoding to fix.
 * `what` starts the sentence, e.g. "The scenario file x.yaml".
 */
export function decodeInput(bytes: Uint8Array, what: string): string {
  if (bytes.length > MAX_INPUT_BYTES) {
    throw new UsageError(`${what} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB, the limit for input files: check that it is the right file.`);
  }
  const b = bytes;
  const named = (enc: string, iconv: string) =>
    new UsageError(`${what} is ${enc} text, not UTF-8: save it as UTF-8 (for example: iconv -f ${iconv} -t UTF-8).`);
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) throw named('UTF-32 LE', 'UTF-32LE');
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) throw named('UTF-32 BE', 'UTF-32BE');
  if (b[0] === 0xff && b[1] === 0xfe) throw named('UTF-16 LE', 'UTF-16LE');
  if (b[0] === 0xfe && b[1] === 0xff) throw named('UTF-16 BE', 'UTF-16BE');
  const nul = b.indexOf(0);
  if (nul >= 0) {
    // ASCII text in UTF-16 has a NUL in every other byte: odd offsets for LE, even for BE.
    let odd = 0;
    let even = 0;
    for (let i = 0; i < Math.min(b.length, 4096); i++) {
      if (b[i] !== 0) continue;
      if (i % 2) odd++;
      else even++;
    }
    const half = Math.min(b.length, 4096) / 2;
    if (odd > half * 0.6) throw named('UTF-16 LE', 'UTF-16LE');
    if (even > half * 0.6) throw named('UTF-16 BE', 'UTF-16BE');
    throw new UsageError(`${what} holds a NUL byte on line ${lineAt(b, nul)}, so it is not a text file: pass the YAML file itself.`);
  }
  try {
    // A UTF-8 byte order mark is fine: the decoder drops it.
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    const at = firstInvalidUtf8(b);
    throw new UsageError(
      `${what} is not UTF-8 text (line ${lineAt(b, at)} has the byte 0x${b[at]!.toString(16).toUpperCase().padStart(2, '0')}, perhaps Latin-1 or Windows-1252): save it as UTF-8.`,
    );
  }
}

function lineAt(b: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (b[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that breaks UTF-8 (only called once the decoder has refused the bytes). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}

class Refused extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** The lexeme the `yaml` lexer puts before every scalar. */
const SCALAR = '\x1f';

/**
 * The lexer and parser of the `yaml` package, one token at a time, stopping
 * as soon as collections nest deeper than MAX_DEPTH (its composer recurses:
 * 4 MiB of "[" takes minutes and "- - - ..." runs out of memory) or the file
 * holds more than MAX_VALUES scalars (4 MiB of keys took 12 s, of list items
 * that fail the schema 22 s and 900 MB).
 */
function* boundedTokens(text: string, lines: LineCounter) {
  const parser = new Parser(lines.addNewLine);
  lines.addNewLine(0);
  let scalars = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (lexeme === SCALAR && ++scalars > MAX_VALUES) {
      throw new Refused(
        parser.offset,
        `the file holds more than ${MAX_VALUES} keys and values, far more than any scenario needs; check that it is the right file.`,
      );
    }
    yield* parser.next(lexeme);
    // The stack holds the document and each open collection.
    if (parser.stack.length > MAX_DEPTH + 1)
      throw new Refused(parser.offset, `collections nest more than ${MAX_DEPTH} levels deep; fix the indentation or brackets there.`);
  }
  yield* parser.end();
}

interface Size {
  values: number;
  depth: number;
}

/**
 * One walk over the document, in the order aliases resolve: duplicate keys
 * (the `yaml` package's own check is quadratic: 40,000 keys took 93 s), depth
 * and values with aliases expanded, aliases that contain themselves.
 */
function checkNodes(doc: Document, lines: LineCounter): Array<{ offset: number; message: string }> {
  const problems: Array<{ offset: number; message: string }> = [];
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, Size>();
  const open = new Set<Node>();
  let expanded = 0;
  const at = (n: unknown) => (n as Node | null)?.range?.[0] ?? 0;

  const walk = (node: unknown, depth: number): Size => {
    if (!node || typeof node !== 'object') return { values: 0, depth: 0 };
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) return { values: 0, depth: 0 }; // the composer already reported it
      if (open.has(target)) throw new Refused(at(node), `alias *${printable(node.source, 40)} refers to the collection that contains it; remove the alias.`);
      const s = sizes.get(target) ?? { values: 1, depth: 1 };
      expanded += s.values;
      if (expanded > MAX_ALIAS_VALUES)
        throw new Refused(
          at(node),
          `aliases expand the file by more than ${MAX_ALIAS_VALUES} values (at *${printable(node.source, 40)}); write the values out instead.`,
        );
      if (depth + s.depth > MAX_DEPTH)
        throw new Refused(
          at(node),
          `alias *${printable(node.source, 40)} makes collections nest more than ${MAX_DEPTH} levels deep; write the values out instead.`,
        );
      return s;
    }
    const n = node as Node;
    if (n.anchor) anchors.set(n.anchor, n);
    let size: Size = { values: 1, depth: 1 };
    if (isMap(n) || isSeq(n)) {
      if (depth >= MAX_DEPTH) throw new Refused(at(n), `collections nest more than ${MAX_DEPTH} levels deep; fix the indentation or brackets there.`);
      open.add(n);
      const keys = isMap(n) ? new Map<string, number>() : undefined;
      let values = 1;
      let deepest = 0;
      for (const item of n.items as unknown[]) {
        const parts = isPair(item) ? [item.key, item.value] : [item];
        if (keys && isPair(item) && (isMap(item.key) || isSeq(item.key))) {
          problems.push({
            offset: at(item.key),
            message: `a key here is a ${isMap(item.key) ? 'mapping' : 'list'}, but keys are plain words; write the key as text.`,
          });
        } else if (keys && isPair(item) && isScalar(item.key)) {
          const k = String(item.key.value);
          const first = keys.get(k);
          if (first !== undefined) {
            problems.push({
              offset: at(item.key),
              message: `the key ${shown(k)} is set twice in the same mapping (first on line ${lines.linePos(first).line}); keep one of them.`,
            });
          } else keys.set(k, at(item.key));
        }
        for (const p of parts) {
          const s = walk(p, depth + 1);
          values += s.values;
          if (s.depth > deepest) deepest = s.depth;
        }
      }
      open.delete(n);
      size = { values, depth: deepest + 1 };
    }
    if (n.anchor) sizes.set(n, size);
    return size;
  };
  walk(doc.contents, 0);
  return problems;
}

/**
 * The offset of the first key set twice in one mapping of `doc`, in linear time
 * (for files we read back, such as hosts.yml, parsed with `uniqueKeys: false`:
 * the `yaml` package's own check scans the mapping for each key, 2.3 s for a
 * hosts.yml of 10,000 hosts).
 */
export function firstDuplicateKey(doc: Document): number | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const n = stack.pop();
    if (isMap(n)) {
      const keys = new Set<string>();
      for (const item of n.items) {
        if (isScalar(item.key)) {
          const k = String(item.key.value);
          if (keys.has(k)) return item.key.range?.[0] ?? 0;
          keys.add(k);
        }
        stack.push(item.value);
      }
    } else if (isSeq(n)) stack.push(...n.items);
  }
  return undefined;
}

/**
 * Ansible's own `!vault |` form: read as `{vault: text}`, the scenario's vault form, so a
 * password written either way is the same vault (and any other field so tagged is refused by
 * the schema: it is not a string).
 */
const VAULT_TAG = { tag: '!vault', resolve: (text: string) => ({ vault: text }) };

/**
 * Raw YAML text -> plain data within the bounds, or every problem as one
 * sentence (ValidationFailed, exit 2) starting with `source` and the line
 * ("Line N: ..." when `source` is empty).
 */
export function readYaml(text: string, source: string, options: { version?: '1.1' | '1.2' } = {}): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_INPUT_BYTES) {
    throw new ValidationFailed(
      [`${source} is ${MiB(bytes)}, larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB, the limit for input files: check that it is the right file.`],
      source,
    );
  }
  // A carriage return alone ends no line for the parser (old Mac OS line endings): the whole file reads as one line.
  const cr = /\r(?!\n)/.exec(text);
  if (cr) {
    const at = text.slice(0, cr.index).split(/\r\n|\n|\r/).length;
    throw new ValidationFailed(
      [
        `${source ? `${source} line` : 'Line'} ${at} ends with a carriage return alone (old Mac line endings), which YAML does not read as a line break: save the file with LF line endings (for example: tr '\\r' '\\n').`,
      ],
      source,
    );
  }
  const lines = new LineCounter();
  const line = (offset: number) => lines.linePos(offset).line;
  const sentence = (offset: number, message: string) => `${source ? `${source} line` : 'Line'} ${line(offset)}: ${message}`;
  let doc: Document.Parsed | undefined;
  let second: number | undefined;
  try {
    // uniqueKeys: false, as checkNodes finds duplicate keys in linear time.
    // logLevel 'error': problems are ours to report as sentences, not process warnings on stderr.
    const composer = new Composer({ uniqueKeys: false, logLevel: 'error', customTags: [VAULT_TAG], ...(options.version ? { version: options.version } : {}) });
    for (const d of composer.compose(boundedTokens(text, lines), true, text.length)) {
      if (!doc) doc = d;
      else {
        second = d.range[0];
        break;
      }
    }
  } catch (e) {
    if (e instanceof Refused) throw new ValidationFailed([sentence(e.offset, e.message)], source);
    throw e;
  }
  if (!doc) return null;
  // A tab in the indentation makes the parser report every line after it: one problem, where it is.
  const tab = doc.errors.length ? /^[ ]*\t/m.exec(text) : null;
  const syntax = tab
    ? [sentence(tab.index, `a tab in the indentation (column ${tab[0].length}); YAML indents with spaces only: replace it with spaces.`)]
    : doc.errors.map((e) =>
        sentence(e.pos[0], `${printable(e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), 200)}; fix the YAML syntax there.`),
      );
  if (second !== undefined) syntax.push(sentence(second, 'a second YAML document starts here; keep one document per file.'));
  if (syntax.length) throw validationFailed(syntax, source);
  let found: Array<{ offset: number; message: string }>;
  try {
    found = checkNodes(doc, lines);
  } catch (e) {
    if (e instanceof Refused) throw new ValidationFailed([sentence(e.offset, e.message)], source);
    throw e;
  }
  if (found.length)
    throw validationFailed(
      found.map((p) => sentence(p.offset, p.message)),
      source,
    );
  try {
    // checkNodes bounds what aliases add; the package's own guard stays as a backstop.
    return doc.toJS({ maxAliasCount: 100 * MAX_ALIAS_VALUES });
  } catch (e) {
    if (e instanceof ReferenceError) throw new ValidationFailed([`${source}: aliases (*name) expand the file too far; write the values out instead.`], source);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Out: scalars of the YAML files printed by hand.

/** Plain scalars we print as they are: no indicator, space, colon or quote anywhere. */
const PLAIN = /^[A-Za-z0-9_/][A-Za-z0-9_./@+-]*$/;
/** Booleans and null of YAML 1.1 (yes/no/on/off/y/n, any case to be safe) and 1.2. */
const WORDS = /^(?:y|yes|n|no|true|false|on|off|null)$/i;
/** Anything a reader might take for a number, date or time: it starts like one. */
const NUMBERISH = /^[-+]?\.?[0-9]/;
/** The `yaml` package's YAML 1.1 float takes an exponent alone ("e0" reads as NaN). */
const EXPONENT = /^[eE][-+]?[0-9]+$/;
/** Dotted IPv4 addresses and prefixes are strings for every YAML reader (PyYAML, libyaml, yaml, SnakeYAML, go-yaml). */
const IPV4ISH = /^[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?:\/[0-9]{1,2})?$/;

/** Whether `s` must be quoted to stay a string for YAML 1.1 and 1.2 readers. */
export function needsQuotes(s: string): boolean {
  if (!PLAIN.test(s)) return true;
  if (WORDS.test(s) || EXPONENT.test(s)) return true;
  return NUMBERISH.test(s) && !IPV4ISH.test(s);
}

/**
 * A double-quoted YAML scalar: JSON's escapes, plus the characters YAML will not take raw; tagged
 * `!unsafe` when Ansible could read it as a template (core/unsafe.ts): these files are Ansible's vars.
 */
export function yamlQuoted(s: string): string {
  return (
    (mayTemplate(s) ? `${UNSAFE_TAG} ` : '') +
    JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  );
}

/** The one scalar writer of hand-printed YAML: plain when that reads back as the same string, quoted otherwise. */
export function yamlScalar(s: string): string {
  return needsQuotes(s) ? yamlQuoted(s) : s;
}
