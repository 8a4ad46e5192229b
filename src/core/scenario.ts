/**
 * The scenario model: what an operator describes in `edge-wizard.yaml`.
 *
 * `ScenarioInput` is the file as written (most fields optional, defaults from
 * core/defaults.ts); `Scenario` is the same after defaults, with every field set.
 * Field names are snake_case, like the Ansible variables they feed.
 */

/** A secret is plain text, a reference to an environment variable, or an Ansible Vault string. */
export type Secret = string | { env: string } | { vault: string };

export type Provider = 'aws' | 'equinix' | 'vultr' | 'onprem' | 'other';

export interface KvmHost {
  /** Inventory name, e.g. kvm_london. Letters, digits, `_` and `-`. */
  name: string;
  /** Public IPv4/IPv6 address: SSH target and WireGuard endpoint. */
  public_ip: string;
  /** SSH user Ansible connects as once root access is granted. */
  ssh_user: string;
  /** SSH port. */
  ssh_port: number;
  /** The host carries oneprovision's AWS `REJECT --reject-with icmp-host-prohibited` rule. */
  aws_reject_rule: boolean;
  /** Public interface the REJECT rule is bound to (`-i IFACE`). */
  public_interface: string;
  /** Pinned WireGuard address; when absent the planner keeps the previous one or takes the next free. */
  wireguard_address?: string;
}

export interface PublicNetwork {
  /** Name of the OpenNebula public network oneprovision created for this cluster. */
  name: string;
  /** Public IPs of the cluster's public network (at most 5, the Virtual Router's included). */
  ips: string[];
}

export interface EdgeCluster {
  name: string;
  provider: Provider;
  region: string;
  public_network: PublicNetwork;
  hosts: KvmHost[];
}

export interface Ingress {
  /** Inventory name in the `router` group. */
  name: string;
  /** Public address: SSH target, WireGuard endpoint, ProxyJump hop to the frontend. */
  public_ip: string;
  /** Address on the control subnet (optional). */
  control_ip?: string;
  ssh_user: string;
  ssh_port: number;
  /** The ingress is the BGP route reflector (one-deploy `router` group). */
  route_reflector: boolean;
  wireguard_address?: string;
}

export interface Frontend {
  /** Inventory name in the `frontend` group. */
  name: string;
  /** Address Ansible reaches (usually on the control subnet). */
  address: string;
  ssh_user: string;
  ssh_port: number;
  /**
   * How to reach it: `ingress` (ProxyJump through the ingress as its ssh_user),
   * a literal ProxyJump spec (`user@host[:port]`), or `none` (direct).
   */
  proxy_jump: string;
  /** oneprovision's private key on the frontend, used to reach new KVM hosts as root. */
  oneprovision_key: string;
  /** oned XML-RPC endpoint on the frontend. */
  xmlrpc_port: number;
}

export interface WireGuard {
  interface: string;
  /** Subnet of the mesh; every address carries its prefix (one-deploy builds `bgp listen range` from it). */
  subnet: string;
  port: number;
  mtu: number;
  /** PersistentKeepalive seconds (0 = off). */
  keepalive: number;
  /** MTU of the public (underlay) interface. */
  underlay_mtu: number;
  /**
   * `mesh`: every host peers with every other. `hub`: each other host (a spoke) peers with
   * one hub, its home hub (core/wireguard/mesh.ts), and the hubs peer with each other and
   * forward between their peers.
   */
  topology: WireguardTopology;
  /** The hubs (ingress or KVM host names) of topology `hub`. Default then: the ingress and the first KVM host of each cluster; `[]` for `mesh`. */
  hubs: string[];
}

export const WIREGUARD_TOPOLOGIES = ['mesh', 'hub'] as const;
export type WireguardTopology = (typeof WIREGUARD_TOPOLOGIES)[number];

/** One private L2 network over the overlay: an OpenNebula VXLAN VNET in EVPN mode on wg0. */
export interface EvpnNetwork {
  /** OpenNebula VNET name (the `vn` key in the inventory). */
  name: string;
  network_address: string;
  network_mask: string;
  /** First address of the address range (AR IP). */
  ar_start: string;
  ar_size: number;
  gateway: string;
  dns: string;
  /** Guest MTU; defaults to the WireGuard MTU minus the VXLAN overhead. */
  guest_mtu: number;
  /** Fixed VNI (OpenNebula's VLAN_ID); unset: OpenNebula picks one (AUTOMATIC_VLAN_ID). */
  vni?: number;
}

/** The older one-network form of the scenario file: a network and the BGP AS in one block. */
export type LegacyEvpn = EvpnNetwork & { as: number };

export interface Bfd {
  enabled: boolean;
  /** Packets missed before the session is declared down (FRR: 2-255). */
  detect_multiplier: number;
  /** Milliseconds (FRR: 10-60000). */
  receive_interval: number;
  transmit_interval: number;
}

/**
 * The BGP EVPN control plane, layered on one-deploy's FRR config by
 * roles/frr_layer (one-deploy's files are never edited).
 */
