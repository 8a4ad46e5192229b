/**
 * Semantic checks of `interconnect` (external EVPN gateways; docs/interconnect.md), called by
 * core/validate.ts checkSemantics. The schema already bounds the shapes (names, BFD ranges,
 * enums); these are the checks that need the rest of the scenario. One sentence each, naming
 * the field and the fix.
 */
import type { Problem } from '../errors.js';
import type { Scenario } from '../scenario.js';
import { meshMembers, networkField } from '../scenario.js';
import { topologyOf } from '../wireguard/topologies/index.js';
import { cidrString, contains, fromInt, isIpv4, maskToPrefix, parseCidr4, range, toInt, type Cidr } from '../net.js';

/** A WireGuard public key: 32 bytes in base64, 44 characters, the last before "=" carrying 2 bits. */
export const WIREGUARD_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export function checkInterconnect(s: Scenario): { errors: Problem[]; warnings: Problem[] } {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const err = (field: string, message: string) => errors.push({ field, message });
  const peers = s.interconnect ?? [];
  if (peers.length === 0) return { errors, warnings };

  const wg = parseCidr4(s.wireguard.subnet);
  const control = parseCidr4(s.control_subnet);
  const privateNets: Array<[string, Cidr | undefined]> = [
    ['wireguard.subnet', wg],
    ['control_subnet', control],
    ...s.networks.map((n, i): [string, Cidr | undefined] => {
      const prefix = maskToPrefix(n.network_mask);
      return [`the EVPN network ${n.name} (${networkField(s, i)})`, prefix === undefined ? undefined : parseCidr4(`${n.network_address}/${prefix}`)];
    }),
  ];
  const members = meshMembers(s);
  const publicIps = new Map<string, string>([[s.ingress.public_ip, 'ingress.public_ip']]);
  s.clusters.forEach((c, ci) => c.hosts.forEach((h, hi) => publicIps.set(h.public_ip, `clusters[${ci}].hosts[${hi}].public_ip`)));
  const pinnedBy = new Map<string, string>();
  for (const m of members) if (m.pinned_address) pinnedBy.set(m.pinned_address, m.name);

  const names = new Map<string, number>();
  const keys = new Map<string, number>();
  const endpoints = new Map<string, number>();
  const gatewayPins = new Map<string, number>();
  peers.forEach((p, i) => {
    const f = `interconnect[${i}]`;
    const j = names.get(p.name);
    if (j !== undefined) err(`${f}.name`, `${f}.name "${p.name}" is already the name of interconnect[${j}]: give each gateway its own name.`);
    else names.set(p.name, i);

    // The session: eBGP is asked with `ebgp: true` or an AS of its own; iBGP shares ours.
    if (p.ebgp && p.as === s.bgp.as) {
      err(`${f}.as`, `${f} asks for eBGP but its AS ${p.as} is ours (bgp.as): set ${f}.as to the gateway's own AS, or remove ${f}.ebgp for an iBGP session.`);
    } else if (!p.ebgp && p.as !== s.bgp.as) {
      err(
        `${f}.ebgp`,
        `${f}.ebgp is false but ${f}.as ${p.as} is not ours (bgp.as ${s.bgp.as}): remove ${f}.ebgp (another AS is eBGP), or set ${f}.as to ${s.bgp.as} for iBGP.`,
      );
    }

    // The networks it receives: ours, each with a VNI both sides can configure.
    const known = s.networks.map((n) => n.name);
    p.networks.forEach((name, k) => {
      const ni = s.networks.findIndex((n) => n.name === name);
      const field = `${f}.networks[${k}]`;
      if (ni < 0) {
        err(field, `${field} "${name}" is not one of our networks: use one of ${known.join(', ')}.`);
      } else if (s.networks[ni]!.vni === undefined) {
        err(
          field,
          `${field} "${name}" has no fixed vni, and the automatic one is unknown until OpenNebula creates the network: set ${networkField(s, ni)}.vni so both sides can configure it.`,
        );
      }
    });

    // The WireGuard peer: a public endpoint of its own, a real public key.
    const ep = p.endpoint;
    const ours = publicIps.get(ep);
    if (ours) err(`${f}.endpoint`, `${f}.endpoint ${ep} is already ${ours}: use the gateway's own public address.`);
    for (const [what, c] of privateNets) {
      if (c && isIpv4(ep) && contains(c, ep))
        err(`${f}.endpoint`, `${f}.endpoint ${ep} lies inside ${what} ${cidrString(c)}: use the gateway's public address (its WireGuard endpoint).`);
    }
    const epKey = `${ep}:${p.port}`;
    const je = endpoints.get(epKey);
    if (je !== undefined)
      err(`${f}.endpoint`, `${f}.endpoint ${ep} port ${p.port} is already the endpoint of interconnect[${je}]: give each gateway its own endpoint or port.`);
    else endpoints.set(epKey, i);
    if (!WIREGUARD_KEY.test(p.public_key)) {
      err(
        `${f}.public_key`,
        `${f}.public_key is not a WireGuard public key (44 characters of base64 ending in "="): copy the output of \`wg show wg0 public-key\` on the gateway.`,
      );
    } else {
      const jk = keys.get(p.public_key);
      if (jk !== undefined) err(`${f}.public_key`, `${f}.public_key is also the key of interconnect[${jk}]: give each gateway its own key.`);
      else keys.set(p.public_key, i);
    }

    // Its address in the mesh subnet: pinned inside it, on no host and no other gateway.
    const a = p.wireguard_address;
    if (a !== undefined && wg) {
      const { first, last } = range(wg);
      const n = toInt(a);
      if (!contains(wg, a)) {
        err(
          `${f}.wireguard_address`,
          `${f}.wireguard_address ${a} is outside wireguard.subnet ${s.wireguard.subnet}: pick a free address inside it, or leave it out for the next free one.`,
        );
      } else if (n === first || n === last) {
        err(
          `${f}.wireguard_address`,
          `${f}.wireguard_address ${a} is the subnet's ${n === first ? 'network' : 'broadcast'} address: pick a host address such as ${fromInt(last - 1)}.`,
        );
      } else if (pinnedBy.has(a)) {
        err(
          `${f}.wireguard_address`,
          `${f}.wireguard_address ${a} is already pinned for ${pinnedBy.get(a)}: pick a free address in wireguard.subnet, or leave it out for the next free one.`,
        );
      } else if (gatewayPins.has(a)) {
        err(
          `${f}.wireguard_address`,
          `${f}.wireguard_address ${a} is already interconnect[${gatewayPins.get(a)}].wireguard_address: give each gateway its own address.`,
        );
      } else gatewayPins.set(a, i);
    }

    // How it joins: a peer of every host only in a full mesh (a spoke reaches everything through its hub).
    const joinProblem = topologyOf(s).joinProblem(`${f}.join`, p.join);
    if (joinProblem) err(`${f}.join`, joinProblem);

    // Routed mode: an L3VNI of its own; unproven here.
    if (p.mode === 'l3') {
      if (p.l3_vni === undefined) {
        err(`${f}.l3_vni`, `${f}.mode is l3 but ${f}.l3_vni is missing: set it to the VNI of the VRF both sides route in.`);
      } else {
        const clash = s.networks.findIndex((n) => n.vni === p.l3_vni);
        if (clash >= 0) err(`${f}.l3_vni`, `${f}.l3_vni ${p.l3_vni} is already the vni of ${networkField(s, clash)}: give the VRF a VNI of its own.`);
      }
      warnings.push({
        field: `${f}.mode`,
        message: `${f}.mode l3 (EVPN type-5 in a VRF) is unproven: edge-wizard writes its FRR lines but neither makes the kernel VRF on the ingress nor tests it; read docs/interconnect.md before you deploy it.`,
      });
    } else if (p.l3_vni !== undefined) {
      err(`${f}.l3_vni`, `${f}.l3_vni is set but ${f}.mode is l2: remove l3_vni, or set mode: l3.`);
    }
  });

  // What the topology needs with gateways (hub: the ingress must be a hub).
  errors.push(...topologyOf(s).interconnectProblems(s));

  // Room in the subnet for the hosts and the gateways (the hosts alone are checked with the subnet).
  if (wg) {
    const { first, last } = range(wg);
    const usable = last - first - 1;
    if (members.length <= usable && members.length + peers.length > usable) {
      err(
        'wireguard.subnet',
        `wireguard.subnet ${s.wireguard.subnet} has ${usable} usable addresses for ${members.length} hosts and ${peers.length} interconnect gateways: choose a larger subnet.`,
      );
    }
  }
  return { errors, warnings };
}
