/**
 * The lab's topology as pure data: namespaces, bridges, hosts, interfaces and
 * addresses. Nothing here touches the machine; netns.ts and hosts.ts apply it.
 *
 *   root namespace (Ansible controller)
 *     └─ veth ew-<lab> 10.255.0.1/30 ──── ctl 10.255.0.2/30 ─┐
 *   namespace ew-<lab>-inet ("the internet", ip_forward on, no default route)
 *     ├─ br-a  203.0.113.1/24   cloud A: ingress eth0, london KVM hosts
 *     ├─ br-b  198.51.100.1/24  cloud B: ncalifornia KVM hosts
 *     └─ br-ctl (no address)    control subnet 10.0.1.0/24: ingress eth1, frontend
 *
 * The controller routes only the two cloud subnets into the lab. The frontend
 * is reached by ProxyJump through the ingress; the ingress forwards between
 * the control subnet and cloud A so the frontend can reach the KVM hosts, and
 * the internet namespace routes 10.0.1.0/24 back via the ingress.
 */

export type LabRole = 'ingress' | 'frontend' | 'kvm';

export interface LabInterface {
  /** Name inside the host (e.g. eth0, enp125s0). */
  name: string;
  /** Bridge in the internet namespace this interface is plugged into. */
  bridge: string;
  /** Name of the veth end left in the internet namespace (max 15 chars). */
  peer: string;
  /** Address with prefix, e.g. 203.0.113.10/24. */
  address: string;
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

/** The topology of the seed's practical scenario, doubled to two KVM hosts per cluster. */
export function labTopology(lab = 'lab'): LabTopology {
  const problem = labNameProblem(lab);
  if (problem) throw new Error(problem);
  const machine = (tag: string): string => `ew-${lab}-${tag}`;
  const pubif = 'enp125s0';
  const kvm = (name: string, tag: string, cluster: string, bridge: string, address: string, gateway: string): LabHost => ({
    name,
    hostname: name.replace(/_/g, '-'),
    tag,
    machine: machine(tag),
    role: 'kvm',
    cluster,
    interfaces: [{ name: pubif, bridge, peer: `${tag}-e0`, address }],
    gateway,
    sshAddress: address.split('/')[0]!,
    forwarding: false,
  });
  return {
    lab,
    inetNs: machine('inet'),
    controller: {
      link: `ew-${lab}`,
      address: '10.255.0.1/30',
      peer: 'ctl',
      peerAddress: '10.255.0.2/30',
      routes: ['203.0.113.0/24', '198.51.100.0/24'],
    },
    bridges: [
      { name: 'br-a', address: '203.0.113.1/24', subnet: '203.0.113.0/24' },
      { name: 'br-b', address: '198.51.100.1/24', subnet: '198.51.100.0/24' },
      { name: 'br-ctl', subnet: '10.0.1.0/24' },
    ],
    inetRoutes: [{ to: '10.0.1.0/24', via: '203.0.113.10' }],
    controlSubnet: '10.0.1.0/24',
    hosts: [
      {
        name: 'ingress',
        hostname: 'ingress',
        tag: 'ingr',
        machine: machine('ingr'),
        role: 'ingress',
        interfaces: [
          { name: 'eth0', bridge: 'br-a', peer: 'ingr-e0', address: '203.0.113.10/24' },
          { name: 'eth1', bridge: 'br-ctl', peer: 'ingr-e1', address: '10.0.1.1/24' },
        ],
        gateway: '203.0.113.1',
        sshAddress: '203.0.113.10',
        forwarding: true,
      },
      {
        name: 'fe1',
        hostname: 'fe1',
        tag: 'fe1',
        machine: machine('fe1'),
        role: 'frontend',
        interfaces: [{ name: 'eth0', bridge: 'br-ctl', peer: 'fe1-e0', address: '10.0.1.87/24' }],
        gateway: '10.0.1.1',
        sshAddress: '10.0.1.87',
        forwarding: false,
      },
      kvm('kvm_london1', 'lon1', 'london', 'br-a', '203.0.113.21/24', '203.0.113.1'),
      kvm('kvm_london2', 'lon2', 'london', 'br-a', '203.0.113.22/24', '203.0.113.1'),
      kvm('kvm_ncalifornia1', 'nca1', 'ncalifornia', 'br-b', '198.51.100.21/24', '198.51.100.1'),
      kvm('kvm_ncalifornia2', 'nca2', 'ncalifornia', 'br-b', '198.51.100.22/24', '198.51.100.1'),
    ],
    clusters: [
      { name: 'london', region: 'eu-west-2', subnet: '203.0.113.0/24', publicNetworkIps: ['203.0.113.30', '203.0.113.31'] },
      { name: 'ncalifornia', region: 'us-west-1', subnet: '198.51.100.0/24', publicNetworkIps: ['198.51.100.30', '198.51.100.31'] },
    ],
    oneprovisionKey: '/var/lib/one/.ssh-oneprovision/id_rsa',
    kvmPublicInterface: pubif,
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
