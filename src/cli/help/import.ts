/** `edge-wizard import --help`: its own module, so help prints without loading the command. */
import { PROVIDERS } from '../../core/scenario.js';

export const help = `Usage: edge-wizard import [-f SCENARIO] --from FILE [--hosts FILE]
         [--format oneprovision-6|oneprovision-7|ansible-inventory]
         [--cluster NAME] [--provider NAME] [--remove-missing] [--yes] [--dry-run]
       edge-wizard import [-f SCENARIO] --from-frontend [--yes] [--dry-run]

--from-frontend reads every provision on the OpenNebula frontend itself, over
the scenario's SSH path (frontend.ssh_user@frontend.address, through
frontend.proxy_jump, with ansible.ssh_common_args), read only: as oneadmin it
runs "oneprovision list --json", "onehost list --json" and "oneprovision show
ID --json" for each provision (6.x, and 7.2+ where oneprovision asks OneForm).
Each provision is an edge cluster. It shows what changed against the scenario
(clusters and hosts added or gone, a host at a new address), asks before
removing anything (and says what deploy then removes), applies the changes
after confirmation and offers to deploy. Without a terminal: additions are
applied, removals only with --yes (or --remove-missing); nothing is deployed.

Updates the scenario file from what provisioning left, then run "edge-wizard
generate" to regenerate the inventory. --from is one of:
  - OpenNebula 6.x: "oneprovision show ID --json", with --hosts
    "onehost list --json" (hosts are named by their public IP);
  - OpenNebula 7.2+: "oneprovision show ID --json" (OneForm provisions);
  - OpenNebula 7.2+: "ansible-inventory -i inventory.yaml --list" (or --yaml)
    in a OneForm provision's ansible directory, with the -e variables OneForm
    passes (provision_id, form_server, ...): the one-deploy inventory OneForm
    builds; hosts are the node group's ansible_host.

New hosts are added to the provision's edge cluster (named kvm_<cluster>_<n>;
the mesh planner gives them the next free WireGuard addresses). Existing hosts
keep their names, addresses and keys; nothing is renumbered. Hosts of that
cluster the provision no longer lists are reported and kept until you confirm
with --remove-missing (or --yes). The file is rewritten in place, comments
kept, atomically.

Options:
  -f, --file FILE       Scenario file (default: edge-wizard.yaml)
  --from FILE           Provisioning output to read
  --from-frontend       Read every provision on the frontend over SSH (read only)
  --format FORMAT       oneprovision-6, oneprovision-7 or ansible-inventory
                        (default: told from the file)
  --hosts FILE          "onehost list --json" output (OpenNebula 6.x)
  --cluster NAME        Edge cluster the provision's hosts belong to
  --provider NAME       Provider of a new cluster, when the file does not
                        tell it: ${PROVIDERS.join(', ')}
  --remove-missing      Remove hosts the provision no longer lists
  -y, --yes             Same as --remove-missing; never asks
  --dry-run             Print the diff of the scenario file; write nothing
  -h, --help            Show this help
`;
