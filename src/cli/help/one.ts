/** `edge-wizard one --help`: its own module, so help prints without loading the command. */

export const help = `Usage: edge-wizard one [-f FILE] [--dry-run] [--endpoint URL] [--yes] [--unlock]

Ensures the OpenNebula side of the scenario through oned's XML-RPC API, by
name (and by the EDGE_WIZARD_SCENARIO/EDGE_WIZARD_ROLE attributes it writes
into them, so a rename by hand loses nothing) and idempotently (nothing is
deleted or rewritten; a second run makes no change):
  - a cluster named after the scenario, holding every KVM host (found by public
    IP, as oneprovision names them, or by inventory name), each cluster's public
    network, the EVPN network and the image and system datastores whose TM_MAD
    matches datastores.mode;
  - the EVPN VXLAN network (same template as the inventory's vn entry) when absent;
  - the Virtual Router: the "Service Virtual Router" appliance exported from the
    marketplace when absent (into the image datastore of virtual_router.cluster's
    own provision), eth0 on the public network of virtual_router.cluster, eth1 on
    the EVPN network at its GATEWAY, SDNAT on eth0 and eth1, run on a KVM host of
    that cluster. Its VM is created on hold and released once its image is READY.
    Its public address is printed (the Elastic IP on an elastic network).
Everything oned would refuse half-way (OneGate endpoint, VROUTER template,
datastore space...) is checked before the first change.

oned is reached through an SSH local forward to the frontend (ProxyJump through
the ingress when frontend.proxy_jump is "ingress"), as oneadmin with
opennebula.password, which is never printed.

Options:
  -f, --file FILE     Scenario file (default: edge-wizard.yaml)
  --dry-run           Read what exists and list the calls that would be made
  --endpoint URL      oned XML-RPC endpoint to use instead of the SSH tunnel,
                      e.g. http://127.0.0.1:2633 or https://one.example.com
                      (path /RPC2 unless given); a plain-http endpoint off
                      this machine is warned about (the password crosses
                      the network in clear)
  -y, --yes           Accepted as by init, deploy and import (one never asks)
  --unlock            Release the scenario's lock in oned, left by a run that
                      died, and stop (two runs on one scenario take turns:
                      the second waits up to 15 min, then says who holds it)
  -h, --help          Show this help
`;
