/**
 * Errors a user can act on. Exit codes: 0 success (and Ctrl-C at a prompt),
 * 1 failure, 2 usage or validation error.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
}

export { ValidationFailed } from '../core/errors.js';
import { ValidationFailed } from '../core/errors.js';

/** A failure with a message meant for the user (no stack unless --debug). */
export class UserFacingError extends Error {
  readonly exitCode: number = 1;
}

export function exitCodeFor(e: unknown): number {
  if (e && typeof e === 'object' && 'exitCode' in e && typeof (e as { exitCode: unknown }).exitCode === 'number') {
    return (e as { exitCode: number }).exitCode;
  }
  return 1;
}

export function formatError(e: unknown, debug: boolean): string {
  if (debug && e instanceof Error && e.stack) return `${e.stack}\n`;
  const msg = e instanceof Error ? e.message : String(e);
  const known = e instanceof UsageError || e instanceof ValidationFailed || e instanceof UserFacingError;
  return `edge-wizard: ${msg}${known ? '' : '\n(run again with --debug for details)'}\n`;
}
