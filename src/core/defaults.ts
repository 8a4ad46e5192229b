/**
 * Built-in defaults, following the seed recipe. `applyDefaults` turns the
 * schema-valid file into a complete Scenario; it never invents hosts or addresses.
 */
import type { EvpnNetwork, InterconnectPeer, OneDeployRepo, Scenario, ScenarioInput, WireguardTopology } from './scenario.js';
import { VXLAN_OVERHEAD } from './mtu.js';
import { topology } from './wireguard/topologies/index.js';
import { defaultBfdInterval } from './fleet-limits.js';

export const DEFAULTS = {
  opennebula: { version: '6.8', password: 'opennebula' },
  datastores: { mode: 'ssh' as const },
  control_subnet: '10.0.1.0/24',
  frontend: {
    name: 'fe1',
    ssh_user: 'root',
    ssh_port: 22,
    proxy_jump: 'ingress',
    oneprovision_key: '/var/lib/one/.ssh-oneprovision/id_rsa',
    xmlrpc_port: 2633,
  },
  ingress: { name: 'ingress', ssh_user: 'root', ssh_port: 22, route_reflector: true },
  host: { ssh_user: 'root', ssh_port: 22, public_interface: 'eth0' },
  wireguard: { interface: 'wg0', subnet: '192.168.0.0/24', port: 51820, mtu: 1420, keepalive: 25, underlay_mtu: 1500, topology: 'mesh' as WireguardTopology },
  /** The seed's network: the default when the file names none. */
  network: {
    name: 'private_evpn-vxlan',
    network_address: '172.17.2.0',
    network_mask: '255.255.255.0',
    ar_start: '172.17.2.1',
    ar_size: 20,
    gateway: '172.17.2.1',
    dns: '1.1.1.1',
  },
  bgp: {
    as: 65000,
    connect_retry: 1,
    // A lab measured 0.84-1.11 s to detect a silent VTEP over wg0 with 3 x 300 ms (LAB-NOTES.md).
    bfd: { enabled: true, detect_multiplier: 3, receive_interval: 300, transmit_interval: 300 },
    /** FRR's own listen limit; raised to the mesh size when the fleet is larger. */
    min_listen_limit: 100,
  },
  /**
   * An external EVPN gateway (docs/interconnect.md). BFD is shaped like seed 004's profile
   * (equal transmit and receive intervals, a multiplier well above 3) for a WAN path: 5 x 300 ms
   * rides out 4 lost packets in a row (1.2 s of loss) and still drops a dead gateway in 1.5 s;
   * the seed's 10 x 500 ms (5 s) is the calmer end for a lossy path.
   */
  interconnect: {
    port: 51820,
    join: 'ingress' as const,
    mode: 'l2' as const,
    bfd: { detect_multiplier: 5, receive_interval: 300, transmit_interval: 300 },
  },
  virtual_router: { enabled: true, sdnat: true },
  ansible: { user: 'root', ensure_keys_for: ['root'] },
};

/** Drops keys whose value is undefined, so spreading a partial never erases a default. */
function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function applyDefaults(input: ScenarioInput): Scenario {
  const wireguard = { ...DEFAULTS.wireguard, ...defined(input.wireguard) };
  const clusters = (input.clusters ?? []).map((c) => {
    const provider = c.provider ?? 'aws';
    return {
      name: c.name ?? '',
      provider,
      region: c.region ?? '',
      public_network: {
        name: c.public_network?.name ?? `${c.name}-public`,
        ips: (c.public_network?.ips ?? []).filter((x): x is string => typeof x === 'string'),
      },
      hosts: (c.hosts ?? []).map((h) => ({
        ...DEFAULTS.host,
        aws_reject_rule: provider === 'aws',
        ...defined(h),
        name: h.name ?? '',
        public_ip: h.public_ip ?? '',
      })),
    };
  });
  const ingress = { ...DEFAULTS.ingress, public_ip: '', ...defined(input.ingress) };
  const scenario: Scenario = {
    name: input.name ?? '',
    opennebula: { ...DEFAULTS.opennebula, ...defined(input.opennebula) } as Scenario['opennebula'],
    datastores: { ...DEFAULTS.datastores, ...defined(input.datastores) },
    control_subnet: input.control_subnet ?? DEFAULTS.control_subnet,
    frontend: { ...DEFAULTS.frontend, address: '', ...defined(input.frontend) },
    ingress,
    clusters,
    wireguard: { ...wireguard, hubs: wireguardHubs(input.wireguard, ingress, clusters) },
    networks: networksDefaults(input, wireguard.mtu - VXLAN_OVERHEAD),
    bgp: bgpDefaults(input, ingress, clusters),
    interconnect: [],
    virtual_router: { ...DEFAULTS.virtual_router, cluster: clusters[0]?.name ?? '', ...defined(input.virtual_router) },
    ansible: ansibleDefaults(input.ansible),
  };
  scenario.interconnect = interconnectDefaults(input.interconnect, scenario.bgp.as);
  if (input.evpn_cluster_id !== undefined) scenario.evpn_cluster_id = input.evpn_cluster_id;
  if (input.evpn !== undefined) scenario.evpn_form = input.networks === undefined ? 'evpn' : 'both';
  return scenario;
}

