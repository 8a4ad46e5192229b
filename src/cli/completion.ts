/**
 * Shell completion: `edge-wizard completion bash|zsh` prints a small script that
 * asks `edge-wizard __complete CWORD WORDS...` for the candidates on every Tab.
 * The candidates come from the same places as the help: command names from
 * main.ts, flags and their value kinds from each command's help text
 * (src/cli/help/), host names from the scenario file (-f FILE, else edge-wizard.yaml).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './errors.js';
import { commandHelp, commands } from './main.js';

/** Printed instead of candidates when the word is a path: the shell completes files itself. */
export const FILES = '__files__';

const GLOBAL_FLAGS = ['--help', '--version', '--debug'];

export interface FlagSpec {
  /** Value placeholder (FILE, DIR, NAME, STEP...), undefined for a boolean flag. */
  value?: string;
  /** Choices written as `--flag a|b|c` in the usage line. */
  choices?: string[];
}

/** The flags a help text documents: `-f, --file FILE`, `--dry-run`, and `[--format a|b]` choices from the usage lines. */
export function flagsOf(help: string): Map<string, FlagSpec> {
  const flags = new Map<string, FlagSpec>();
  for (const line of help.split('\n')) {
    const m = /^\s+(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(?: ([A-Z][A-Z_]*|[a-z]+\|[a-z|]+))?/.exec(line);
    if (!m) continue;
    const spec: FlagSpec = {};
    if (m[3]) {
      if (m[3].includes('|')) spec.choices = m[3].split('|');
      else spec.value = m[3];
    }
    flags.set(m[2]!, spec);
    if (m[1]) flags.set(m[1], spec);
  }
  for (const m of help.matchAll(/\[(--[a-z][a-z0-9-]*) ([a-z0-9-]+(?:\|[a-z0-9-]+)+)\]/g)) {
    flags.set(m[1]!, { ...flags.get(m[1]!), choices: m[2]!.split('|') });
  }
  return flags;
}

/** Sub-commands named in the usage lines (`edge-wizard lab up ...`, `lab down|status`). */
function subcommandsOf(name: string, help: string): string[] {
  const out = new Set<string>();
  for (const m of help.matchAll(new RegExp(`edge-wizard ${name} ([a-z]+(?:\\|[a-z]+)*)`, 'g'))) m[1]!.split('|').forEach((s) => out.add(s));
  return [...out];
}

/** Deploy steps, from the help's "Steps: a, b, c" line. */
function stepsOf(help: string): string[] {
  const m = /^Steps: (.+)$/m.exec(help);
  return m ? m[1]!.split(/,\s*/) : [];
}

/** Host names of the scenario (ingress, frontend, KVM hosts), read leniently: completion never fails. */
export function scenarioHosts(words: string[], read: (p: string) => string = (p) => readFileSync(p, 'utf8')): string[] {
  const i = words.findIndex((w) => w === '-f' || w === '--file');
  const file = i >= 0 && words[i + 1] ? words[i + 1]! : 'edge-wizard.yaml';
  try {
    const d = parseYaml(read(file)) as { ingress?: { name?: unknown }; frontend?: { name?: unknown }; clusters?: Array<{ hosts?: Array<{ name?: unknown }> }> };
    const names = [d?.ingress?.name ?? 'ingress', d?.frontend?.name ?? 'fe1', ...(d?.clusters ?? []).flatMap((c) => (c?.hosts ?? []).map((h) => h?.name))];
    return names.filter((n): n is string => typeof n === 'string');
  } catch {
    return [];
  }
}

/** FILE-like placeholders: the shell completes paths. */
const PATHISH = /^(FILE|DIR|SCENARIO|SSH_CONFIG|PATH)$/;

/**
 * Candidates for `words[cword]` (words[0] is the program). Returns FILES for a path,
 * else the list (the shell filters it by what is typed).
 */
export async function complete(words: string[], cword: number, read?: (p: string) => string): Promise<string[]> {
  const cur = words[cword] ?? '';
  const prev = words[cword - 1] ?? '';
  const names = [...Object.keys(commands), 'help', 'completion'];
  if (cword <= 1) return cur.startsWith('-') ? ['-h', ...GLOBAL_FLAGS, '-V'] : names;
  const cmd = words[1]!;
  if (cmd === 'help') return cword === 2 ? Object.keys(commands) : [];
  if (cmd === 'completion') return cword === 2 ? ['bash', 'zsh'] : [];
  if (!commands[cmd]) return [];
  const help = await commandHelp(cmd);
  const flags = flagsOf(help);
  const spec = flags.get(prev);
  if (spec?.choices) return spec.choices;
  if (spec?.value) {
    if (PATHISH.test(spec.value)) return [FILES];
    if (spec.value === 'NAME' && prev === '--host') return scenarioHosts(words, read);
    if (spec.value === 'STEP') return stepsOf(help);
    return [];
  }
  if (cur.startsWith('-')) return [...new Set([...flags.keys()].filter((f) => f.startsWith('--')).concat('--debug'))];
  // Positional words so far (flags and their values skipped): `lab cut HOST`.
  const positional: string[] = [];
  for (let i = 2; i < cword; i++) {
    const w = words[i]!;
    if (w.startsWith('-')) {
      if (flags.get(w)?.value || flags.get(w)?.choices) i++;
    } else positional.push(w);
  }
  const subs = subcommandsOf(cmd, help);
  if (subs.length) {
    if (positional.length === 0) return subs;
    const sub = positional[0]!;
    const usage = help.split('\n').find((l) => new RegExp(`edge-wizard ${cmd} (?:[a-z|]*\\|)?${sub}(?:\\|[a-z|]*)? HOST`).test(l));
    if (positional.length === 1 && usage) return scenarioHosts(words, read);
  }
  return [];
}

export function bashScript(): string {
  return `# edge-wizard completion for bash: add to ~/.bashrc
#   source <(edge-wizard completion bash)
_edge_wizard() {
  local cur=\${COMP_WORDS[COMP_CWORD]} out IFS=$'\\n'
  out=$("\${COMP_WORDS[0]}" __complete "$COMP_CWORD" "\${COMP_WORDS[@]}" 2>/dev/null) || return 0
  if [[ $out == ${FILES} ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$out" -- "$cur"))
  fi
}
complete -F _edge_wizard edge-wizard
`;
}

export function zshScript(): string {
  return `#compdef edge-wizard
# edge-wizard completion for zsh: add to ~/.zshrc (after compinit)
#   source <(edge-wizard completion zsh)
_edge_wizard() {
  local out
  out=$("\${words[1]}" __complete $((CURRENT - 1)) "\${words[@]}" 2>/dev/null) || return 1
  if [[ $out == ${FILES} ]]; then
    _files
  else
    local -a cands
    cands=("\${(@f)out}")
    compadd -a cands
  fi
}
compdef _edge_wizard edge-wizard
`;
}

const COMPLETION_HELP = `Usage: edge-wizard completion bash|zsh

Prints the shell completion script: commands, their flags and choices, file
names where a flag takes a path, and host names of the scenario (-f FILE, else
edge-wizard.yaml) for --host and "lab reboot|cut|heal HOST".
  bash: source <(edge-wizard completion bash)        (e.g. in ~/.bashrc)
  zsh:  source <(edge-wizard completion zsh)         (in ~/.zshrc, after compinit)
`;

/** `completion bash|zsh` and the hidden `__complete CWORD WORDS...` the scripts call. */
export async function runCompletion(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  if (argv[0] === '__complete') {
    const cword = Number(argv[1]);
    const words = argv.slice(2);
    if (!Number.isInteger(cword) || cword < 0) return 1;
    const c = await complete(words, cword);
    out.write(c.length ? `${c.join('\n')}\n` : '');
    return 0;
  }
  const shell = argv[1];
  if (shell === '--help' || shell === '-h') out.write(COMPLETION_HELP);
  else if (shell === 'bash') out.write(bashScript());
  else if (shell === 'zsh') out.write(zshScript());
  else throw new UsageError(`completion needs a shell, bash or zsh ("edge-wizard completion bash"), not ${shell === undefined ? 'nothing' : `"${shell}"`}.`);
  return 0;
}
