/**
 * The lab's topology as pure data: namespaces, bridges, hosts, interfaces and
 * addresses, computed by one function (labTopology) from a scenario. Nothing
 * here touches the machine; netns.ts and hosts.ts apply it.
 *
 *   root namespace (Ansible controller)
 *     └─ veth ew-<lab> 10.255.0.1/30 ──── ctl 10.255.0.2/30 ─┐
 *   namespace ew-<lab>-inet ("the internet", ip_forward on, no default route)
 *     ├─ br-a  203.0.113.1/24   cloud of cluster 1: ingress eth0, its KVM hosts
 *     ├─ br-b  198.51.100.1/24  cloud of cluster 2: its KVM hosts
 *     ├─ br-c  198.18.0.1/24    cloud of cluster 3 (then 198.18.1.0/24, ...)
 *     ├─ br-ctl (no address)    control subnet 10.0.1.0/24: ingress eth1, frontend
 *     └─ br-gw  198.19.0.1/24   only with `interconnect`: each external gateway's cloud
 *                               (dcgw 198.19.0.50, then .51, ...), a container not in the inventory
 *
 * The controller routes only the cloud subnets into the lab. The frontend
 * is reached by ProxyJump through the ingress; the ingress forwards between
 * the control subnet and its cloud so the frontend can reach the KVM hosts, and
 * the internet namespace routes the control subnet back via the ingress.
 *
 * Without a scenario the lab is the seed's shape (SEED_LAB_SCENARIO): london and
 * ncalifornia, two KVM hosts each.
 */
import { applyDefaults, DEFAULTS } from '../core/defaults.js';
import { UsageError } from '../core/errors.js';
import { maxGuestMtu } from '../core/mtu.js';
import { fromInt, maskToPrefix, overlaps, parseCidr4, range, type Cidr } from '../core/net.js';
import type { ScenarioInput } from '../core/scenario.js';
import { LAB_MAX_CLUSTERS, LAB_MAX_KVM_HOSTS } from './constants.js';

/** `gateway`: an external EVPN gateway of the scenario's `interconnect` (gateway.ts), not in the inventory. */
export type LabRole = 'ingress' | 'frontend' | 'kvm' | 'gateway';

export interface LabInterface {
  /** Name inside the host (e.g. eth0, enp125s0). */
  name: string;
  /** Bridge in the internet namespace this interface is plugged into. */
  bridge: string;
  /** Name of the veth end left in the internet namespace (max 15 chars). */
  peer: string;
  /** Address with prefix, e.g. 203.0.113.10/24. */
  address: string;
  /** MTU of both veth ends (the scenario's wireguard.underlay_mtu on cloud interfaces); absent: the kernel's 1500. */
  mtu?: number;
}

export interface LabHost {
  /** Inventory name (kvm_london1); also the scenario's host name. */
  name: string;
  /** Hostname inside the container (underscores are not valid in hostnames). */
  hostname: string;
  /** Short tag used in machine, namespace and veth names. */
  tag: string;
  /** systemd-nspawn machine name, also the name of the host's network namespace. */
  machine: string;
  role: LabRole;
  cluster?: string;
  interfaces: LabInterface[];
  /** Default gateway inside the host. */
  gateway: string;
  /** The address the controller (or the ingress, for the frontend) uses for SSH. */
  sshAddress: string;
  /** Enable IPv4 forwarding inside the host (the ingress routes the control subnet). */
  forwarding: boolean;
}

export interface LabBridge {
  name: string;
  /** Address of the internet namespace on this bridge (gateway of the subnet), or none. */
  address?: string;
  subnet: string;
}

export interface LabCluster {
  name: string;
  region: string;
  /** The cloud's bridge in the internet namespace and its subnet. */
  bridge: string;
  subnet: string;
  publicNetworkIps: string[];
}

