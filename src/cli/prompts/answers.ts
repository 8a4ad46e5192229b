/**
 * Non-interactive use: the answers file (same shape as the scenario, or part of it)
 * over the existing scenario, and every missing or wrong field at once.
 */
import { applyDefaults } from '../../core/defaults.js';
import { checkSchema, checkSemantics } from '../../core/validate.js';
import type { Problem } from '../../core/errors.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `o[k] = v` as a plain own property, whatever `k` is (`__proto__` set by assignment would replace the prototype). */
function put(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * Merges by key; clusters and hosts are matched by name (an answers host with a new name is added).
 * Keys are data: `__proto__`, `constructor` or `toString` in an answers file are ordinary keys
 * (and then unknown settings, exit 2), never a prototype.
 */
export function mergeAnswers(base: unknown, over: unknown, key?: string): unknown {
  if (over === undefined) return base;
  if (isObj(base) && isObj(over)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(base)) put(out, k, v);
    for (const [k, v] of Object.entries(over)) put(out, k, mergeAnswers(Object.hasOwn(base, k) ? base[k] : undefined, v, k));
    return out;
  }
  if ((key === 'clusters' || key === 'hosts') && Array.isArray(base) && Array.isArray(over)) {
    const out = [...base];
    for (const item of over) {
      const i = isObj(item) ? out.findIndex((b) => isObj(b) && b.name === item.name) : -1;
      if (i >= 0) out[i] = mergeAnswers(out[i], item);
      else out.push(item);
    }
    return out;
  }
  return over;
}

const missing = (field: string): Problem => ({ field, message: `${field} is missing: add it to the scenario file.` });

/** Fields nobody can guess, listed one by one (the schema stops at the first missing parent). */
export function missingFields(d: Obj): Problem[] {
  const out: Problem[] = [];
  if (!d.name) out.push(missing('name'));
  if (!(d.ingress as Obj | undefined)?.public_ip) out.push(missing('ingress.public_ip'));
  if (!(d.frontend as Obj | undefined)?.address) out.push(missing('frontend.address'));
  const clusters = Array.isArray(d.clusters) ? (d.clusters as Obj[]) : [];
  if (clusters.length === 0) out.push(missing('clusters'));
  clusters.forEach((c, ci) => {
    if (!c?.name) out.push(missing(`clusters[${ci}].name`));
    const hosts = Array.isArray(c?.hosts) ? (c.hosts as Obj[]) : [];
    if (hosts.length === 0) out.push(missing(`clusters[${ci}].hosts`));
    hosts.forEach((h, hi) => {
      if (!h?.name) out.push(missing(`clusters[${ci}].hosts[${hi}].name`));
      if (!h?.public_ip) out.push(missing(`clusters[${ci}].hosts[${hi}].public_ip`));
    });
  });
  return out;
}

/** Every problem of the data: missing fields, then schema, then semantics, each field once. */
export function allProblems(data: Obj): string[] {
  const problems = missingFields(data);
  const seen = new Set(problems.map((p) => p.field));
  const add = (p: Problem) => {
    if (
      [...seen].some(
        (f) => p.field === f || p.field.startsWith(`${f}.`) || p.field.startsWith(`${f}[`) || f.startsWith(`${p.field}.`) || f.startsWith(`${p.field}[`),
      )
    )
      return;
    seen.add(p.field);
    problems.push(p);
  };
  checkSchema(data).forEach(add);
  try {
    checkSemantics(applyDefaults(data)).errors.forEach(add);
  } catch {
    // a shape the semantic checks cannot read: the schema problems above say why
  }
  return problems.map((p) => p.message);
}
