/**
 * edge-wizard's FRR layer on one-deploy's EVPN config, per host (computed here,
 * printed by roles/frr_layer): fast reconnects, BFD on every EVPN session, a
 * listen limit that covers the fleet on each reflector, and sessions between
 * reflectors (one-deploy's reflectors only listen, so two reflectors never
 * peer by themselves, and a reflector that hosts VMs needs the others' routes).
 */
import type { Bfd, Scenario } from '../scenario.js';
import { yamlScalar } from '../yaml.js';

export interface FrrLayerPlan {
  as: number;
  /** This host's address on the EVPN interface, without prefix. */
  update_source: string;
  reflector: boolean;
  /** On a reflector: the other reflectors' addresses. */
  reflector_peers: string[];
  listen_limit: number;
  /** frr.service's LimitNOFILE: bgpd and bfdd each hold a socket per session (bench:fleet, docs/fleet.md). */
  nofile: number;
  connect_retry: number;
  bfd: Bfd & { profile: string };
}

export const BFD_PROFILE = 'edge-wizard';

/**
 * File descriptors for FRR's daemons: frr.service gives 1024, and bgpd and bfdd each hold one
 * socket per session; at 1000 VTEPs bench:fleet counted 1023 open in bgpd. Two per session
 * (a reconnect overlaps the old socket) on top of the 1024 the daemons use anyway.
 */
function frrNofile(sessions: number): number {
  return 1024 + 2 * sessions;
}

/** `addresses`: mesh host -> WireGuard address (no prefix). */
export function planFrrLayer(s: Scenario, host: string, addresses: Record<string, string>): FrrLayerPlan {
  const reflector = s.bgp.reflectors.includes(host);
  const sessions = reflector
    ? s.bgp.listen_limit + s.bgp.reflectors.length - 1 + (host === s.ingress.name ? s.interconnect.length : 0)
    : s.bgp.reflectors.length;
  return {
    as: s.bgp.as,
    update_source: addresses[host] ?? '',
    reflector,
    reflector_peers: reflector
      ? s.bgp.reflectors
          .filter((r) => r !== host)
          .map((r) => addresses[r] ?? '')
          .filter(Boolean)
      : [],
    listen_limit: s.bgp.listen_limit,
    nofile: frrNofile(sessions),
    connect_retry: s.bgp.connect_retry,
    bfd: { ...s.bgp.bfd, profile: BFD_PROFILE },
  };
}

/** The frr_layer_* variables of one host, as YAML lines (host_vars/<host>.yml). */
export function renderFrrLayerVars(p: FrrLayerPlan): string {
  return `frr_layer_as: ${p.as}
frr_layer_update_source: ${yamlScalar(p.update_source)}
frr_layer_reflector: ${p.reflector}
frr_layer_reflector_peers:${p.reflector_peers.length ? `\n${p.reflector_peers.map((a) => `  - ${yamlScalar(a)}`).join('\n')}` : ' []'}
frr_layer_listen_limit: ${p.listen_limit}
frr_layer_nofile: ${p.nofile}
frr_layer_connect_retry: ${p.connect_retry}
frr_layer_bfd:
  enabled: ${p.bfd.enabled}
  profile: ${yamlScalar(p.bfd.profile)}
  detect_multiplier: ${p.bfd.detect_multiplier}
  receive_interval: ${p.bfd.receive_interval}
  transmit_interval: ${p.bfd.transmit_interval}
`;
}
