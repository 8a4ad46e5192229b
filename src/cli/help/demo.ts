/** `edge-wizard demo --help`: its own module, so help prints without loading the command. */
import { DEFAULT_CACHE_DIR, DEFAULT_RELEASE, DEFAULT_STATE_ROOT, RELEASES } from '../../lab/constants.js';

export const help = `Usage: edge-wizard demo [-f SCENARIO] [--interconnect] [--migrate [--round-trips N]] [--lab NAME] [--release bookworm|trixie] [--state-dir DIR] [--cache-dir DIR]

The whole story on this machine (root): builds the lab (edge-wizard lab up,
of the seed's shape, or with -f of that scenario's clusters, hosts and overlay),
deploys the lab's scenario on it (root access through the frontend's
oneprovision key, firewall, WireGuard mesh, one-deploy's FRR EVPN), verifies,
then creates on each KVM host what OpenNebula's vxlan driver creates for the
EVPN network (VXLAN device on wg0, bridge) and a VM (a network namespace on a
veth with the guest MTU), pings every VM from every VM across clusters and
probes the guest MTU with don't-fragment pings. Prints what works and how to
tear it all down. Nothing leaves the lab's network namespaces.

With ONE_SOURCE naming a checkout of OpenNebula/one (never copied here) and ruby on
this machine, OpenNebula's own vxlan driver (VXLANDriver#activate, run inside each KVM
host's network namespace) makes the bridge and VXLAN device instead of the replay; the
demo says which one did.

With --interconnect (docs/interconnect.md), the lab also runs the scenario's first
external EVPN gateway (without -f: a built-in two-network lab with dcgw, AS 65100, on
198.19.0.50, tenant-b extended): a container not in the inventory, configured as its
operator would from the generated interconnect/<name>.md, with a host behind it in
each network. Then it checks the BGP session and its route-maps, BFD, the external
host reaching every VM of the extended network and none of the others, the route
targets sent to the gateway, and times a cut and a heal of the gateway.

With --migrate (docs/lab.md#real-vms-and-live-migration), real VMs run under QEMU on
the KVM hosts (a Debian cloud kernel and busybox, built from Debian's packages and
cached), each on a tap in the VNET's bridge with the MAC OpenNebula would lease, and
one is live-migrated across clusters over wg0 as libvirt does it (QEMU's -incoming and
migrate), one line per migration.

Options:
  -f, --file FILE    Build the lab of this scenario (see edge-wizard lab --help; default: the seed's shape)
  --interconnect     Also prove the external EVPN gateway (interconnect[0]; join: ingress, mode: l2)
  --migrate          Also live-migrate a real VM (QEMU, TCG) between the first hosts of the first two
                     clusters and back, while a VM on a third host pings and streams TCP to it; prints
                     QEMU's downtime, the ping gap, the stream and the MAC move on every reflector
  --round-trips N    With --migrate: migrate there and back N times (1-50, default 1)
  --lab NAME         Lab name (default: lab)
  --release NAME     The Debian release the lab's hosts boot: ${RELEASES.join(' or ')} (default: ${DEFAULT_RELEASE})
  --state-dir DIR    Where labs keep their files (default: ${DEFAULT_STATE_ROOT})
  --cache-dir DIR    Debian root filesystem cache (default: ${DEFAULT_CACHE_DIR})
  -h, --help         Show this help

Environment:
  ONE_SOURCE         A checkout of OpenNebula/one: its vxlan driver builds the VNETs (docs/lab.md)
`;
