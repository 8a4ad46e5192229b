/** Ctrl-C: @inquirer/core rejects a prompt with ExitPromptError (AbortPromptError when aborted by a signal). */
export function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError');
}

/** The exit code of a command interrupted by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;
