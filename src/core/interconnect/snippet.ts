/**
 * interconnect/<name>.md: what the operator of an external EVPN gateway configures to
 * match our side (docs/interconnect.md): its wg0.conf with our hosts as peers, its BGP
 * neighbor, BFD profile and route-target filters, the `vni` blocks with the route targets
 * FRR derives on our side, the VXLAN devices, MTU and firewall notes.
 *
 * No secret: the gateway's private key is its own, and our public keys are made on our hosts
 * at deploy (roles/wireguard), so the file says where to read them.
 */
import type { EvpnNetwork, InterconnectPeer, Scenario } from '../scenario.js';
import type { MeshPlan, WireguardHostPlan } from '../wireguard/mesh.js';
import { EBGP_MULTIHOP, INTERCONNECT_PREFIX, l3Vrf, routeTarget } from '../frr/interconnect.js';
import { maskToPrefix } from '../net.js';

/** Path of the snippet in the output directory. */
export function snippetPath(name: string): string {
  return `interconnect/${name}.md`;
}

const prefixOf = (n: EvpnNetwork) => `${n.network_address}/${maskToPrefix(n.network_mask) ?? 32}`;

/** The snippet of gateway `index` of `s.interconnect`. */
export function renderInterconnectSnippet(s: Scenario, mesh: MeshPlan, index: number): string {
  const p: InterconnectPeer = s.interconnect[index]!;
  const gw = mesh.gateways![index]!;
  const ingress = mesh.hosts.find((h) => h.role === 'ingress')!;
  const endpointOf = (host: string) => mesh.table.find((t) => t.name === host)?.endpoint ?? '';
  const nets = p.networks.map((name) => s.networks.find((n) => n.name === name)).filter((n): n is EvpnNetwork => n !== undefined);
  const minGuestMtu = Math.min(...nets.map((n) => n.guest_mtu));
  const profile = `${INTERCONNECT_PREFIX}${p.name}`;
  const ours = s.bgp.as;
  const detect = (p.bfd.detect_multiplier * Math.max(p.bfd.receive_interval, p.bfd.transmit_interval)) / 1000;
  const l3 = p.mode === 'l3';
  const rts = l3 ? [routeTarget(ours, p.l3_vni ?? 0)] : nets.map((n) => routeTarget(ours, n.vni ?? 0));
  const peersOfGateway: Array<{ host: WireguardHostPlan; allowed: string }> =
    p.join === 'ingress' ? [{ host: ingress, allowed: mesh.subnet }] : mesh.hosts.map((h) => ({ host: h, allowed: `${h.ip}/32` }));
  const wgPeers = peersOfGateway
    .map(
      ({ host, allowed }) => `
# ${host.name} (edge-wizard scenario "${s.name}"): its public key is made on it at deploy, see "Our public keys"
[Peer]
PublicKey = <${host.name} public key>
AllowedIPs = ${allowed}
Endpoint = ${endpointOf(host.name)}
${s.wireguard.keepalive ? `PersistentKeepalive = ${s.wireguard.keepalive}\n` : ''}`,
    )
    .join('');
  const n = `neighbor ${ingress.ip}`;
  const session = [
    ` ${n} remote-as ${ours}`,
    ` ${n} description edge-wizard ${s.name} ${ingress.name}`,
    ` ${n} update-source ${gw.address}`,
    ...(p.ebgp ? [` ${n} ebgp-multihop ${EBGP_MULTIHOP}`] : []),
    ` ${n} passive`,
    ` ${n} bfd`,
    ` ${n} bfd profile ${profile}`,
  ];
  const vniBlocks = l3
    ? ''
    : nets
        .map(
          (net) => `  vni ${net.vni}
   route-target import ${routeTarget(ours, net.vni ?? 0)}
   route-target export ${routeTarget(ours, net.vni ?? 0)}
  exit-vni
`,
        )
        .join('');
  const l3Block = l3
    ? `vrf ${l3Vrf(p.l3_vni ?? 0)}
 vni ${p.l3_vni}
exit-vrf
router bgp ${p.as} vrf ${l3Vrf(p.l3_vni ?? 0)}
 address-family ipv4 unicast
  redistribute connected
 exit-address-family
 address-family l2vpn evpn
  advertise ipv4 unicast
  route-target import ${rts[0]}
  route-target export ${rts[0]}
 exit-address-family
exit
!
`
    : '';
  const frr = `${rts.map((rt) => `bgp extcommunity-list standard ${profile}-rt permit rt ${rt}`).join('\n')}
route-map ${profile} permit 10
 match extcommunity ${profile}-rt
exit
route-map ${profile} deny 20
exit
!
router bgp ${p.as}
${session.join('\n')}
 address-family l2vpn evpn
  ${n} activate
${p.ebgp ? `  ${n} attribute-unchanged next-hop\n` : ''}  ${n} route-map ${profile} in
  ${n} route-map ${profile} out
  advertise-all-vni
${vniBlocks} exit-address-family
exit
!
${l3Block}bfd
 profile ${profile}
  detect-multiplier ${p.bfd.detect_multiplier}
  receive-interval ${p.bfd.receive_interval}
  transmit-interval ${p.bfd.transmit_interval}
 exit
exit`;
  const vxlan = l3
    ? ''
    : nets
        .map(
          (net) => `ip link add br${net.vni} type bridge
ip link set br${net.vni} mtu ${net.guest_mtu} up
ip link add vxlan${net.vni} type vxlan id ${net.vni} local ${gw.address} dstport 4789 nolearning
ip link set vxlan${net.vni} master br${net.vni} mtu ${net.guest_mtu} up
`,
        )
        .join('');
  const netRows = nets
    .map(
      (net) =>
        `| network \`${net.name}\` | VNI ${net.vni}, ${prefixOf(net)}, gateway ${net.gateway}, guest MTU ${net.guest_mtu}, route target ${routeTarget(ours, net.vni ?? 0)} |`,
    )
    .join('\n');
  const hostsToAsk = p.join === 'ingress' ? `the ingress (\`${ingress.name}\`, ${endpointOf(ingress.name).replace(/:\d+$/, '')})` : 'every host listed above';
  return `# Interconnect \`${p.name}\`: what the gateway's operator configures

Generated by \`edge-wizard generate\` for scenario "${s.name}" (see docs/interconnect.md in
edge-wizard). It holds no secret: the gateway's private key stays with you, and our WireGuard
keys are made on our hosts when we deploy (see "Our public keys").

| | |
|---|---|
| our AS | ${ours} |
| your AS | ${p.as} (${p.ebgp ? 'eBGP' : 'iBGP: our route reflector treats you as a client'}) |
| your WireGuard address | ${gw.address} (your BGP address and VTEP) |
| our BGP speaker | \`${ingress.name}\`, ${ingress.ip} (WireGuard ${endpointOf(ingress.name)}) |
| how you join our WireGuard | ${p.join === 'ingress' ? `through the ingress: one peer, which forwards to and from our KVM hosts (AllowedIPs ${mesh.subnet})` : `a peer of each of our ${mesh.hosts.length} hosts, each with its /32`} |
| mode | ${l3 ? `l3, routed: EVPN type-5 in a VRF with L3VNI ${p.l3_vni} (UNPROVEN on our side: docs/interconnect.md)` : 'l2: the networks below are one L2 segment on both sides'} |
${netRows}
| BFD | ${p.bfd.detect_multiplier} x ${p.bfd.receive_interval} ms receive / ${p.bfd.transmit_interval} ms transmit (a dead session is declared in about ${detect} s) |

## WireGuard: \`/etc/wireguard/wg0.conf\` on the gateway

The address is a /32 with a route to our subnet (${mesh.subnet}), as on our hosts: no peer is
on a connected subnet, so FRR runs the BGP session's BFD multi-hop on both ends (with a
connected /${mesh.prefix} one end is single-hop and the other multi-hop, and BFD never comes up).
wg0's MTU must be ours, ${s.wireguard.mtu}: your underlay then carries ${s.wireguard.mtu} + 60 bytes (IPv4).

\`\`\`ini
[Interface]
# Your private key; its public key is the one we were given: ${p.public_key}
PrivateKey = <your private key>
Address = ${gw.address}/32
ListenPort = ${p.port}
MTU = ${s.wireguard.mtu}
PostUp = ip -4 route replace ${mesh.subnet} dev %i
${wgPeers}\`\`\`

## FRR

Our side connects (\`passive\` here): the session must be the one our ingress configured for you,
with its filters${p.ebgp ? '' : ' (an iBGP connection from you that arrived first could be taken as one of our own VTEPs)'}.
Only routes whose route target is ${rts.join(', ')} cross, both ways: configure the route targets
explicitly${p.ebgp ? ' (with your own AS, FRR would derive yours, which our filters refuse)' : ''}.

\`\`\`
${frr}
\`\`\`

${
  l3
    ? `## The VRF

Routed mode needs a kernel VRF \`${l3Vrf(p.l3_vni ?? 0)}\`, a bridge and a VXLAN device for L3VNI ${p.l3_vni}
in it, and your networks' gateway addresses on interfaces in that VRF; see docs/interconnect.md.
Our networks' prefixes (${nets.map(prefixOf).join(', ')}) arrive as type-5 routes.`
    : `## VXLAN devices, one per network

FRR's \`advertise-all-vni\` advertises the VNIs of VXLAN devices in a bridge. Your hosts or VMs
join the bridge; their MTU is at most ${minGuestMtu} (wg0's ${s.wireguard.mtu} less VXLAN's 50 bytes).

\`\`\`sh
${vxlan}\`\`\``
}

