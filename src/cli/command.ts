/** The shape every command module exports as `command`. */
export interface CommandIO {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  debug: boolean;
}

export interface Command {
  /** Full `--help` text, ending with a newline. */
  help: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[], io: CommandIO): Promise<number>;
}