export interface LabTopology {
  lab: string;
  /** The internet namespace. */
  inetNs: string;
  controller: {
    /** veth end in the root namespace. */
    link: string;
    address: string;
    /** veth end in the internet namespace. */
    peer: string;
    peerAddress: string;
    /** Routes the controller gets (only the lab's public subnets). */
    routes: string[];
  };
  bridges: LabBridge[];
  /** Extra routes in the internet namespace: control subnet back via the ingress. */
  inetRoutes: Array<{ to: string; via: string }>;
  controlSubnet: string;
  hosts: LabHost[];
  clusters: LabCluster[];
  /** Where the frontend keeps oneprovision's key (as oneprovision leaves it). */
  oneprovisionKey: string;
  /** Name of the public interface of the KVM hosts (carries the AWS REJECT rule). */
  kvmPublicInterface: string;
  /**
   * The lab's copy of the scenario, without the ssh options that depend on where the
   * lab keeps its files (files.ts labScenario adds them): the source scenario's names,
   * WireGuard, networks, BGP and Virtual Router, with the lab's addresses and access.
   */
  scenario: ScenarioInput;
}

export const LAB_NAME_PATTERN = /^[a-z][a-z0-9]{0,11}$/;

/** Ports oneprovision's AWS provision opens on the KVM hosts' public interface. */
export const KVM_ALLOWED: Array<{ protocol: 'tcp' | 'udp'; port: number }> = [
  { protocol: 'tcp', port: 22 },
  { protocol: 'tcp', port: 179 },
  { protocol: 'udp', port: 8472 },
];

export const ONEADMIN_UID = 9869;

export function labNameProblem(name: string): string | undefined {
  if (!LAB_NAME_PATTERN.test(name)) {
    return `Lab name "${name}" is not valid: use 1 to 12 lowercase letters or digits, starting with a letter (e.g. "lab").`;
  }
  return undefined;
}

/** The seed's wg0 MTU. */
const SEED_WIREGUARD_MTU = 1420;

/**
 * The seed's practical scenario doubled to two KVM hosts per cluster: the lab
 * without -f. Its addresses are the ones the lab gives it anyway (labTopology
 * assigns every address, whatever the scenario says).
 */
export const SEED_LAB_SCENARIO: ScenarioInput = {
  name: 'seed-lab',
  opennebula: { version: '6.8', password: 'opennebula' },
  datastores: { mode: 'ssh' },
  frontend: { name: 'fe1' },
  ingress: { name: 'ingress' },
  clusters: [
    {
      name: 'london',
      provider: 'aws',
      region: 'eu-west-2',
      public_network: { name: 'london-public', ips: ['203.0.113.30', '203.0.113.31'] },
      hosts: [{ name: 'kvm_london1' }, { name: 'kvm_london2' }],
    },
    {
      name: 'ncalifornia',
      provider: 'aws',
      region: 'us-west-1',
      public_network: { name: 'ncalifornia-public', ips: ['198.51.100.30', '198.51.100.31'] },
      hosts: [{ name: 'kvm_ncalifornia1' }, { name: 'kvm_ncalifornia2' }],
    },
  ],
  wireguard: { interface: 'wg0', subnet: '192.168.0.0/24', port: 51820, mtu: SEED_WIREGUARD_MTU },
  // The seed's EVPN network, spelled out so the lab's scenario file reads like the seed's (its MTU as core plans it).
  networks: [{ ...DEFAULTS.network, guest_mtu: maxGuestMtu(SEED_WIREGUARD_MTU) }],
  virtual_router: { enabled: true, sdnat: true, cluster: 'london' },
};

/**
 * The most clusters (clouds) and KVM hosts (containers) one lab builds on this machine (2 cores,
 * 24 GB; docs/lab.md "How big a lab this machine holds"): 4 x 4 KVM hosts deploy and converge in
 * 6.5 min; 8 x 4 boot in 20 s but 33 wireguard-go saturate both cores and the deploy does not
 * converge. Memory (20-40 MiB per container) is not the limit.
 */
