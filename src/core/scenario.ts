/**
 * The scenario model: what an operator describes in `edge-wizard.yaml`.
 *
 * `ScenarioInput` is the file as written (most fields optional, defaults from
 * core/defaults.ts); `Scenario` is the same after defaults, with every field set; both are
 * derived from the JSON Schema (core/schema.ts -> scenario.generated.ts, `npm run schema`).
 * Field names are snake_case, like the Ansible variables they feed.
 */

import type { KvmHost, LegacyEvpn, ScenarioFields } from './scenario.generated.js';

// The shape of each part (KvmHost, EdgeCluster, WireGuard, Bgp, ...) is generated from the JSON
// Schema (core/schema.ts) into scenario.generated.ts: a new field is written in the schema only.
export type * from './scenario.generated.js';

/** WireGuard join of an interconnect peer: a peer of the ingress only (which forwards), or of every mesh host. */
export const INTERCONNECT_JOINS = ['ingress', 'mesh'] as const;

/** `l2`: the chosen networks' L2 segments are shared (EVPN type-2/3). `l3`: routed, EVPN type-5 in a VRF (unproven: docs/interconnect.md). */
export const INTERCONNECT_MODES = ['l2', 'l3'] as const;

/** Where an edge cluster's hosts run (`clusters[].provider`, `import --provider`). */
export const PROVIDERS = ['aws', 'equinix', 'vultr', 'onprem', 'other'] as const;

/** Repositories one-deploy's repository role knows (`repos_enabled_defaults`). */
export const ONE_DEPLOY_REPOS = ['ceph', 'frr', 'grafana', 'opennebula'] as const;

/** The scenario after defaults: every field set (core/defaults.ts) but the optional ones. */
export interface Scenario extends ScenarioFields {
  /**
   * Set when the file has the older one-network `evpn` block: `evpn` alone (read as
   * networks[0] and bgp.as; messages name its fields), or `both` with `networks` (an error).
   */
  evpn_form?: 'evpn' | 'both';
}

type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The scenario file as written: anything with a default may be left out. */
export type ScenarioInput = DeepPartial<Omit<Scenario, 'evpn_form'>> & { evpn?: DeepPartial<LegacyEvpn> };

/** The field path of network `i` in messages: `networks[i]`, or `evpn` in a file of the one-network form. */
export function networkField(s: Pick<Scenario, 'evpn_form'>, i: number): string {
  return s.evpn_form === 'evpn' ? 'evpn' : `networks[${i}]`;
}

/** Every host in the WireGuard mesh, ingress first, in file order. */
export interface MeshMember {
  name: string;
  role: 'ingress' | 'kvm';
  cluster?: string;
  public_ip: string;
  pinned_address?: string;
}

export function meshMembers(s: Scenario): MeshMember[] {
  const members: MeshMember[] = [{ name: s.ingress.name, role: 'ingress', public_ip: s.ingress.public_ip, pinned_address: s.ingress.wireguard_address }];
  for (const c of s.clusters) {
    for (const h of c.hosts) {
      members.push({ name: h.name, role: 'kvm', cluster: c.name, public_ip: h.public_ip, pinned_address: h.wireguard_address });
    }
  }
  return members;
}

export function kvmHosts(s: Scenario): Array<KvmHost & { cluster: string }> {
  return s.clusters.flatMap((c) => c.hosts.map((h) => ({ ...h, cluster: c.name })));
}