## Firewall

Allow UDP ${p.port} in from ${p.join === 'ingress' ? `our ingress, ${endpointOf(ingress.name).replace(/:\d+$/, '')}` : `our hosts: ${mesh.hosts.map((h) => endpointOf(h.name).replace(/:\d+$/, '')).join(', ')}`}.

## Our public keys

They are made on our hosts by \`edge-wizard deploy\` and never leave them. After the deploy,
ask us for the output of \`wg show wg0 public-key\` on ${hostsToAsk} and put it in place of
each \`<... public key>\` above.

## What you should see

- \`vtysh -c 'show bgp l2vpn evpn summary'\`: ${ingress.ip} Established.
- \`vtysh -c 'show bfd peers'\`: ${ingress.ip} up, ${p.bfd.detect_multiplier} x ${p.bfd.receive_interval} ms.
- ${l3 ? `\`vtysh -c 'show ip route vrf ${l3Vrf(p.l3_vni ?? 0)}'\`: our networks' prefixes.` : `\`vtysh -c 'show evpn mac vni ${nets[0]?.vni}'\`: our VMs' MACs, behind our hosts' WireGuard addresses.`}

If the gateway or the path fails, BFD takes the session down in about ${detect} s and each side
withdraws the other's routes; our own networks carry on. No other network of ours is sent to you,
and a route from you with any other route target is refused.
`;
}
