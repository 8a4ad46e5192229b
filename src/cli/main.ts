/**
 * Entry point: picks the command and loads it lazily, after help is handled, so `--help` and `CMD --help` stay fast.
 * Each command module exports `command: Command` (see cli/command.ts).
 */
import { readFileSync } from 'node:fs';
import type { Command } from './command.js';
import { UsageError, exitCodeFor, formatError } from './errors.js';
import { EXIT_INTERRUPTED, isAbort } from './interrupt.js';

/** Command name -> one-line summary. Add a command here, as src/cli/commands/<name>.ts, and its --help text as src/cli/help/<name>.ts. */
export const commands: Record<string, { summary: string }> = {
  init: { summary: 'Ask for the edge clusters and write the scenario file (default when no command is given)' },
  validate: { summary: 'Check a scenario file and report every problem at once' },
  generate: { summary: 'Write the one-deploy inventory, WireGuard plan and ansible.cfg' },
  deploy: { summary: 'Bring the overlay up: root access, firewall, WireGuard, FRR EVPN, verify' },
  verify: { summary: 'Check BGP sessions, WireGuard handshakes and MTU on every host' },
  graph: { summary: 'Print the topology (clusters, hosts, reflectors, WireGuard mesh, EVPN) as Mermaid or DOT' },
  one: { summary: 'Ensure the OpenNebula cluster, EVPN network and Virtual Router' },
  import: { summary: 'Update the scenario from oneprovision / OneForm output' },
  'rotate-keys': { summary: 'Make new WireGuard keys on the hosts and switch every host at one instant' },
  lab: { summary: "Build or remove a lab of the seed's scenario, or of yours (up -f), in network namespaces (root)" },
  demo: { summary: 'Build the lab, deploy the bundled example (or -f yours) on it, verify, print what works' },
};

/** Loads src/cli/commands/<name>.ts only when that command runs (after help is handled). */
async function loadCommand(name: string): Promise<{ command: Command }> {
  return (await import(`./commands/${name}.js`)) as { command: Command };
}

/** A command's `--help` text, from src/cli/help/<name>.ts: the command's own module (and what it imports) is not loaded. */
export async function commandHelp(name: string): Promise<string> {
  return ((await import(`./help/${name}.js`)) as { help: string }).help;
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: edge-wizard [command] [options]',
    '',
    'A private L2 network across OpenNebula edge clusters: a WireGuard mesh, FRR BGP EVPN',
    "through one-deploy's frr roles, and the OpenNebula objects around it.",
    '',
    'Commands:',
    ...lines,
    `  ${'help'.padEnd(width)}  Show a command's help (edge-wizard help COMMAND)`,
    `  ${'completion'.padEnd(width)}  Print the bash or zsh completion script (edge-wizard completion bash|zsh)`,
    '',
    'Options:',
    '  -h, --help     Show help (also: edge-wizard COMMAND --help, edge-wizard help COMMAND)',
    "  -V, --version  Show the version, ansible-core's and the one-deploy pin (and whether it is installed)",
    '  --debug        Show stack traces on errors',
    '',
    'Exit codes: 0 success, 1 failure, 2 usage or validation error, 130 interrupted (Ctrl-C).',
    '',
  ].join('\n');
}

const unknown = (name: string) => new UsageError(`Unknown command "${name}": run "edge-wizard --help" to list the commands.`);

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const debug = argv.includes('--debug');
  const first = argv[0];
  try {
    if (first === '-h' || first === '--help' || (first === 'help' && argv.length === 1)) {
      out.write(mainHelp());
      return 0;
    }
    if (first === 'help') {
      const name = argv[1]!;
      if (name === 'help' || name === 'completion') {
        out.write(mainHelp());
        return 0;
      }
      if (!commands[name]) throw unknown(name);
      out.write(await commandHelp(name));
      return 0;
    }
    if (first === '-V' || first === '--version') {
      const { versionReport } = await import('./version.js');
      out.write(await versionReport(version()));
      return 0;
    }
    if (first === 'completion' || first === '__complete') {
      const { runCompletion } = await import('./completion.js');
      return await runCompletion(argv, out);
    }
    const name = first === undefined || first.startsWith('-') ? 'init' : first;
    const rest = name === first ? argv.slice(1) : argv;
    if (!commands[name]) throw unknown(name);
    if (rest.includes('--help') || rest.includes('-h')) {
      out.write(await commandHelp(name));
      return 0;
    }
    const { command } = await loadCommand(name);
    return await command.run(
      rest.filter((a) => a !== '--debug'),
      { out, err, debug },
    );
  } catch (e) {
    if (isAbort(e)) {
      err.write('\nInterrupted: nothing more was done.\n');
      return EXIT_INTERRUPTED;
    }
    err.write(formatError(e, debug));
    return exitCodeFor(e);
  }
}
