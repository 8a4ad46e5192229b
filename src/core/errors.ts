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