export interface Bgp {
  /** BGP AS number of the overlay (one-deploy `evpn_as`). */
  as: number;
  /**
   * Hosts that reflect EVPN routes (one-deploy's `router` group): the ingress
   * and/or KVM hosts. Default: the ingress and the first KVM host of each
   * cluster, so a cluster cut off from the ingress keeps its own traffic.
   */
  reflectors: string[];
  /** Seconds between connection attempts (FRR `timers connect`; its default is 120). */
  connect_retry: number;
  /** `bgp listen limit` on each reflector (FRR's default of 100 refuses the 101st VTEP). */
  listen_limit: number;
  bfd: Bfd;
}

/** WireGuard join of an interconnect peer: a peer of the ingress only (which forwards), or of every mesh host. */
export const INTERCONNECT_JOINS = ['ingress', 'mesh'] as const;
export type InterconnectJoin = (typeof INTERCONNECT_JOINS)[number];

/** `l2`: the chosen networks' L2 segments are shared (EVPN type-2/3). `l3`: routed, EVPN type-5 in a VRF (unproven: docs/interconnect.md). */
export const INTERCONNECT_MODES = ['l2', 'l3'] as const;
export type InterconnectMode = (typeof INTERCONNECT_MODES)[number];

/** A BFD profile of one interconnect session (FRR's ranges: multiplier 2-255, intervals 10-60000 ms). */
export type InterconnectBfd = Omit<Bfd, 'enabled'>;

/**
 * An external EVPN gateway (another cloud's network node, a data-centre gateway) that some
 * of our networks are extended to (docs/interconnect.md). It is not a host of the inventory:
 * we never make its keys or configure it; `generate` writes what its operator must configure
 * (interconnect/<name>.md). Its BGP session is with the ingress.
 */
export interface InterconnectPeer {
  /** Names FRR's BFD profile, route-maps and lists (`ew-ic-<name>`) and the snippet file. */
  name: string;
  /** Its public IP: the WireGuard endpoint. */
  endpoint: string;
  /** Its WireGuard port. */
  port: number;
  /** Its WireGuard public key (44 characters of base64). */
  public_key: string;
  /** Its address in wireguard.subnet (its BGP address and VTEP); default the next free one, kept across regenerations. */
  wireguard_address?: string;
  join: InterconnectJoin;
  /** Its AS; default ours (bgp.as): iBGP. */
  as: number;
  /** eBGP session; default: `as` differs from bgp.as. */
  ebgp: boolean;
  /** Names of our networks it exchanges routes for (each with a fixed vni). */
  networks: string[];
  bfd: InterconnectBfd;
  mode: InterconnectMode;
  /** Mode l3: the L3VNI of the VRF that carries the routed networks (type-5 routes). */
  l3_vni?: number;
}

export interface VirtualRouter {
  enabled: boolean;
  sdnat: boolean;
  /** Cluster whose public network gives the VR its eth0 lease (default: the first cluster). */
  cluster: string;
}

/** Repositories one-deploy's repository role knows (`repos_enabled_defaults`). */
export const ONE_DEPLOY_REPOS = ['ceph', 'frr', 'grafana', 'opennebula'] as const;
export type OneDeployRepo = (typeof ONE_DEPLOY_REPOS)[number];

export interface AnsibleSettings {
  /** `ansible_user` for all hosts. */
  user: string;
  ensure_keys_for: string[];
  /**
   * one-deploy's `repos_enabled` (its repository role; one-deploy#188): the package
   * repositories one-deploy may add. Unset: frr.common adds FRR's repository with
   * one-deploy's FRR pin (10.5). `[]`: none, FRR comes from the distribution (hosts
   * without a route to deb/rpm.frrouting.org, like the lab).
   */
  repos_enabled?: OneDeployRepo[];
  /**
   * Retired. In one-deploy `frr_repo` is a registered result, not an input; setting it
   * skipped FRR's repository and one-deploy's pin. Read as `repos_enabled: []`, with a warning.
   */
  frr_repo?: string;
  /** Extra SSH options for every host (`ansible_ssh_common_args`). */
  ssh_common_args?: string;
}

export interface Scenario {
  name: string;
  opennebula: {
    version: string;
    password: Secret;
  };
  datastores: { mode: 'ssh' | 'shared' | 'ceph' };
  control_subnet: string;
  frontend: Frontend;
  ingress: Ingress;
  clusters: EdgeCluster[];
  wireguard: WireGuard;
  /** The EVPN networks, one VNET each (at least one). */
  networks: EvpnNetwork[];
  /**
   * Set when the file has the older one-network `evpn` block: `evpn` alone (read as
   * networks[0] and bgp.as; messages name its fields), or `both` with `networks` (an error).
   */
  evpn_form?: 'evpn' | 'both';
  bgp: Bgp;
  /** External EVPN gateways some networks are extended to (`[]`: none). */
  interconnect: InterconnectPeer[];
  virtual_router: VirtualRouter;
  ansible: AnsibleSettings;
  /** BGP cluster-id for the route reflector (default: the frontend's address, as one-deploy derives it). */
  evpn_cluster_id?: string;
}

type DeepPartial<T> = T extends (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

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
  const members: MeshMember[] = [
    { name: s.ingress.name, role: 'ingress', public_ip: s.ingress.public_ip, pinned_address: s.ingress.wireguard_address },
  ];
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
