/** `edge-wizard deploy --help`: its own module, so help prints without loading the command. */
import { DEFAULT_SETTLE_S, STEP_NAMES, STEPS_HELP } from './deploy-steps.generated.js';

export const help = `Usage: edge-wizard deploy -f FILE [options]

Brings the overlay up on the scenario's hosts, one idempotent step at a time:
${STEPS_HELP}

The inventory is (re)generated first (as "edge-wizard generate"). A host that
fails is named with its step and cause; the other hosts finish; run deploy
again once it is fixed. Each run writes a log (no secrets) under DIR/logs/.

Options:
  -f, --file FILE        Scenario file (default: edge-wizard.yaml)
  -o, --out DIR          Inventory directory (default: inventories/<scenario name>)
      --from STEP        Start at STEP (preflight always runs)
      --only STEP        Run only STEP (after preflight)
      --check            Ansible check mode with diff: change nothing
      --full             Run every step, also those unchanged since the last verified deploy
  -n, --dry-run          Show the inventory diff and the ansible-runner commands; run nothing
  -y, --yes              Do not ask for confirmation
      --identity FILE    Controller public key to install on the KVM hosts
                         (default: the IdentityFile of the scenario's ssh options, else ~/.ssh/id_*.pub)
      --restrict-from LIST  Restrict that key to connections from LIST (from="LIST"): IP
                         addresses and CIDRs, comma-separated (203.0.113.10,198.51.100.0/24)
      --firewall MODE    open (default) or strict
      --accept-new-host-key HOST[,HOST...]
                         Hosts rebuilt under the same name and address: read each new SSH
                         host key through the frontend and accept it (preflight stops and
                         names a host whose key changed, with this exact flag)
      --renumber         Accept a changed wireguard.subnet: every host gets a new overlay
                         address at once, and VMs lose the network until OpenNebula re-creates
                         their VXLAN devices (deploy refuses the change without it)
      --settle SECONDS   How long verify keeps checking while sessions come up (default ${DEFAULT_SETTLE_S}; 0: one snapshot)
      --no-opennebula    Skip the OpenNebula step (e.g. on the lab, which has no oned)
      --one-endpoint URL oned XML-RPC endpoint instead of the SSH tunnel to the frontend
      --json             Print the final report as one JSON document on stdout (progress
                         goes to stderr; shape: docs/CONTRACTS.md, "Machine output")
  -h, --help             Show this help

Steps: ${STEP_NAMES.join(', ')}
`;
