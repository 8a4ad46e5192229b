/** Runs one Question through a Prompter (one `prompt(question)` call) and stores the answer in the draft. */
import { isDeepStrictEqual } from 'node:util';
import { applyDefaults } from '../../core/defaults.js';
import { fieldKeys, getIn, setIn } from '../../core/fields.js';
import type { AnyQuestion, Ctx, Prompter, Question } from './types.js';

export function messageOf(q: AnyQuestion, ctx: Ctx): string {
  return typeof q.message === 'function' ? q.message(ctx) : q.message;
}

/**
 * Sets `value` at `field` in the draft. For an existing file, a value that was
 * absent and equals what applies anyway is not written (the file stays as short as the user made it).
 */
export function store(ctx: Ctx, field: string, value: unknown): void {
  const keys = fieldKeys(field);
  const current = getIn(ctx.draft, keys);
  if (isDeepStrictEqual(current, value)) return;
  if (!ctx.fresh && current === undefined) {
    let effective: unknown;
    try {
      effective = getIn(applyDefaults(ctx.draft), keys);
    } catch {
      effective = undefined;
    }
    if (isDeepStrictEqual(effective, value)) return;
  }
  ctx.draft = setIn(ctx.draft, keys, value);
}

export async function ask<V>(q: Question<V>, ctx: Ctx, prompt: Prompter): Promise<V | undefined> {
  if (q.when && !q.when(ctx)) return undefined;
  const asked = { type: q.type, name: q.name, message: messageOf(q as AnyQuestion, ctx) };
  const def = q.default?.(ctx);
  const check = q.validate;
  let value: V;
  switch (q.type) {
    case 'input':
    case 'password': {
      const parse = (raw: string) => (q.parse ? q.parse(raw.trim()) : (raw.trim() as unknown as V));
      const raw = await prompt<string>({
        ...asked,
        default: def === undefined || q.type === 'password' ? undefined : q.format ? q.format(def) : String(def),
        validate: check ? (r: string) => check(parse(r), ctx) : undefined,
        mask: q.type === 'password' ? '*' : undefined,
      });
      value = parse(raw);
      break;
    }
    case 'confirm':
      value = await prompt<V>({ ...asked, default: def });
      break;
    case 'select':
      value = await prompt<V>({ ...asked, default: def, choices: q.choices?.(ctx) ?? [] });
      break;
    case 'number': {
      // An empty answer is undefined (inquirer's number prompt is not `required` by default): it means the default.
      const n = await prompt<number | undefined>({
        ...asked,
        default: def as number | undefined,
        validate: check ? (v: number | undefined) => check((v ?? def) as V, ctx) : undefined,
      });
      value = (n ?? def) as V;
      break;
    }
  }
  if (q.apply) q.apply(ctx, value);
  else if (q.field) store(ctx, q.field(ctx), value);
  return value;
}

export async function askAll(qs: AnyQuestion[], ctx: Ctx, prompt: Prompter): Promise<void> {
  for (const q of qs) await ask(q, ctx, prompt);
}
