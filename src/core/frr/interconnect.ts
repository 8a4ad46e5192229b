/**
 * The ingress's side of the interconnect (docs/interconnect.md): one BGP session per
 * external EVPN gateway, computed here and printed by roles/frr_layer
 * (templates/edge-wizard-interconnect.conf.j2 and the gateway's profile in bfdd.conf).
 *
 * Every value is decided here: the session (iBGP as a route-reflector client, or eBGP over
 * wg0's /32 with `ebgp-multihop 2`), its BFD profile, and the route-target filters that let
 * only the chosen networks' routes through, in both directions.
 *
 * The filters. FRR derives a VNI's route target as `<AS mod 65536>:<VNI>` (bgpd
 * `form_auto_rt`), and imports a route into a VNI whose import RT is automatic when any of
 * its AS-, AS4- or IP-type route targets carries that VNI in its local part, whatever the
 * AS (`mask_ecom_global_admin`: "to facilitate using VNI as the RT for EBGP peering"). So a
 * route that carries an allowed RT and also `<any>:<VNI of a network not extended>` would
 * land in that network. Each route-map therefore
 *   10 denies a route with any route target whose local part is not an extended VNI
 *      (an expanded extcommunity-list: FRR matches it against the display string,
 *      `RT:65000:100 ET:8`),
 *   20 permits a route that carries one of the extended networks' RTs (a standard list),
 *   30 denies everything else.
 * Mode l3 extends one L3VNI instead (type-5 routes in a VRF): the same filters over that VNI.
 */
import type { EvpnNetwork, InterconnectBfd, InterconnectMode, Scenario } from '../scenario.js';
import type { MeshPlan } from '../wireguard/mesh.js';
import { maskToPrefix } from '../net.js';
import { yamlQuoted, yamlScalar } from '../yaml.js';

/** Prefix of every FRR name the interconnect owns: BFD profiles, route-maps, lists. */
export const INTERCONNECT_PREFIX = 'ew-ic-';

/**
 * FRR's TTL for eBGP over wg0. The gateway is one hop away, but wg0 carries a /32, so it is on
 * no connected subnet and FRR refuses a plain eBGP session. `ebgp-multihop 2` rather than
 * `disable-connected-check`: with multihop the session's BFD is multi-hop too (bgpd's
 * PEER_IS_MULTIHOP), like every other session of the overlay, so bfdd does not bind it to
 * wg0 and it outlives a wg-quick restart (docs/resilience.md); with disable-connected-check
 * the TTL stays 1 and BFD is single-hop, bound to wg0, torn down by every restart of it.
 */
export const EBGP_MULTIHOP = 2;

export interface InterconnectL3 {
  /** The VRF (a Linux device name: at most 15 characters). */
  vrf: string;
  l3_vni: number;
  /** The extended networks' prefixes, the only connected routes the VRF advertises. */
  prefixes: string[];
  prefix_list: string;
  route_map_connected: string;
}

export interface InterconnectSession {
  name: string;
  /** The gateway's WireGuard address: its BGP address and VTEP. */
  address: string;
  as: number;
  ebgp: boolean;
  /** eBGP only: `ebgp-multihop` TTL (EBGP_MULTIHOP). */
  ebgp_multihop?: number;
  description: string;
  bfd_profile: string;
  bfd: InterconnectBfd;
  mode: InterconnectMode;
  /** The VNIs whose routes cross this session (l2: the networks'; l3: the L3VNI). */
  vnis: number[];
  /** `<AS mod 65536>:<VNI>` of each VNI, as FRR derives it. */
  route_targets: string[];
  rt_list: string;
  other_list: string;
  /** Expanded extcommunity-list line (FRR's `_` is a delimiter): any RT whose local part is not one of `vnis`. */
  other_regex: string;
  route_map_in: string;
  route_map_out: string;
  l3?: InterconnectL3;
}

/** The route target FRR derives for a VNI in AS `as` (bgpd form_auto_rt: the AS's low 16 bits). */
export function routeTarget(as: number, vni: number): string {
  return `${as % 65536}:${vni}`;
}

/** The VRF device of an l3 interconnect: named by its L3VNI (15 characters at most). */
export function l3Vrf(l3Vni: number): string {
  return `ewvrf${l3Vni}`;
}

interface Trie {
  end: boolean;
  kids: Map<string, Trie>;
}

const DIGITS = '0123456789';

/** A bracket expression of the given digits, e.g. `[02-9]`. */
function digitClass(ds: string[]): string {
  const runs: string[] = [];
  let i = 0;
  const sorted = [...ds].sort();
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && Number(sorted[j + 1]) === Number(sorted[j]) + 1) j++;
    runs.push(j - i >= 2 ? `${sorted[i]}-${sorted[j]}` : sorted.slice(i, j + 1).join(''));
    i = j + 1;
  }
  return `[${runs.join('')}]`;
}

/**
 * A POSIX extended regular expression (also valid for JavaScript) that matches every
 * non-empty string of digits that is not one of `words`; no empty alternatives (glibc's
 * regcomp takes them, POSIX leaves them undefined).
 */
