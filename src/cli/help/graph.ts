/** `edge-wizard graph --help`: its own module, so help prints without loading the command. */

export const help = `Usage: edge-wizard graph -f FILE [--format mermaid|dot] [--mesh auto|hosts|clusters] [--verify [--out DIR]]

Prints the scenario's topology: the clusters and their KVM hosts, the ingress,
the frontend on the control subnet, the route reflectors (bgp.reflectors), the
WireGuard tunnels (the full mesh, or with topology hub only hub to hub and
spoke to home hub) and the EVPN networks. Reads only the scenario file.

  edge-wizard graph -f FILE > topology.mmd            # Mermaid (GitHub, GitLab render it)
  edge-wizard graph -f FILE --format dot | dot -Tsvg > topology.svg

The mesh is drawn host to host up to 8 mesh hosts, else cluster to cluster
(one edge per pair of sites with its tunnel count); --mesh chooses.
With --verify, what failed in the last verify (the observations it left in
DIR/.verify/) is marked: hosts, tunnels, BGP and BFD sessions.

Options:
  -f, --file FILE      Scenario file (default: edge-wizard.yaml)
      --format FORMAT  mermaid (default) or dot
      --mesh MODE      auto (default), hosts or clusters
      --verify         Mark what failed in the last verify
  -o, --out DIR        Inventory directory of that verify (default: inventories/<scenario name>)
  -h, --help           Show this help
`;
