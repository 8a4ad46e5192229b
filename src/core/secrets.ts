/**
 * Where secrets are, by construction: the scenario model marks them (the
 * `Secret` fields), and this module knows where they land in every YAML file
 * we write or read. Anything shown or logged masks them by position in the
 * document, never by searching the text for the value, so an ordinary word is
 * never touched whatever the password is.
 *
 * - scenario file: `opennebula.password` (plain text, or `{vault: ...}`; an
 *   `{env: NAME}` names a variable, which is not secret);
 * - hosts.yml: `all.vars.one_pass` (plain text or a `!vault` block; the env
 *   lookup names a variable);
 * - Ansible runs: edge-wizard's own playbooks never need `one_pass`, so every
 *   run overrides it with WITHHELD (extra vars win over the inventory) and the
 *   real value never reaches Ansible's output or the run log.
 */
import { isScalar, parseDocument, type Node } from 'yaml';
import type { Scenario } from './scenario.js';

export const SECRET_MASK = '<secret>';

/** What every playbook run receives instead of the real one_pass. */
export const WITHHELD = '(withheld by edge-wizard)';
export const WITHHELD_VARS = { one_pass: WITHHELD } as const;

type Path = readonly (string | number)[];

/**
 * Environment variables that hold a secret of this scenario (`{env: NAME}`), whatever their name:
 * no process edge-wizard starts for Ansible gets them (ansible-runner writes its environment into
 * artifacts/<ident>/command; our playbooks get one_pass withheld and never need it).
 */
export function secretEnvNames(s: Pick<Scenario, 'opennebula'>): string[] {
  const pw = s.opennebula.password;
  return pw && typeof pw === 'object' && 'env' in pw ? [pw.env] : [];
}

/** hosts.yml's one_pass for an {env: NAME} password: names a variable, holds no secret. */
const NOT_SECRET = /^\{\{\s*lookup\('ansible\.builtin\.env', '[A-Za-z_][A-Za-z0-9_]*'\)\s*\}\}$/;

/** The secret-holding paths of each kind of YAML file. */
export const SECRET_PATHS: Record<'scenario' | 'inventory', Path[]> = {
  scenario: [
    ['opennebula', 'password'],
    ['opennebula', 'password', 'vault'],
  ],
  inventory: [['all', 'vars', 'one_pass']],
};

/**
 * The text with every secret scalar at the given paths replaced by SECRET_MASK,
 * everything else byte for byte. Text that is not YAML (or has no such path)
 * is returned as it is, except that an unparsable file's password line is
 * masked conservatively (the key's whole line).
 */
export function maskSecrets(text: string, paths: Path[]): string {
  let doc;
  try {
    doc = parseDocument(text, { uniqueKeys: false });
  } catch {
    return maskKeyLines(text, paths);
  }
  if (doc.errors.length) return maskKeyLines(text, paths);
  const ranges: Array<[number, number]> = [];
  for (const p of paths) {
    const node = doc.getIn(p as (string | number)[], true) as Node | undefined;
    // A mapping ({env: NAME}) is not secret itself; {vault: ...} is masked through its own path.
    if (node && isScalar(node) && node.range && !NOT_SECRET.test(String(node.value))) ranges.push([node.range[0], node.range[1]]);
  }
  ranges.sort((a, b) => b[0] - a[0]);
  let out = text;
  for (const [start, end] of ranges) {
    const value = out.slice(start, end);
    if (value === SECRET_MASK) continue;
    // A block scalar's range runs on to the next key: keep its trailing line break and indentation.
    const tail = /\s*$/.exec(value)![0];
    out = `${out.slice(0, start)}${SECRET_MASK}${tail}${out.slice(end)}`;
  }
  return out;
}

/** For text the YAML parser refuses: mask the rest of each line naming a secret key. */
function maskKeyLines(text: string, paths: Path[]): string {
  const keys = new Set(paths.map((p) => String(p[p.length - 1])).filter((k) => k !== 'vault'));
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\s*[-+ ]?\s*)([A-Za-z_]+)(\s*:\s*)(.+)$/.exec(line);
      return m && keys.has(m[2]!) && !/^\{?\s*env\s*:/.test(m[4]!) ? `${m[1]}${m[2]}${m[3]}${SECRET_MASK}` : line;
    })
    .join('\n');
}

/** Every secret-holding path of every kind of file. */
const ALL_SECRET_PATHS: Path[] = [...SECRET_PATHS.scenario, ...SECRET_PATHS.inventory];

/**
 * Masks a file's text by its document, never by its name: a scenario saved as `edge.txt`, an
 * inventory copied elsewhere or an answers file are masked alike. Every secret path of every
 * kind is looked up in the parsed document (a path the document lacks masks nothing).
 */
export function maskFile(_path: string, text: string): string {
  return maskSecrets(text, ALL_SECRET_PATHS);
}