/** `networks`, or the one-network `evpn` block, or the seed's network; each with the defaults. */
function networksDefaults(input: ScenarioInput, guestMtu: number): EvpnNetwork[] {
  const given = input.networks ?? (input.evpn ? [input.evpn] : [{}]);
  return given.map((n) => {
    const { as: _as, ...net } = { ...(n as object) } as Record<string, unknown>;
    return { ...DEFAULTS.network, guest_mtu: guestMtu, ...defined(net) } as EvpnNetwork;
  });
}

function ansibleDefaults(input: ScenarioInput['ansible']): Scenario['ansible'] {
  const out: Scenario['ansible'] = {
    ...DEFAULTS.ansible,
    ...defined(input),
    ensure_keys_for: (input?.ensure_keys_for ?? DEFAULTS.ansible.ensure_keys_for).filter((x): x is string => typeof x === 'string'),
  };
  if (input?.repos_enabled !== undefined) out.repos_enabled = input.repos_enabled.filter((x): x is OneDeployRepo => typeof x === 'string');
  // The retired frr_repo skipped every FRR repository: the same as one-deploy's own `repos_enabled: []`
  // (validate warns and says what to write).
  else if (input?.frr_repo !== undefined) out.repos_enabled = [];
  return out;
}

/** The ingress and the first KVM host of each cluster. */
export function defaultReflectors(ingress: { name: string }, clusters: Array<{ hosts: Array<{ name: string }> }>): string[] {
  return [ingress.name, ...clusters.flatMap((c) => (c.hosts[0] ? [c.hosts[0].name] : []))];
}

/** The hubs: as written, else the topology's default (hub: the ingress and the first KVM host of each cluster; mesh: none). */
function wireguardHubs(input: ScenarioInput['wireguard'], ingress: Scenario['ingress'], clusters: Scenario['clusters']): string[] {
  if (input?.hubs !== undefined) return input.hubs.filter((x): x is string => typeof x === 'string');
  return topology(input?.topology ?? DEFAULTS.wireguard.topology)?.defaultHubs(ingress, clusters) ?? [];
}

function bgpDefaults(file: ScenarioInput, ingress: Scenario['ingress'], clusters: Scenario['clusters']): Scenario['bgp'] {
  const input = file.bgp;
  const meshSize = 1 + clusters.reduce((n, c) => n + c.hosts.length, 0);
  return {
    as: input?.as ?? file.evpn?.as ?? DEFAULTS.bgp.as,
    reflectors: (input?.reflectors ?? defaultReflectors(ingress, clusters)).filter((x): x is string => typeof x === 'string'),
    connect_retry: input?.connect_retry ?? DEFAULTS.bgp.connect_retry,
    listen_limit: input?.listen_limit ?? Math.max(DEFAULTS.bgp.min_listen_limit, meshSize),
    // Past 300 VTEPs per reflector, 500 ms intervals (bench:fleet: 300 ms lost sessions at 1000; docs/fleet.md).
    bfd: {
      ...DEFAULTS.bgp.bfd,
      receive_interval: defaultBfdInterval(meshSize - 1),
      transmit_interval: defaultBfdInterval(meshSize - 1),
      ...defined(input?.bfd),
    },
  };
}

/** Each interconnect peer with its defaults: iBGP in our AS unless it has its own, eBGP when its AS differs. */
function interconnectDefaults(input: ScenarioInput['interconnect'], ourAs: number): InterconnectPeer[] {
  return (input ?? []).map((p) => {
    const as = p.as ?? ourAs;
    const peer: InterconnectPeer = {
      name: p.name ?? '',
      endpoint: p.endpoint ?? '',
      port: p.port ?? DEFAULTS.interconnect.port,
      public_key: p.public_key ?? '',
      join: p.join ?? DEFAULTS.interconnect.join,
      as,
      ebgp: p.ebgp ?? as !== ourAs,
      networks: (p.networks ?? []).filter((x): x is string => typeof x === 'string'),
      bfd: { ...DEFAULTS.interconnect.bfd, ...defined(p.bfd) },
      mode: p.mode ?? DEFAULTS.interconnect.mode,
    };
    if (p.wireguard_address !== undefined) peer.wireguard_address = p.wireguard_address;
    if (p.l3_vni !== undefined) peer.l3_vni = p.l3_vni;
    return peer;
  });
}
