/** `edge-wizard verify --help`: its own module, so help prints without loading the command. */

export const help = `Usage: edge-wizard verify -f FILE [--out DIR] [--json] [--prometheus FILE]

Checks the overlay on every host, read-only, with the inventory already in DIR
(it is never rewritten; a note says when it no longer matches the scenario):
  - every other mesh host is Established on each route reflector
    (vtysh -c 'show bgp l2vpn evpn summary json'), BFD sessions up where enabled
  - every WireGuard handshake is fresh (wg show wg0 latest-handshakes)
  - a don't-fragment ping at the WireGuard MTU passes on every pair
    (ping -M do -s <mtu-28> over wg0)
  - interconnect gateways (BGP, BFD, WireGuard handshake on the ingress) are
    listed apart and never fail verify: their side is configured by others
Exit 0 when everything passes, 1 otherwise.

Options:
  -f, --file FILE        Scenario file (default: edge-wizard.yaml)
  -o, --out DIR          Inventory directory (default: inventories/<scenario name>)
      --json             Print the result as one JSON document on stdout
                         (shape: docs/CONTRACTS.md, "Machine output")
      --prometheus FILE  Also write the result for node_exporter's textfile
                         collector (FILE should end in .prom; written atomically)
  -h, --help             Show this help
`;