export { LAB_MAX_CLUSTERS, LAB_MAX_KVM_HOSTS };

/** The clouds' public subnets, in the order clusters take them: documentation ranges (RFC 5737), then 198.18.0.0/15 (RFC 2544). */
export function* labPublicSubnets(): Generator<string> {
  yield '203.0.113.0/24';
  yield '198.51.100.0/24';
  for (let n = 0; n < 512; n++) yield `198.${18 + (n >> 8)}.${n & 255}.0/24`;
}

/** The control subnet and the controller's link, first of each that the scenario's own subnets leave free. */
const CONTROL_SUBNETS = ['10.0.1.0/24', '172.31.1.0/24', '192.168.254.0/24'];
const CONTROLLER_LINKS = ['10.255.0.0/30', '172.31.255.252/30', '192.168.255.252/30'];
/** Host numbers in a cloud: gateway .1, ingress .10, KVM hosts from .21, the public network's IPs from .30 (or right after the last host). */
const AT = { gateway: 1, ingress: 10, firstKvm: 21, publicNetwork: 30, controlIngress: 1, frontend: 87 } as const;
/** The lab's KVM hosts are AWS hosts as oneprovision leaves them: this interface, the REJECT rule on it. */
const KVM_PUBLIC_INTERFACE = 'enp125s0';
/**
 * The external gateways' cloud (RFC 2544's 198.18.0.0/15, past what clusters take; not TEST-NET-1,
 * 192.0.2.0/24, which machines like this CI runner use for their own uplink) and the first gateway's host number.
 */
const GATEWAY_SUBNET = '198.19.0.0/24';
const FIRST_GATEWAY = 50;
const ONEPROVISION_KEY = '/var/lib/one/.ssh-oneprovision/id_rsa';
/** Top-level scenario fields the lab writes itself; every other field is carried over as written. */
const LAB_OWNED = new Set(['name', 'opennebula', 'datastores', 'control_subnet', 'frontend', 'ingress', 'clusters', 'ansible']);

/** A container's hostname: the inventory name with '_' (not valid in hostnames) as '-'. */
export const labHostname = (name: string): string => name.replace(/_/g, '-');

/**
 * Three-character tags of the clusters, unique, [a-z0-9] only: the first three letters or
 * digits of the name, else two and the cluster's number, else `c` and a number. A KVM host's
 * tag is its cluster's and its number in the cluster (lon1, lon2, ...), so every tag is unique
 * and at most 5 characters (veth `lon12-e0`, machine `ew-<lab>-lon12`).
 */
export function clusterTags(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((name, i) => {
    const a = name.toLowerCase().replace(/[^a-z0-9]/g, '');
    let tag = [a.slice(0, 3), `${a.slice(0, 2)}${(i + 1).toString(36)}`].find((c) => c.length === 3 && !used.has(c));
    for (let k = i + 1; tag === undefined; k++) {
      const c = `c${k.toString(36).padStart(2, '0')}`;
      if (!used.has(c)) tag = c;
    }
    used.add(tag);
    return tag;
  });
}

const cidr = (s: string): Cidr => parseCidr4(s)!;
const nth = (subnet: string, n: number): string => fromInt(range(cidr(subnet)).first + n);

/** The scenario's own subnets (WireGuard, EVPN networks): the lab's subnets stay clear of them. */
function scenarioSubnets(input: ScenarioInput): Cidr[] {
  const s = applyDefaults(input);
  const nets = s.networks.map((n) => {
    const p = maskToPrefix(n.network_mask);
    return p === undefined ? undefined : parseCidr4(`${n.network_address}/${p}`);
  });
  return [parseCidr4(s.wireguard.subnet), ...nets].filter((c): c is Cidr => c !== undefined);
}

