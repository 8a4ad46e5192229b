/** `edge-wizard rotate-keys --help`: its own module, so help prints without loading the command. */

export const help = `Usage: edge-wizard rotate-keys -f FILE [--host NAME]... [--out DIR]

Rotates WireGuard keys on the scenario's hosts (all, or the --host ones):
  1. each rotating host makes its new private key itself (never the controller);
  2. every host's /etc/wireguard/<if>.conf gets the new public keys;
  3. at one instant agreed in advance, each rotating host loads its new key and
     every host applies its config with "wg syncconf": no interface goes down,
     BGP sessions and VXLAN devices stay; the only gap is one handshake;
  4. the overlay is verified (as "edge-wizard verify"), collecting again while
     checks fail, for up to 120 s (sessions BFD took down at the switch come back).
Uses the inventory in DIR as deployed; exit 0 when the overlay verifies.

Options:
  -f, --file FILE    Scenario file (default: edge-wizard.yaml)
      --host NAME    Rotate only this host (repeatable; default: every mesh host)
  -o, --out DIR      Inventory directory (default: inventories/<scenario name>)
  -h, --help         Show this help
`;
