/** `edge-wizard init --help`: its own module, so help prints without loading the command. */

export const help = `Usage: edge-wizard [init] [-f FILE] [--answers FILE] [--yes] [-F SSH_CONFIG] [--no-generate] [--dry-run]

Asks for the edge clusters (provider, region, public network, KVM hosts), the
ingress and the frontend, OpenNebula, WireGuard, the EVPN network and the
Virtual Router, checks every answer with the same rules as "edge-wizard
validate", shows a summary and writes the scenario file atomically. Then it
offers to generate the inventory and to deploy.

When the scenario file exists, the session starts from it: its values are the
defaults, hosts keep their names and WireGuard addresses, and your comments
survive. Host aliases from ~/.ssh/config are offered for hosts (HostName,
User, Port and IdentityFile are used).

Without a terminal (or with CI set), with --yes or with --answers, nothing is
asked: missing answers fail with every missing field listed (exit 2).
Ctrl-C at a prompt writes nothing.

Options:
  -f, --file FILE         Scenario file (default: edge-wizard.yaml)
      --answers FILE      YAML/JSON answers, shaped like the scenario (or part of it); no prompts
  -y, --yes               Accept the defaults and the existing file; no prompts
  -F, --ssh-config FILE   ssh client config whose Host aliases are offered (default: ~/.ssh/config)
      --no-generate       Do not offer to generate (or deploy) after writing
  -n, --dry-run           Print the resulting YAML and write nothing
  -h, --help              Show this help
`;