/** The lab's subnets for this scenario, or undefined when its own subnets take them all. */
function labSubnets(input: ScenarioInput, clouds: number): { clouds: string[]; control: string; link: string } | undefined {
  const taken = scenarioSubnets(input);
  const free = (c: string): boolean => !taken.some((t) => overlaps(t, cidr(c)));
  const picked: string[] = [];
  for (const c of labPublicSubnets()) {
    if (picked.length === clouds) break;
    if (free(c)) picked.push(c);
  }
  const control = CONTROL_SUBNETS.find(free);
  const link = CONTROLLER_LINKS.find(free);
  return picked.length === clouds && control && link ? { clouds: picked, control, link } : undefined;
}

/**
 * What keeps the lab from building this (schema-valid) scenario on this machine, one
 * sentence each: too many clusters or hosts, two hosts with one container hostname.
 */
export function labTopologyProblems(input: ScenarioInput): string[] {
  const s = applyDefaults(input);
  const problems: string[] = [];
  const kvm = s.clusters.flatMap((c) => c.hosts);
  if (s.clusters.length === 0) problems.push('clusters is empty: the lab builds one cloud per cluster, so give the scenario at least one cluster.');
  if (s.clusters.length > LAB_MAX_CLUSTERS) {
    problems.push(
      `clusters has ${s.clusters.length} clusters but a lab on this machine builds at most ${LAB_MAX_CLUSTERS} (docs/lab.md): try the lab on a copy of the scenario with fewer clusters.`,
    );
  }
  if (kvm.length > LAB_MAX_KVM_HOSTS) {
    problems.push(
      `clusters hold ${kvm.length} KVM hosts but a lab on this machine runs at most ${LAB_MAX_KVM_HOSTS} (docs/lab.md): try the lab on a copy of the scenario with fewer hosts.`,
    );
  }
  const seen = new Map<string, string>();
  for (const name of [s.ingress.name, s.frontend.name, ...kvm.map((h) => h.name)]) {
    const hn = labHostname(name).toLowerCase();
    const other = seen.get(hn);
    if (other !== undefined && other !== name)
      problems.push(
        `Hosts ${other} and ${name} would both be named ${labHostname(name)} inside the lab (container hostnames turn "_" into "-"): rename one of them.`,
      );
    else if (other === undefined) seen.set(hn, name);
  }
  if (s.interconnect.length > 9)
    problems.push(`interconnect has ${s.interconnect.length} gateways but a lab builds at most 9: try the lab on a copy of the scenario with fewer.`);
  if (scenarioSubnets(input).some((c) => overlaps(c, cidr(GATEWAY_SUBNET))) && s.interconnect.length > 0) {
    problems.push(`wireguard.subnet or a network overlaps ${GATEWAY_SUBNET}, where the lab puts the interconnect gateways: choose another private subnet.`);
  }
  if (problems.length === 0 && !labSubnets(input, s.clusters.length)) {
    problems.push(
      `wireguard.subnet and the networks overlap every subnet the lab can use for its clouds, control subnet or controller (${[...CONTROL_SUBNETS, ...CONTROLLER_LINKS].join(', ')}, 203.0.113.0/24, 198.51.100.0/24, 198.18.0.0/15): choose smaller private subnets.`,
    );
  }
  return problems;
}

/**
 * The lab of a scenario (default: the seed's shape), as data: one cloud (bridge and public
 * subnet) per cluster, the ingress in the first cloud and on the control subnet, the
 * frontend on the control subnet only; names from the scenario, addresses from the lab.
 * The scenario must be schema-valid; what the lab cannot build throws UsageError
 * (labTopologyProblems).
 */
