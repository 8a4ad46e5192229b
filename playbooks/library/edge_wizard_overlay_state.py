#!/usr/bin/python
# -*- coding: utf-8 -*-
# Apache-2.0 (edge-wizard)
"""Read, in one round trip, what `edge-wizard verify` judges on a mesh host (playbooks/verify.yml):
a don't-fragment ping at the WireGuard MTU to every peer (in parallel), WireGuard's handshakes and
public key, the host clock, the reflector's EVPN sessions, the BFD sessions, and digests of what
the deploy left on the host. Read-only; never fails: a command that cannot run is reported by
its return code or an empty output, as the separate tasks it replaces reported it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: edge_wizard_overlay_state
short_description: Read a mesh host's overlay state for edge-wizard's verify
options:
  interface: {description: The WireGuard interface., required: true, type: str}
  mtu: {description: The WireGuard MTU (the ping's payload is MTU - 28)., required: true, type: int}
  peers: {description: "Peers to ping (wireguard_peers: name, and address or allowed_ips).", type: list, elements: dict, default: []}
  reflector: {description: Read the EVPN sessions (route reflectors)., type: bool, default: false}
  bfd: {description: Read the BFD sessions., type: bool, default: false}
"""

import subprocess
import time

from ansible.module_utils.basic import AnsibleModule

# What the deploy left on this host, as digests (src/core/drift.ts compares them with the
# ones the last verified deploy recorded). $1: the WireGuard interface.
MARKS = r"""
set -o pipefail
d() { if [ -r "$1" ]; then sha256sum < "$1" | cut -c1-16; else echo absent; fi; }
frr_files="/etc/frr/daemons /etc/frr/bgpd.conf /etc/frr/bfdd.conf"
frr_files="$frr_files /etc/frr/edge-wizard-bgpd.conf /etc/frr/edge-wizard-interconnect.conf"
echo "host_key=$(cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null)"
echo "wg_conf=$(d "/etc/wireguard/$1.conf")"
# shellcheck disable=SC2086
echo "frr_conf=$(cat $frr_files 2>/dev/null | sha256sum | cut -c1-16)"
running=$(vtysh -c 'show running-config' 2>/dev/null | grep -v -e '^Building configuration' -e '^Current configuration')
echo "frr_running=$(printf '%s\n' "$running" | sha256sum | cut -c1-16)"
echo "firewall=$( (iptables -S INPUT 2>/dev/null || echo none) | sha256sum | cut -c1-16)"
if iptables -S INPUT 2>/dev/null | grep -q -- '-j REJECT --reject-with icmp-host-prohibited'; then echo reject_rule=1; else echo reject_rule=0; fi
"""


def start(argv):
    try:
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError:
        return None


def finish(p):
    """(rc, stdout without its final line breaks), as the command module reports them; rc 2 when it could not start."""
    if p is None:
        return 2, ""
    out, _ = p.communicate()
    return p.returncode, out.decode("utf-8", "replace").rstrip("\r\n")


def address(peer):
    """A peer's own address: `address` (topology hub, where a home hub's allowed_ips is the whole
    subnet), else its allowed_ips without the prefix (a full mesh: the peer's /32)."""
    if "address" in peer:
        return str(peer["address"])
    return str(peer.get("allowed_ips", "")).split("/")[0]


def main():
    m = AnsibleModule(
        argument_spec=dict(
            interface=dict(type="str", required=True),
            mtu=dict(type="int", required=True),
            peers=dict(type="list", elements="dict", default=[]),
            reflector=dict(type="bool", default=False),
            bfd=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = m.params
    ifc = p["interface"]
    # Everything starts at once; the pings (1 s timeout each) set the pace.
    pings = [
        (peer.get("name"), start(["ping", "-M", "do", "-s", str(p["mtu"] - 28), "-c", "1", "-W", "1", address(peer)]))
        for peer in p["peers"]
    ]
    # Not `wg show dump`: its first line holds the private key.
    wg = start(["wg", "show", ifc, "latest-handshakes"])
    pub = start(["wg", "show", ifc, "public-key"])
    bgp = start(["vtysh", "-c", "show bgp l2vpn evpn summary json"]) if p["reflector"] else None
    bfd = start(["vtysh", "-c", "show bfd peers json"]) if p["bfd"] else None
    marks = start(["bash", "-c", MARKS, "edge-wizard-marks", ifc])
    now = int(time.time())
    wg_rc, wg_out = finish(wg)
    m.exit_json(
        changed=False,
        now=now,
        wg_handshakes=wg_out,
        wg_rc=wg_rc,
        public_key=finish(pub)[1].strip(),
        bgp_summary=finish(bgp)[1] if bgp is not None else "",
        bfd_peers=finish(bfd)[1] if bfd is not None else "",
        pings=[[name, finish(proc)[0]] for name, proc in pings],
        marks=finish(marks)[1],
    )


if __name__ == "__main__":
    main()
