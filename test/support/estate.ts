/**
 * What oneprovision (OpenNebula 6.8, AWS metal edge cluster) leaves in oned, as data, so the
 * real-oned harness (test/support/oned.ts) and the stand-in (test/support/fake-oned.ts) lay out
 * the same estate. Read from OpenNebula/one one-6.8:
 *   - share/oneprovision/edge-clusters/metal/provisions/aws.yml: a cluster named after the
 *     provision, holding the default datastores 1 and 2 (`cluster.datastores: [1, 2]`);
 *   - aws.d/datastores.yml: `${provision}-image` (IMAGE_DS, DS_MAD fs, TM_MAD ssh) and
 *     `${provision}-system` (SYSTEM_DS, TM_MAD ssh, REPLICA_HOST = the first host);
 *   - aws.d/networks.yml: `${provision}-public`, VN_MAD elastic, BRIDGE br0, one AR of SIZE 1 per
 *     public IP; the AR the aws IPAM driver registers
 *     (src/ipamm_mad/remotes/aws/register_address_range) has IP = the VPC address
 *     ((EIP & 0xFFFF) | 10.0.0.0/16), EXTERNAL_IP = the Elastic IP, GATEWAY = IP ^ 1,
 *     NETWORK_MASK 255.255.255.254, AWS_ALLOCATION_ID, PROVISION_ID;
 *   - src/oneprovision/lib/provision/provision.rb create_resources and provision_config.rb
 *     parse: every host, datastore and network carries PROVISION = [ ID = <provision ID>, ... ]
 *     with `defaults.provision` merged in (PROVIDER_NAME = "aws" for hosts).
 * Hosts are named by their public IP. Here they use IM_MAD/VM_MAD "dummy" (oneprovision sets
 * kvm), so nothing ever connects to them; the harness's addresses come from the documentation
 * ranges (203.0.113.0/24, 198.51.100.0/24, 198.18.0.0/15).
 */

export interface ProvisionSpec {
  /** oneprovision's document ID (TEMPLATE/PROVISION/ID on every object). */
  id: number;
  /** The provision's name: cluster NAME, NAME-image, NAME-system, NAME-public. */
  name: string;
  provider: string;
  /** Host names: their public IPs. */
  hosts: string[];
  /** The Elastic IPs of the public network, one AR each. */
  elastic: string[];
}

/** The VPC address the aws IPAM driver pairs with an Elastic IP: (EIP & 0xFFFF) | 10.0.0.0/16. */
export function vpcAddress(eip: string): string {
  const [, , c, d] = eip.split('.');
  return `10.0.${c}.${d}`;
}
export function vpcGateway(eip: string): string {
  const ip = vpcAddress(eip).split('.').map(Number);
  ip[3] = ip[3]! ^ 1;
  return ip.join('.');
}

export function provisionAttr(p: ProvisionSpec, host = false): string {
  return host
    ? `PROVISION = [ ID = "${p.id}", PROVIDER_NAME = "${p.provider}", AMI = "ami-0123456789abcdef0", INSTANCETYPE = "c5.metal", DEPLOY_ID = "i-0${p.id}0000000000000", HOSTNAME = "ip-10-0-0-${p.id}" ]`
    : `PROVISION = [ ID = "${p.id}", PROVIDER_NAME = "${p.provider}" ]`;
}

export function publicNetworkTemplate(p: ProvisionSpec): string {
  const ars = p.elastic.map(
    (eip, i) =>
      `AR = [ TYPE = "IP4", IP = "${vpcAddress(eip)}", EXTERNAL_IP = "${eip}", SIZE = "1", GATEWAY = "${vpcGateway(eip)}", NETWORK_MASK = "255.255.255.254", AWS_ALLOCATION_ID = "eipalloc-0${p.id}${i}", PROVISION_ID = "${p.id}" ]`,
  );
  return [`NAME = "${p.name}-public"`, 'VN_MAD = "elastic"', 'BRIDGE = "br0"', 'NETROLE = "public"', 'DNS = "1.1.1.1"', provisionAttr(p), ...ars].join('\n');
}

export function imageDatastoreTemplate(p: ProvisionSpec): string {
  return [`NAME = "${p.name}-image"`, 'TYPE = "IMAGE_DS"', 'DS_MAD = "fs"', 'TM_MAD = "ssh"', 'SAFE_DIRS = "/var/tmp /tmp"', provisionAttr(p)].join('\n');
}
export function systemDatastoreTemplate(p: ProvisionSpec): string {
  return [`NAME = "${p.name}-system"`, 'TYPE = "SYSTEM_DS"', 'TM_MAD = "ssh"', 'SAFE_DIRS = "/var/tmp /tmp"', `REPLICA_HOST = "${p.hosts[0]}"`, provisionAttr(p)].join('\n');
}

/**
 * The seed's two provisions plus one that is not in the scenario (tokyo), provisioned in this
 * order (london first), so "newest first" and "oldest first" pool orders differ.
 */
export function seedProvisions(hosts: { london: string; ncalifornia: string } = { london: '18.134.246.200', ncalifornia: '18.144.25.41' }): ProvisionSpec[] {
  return [
    { id: 3, name: 'london', provider: 'aws', hosts: [hosts.london], elastic: ['203.0.113.10', '203.0.113.11'] },
    { id: 4, name: 'ncalifornia', provider: 'aws', hosts: [hosts.ncalifornia], elastic: ['198.51.100.10'] },
    { id: 5, name: 'tokyo', provider: 'aws', hosts: ['198.18.7.7'], elastic: ['198.51.100.77'] },
  ];
}

/** Host public IPs the real-oned tests use (198.18.0.0/15, benchmarking range). */
export const LAB_HOSTS = { london: '198.18.0.10', ncalifornia: '198.18.0.20' };

/** The marketplace app "Service Virtual Router" as the OpenNebula Public marketplace lists it (VMTEMPLATE64 has VROUTER=YES and a OneGate TOKEN). */
export const VR_APP = {
  name: 'Service Virtual Router',
  appTemplate: 'DEV_PREFIX = "vd"\nDRIVER = "qcow2"\nTYPE = "OS"\n',
  vmTemplate: [
    'CONTEXT = [ NETWORK = "YES", SSH_PUBLIC_KEY = "$USER[SSH_PUBLIC_KEY]", TOKEN = "YES", REPORT_READY = "YES",',
    '  ONEAPP_VNF_ROUTER4_ENABLED = "$ONEAPP_VNF_ROUTER4_ENABLED", ONEAPP_VNF_SDNAT4_ENABLED = "$ONEAPP_VNF_SDNAT4_ENABLED",',
    '  ONEAPP_VNF_SDNAT4_INTERFACES = "$ONEAPP_VNF_SDNAT4_INTERFACES" ]',
    'CPU = "1"',
    'MEMORY = "512"',
    'OS = [ ARCH = "x86_64" ]',
    'VROUTER = "YES"',
    'INPUTS_ORDER = "ONEAPP_VNF_ROUTER4_ENABLED,ONEAPP_VNF_SDNAT4_ENABLED,ONEAPP_VNF_SDNAT4_INTERFACES"',
    'USER_INPUTS = [ ONEAPP_VNF_ROUTER4_ENABLED = "O|boolean|Enable IPv4 router| |NO", ONEAPP_VNF_SDNAT4_ENABLED = "O|boolean|Enable SNAT/DNAT| |NO", ONEAPP_VNF_SDNAT4_INTERFACES = "O|text|Interfaces| |" ]',
    '',
  ].join('\n'),
};
