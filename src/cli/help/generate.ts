/** `edge-wizard generate --help`: its own module, so help prints without loading the command. */

export const help = `Usage: edge-wizard generate [-f FILE] [--out DIR] [--dry-run]

Writes the one-deploy inventory and the WireGuard plan for a scenario:
  hosts.yml               overlay inventory (router, edge_frontend, node groups; not for one-deploy site runs)
  host_vars/<host>.yml    WireGuard plan per host (roles/wireguard reads it)
  wireguard/<host>.conf   readable wg0.conf preview (no key material)
  ansible.cfg             pipelining, ControlPersist, forks

Writes are atomic; unchanged files are not touched; a file holding a plain
password is 0600. Your own additions to hosts.yml (vars, hosts' extra vars,
groups, comments) survive regeneration, and WireGuard addresses never change.

Options:
  -f, --file FILE   Scenario file (default: edge-wizard.yaml)
  -o, --out DIR     Output directory (default: inventories/<scenario name>)
  -n, --dry-run     Show the diff (secrets masked) and write nothing
  -h, --help        Show this help
`;
