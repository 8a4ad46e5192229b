/** `edge-wizard generate --help`: its own module, so help prints without loading the command. */

export const help = `Usage: edge-wizard generate [-f FILE] [--out DIR] [--dry-run]
       edge-wizard generate [-f FILE] --into FILE [--dry-run]

Writes the one-deploy inventory and the WireGuard plan for a scenario:
  hosts.yml               overlay inventory (router, edge_frontend, node groups; not for one-deploy site runs)
  host_vars/<host>.yml    WireGuard plan per host (roles/wireguard reads it)
  wireguard/<host>.conf   readable wg0.conf preview (no key material)
  ansible.cfg             pipelining, ControlPersist, forks

Writes are atomic; unchanged files are not touched; a file holding a plain
password is 0600. Your own additions to hosts.yml (vars, hosts' extra vars,
groups, comments) survive regeneration, and WireGuard addresses never change.

With --into, merges the overlay into your own one-deploy inventory instead
(the hosts file you run opennebula.deploy.main/site with): one marked block at
its end and one marked line in router and node, plus files of edge-wizard's
own (group_vars/all/edge-wizard*.yml, host_vars/<host>/edge-wizard.yml).
Everything else in your file stays byte for byte, its mode too; no one_pass,
ds, vn or frontend_group is written. A var, host or group of yours that would
make one-deploy configure the overlay differently is refused, one sentence
each (exit 2), and nothing is written. See docs/one-deploy.md.

Options:
  -f, --file FILE   Scenario file (default: edge-wizard.yaml)
  -o, --out DIR     Output directory (default: inventories/<scenario name>)
      --into FILE   Merge into this one-deploy hosts file (YAML) instead
  -n, --dry-run     Show the diff (secrets masked) and write nothing
  -h, --help        Show this help
`;
