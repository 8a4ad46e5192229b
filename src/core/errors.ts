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
  constructor(readonly problems: string[], readonly source?: string) {
    super(`${source ? `${source}: ` : ''}${problems.length} problem${problems.length === 1 ? '' : 's'} found:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
