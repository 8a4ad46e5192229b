/**
 * Prompts are data: a Question names the answer, says how to ask, where its
 * default comes from, how to check it (the core's validators) and when to ask.
 * `ask` resolves one against the session and hands it to a Prompter:
 * `inquirer.prompt` in a terminal, a fake in tests (answering by name).
 */
import type { ScenarioInput } from '../../core/scenario.js';
import type { SshAlias } from '../../core/ssh-hosts.js';
import type { FrontendReader } from './frontend.js';

export interface Choice<V> {
  name: string;
  value: V;
  description?: string;
}

/**
 * One question as `inquirer.prompt([...])` takes it, resolved against the session
 * at the moment it is asked (message, default and choices are values here).
 * `name` is the Question's: fakes answer by it.
 */
export interface PromptQuestion<V> {
  type: QuestionType;
  name: string;
  message: string;
  default?: V;
  validate?: (value: V) => true | string | Promise<true | string>;
  choices?: Array<Choice<V>>;
  mask?: string;
}

/** Asks one question and resolves to the answer: inquirer's `prompt` in a terminal, a fake answering by name in tests. */
export type Prompter = <V>(q: PromptQuestion<V>) => Promise<V>;

/** The state a session builds: the scenario draft plus where we are in it. */
export interface Ctx {
  draft: ScenarioInput;
  /** True for a new file (write every answer); false when editing (write only changes). */
  fresh: boolean;
  /** Cluster and host being asked about. */
  ci: number;
  hi: number;
  /** Network and interconnect gateway being asked about. */
  ni: number;
  gi: number;
  /** ssh config aliases offered for hosts, and the alias picked for the current host. */
  aliases: SshAlias[];
  alias?: SshAlias;
  sshConfigFile?: string;
  /** Notes printed in the summary (e.g. what was taken from ~/.ssh/config). */
  notes: string[];
  /** Reads the provisions on the frontend (init's deps): offered as a section when set. */
  readFrontend?: FrontendReader;
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
