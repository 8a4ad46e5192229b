/**
 * Errors a user can act on, and the problems validation finds. They live in
 * core so every layer (core, adapters, lab, app, cli) can throw them; the CLI
 * turns them into one line and an exit code (cli/errors.ts).
 * Exit codes: 0 success (and Ctrl-C at a prompt), 1 failure, 2 usage or validation error.
 */

/** A problem the user can fix: where it is and one sentence saying what to do. */
export interface Problem {
  /** Field path in the scenario file, e.g. `clusters[0].hosts[1].public_ip`. */
  field: string;
  /** One sentence, naming the field and the fix. */
  message: string;
}

/** A scenario that fails validation: every problem at once; exit code 2. */
export class ValidationFailed extends Error {
  readonly exitCode = 2;
  /** The sentences printed, one per problem (a last "and N more" line when they were cut). */
  readonly problems: string[];
  /**
   * Every problem found, with its field path where it has one (`field` is '' for
   * a problem of the whole file, e.g. YAML syntax): what `validate --json` prints.
   */
  readonly details: Problem[];
  constructor(
    problems: Array<string | Problem>,
    readonly source?: string,
    details?: Problem[],
  ) {
    const lines = problems.map((p) => (typeof p === 'string' ? p : p.message));
    super(`${source ? `${source}: ` : ''}${lines.length} problem${lines.length === 1 ? '' : 's'} found:\n${lines.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = lines;
    this.details = details ?? problems.map((p) => (typeof p === 'string' ? { field: '', message: p } : p));
  }
}

/** Wrong arguments or an unusable path: one sentence, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A failure with a message meant for the user (no stack unless --debug): exit code 1. */
export class UserFacingError extends Error {
  readonly exitCode: number = 1;
}

/** Problems printed at once; the rest are counted. */
export const MAX_PROBLEMS_SHOWN = 20;

/** ValidationFailed with the first MAX_PROBLEMS_SHOWN problems and a count of the rest. */
export function validationFailed(problems: Array<string | Problem>, source?: string): ValidationFailed {
  if (problems.length <= MAX_PROBLEMS_SHOWN) return new ValidationFailed(problems, source);
  const more = problems.length - MAX_PROBLEMS_SHOWN;
  // The printed sentences are cut; `details` keeps every problem with its field.
  const details = problems.map((p) => (typeof p === 'string' ? { field: '', message: p } : p));
  const e = new ValidationFailed(
    [...problems.slice(0, MAX_PROBLEMS_SHOWN), `and ${more} more problem${more === 1 ? '' : 's'}: fix the ones above and run validate again to see the rest.`],
    source,
    details,
  );
  // The heading counts every problem, not the lines shown.
  e.message = e.message.replace(/^(.*?)\d+ problems found:/, `$1${problems.length} problems found, the first ${MAX_PROBLEMS_SHOWN} shown:`);
  return e;
}
