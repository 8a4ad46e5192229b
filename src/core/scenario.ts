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
}

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
  /** BGP AS number (one-deploy `evpn_as`). */
  as: number;
  /** Guest MTU; defaults to the WireGuard MTU minus the VXLAN overhead. */
  guest_mtu: number;
}

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
  evpn: EvpnNetwork;
  bgp: Bgp;
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
export type ScenarioInput = DeepPartial<Scenario>;

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
