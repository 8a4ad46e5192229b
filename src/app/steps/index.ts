/**
 * The deploy steps, in order. Adding a step is adding one object here (and its
 * file beside this one): `--from/--only`, titles, `deploy --help`, --dry-run
 * and the final report all derive from this list.
 */
import { firewall } from './firewall.js';
import { frr } from './frr.js';
import { frrLayer } from './frr-layer.js';
import { opennebula } from './opennebula.js';
import { preflight } from './preflight.js';
import { rootAccess } from './root-access.js';
import { unchanged } from './unchanged.js';
import type { DeployStep } from './types.js';
import { verify } from './verify.js';
import { wireguard } from './wireguard.js';

export const STEPS = [preflight, unchanged, rootAccess, firewall, wireguard, frr, frrLayer, verify, opennebula] as const;

/** A step's name: one of STEPS' (the union is derived, never restated). */
export type StepName = (typeof STEPS)[number]['name'];

export const STEP_NAMES: readonly StepName[] = STEPS.map((s) => s.name);

export function stepNamed(name: StepName): DeployStep {
  return (STEPS as readonly DeployStep[]).find((s) => s.name === name)!;
}

/** The guard steps (preflight): they run first in every deploy. */
const GUARDS: readonly StepName[] = STEPS.filter((s: DeployStep) => s.guard).map((s) => s.name);

/** `--from` / `--only` -> the steps to run, in order. Preflight always runs: it is read-only and guards every step. */
export function selectSteps(opts: { from?: string; only?: string }): StepName[] {
  const check = (s: string | undefined, flag: string): StepName | undefined => {
    if (s !== undefined && !STEP_NAMES.includes(s as StepName)) {
      throw new Error(`--${flag} ${s} is not a step: use one of ${STEP_NAMES.join(', ')}.`);
    }
    return s as StepName | undefined;
  };
  const only = check(opts.only, 'only');
  const from = check(opts.from, 'from');
  if (only) return GUARDS.includes(only) ? [...GUARDS] : [...GUARDS, only];
  const start = from ? STEP_NAMES.indexOf(from) : 0;
  return STEP_NAMES.filter((s, i) => i >= start || GUARDS.includes(s));
}

/** The step list for `deploy --help`: name and its help lines. */
export function stepsHelp(): string {
  const width = Math.max(...STEPS.map((s) => s.name.length)) + 2;
  return STEPS.map((s) => s.help.map((l, i) => `  ${(i === 0 ? s.name : '').padEnd(width)} ${l}`).join('\n')).join('\n');
}

export type { DeployStep } from './types.js';
