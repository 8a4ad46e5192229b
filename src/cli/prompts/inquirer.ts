/**
 * The real Prompter: inquirer's `prompt([question])` asks one question. The answer
 * is read back under a fixed key: inquirer nests answers whose name holds a dot
 * (`host.public_ip`), and the name only matters to fakes. Ctrl-C rejects with
 * @inquirer/core's ExitPromptError (cli/interrupt.ts isAbort).
 */
import inquirer from 'inquirer';
import type { PromptQuestion, Prompter } from './types.js';

export const inquirerPrompt: Prompter = async <V>(q: PromptQuestion<V>) => {
  const { answer } = await inquirer.prompt([{ ...q, name: 'answer' }]);
  return answer as V;
};

/** Whether questions may be asked: a terminal, and not CI. */
export const canAsk = (): boolean => Boolean(process.stdin.isTTY) && !process.env.CI;