export function labTopology(lab = 'lab', input: ScenarioInput = SEED_LAB_SCENARIO): LabTopology {
  const problem = labNameProblem(lab);
  if (problem) throw new Error(problem);
  const problems = labTopologyProblems(input);
  if (problems.length > 0) throw new UsageError(problems.join(' '));
  const s = applyDefaults(input);
  const subnets = labSubnets(input, s.clusters.length)!;
  const machine = (tag: string): string => `ew-${lab}-${tag}`;
  const underlayMtu = input.wireguard?.underlay_mtu;
  const mtu = underlayMtu !== undefined && underlayMtu !== 1500 ? { mtu: underlayMtu } : {};
  const tags = clusterTags(s.clusters.map((c) => c.name));
  const len = (subnet: string): string => subnet.split('/')[1]!;

  const clusters: LabCluster[] = s.clusters.map((c, i) => {
    const subnet = subnets.clouds[i]!;
    const first = Math.max(AT.publicNetwork, AT.firstKvm + c.hosts.length);
    return {
      name: c.name,
      region: c.region,
      bridge: `br-${String.fromCharCode(97 + i)}`,
      subnet,
      publicNetworkIps: c.public_network.ips.map((_, k) => nth(subnet, first + k)),
    };
  });
  const kvm: LabHost[] = s.clusters.flatMap((c, i) =>
    c.hosts.map((h, j): LabHost => {
      const cloud = clusters[i]!;
      const tag = `${tags[i]}${j + 1}`;
      const address = nth(cloud.subnet, AT.firstKvm + j);
      return {
        name: h.name,
        hostname: labHostname(h.name),
        tag,
        machine: machine(tag),
        role: 'kvm',
        cluster: c.name,
        interfaces: [{ name: KVM_PUBLIC_INTERFACE, bridge: cloud.bridge, peer: `${tag}-e0`, address: `${address}/${len(cloud.subnet)}`, ...mtu }],
        gateway: nth(cloud.subnet, AT.gateway),
        sshAddress: address,
        forwarding: false,
      };
    }),
  );
  const home = clusters[0]!;
  const ingressIp = nth(home.subnet, AT.ingress);
  const ingressCtl = nth(subnets.control, AT.controlIngress);
  const frontendIp = nth(subnets.control, AT.frontend);
  const ingress: LabHost = {
    name: s.ingress.name,
    hostname: labHostname(s.ingress.name),
    tag: 'ingr',
    machine: machine('ingr'),
    role: 'ingress',
    interfaces: [
      { name: 'eth0', bridge: home.bridge, peer: 'ingr-e0', address: `${ingressIp}/${len(home.subnet)}`, ...mtu },
      { name: 'eth1', bridge: 'br-ctl', peer: 'ingr-e1', address: `${ingressCtl}/${len(subnets.control)}` },
    ],
    gateway: nth(home.subnet, AT.gateway),
    sshAddress: ingressIp,
    forwarding: true,
  };
  const frontend: LabHost = {
    name: s.frontend.name,
    hostname: labHostname(s.frontend.name),
    tag: 'fe1',
    machine: machine('fe1'),
    role: 'frontend',
    interfaces: [{ name: 'eth0', bridge: 'br-ctl', peer: 'fe1-e0', address: `${frontendIp}/${len(subnets.control)}` }],
    gateway: ingressCtl,
    sshAddress: frontendIp,
    forwarding: false,
  };

  // Each external gateway (interconnect) a container of its own cloud, as its operator runs it (gateway.ts).
  const gateways: LabHost[] = s.interconnect.map((p, i) => ({
    name: p.name,
    hostname: labHostname(p.name),
    tag: `gw${i + 1}`,
    machine: machine(`gw${i + 1}`),
    role: 'gateway',
    interfaces: [{ name: 'eth0', bridge: 'br-gw', peer: `gw${i + 1}-e0`, address: `${nth(GATEWAY_SUBNET, FIRST_GATEWAY + i)}/${len(GATEWAY_SUBNET)}`, ...mtu }],
    gateway: nth(GATEWAY_SUBNET, AT.gateway),
    sshAddress: nth(GATEWAY_SUBNET, FIRST_GATEWAY + i),
    forwarding: false,
  }));

  // The lab's copy of the scenario: names and overlay settings from the source, addresses and access from the lab.
  const carried = structuredClone(Object.fromEntries(Object.entries(input).filter(([k, v]) => !LAB_OWNED.has(k) && v !== undefined))) as ScenarioInput;
  const pinned = (name: string): { wireguard_address?: string } => {
    const h = [input.ingress, ...(input.clusters ?? []).flatMap((c) => c?.hosts ?? [])].find((x) => x?.name === name);
    return h?.wireguard_address === undefined ? {} : { wireguard_address: h.wireguard_address };
  };
  const scenario: ScenarioInput = {
    name: lab,
    // No oned in the lab: the password only has to be valid.
    opennebula: { version: s.opennebula.version, password: 'opennebula' },
    ...(input.datastores ? { datastores: structuredClone(input.datastores) } : {}),
    control_subnet: subnets.control,
    frontend: { name: frontend.name, address: frontendIp, ssh_user: 'root', proxy_jump: 'ingress', oneprovision_key: ONEPROVISION_KEY },
    ingress: {
      name: ingress.name,
      public_ip: ingressIp,
      control_ip: ingressCtl,
      ssh_user: 'root',
      route_reflector: s.ingress.route_reflector,
      ...pinned(ingress.name),
    },
    clusters: s.clusters.map((c, i) => ({
      name: c.name,
      provider: c.provider,
      region: c.region,
      public_network: { name: c.public_network.name, ips: clusters[i]!.publicNetworkIps },
      hosts: kvm
        .filter((h) => h.cluster === c.name)
        .map((h) => ({
          name: h.name,
          public_ip: h.sshAddress,
          ssh_user: 'root',
          aws_reject_rule: true,
          public_interface: KVM_PUBLIC_INTERFACE,
          ...pinned(h.name),
        })),
    })),
    ...carried,
    // The gateways' endpoints are the lab's; their keys are made on them at lab up (lab.ts).
    ...(carried.interconnect ? { interconnect: carried.interconnect.map((p, i) => ({ ...p, endpoint: gateways[i]!.sshAddress })) } : {}),
    // The lab has no route to FRR's repository: one-deploy's own switch keeps it from adding any,
    // and frr.common installs the distribution's FRR (preinstalled in the rootfs).
    ansible: { user: 'root', repos_enabled: [] },
  };

  return {
    lab,
    inetNs: machine('inet'),
    controller: {
      link: `ew-${lab}`,
      address: `${nth(subnets.link, 1)}/${len(subnets.link)}`,
      peer: 'ctl',
      peerAddress: `${nth(subnets.link, 2)}/${len(subnets.link)}`,
      routes: [...clusters.map((c) => c.subnet), ...(gateways.length ? [GATEWAY_SUBNET] : [])],
    },
    bridges: [
      ...clusters.map((c) => ({ name: c.bridge, address: `${nth(c.subnet, AT.gateway)}/${len(c.subnet)}`, subnet: c.subnet })),
      { name: 'br-ctl', subnet: subnets.control },
      ...(gateways.length ? [{ name: 'br-gw', address: `${nth(GATEWAY_SUBNET, AT.gateway)}/${len(GATEWAY_SUBNET)}`, subnet: GATEWAY_SUBNET }] : []),
    ],
    inetRoutes: [{ to: subnets.control, via: ingressIp }],
    controlSubnet: subnets.control,
    hosts: [ingress, frontend, ...kvm, ...gateways],
    clusters,
    oneprovisionKey: ONEPROVISION_KEY,
    kvmPublicInterface: KVM_PUBLIC_INTERFACE,
    scenario,
  };
}

export function hostByName(t: LabTopology, name: string): LabHost {
  const h = t.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`No lab host named ${name}`);
  return h;
}

export function hostsByRole(t: LabTopology, role: LabRole): LabHost[] {
  return t.hosts.filter((h) => h.role === role);
}

/** Every network namespace name the lab may create (internet + one per host). */
export function namespaceNames(t: LabTopology): string[] {
  return [t.inetNs, ...t.hosts.map((h) => h.machine)];
}
