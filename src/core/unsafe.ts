/**
 * Values from outside (the scenario, import files, answers, flags, a key's
 * comment) reach Ansible as data, never as templates. Ansible templates every
 * string variable it uses: a host's ssh user of `{{ lookup('pipe', ...) }}`
 * would run on the controller. A string that could take part in a Jinja
 * construct (it holds `{`, `}`, `%` or `#`) is therefore marked unsafe in every
 * file Ansible reads:
 *
 * - YAML (hosts.yml, host_vars): the `!unsafe` tag (Ansible's YAML loader);
 * - JSON extra vars (.deploy-vars.json, the runner's env/extravars, both read by
 *   `-e @file`, whose loader tries AnsibleJSONDecoder first): `{"__ansible_unsafe": "..."}`.
 *
 * The class is decided by the characters, never by the field: every string of
 * the data goes through here, so a new field is covered without a new rule.
 * Strings without those characters cannot start a template and are written as
 * they are (the files stay readable and byte-identical to earlier versions).
 */
import { isScalar, Scalar } from 'yaml';

export const UNSAFE_TAG = '!unsafe';

/** Characters of Jinja's delimiters (`{{ }}`, `{% %}`, `{# #}`). */
const TEMPLATE_CHARS = /[{}%#]/;

/** Whether Ansible could read `s`, alone or next to another value, as (part of) a template. */
export function mayTemplate(s: string): boolean {
  return TEMPLATE_CHARS.test(s);
}

/**
 * Characters YAML 1.1 (PyYAML, so Ansible) reads as line breaks (NEL, LS, PS) or that are C1
 * controls: inside a quoted scalar a raw one is folded into a space. Written escaped, in double quotes.
 */
export const YAML11_BREAKS = /[\u0080-\u009f\u2028\u2029]/g;

/** `s` as a YAML scalar Ansible reads literally: tagged `!unsafe` when it may template, double-quoted (then escaped by escapeYaml11Breaks) when it holds a YAML 1.1 line break. */
export function unsafeScalar(s: string): string | Scalar {
  const breaks = new RegExp(YAML11_BREAKS.source).test(s);
  if (!mayTemplate(s) && !breaks) return s;
  const node = new Scalar(s);
  if (mayTemplate(s)) node.tag = UNSAFE_TAG;
  if (breaks) node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

/** The document text with every raw YAML 1.1 line break escaped (they only occur in the double-quoted scalars unsafeScalar makes). */
export function escapeYaml11Breaks(text: string): string {
  return text.replace(YAML11_BREAKS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A copy of `data` for a YAML file: every string that may template becomes an
 * `!unsafe` scalar; scalars already tagged (`!vault`) and `keep` (a template we
 * write on purpose, such as an env lookup) are left as they are.
 */
export function unsafeYamlData(data: unknown, keep: (s: string) => boolean = () => false): unknown {
  if (typeof data === 'string') return keep(data) ? data : unsafeScalar(data);
  if (isScalar(data)) return data;
  if (Array.isArray(data)) return data.map((x) => unsafeYamlData(x, keep));
  if (data && typeof data === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(data)) out[k] = unsafeYamlData(v, keep);
    return out;
  }
  return data;
}

/** A copy of `data` for a JSON extra-vars file: every string that may template becomes `{"__ansible_unsafe": s}`. */
export function unsafeJsonData(data: unknown): unknown {
  if (typeof data === 'string') return mayTemplate(data) ? { __ansible_unsafe: data } : data;
  if (Array.isArray(data)) return data.map(unsafeJsonData);
  if (data && typeof data === 'object') {
    // Already marked: left as it is (the merge of .deploy-vars.json with a step's vars meets it twice).
    if (Object.keys(data).length === 1 && typeof (data as Record<string, unknown>).__ansible_unsafe === 'string') return data;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) {
      // A key is a string Ansible may template too (dict keys are not templated, but keep the class whole).
      out[k] = unsafeJsonData(v);
    }
    return out;
  }
  return data;
}
