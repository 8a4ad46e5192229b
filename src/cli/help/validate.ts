/** `edge-wizard validate --help`: its own module, so help prints without loading the command. */

export const help = `Usage: edge-wizard validate [-f FILE] [--json]

Checks a scenario file: its shape against schema/edge-wizard.schema.json, then
addresses, subnets, MTU, leases and the public-IP budget. Every problem is
reported at once, one sentence each; exit code 2 when there is any.

Options:
  -f, --file FILE   Scenario file (default: edge-wizard.yaml)
  -q, --quiet       Print nothing when the file is valid
      --json        Print one JSON document on stdout: valid or not, every problem
                    and warning with its field path (docs/CONTRACTS.md, "Machine output")
  -h, --help        Show this help
`;
