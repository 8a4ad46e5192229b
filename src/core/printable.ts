/**
 * Text from the user's file as messages show it: field paths, and values escaped (no control
 * characters reach a terminal) and cut to a readable length. A leaf module: validation, the YAML
 * reader and the inventory writer all print with it.
 */

/** `/clusters/0/hosts/1/public_ip` -> `clusters[0].hosts[1].public_ip` */
export function fieldPath(pointer: string, extra?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '';
  // A key is the user's text (an unknown setting): cut and made printable like any echoed value.
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${printable(p, 60)}` : printable(p, 60);
  return out || '(top level)';
}

/** Characters that must not reach a terminal raw: C0 and C1 controls, DEL, bidi overrides, line separators, BOM, lone surrogates. */
const UNPRINTABLE =
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function cutPrintable(s: string, max: number): { text: string; cut: boolean } {
  const head = s.length > max * 2 ? s.slice(0, max * 2) : s;
  const escaped = head.replace(UNPRINTABLE, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
  const chars = Array.from(escaped);
  if (chars.length <= max && head === s) return { text: escaped, cut: false };
  return { text: `${chars.slice(0, max - 1).join('')}…`, cut: true };
}

/** Text from the user's file made safe to print: escapes instead of control characters, at most `max` characters. */
export function printable(s: string, max = 60): string {
  return cutPrintable(s, max).text;
}

/** JSON-like text of `v`, stopping once it is longer than `max` (values can be huge or nested thousands deep). */
function preview(v: unknown, max: number): string {
  let out = '';
  const visit = (x: unknown, depth: number): boolean => {
    if (out.length > max) return false;
    if (Array.isArray(x) || (x && typeof x === 'object')) {
      if (depth > 8) {
        out += '…';
        return false;
      }
      const list = Array.isArray(x);
      out += list ? '[' : '{';
      let first = true;
      for (const k in x as object) {
        if (!first) out += ',';
        first = false;
        if (!list) out += `${JSON.stringify(k.slice(0, max))}:`;
        if (!visit((x as Record<string, unknown>)[k], depth + 1)) return false;
      }
      out += list ? ']' : '}';
      return true;
    }
    // YAML's .nan and .inf are numbers JSON has no word for (JSON.stringify says null).
    const word = typeof x === 'number' && !Number.isFinite(x) ? (Number.isNaN(x) ? '.nan' : x > 0 ? '.inf' : '-.inf') : undefined;
    out += typeof x === 'string' ? JSON.stringify(x.slice(0, max + 1)) : (word ?? String(JSON.stringify(x) ?? x));
    return out.length <= max;
  };
  visit(v, 0);
  return printable(out, max);
}

/** A value as messages echo it: strings quoted, everything cut to about 60 characters and printable. */
export function shown(v: unknown): string {
  if (typeof v === 'string') {
    const { text, cut } = cutPrintable(v, 60);
    return cut ? `"${text}" (${v.length} characters)` : `"${text}"`;
  }
  if (Array.isArray(v) && v.length > 10) return `a list of ${v.length} items`;
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 10) return `a mapping of ${Object.keys(v).length} keys`;
  return preview(v, 60);
}
