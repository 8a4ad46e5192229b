/** `edge-wizard lab --help`: its own module, so help prints without loading the command. */
import { DEFAULT_CACHE_DIR, DEFAULT_RELEASE, DEFAULT_STATE_ROOT, LAB_MAX_CLUSTERS, LAB_MAX_KVM_HOSTS, RELEASES } from '../../lab/constants.js';

export const help = `Usage: edge-wizard lab up [-f SCENARIO] [options]
       edge-wizard lab down|status [options]
       edge-wizard lab reboot|cut|heal HOST [options]

Without -f, builds the seed's topology on this machine, as root, in network namespaces:
an "internet" namespace with cloud A (203.0.113.0/24) and cloud B
(198.51.100.0/24) and no route out; an ingress (cloud A + control subnet
10.0.1.0/24); a frontend on the control subnet, reached by ProxyJump through
the ingress; and two edge clusters of two KVM hosts each (london in cloud A,
ncalifornia in cloud B). Hosts are systemd-nspawn containers booting Debian 12
(or 13 with --release trixie) with sshd, FRR, wireguard-tools/wireguard-go and iptables. KVM hosts start as
oneprovision leaves them: root accepts only the frontend's oneprovision key,
and oneprovision's AWS REJECT rule is on their public interface (enp125s0).

With -f SCENARIO, builds that scenario's lab instead: one cloud (bridge and public
subnet) per cluster, named and filled as in the file (cluster, KVM host, ingress
and frontend names; WireGuard, networks, BGP and Virtual Router settings), with the
lab's own addresses: clouds 203.0.113.0/24, 198.51.100.0/24, then 198.18.0.0/24,
198.18.1.0/24, ...; in each, KVM hosts from .21 and the ingress (first cloud) at
.10; control subnet 10.0.1.0/24 (frontend .87); a range the scenario's own subnets
overlap is skipped. Each interconnect[] gateway is a container of its own
(198.19.0.50, .51, ... on br-gw; not in the inventory), its WireGuard key made on it
and written into the lab's scenario. Container hostnames turn "_" into "-". The lab's scenario.yaml
is its copy of the file, named after the lab, for deploy and verify. A lab holds at
most ${LAB_MAX_CLUSTERS} clusters and ${LAB_MAX_KVM_HOSTS} KVM hosts on this machine (more: exit 2); past 16
containers it needs a higher fs.inotify.max_user_instances (lab up says which).
down, status, cut, heal and reboot act on the lab as it was built.

Commands:
  up       Create the lab (idempotent; a lab of another shape is replaced), write its scenario file, ssh config and known_hosts
  down     Stop every container and remove every namespace, veth and overlay (safe to repeat)
  status   Show every host, its state, addresses and reachability (and which are cut off)

Failures, to rehearse what the overlay does when a host dies (HOST is a lab host's
name, e.g. in the seed's lab: ingress, fe1, kvm_london1, kvm_london2, kvm_ncalifornia1, kvm_ncalifornia2):
  reboot HOST  Reboot the host: systemctl reboot inside its container, which then boots
               again from the same disk (its overlay; /run and every process start
               afresh) and is plugged back into its bridges. Nothing is restarted for
               it: units that fail at boot are reported. Prints how long it was down,
               when systemd finished booting and when sshd listened.
  cut HOST     Cut the host off silently, as when a machine or its uplink dies: in the
               internet namespace its addresses become blackhole routes (dropped with no
               ICMP error) and its bridge ports stop forwarding. The host's own links stay
               up and it is told nothing. Survives a reboot of the host. Safe to repeat.
  heal HOST    Undo cut: the bridge ports forward and the routes are back. Safe to repeat.

Options:
  -f, --file FILE    With up: build the lab of this scenario file (default: the seed's shape)
  --name NAME        Lab name (default: lab; 1-12 lowercase letters or digits)
  --state-dir DIR    Where labs keep their files (default: ${DEFAULT_STATE_ROOT})
  --cache-dir DIR    Where the Debian root filesystem is cached (default: ${DEFAULT_CACHE_DIR})
  --release NAME     With up: the Debian release the hosts boot, ${RELEASES.join(' or ')} (default: ${DEFAULT_RELEASE})
  --purge            With down: also delete the lab's controller key and directory
  --json             With status: print JSON
  -h, --help         Show this help

Files (in <state-dir>/<name>/): scenario.yaml, ssh/config (use with ssh -F),
ssh/id_ed25519 (the controller's key), ssh/known_hosts, state.json.

Needs root, systemd-nspawn and debootstrap:
  apt-get install --no-install-recommends systemd-container debootstrap iproute2 openssh-client
`;
