/**
 * Entry point: picks the command and loads it lazily, so `--help` stays fast.
 * Each command module exports `command: Command` (see cli/command.ts).
 */
import { readFileSync } from 'node:fs';
import type { Command } from './command.js';
import { UsageError, exitCodeFor, formatError } from './errors.js';

/** Command name -> one-line summary. Add a command here and as src/cli/commands/<name>.ts. */
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

/** Loads src/cli/commands/<name>.ts only when that command runs. */
async function loadCommand(name: string): Promise<{ command: Command }> {
  return (await import(`./commands/${name}.js`)) as { command: Command };
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
    '',
    'Options:',
    '  -h, --help     Show help (also: edge-wizard COMMAND --help)',
    '  -V, --version  Show the version',
    '  --debug        Show stack traces on errors',
    '',
  ].join('\n');
}

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const debug = argv.includes('--debug');
  const first = argv[0];
  if (first === '-h' || first === '--help' || first === 'help') {
    out.write(mainHelp());
    return 0;
  }
  if (first === '-V' || first === '--version') {
    out.write(`${version()}\n`);
    return 0;
  }
  const name = first === undefined || first.startsWith('-') ? 'init' : first;
  const rest = name === first ? argv.slice(1) : argv;
  const entry = commands[name];
  try {
    if (!entry) throw new UsageError(`Unknown command "${name}": run "edge-wizard --help" to list the commands.`);
    const { command } = await loadCommand(name);
    if (rest.includes('--help') || rest.includes('-h')) {
      out.write(command.help);
      return 0;
    }
    return await command.run(rest.filter((a) => a !== '--debug'), { out, err, debug });
  } catch (e) {
    err.write(formatError(e, debug));
    return exitCodeFor(e);
  }
}
