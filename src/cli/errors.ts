/** How the CLI shows an error and which exit code it gives (the classes live in core/errors.ts). */
import { UsageError, UserFacingError, ValidationFailed } from '../core/errors.js';

export { UsageError, UserFacingError, ValidationFailed } from '../core/errors.js';

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
