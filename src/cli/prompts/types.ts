/**
 * Prompts are data: a Question names the answer, says how to ask, where its
 * default comes from, how to check it (the core's validators) and when to ask.
 * `ask` runs one through a Prompter: inquirer in a terminal, a fake in tests
 * (answering by name), or the non-interactive prompter (defaults only).
 */
import type { ScenarioInput } from '../../core/scenario.js';
import type { SshAlias } from '../../core/ssh-hosts.js';

export interface Choice<V> {
  name: string;
  value: V;
  description?: string;
}

/** What every prompt function receives; `name` is ours (fakes answer by it), the rest is inquirer's. */
export interface PromptConfig<V> {
  name: string;
  message: string;
  default?: V;
  validate?: (value: V) => true | string | Promise<true | string>;
  choices?: Array<Choice<V>>;
  mask?: string;
}

/** The prompt functions the session uses; inquirer's in a terminal. */
export interface Prompter {
  input(c: PromptConfig<string>): Promise<string>;
  password(c: PromptConfig<string>): Promise<string>;
  confirm(c: PromptConfig<boolean>): Promise<boolean>;
  select<V>(c: PromptConfig<V>): Promise<V>;
  number(c: PromptConfig<number | undefined>): Promise<number | undefined>;
}

/** The state a session builds: the scenario draft plus where we are in it. */
export interface Ctx {
  draft: ScenarioInput;
  /** True for a new file (write every answer); false when editing (write only changes). */
  fresh: boolean;
  /** Cluster and host being asked about. */
  ci: number;
  hi: number;
  /** ssh config aliases offered for hosts, and the alias picked for the current host. */
  aliases: SshAlias[];
  alias?: SshAlias;
  sshConfigFile?: string;
  /** Notes printed in the summary (e.g. what was taken from ~/.ssh/config). */
  notes: string[];
  /** Scratch answers that are not scenario fields (menus, password kind...). */
  scratch: Record<string, unknown>;
}

export type QuestionType = 'input' | 'password' | 'confirm' | 'select' | 'number';

export interface Question<V = unknown> {
  /** Stable name, e.g. `host.public_ip`: fakes and --answers errors refer to it. */
  name: string;
  type: QuestionType;
  message: string | ((ctx: Ctx) => string);
  /** Scenario field the answer goes to (`clusters[0].hosts[1].public_ip`), if any. */
  field?: (ctx: Ctx) => string;
  default?: (ctx: Ctx) => V | undefined;
  choices?: (ctx: Ctx) => Array<Choice<V>>;
  /** Returns true or the one-sentence problem (the same the validate command prints). */
  validate?: (value: V, ctx: Ctx) => true | string;
  when?: (ctx: Ctx) => boolean;
  /** Stores the answer; default: set it at `field` (only when it changed, for an existing file). */
  apply?: (ctx: Ctx, value: V) => void;
  /** Converts the raw prompt answer (e.g. a comma list) before validate/apply. */
  parse?: (raw: string) => V;
  /** Renders a value as the prompt's default text (inverse of parse). */
  format?: (value: V) => string;
  mask?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyQuestion = Question<any>;
