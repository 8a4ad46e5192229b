/** A fake prompt that answers by name, re-asking (like inquirer) when validate refuses. */
import type { PromptQuestion, Prompter } from '../../src/cli/prompts/types.js';
import type { InitDeps } from '../../src/cli/commands/init.js';

export type Answers = Record<string, unknown>;

export interface FakePrompt extends Prompter {
  asked: string[];
  refused: Array<{ name: string; value: unknown; message: string }>;
  configs: Record<string, PromptQuestion<unknown>>;
}

/** Each answer is a value, or an array of values taken in turn; no answer = Enter on the default. */
export function fakePrompt(answers: Answers, opts: { abortAt?: string } = {}): FakePrompt {
  const queues = new Map(Object.entries(answers).map(([k, v]) => [k, Array.isArray(v) ? [...v] : [v]]));
  const f = Object.assign(<V>(c: PromptQuestion<V>) => answer(c as PromptQuestion<unknown>) as Promise<V>, {
    asked: [] as string[],
    refused: [] as FakePrompt['refused'],
    configs: {} as FakePrompt['configs'],
  });
  async function answer(c: PromptQuestion<unknown>): Promise<unknown> {
    f.asked.push(c.name);
    f.configs[c.name] = c;
    if (opts.abortAt === c.name) {
      const e = new Error('User force closed the prompt with SIGINT');
      e.name = 'ExitPromptError';
      throw e;
    }
    const isQueue = Array.isArray(answers[c.name]);
    for (;;) {
      const q = queues.get(c.name);
      let v: unknown;
      if (q && isQueue && q.length > 0)
        v = q.shift() ?? c.default; // undefined in a queue = Enter
      else if (q && !isQueue && q.length > 0) v = q[0];
      else if (c.default !== undefined) v = c.default;
      else throw new Error(`fake prompt: no answer for "${c.name}" (${c.message})`);
      if (c.choices && !c.choices.some((ch) => ch.value === v))
        throw new Error(`fake prompt: ${String(v)} is not a choice of "${c.name}": ${c.choices.map((ch) => String(ch.value)).join(', ')}`);
      const r = c.validate ? await c.validate(v) : true;
      if (r === true) return v;
      f.refused.push({ name: c.name, value: v, message: r });
      if (isQueue && q!.length === 0) throw new Error(`fake prompt: "${c.name}" refused ${String(v)} (${r}) and the queued answers are used up`);
      if (!isQueue) throw new Error(`fake prompt: "${c.name}" refused ${String(v)} (${r}) and no other answer is queued`);
    }
  }
  return f;
}

export interface FakeFs {
  files: Map<string, { content: string; mode: number }>;
  writes: string[];
}

export function fakeDeps(prompt: Prompter, files: Record<string, string> = {}, over: Partial<InitDeps> = {}): InitDeps & { fs: FakeFs; output: () => string } {
  const fs: FakeFs = { files: new Map(Object.entries(files).map(([k, v]) => [k, { content: v, mode: 0o644 }])), writes: [] };
  let text = '';
  return {
    prompt,
    readFile: async (p) => fs.files.get(p)?.content,
    writeFile: async (p, content, mode) => {
      fs.writes.push(p);
      fs.files.set(p, { content, mode });
    },
    out: (t) => {
      text += t;
    },
    interactive: true,
    sshAliases: async () => [],
    previousAddresses: async () => ({}),
    generate: async () => 'generated\n',
    deploy: async () => 0,
    ...over,
    fs,
    output: () => text,
  };
}