export function notOneOf(words: string[]): string {
  const root: Trie = { end: false, kids: new Map() };
  for (const w of words) {
    let n = root;
    for (const c of w) {
      if (!n.kids.has(c)) n.kids.set(c, { end: false, kids: new Map() });
      n = n.kids.get(c)!;
    }
    n.end = true;
  }
  const walk = (n: Trie, atRoot: boolean): string => {
    const others = [...DIGITS].filter((d) => !n.kids.has(d));
    const kids = [...n.kids].sort(([a], [b]) => a.localeCompare(b));
    // A digit that leads away from every word, then anything; or the next digit of a word.
    const alts = [...(others.length ? [`${digitClass(others)}[0-9]*`] : []), ...kids.map(([c, k]) => `${c}${walk(k, false)}`)];
    // Stopping here is a match too, unless this is a word (or nothing was read yet).
    if (!atRoot && !n.end) return `(${alts.join('|')})?`;
    return alts.length === 1 ? alts[0]! : `(${alts.join('|')})`;
  };
  return walk(root, true);
}

/** The expanded extcommunity-list line that matches a route target whose local part is not one of `vnis`. */
export function otherRtRegex(vnis: number[]): string {
  return `_RT:[0-9.]+:${notOneOf(vnis.map(String))}_`;
}

/** `a.b.c.d/n` of a network. */
function networkPrefix(n: EvpnNetwork): string {
  return `${n.network_address}/${maskToPrefix(n.network_mask) ?? 32}`;
}

/**
 * The sessions the ingress holds, one per gateway, in scenario order ([] without
 * interconnect). Gateway addresses come from the mesh plan (`mesh.gateways`).
 */
export function planInterconnect(s: Scenario, mesh: MeshPlan): InterconnectSession[] {
  const peers = s.interconnect ?? [];
  const byName = new Map(s.networks.map((n) => [n.name, n]));
  return peers.map((p, i) => {
    const base = `${INTERCONNECT_PREFIX}${p.name}`;
    const nets = p.networks.map((n) => byName.get(n)).filter((n): n is EvpnNetwork => n !== undefined);
    const vnis = p.mode === 'l3' ? [p.l3_vni ?? 0] : nets.map((n) => n.vni ?? 0);
    const session: InterconnectSession = {
      name: p.name,
      address: mesh.gateways?.[i]?.address ?? '',
      as: p.as,
      ebgp: p.ebgp,
      description: `edge-wizard interconnect ${p.name} (${p.endpoint}, ${p.ebgp ? `eBGP AS ${p.as}` : 'iBGP'}, ${p.mode})`,
      bfd_profile: base,
      bfd: { ...p.bfd },
      mode: p.mode,
      vnis,
      route_targets: vnis.map((v) => routeTarget(s.bgp.as, v)),
      rt_list: `${base}-rt`,
      other_list: `${base}-other`,
      other_regex: otherRtRegex(vnis),
      route_map_in: `${base}-in`,
      route_map_out: `${base}-out`,
    };
    if (p.ebgp) session.ebgp_multihop = EBGP_MULTIHOP;
    if (p.mode === 'l3') {
      session.l3 = {
        vrf: l3Vrf(p.l3_vni ?? 0),
        l3_vni: p.l3_vni ?? 0,
        prefixes: nets.map(networkPrefix),
        prefix_list: `${base}-prefixes`,
        route_map_connected: `${base}-connected`,
      };
    }
    return session;
  });
}

/** The `frr_layer_interconnect` variable of the ingress (host_vars), or '' without sessions. */
export function renderInterconnectVars(sessions: InterconnectSession[]): string {
  if (sessions.length === 0) return '';
  const list = (key: string, xs: string[], indent: string) =>
    `${indent}${key}:${xs.length ? `\n${xs.map((x) => `${indent}  - ${yamlScalar(x)}`).join('\n')}` : ' []'}\n`;
  const one = (p: InterconnectSession) => {
    const l3 = p.l3
      ? `    l3:
      vrf: ${yamlScalar(p.l3.vrf)}
      l3_vni: ${p.l3.l3_vni}
${list('prefixes', p.l3.prefixes, '      ')}      prefix_list: ${yamlScalar(p.l3.prefix_list)}
      route_map_connected: ${yamlScalar(p.l3.route_map_connected)}
`
      : '';
    return `  - name: ${yamlScalar(p.name)}
    address: ${yamlScalar(p.address)}
    as: ${p.as}
    ebgp: ${p.ebgp}
${p.ebgp_multihop === undefined ? '' : `    ebgp_multihop: ${p.ebgp_multihop}\n`}    description: ${yamlQuoted(p.description)}
    bfd_profile: ${yamlScalar(p.bfd_profile)}
    bfd:
      detect_multiplier: ${p.bfd.detect_multiplier}
      receive_interval: ${p.bfd.receive_interval}
      transmit_interval: ${p.bfd.transmit_interval}
    mode: ${p.mode}
    vnis: [${p.vnis.join(', ')}]
${list('route_targets', p.route_targets, '    ')}    rt_list: ${yamlScalar(p.rt_list)}
    other_list: ${yamlScalar(p.other_list)}
    other_regex: ${yamlQuoted(p.other_regex)}
    route_map_in: ${yamlScalar(p.route_map_in)}
    route_map_out: ${yamlScalar(p.route_map_out)}
${l3}`;
  };
  return `# The sessions to external EVPN gateways (interconnect; docs/interconnect.md), printed by
# roles/frr_layer into edge-wizard-interconnect.conf and the gateways' BFD profiles into bfdd.conf.
frr_layer_interconnect:
${sessions.map(one).join('')}`;
}
