/**
 * Per-field checks for answers typed one at a time (the interactive session).
 * They reuse the scenario's own validators, so a refused answer gets exactly the
 * sentence `edge-wizard validate` would print for the same value:
 * - `checkField` runs the JSON Schema (checkSchema) on the single value placed at its field;
 * - `checkSubnet` adds the semantic subnet rule (host bits);
 * - `crossFieldProblems` runs checkSemantics on the partially built scenario and keeps
 *   the problems that name the field (duplicate IP, IP inside a private subnet, overlaps).
 */
import type { ScenarioInput } from './scenario.js';
import { applyDefaults } from './defaults.js';
import { checkSchema, checkSemantics } from './validate.js';
import { cidrString, parseCidr4 } from './net.js';

/** `clusters[0].hosts[1].public_ip` -> ['clusters', 0, 'hosts', 1, 'public_ip'] */
export function fieldKeys(field: string): Array<string | number> {
  const keys: Array<string | number> = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) keys.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return keys;
}

export function getIn(data: unknown, keys: Array<string | number>): unknown {
  let o: unknown = data;
  for (const k of keys) {
    if (o === null || typeof o !== 'object' || !Object.hasOwn(o, k)) return undefined;
    o = (o as Record<string | number, unknown>)[k];
  }
  return o;
}

/** Returns a copy of `data` with `value` at `keys` (creating objects and arrays on the way). */
export function setIn<T>(data: T, keys: Array<string | number>, value: unknown): T {
  if (keys.length === 0) return value as T;
  const [k, ...rest] = keys;
  const base: unknown = data ?? (typeof k === 'number' ? [] : {});
  const copy = (Array.isArray(base) ? [...base] : { ...(base as object) }) as Record<string | number, unknown>;
  if (Array.isArray(copy)) for (let i = 0; i < (k as number); i++) copy[i] ??= {};
  const own = Object.hasOwn(copy, k!) ? copy[k!] : undefined;
  // An own property whatever the key (`__proto__` by assignment would replace the prototype).
  Object.defineProperty(copy, k!, { value: setIn(own, rest, value), enumerable: true, writable: true, configurable: true });
  return copy as T;
}

/** The schema's sentence for `value` at `field`, or undefined when the value fits the schema. */
export function checkField(field: string, value: unknown): string | undefined {
  const data = setIn({}, fieldKeys(field), value);
  return checkSchema(data).find((p) => p.field === field)?.message;
}

/** An IPv4 subnet in network form (the schema's and the semantic checks' sentences). */
export function checkSubnet(field: string, value: string): string | undefined {
  const c = parseCidr4(value);
  if (!c) return `${field} "${value}" is not an IPv4 subnet: write it like 192.168.0.0/24.`;
  if (cidrString(c) !== value) return `${field} ${value} has host bits set: write the network address, ${cidrString(c)}.`;
  return undefined;
}

/** "a, b c" -> ['a', 'b', 'c'] */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** True when `message` names `field` (not a longer field that starts with it). */
function names(message: string, field: string): boolean {
  const i = message.indexOf(field);
  if (i < 0) return false;
  const next = message[i + field.length];
  return next === undefined || !/[\w[.]/.test(next);
}

/**
 * Semantic problems of a partially built scenario that concern `field`: the ones
 * reported on it and the ones whose sentence names it (e.g. a later host clashing with it).
 */
export function crossFieldProblems(draft: ScenarioInput, field: string): string[] {
  try {
    const { errors } = checkSemantics(applyDefaults(draft));
    return errors.filter((p) => p.field === field || names(p.message, field)).map((p) => p.message);
  } catch {
    return [];
  }
}

/** First problem of `value` at `field` in `draft`: schema first, then the cross-field checks. */
export function checkAnswer(draft: ScenarioInput, field: string, value: unknown): string | undefined {
  const own = checkField(field, value);
  if (own) return own;
  return crossFieldProblems(setIn(draft, fieldKeys(field), value), field)[0];
}
