/**
 * Driving the real binary in a real pseudo-terminal (tmux): start a command in a
 * session of its own, wait for each question after the previous answers, type.
 * inquirer prints "✔ question answer" for an answered prompt and "? question" for the current one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/edge-wizard.js');
export const hasTmux = spawnSync('tmux', ['-V']).status === 0 && existsSync(join(ROOT, 'dist/cli/commands/init.js'));

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const answered = (text: string) => text.split('\n').filter((l) => l.startsWith('✔ ')).length;
const current = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('? '))
    .pop() ?? '';

export function terminal(session: string) {
  const pane = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session);
  async function waitFor(pred: (text: string) => boolean, what: string, timeout = 15000): Promise<string> {
    const end = Date.now() + timeout;
    for (;;) {
      const text = pane();
      if (pred(text)) return text;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the terminal shows:\n${text}`);
      await sleep(40);
    }
  }
  let done = 0;
  return {
    session,
    start(dir: string, cmd: string, env = '') {
      spawnSync('tmux', ['kill-session', '-t', session]);
      done = 0;
      tmux('new-session', '-d', '-s', session, '-x', '220', '-y', '50', '-c', dir, `env -u CI HOME=${dir} ${env} ${cmd}; echo EXIT=$?; sleep 300`);
    },
    /** Waits for the question (after the previous answers), types the keys (none: Enter on the default). */
    async answer(question: string, keys: string | null, opts: { select?: boolean } = {}) {
      await waitFor((t) => answered(t) === done && current(t).includes(question), `"${question}"`);
      if (keys) tmux('send-keys', '-t', session, '-l', keys);
      if (opts.select && keys) await sleep(80);
      tmux('send-keys', '-t', session, 'Enter');
      done++;
    },
    waitFor,
    async end(): Promise<string> {
      return waitFor((t) => /EXIT=\d+/.test(t), 'the end of the command', 30000);
    },
    kill() {
      spawnSync('tmux', ['kill-session', '-t', session]);
    },
  };
}
