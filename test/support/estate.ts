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
 *   - src/oneprovision/lib/provision/provision.rb and provision_config.rb: every host, datastore
 *     and network carries TEMPLATE/PROVISION, shaped per kind (provisionAttr below);
 *   - oned's own ID sequences: clusters and datastores start at 100 (0-2 are bootstrapped).
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

/**
 * TEMPLATE/PROVISION as oneprovision 6.8 writes it on each kind of object (release-6.8.0):
 *   - host (provision.rb create_hosts:887-927, host.rb create_deployment_file:60-66): the merged
 *     `provision` section, i.e. aws.yml `defaults.provision` (PROVIDER_NAME, AMI, ROOT_SIZE,
 *     INSTANCETYPE, CLOUD_INIT; inputs.yml defaults 'default', '512', 'c5.metal') and hosts.yml's
 *     own (COUNT, HOSTNAME "edge-host${index}"), then INDEX, COUNT, ID and ANSIBLE_PLAYBOOK
 *     (aws.yml `ansible.playbook: [aws]`); DEPLOY_ID is added once Terraform made the instance
 *     (provision.rb update_hosts:1019-1021), when the host is renamed to its public IP;
 *   - datastore: PROVISION = [ ID ] only, and network PROVISION = [ COUNT, ID ]: provision_config.rb
 *     parse:96-98 reassigns the local `defaults` inside the hosts loop (to `defaults.configuration`),
 *     so `defaults.provision` is never merged into datastores and networks (:119-127); create_resources
 *     (provision.rb:801-802) adds the ID; networks.yml gives the public network `provision.count`.
 */
export function provisionAttr(p: ProvisionSpec, kind: 'host' | 'datastore' | 'network' = 'datastore', index = 0): string {
  if (kind === 'datastore') return `PROVISION = [ ID = "${p.id}" ]`;
  if (kind === 'network') return `PROVISION = [ COUNT = "${p.elastic.length}", ID = "${p.id}" ]`;
  return `PROVISION = [ PROVIDER_NAME = "${p.provider}", AMI = "default", ROOT_SIZE = "512", INSTANCETYPE = "c5.metal", CLOUD_INIT = "true", COUNT = "${p.hosts.length}", HOSTNAME = "edge-host${index}", INDEX = "${index}", ID = "${p.id}", ANSIBLE_PLAYBOOK = "aws", DEPLOY_ID = "i-0${p.id}${index}000000000000" ]`;
}

export function publicNetworkTemplate(p: ProvisionSpec): string {
  const ars = p.elastic.map(
    (eip, i) =>
      `AR = [ TYPE = "IP4", IP = "${vpcAddress(eip)}", EXTERNAL_IP = "${eip}", SIZE = "1", GATEWAY = "${vpcGateway(eip)}", NETWORK_MASK = "255.255.255.254", AWS_ALLOCATION_ID = "eipalloc-0${p.id}${i}", PROVISION_ID = "${p.id}" ]`,
  );
  return [
    `NAME = "${p.name}-public"`,
    'VN_MAD = "elastic"',
    'BRIDGE = "br0"',
    'NETROLE = "public"',
    'DNS = "1.1.1.1"',
    provisionAttr(p, 'network'),
    ...ars,
  ].join('\n');
}

export function imageDatastoreTemplate(p: ProvisionSpec): string {
  return [`NAME = "${p.name}-image"`, 'TYPE = "IMAGE_DS"', 'DS_MAD = "fs"', 'TM_MAD = "ssh"', 'SAFE_DIRS = "/var/tmp /tmp"', provisionAttr(p)].join('\n');
}
export function systemDatastoreTemplate(p: ProvisionSpec): string {
  return [
    `NAME = "${p.name}-system"`,
    'TYPE = "SYSTEM_DS"',
    'TM_MAD = "ssh"',
    'SAFE_DIRS = "/var/tmp /tmp"',
    `REPLICA_HOST = "${p.hosts[0]}"`,
    provisionAttr(p),
  ].join('\n');
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

/**
 * The VR appliance's `opennebula_template` as the OpenNebula Public marketplace served it for
 * "Service Virtual Router" 6.8.1-1-20240131 (OpenNebula/marketplace, commit 4934022 "Update for
 * one-apps 6.8.1", appliances/service/cc96d537-f6c7-499f-83f1-15ac4058750e.yaml). Note
 * ONEAPP_VNF_ROUTER4_ENABLED hard-coded "YES", TOKEN "YES", no REPORT_READY.
 */
const VR_OPENNEBULA_TEMPLATE: Record<string, string | Record<string, string>> = {
  context: {
    network: 'YES',
    oneapp_vnf_dhcp4_enabled: '$ONEAPP_VNF_DHCP4_ENABLED',
    oneapp_vnf_dhcp4_interfaces: '$ONEAPP_VNF_DHCP4_INTERFACES',
    oneapp_vnf_dhcp4_lease_time: '$ONEAPP_VNF_DHCP4_LEASE_TIME',
    oneapp_vnf_dns_enabled: '$ONEAPP_VNF_DNS_ENABLED',
    oneapp_vnf_dns_interfaces: '$ONEAPP_VNF_DNS_INTERFACES',
    oneapp_vnf_dns_max_cache_ttl: '$ONEAPP_VNF_DNS_MAX_CACHE_TTL',
    oneapp_vnf_dns_use_rootservers: '$ONEAPP_VNF_DNS_USE_ROOTSERVERS',
    oneapp_vnf_haproxy_enabled: '$ONEAPP_VNF_HAPROXY_ENABLED',
    oneapp_vnf_haproxy_interfaces: '$ONEAPP_VNF_HAPROXY_INTERFACES',
    oneapp_vnf_lb_enabled: '$ONEAPP_VNF_LB_ENABLED',
    oneapp_vnf_lb_interfaces: '$ONEAPP_VNF_LB_INTERFACES',
    oneapp_vnf_nat4_enabled: '$ONEAPP_VNF_NAT4_ENABLED',
    oneapp_vnf_nat4_interfaces_out: '$ONEAPP_VNF_NAT4_INTERFACES_OUT',
    oneapp_vnf_router4_enabled: 'YES',
    oneapp_vnf_sdnat4_enabled: '$ONEAPP_VNF_SDNAT4_ENABLED',
    oneapp_vnf_sdnat4_interfaces: '$ONEAPP_VNF_SDNAT4_INTERFACES',
    oneapp_vnf_sdnat4_onegate_enabled: 'YES',
    ssh_public_key: '$USER[SSH_PUBLIC_KEY]',
    token: 'YES',
  },
  cpu: '1',
  graphics: { listen: '0.0.0.0', type: 'vnc' },
  inputs_order:
    'ONEAPP_VNF_DHCP4_ENABLED,ONEAPP_VNF_DHCP4_INTERFACES,ONEAPP_VNF_DHCP4_LEASE_TIME,ONEAPP_VNF_DNS_ENABLED,ONEAPP_VNF_DNS_INTERFACES,ONEAPP_VNF_DNS_MAX_CACHE_TTL,ONEAPP_VNF_DNS_USE_ROOTSERVERS,ONEAPP_VNF_HAPROXY_ENABLED,ONEAPP_VNF_HAPROXY_INTERFACES,ONEAPP_VNF_LB_ENABLED,ONEAPP_VNF_LB_INTERFACES,ONEAPP_VNF_NAT4_ENABLED,ONEAPP_VNF_NAT4_INTERFACES_OUT,ONEAPP_VNF_SDNAT4_ENABLED,ONEAPP_VNF_SDNAT4_INTERFACES',
  memory: '512',
  nic_default: { model: 'virtio' },
  lxd_security_privileged: 'true',
  os: { arch: 'x86_64' },
  user_inputs: {
    oneapp_vnf_dhcp4_enabled: 'O|boolean|Enable DHCPv4| |NO',
    oneapp_vnf_dhcp4_interfaces: 'O|text|DHCP4 - Listening Interfaces',
    oneapp_vnf_dhcp4_lease_time: 'O|number|DHCP4 - Lease Time [sec]| |3600',
    oneapp_vnf_dns_enabled: 'O|boolean|Enable DNS Server| |NO',
    oneapp_vnf_dns_interfaces: 'O|text|DNS - Listening Interfaces',
    oneapp_vnf_dns_max_cache_ttl: 'O|number|DNS - Maximum Caching Time [sec]| |3600',
    oneapp_vnf_dns_use_rootservers: 'O|boolean|DNS - Use Rootservers| |YES',
    oneapp_vnf_haproxy_enabled: 'O|boolean|Enable HAProxy| |NO',
    oneapp_vnf_haproxy_interfaces: 'O|text|HAProxy - Interfaces',
    oneapp_vnf_lb_enabled: 'O|boolean|Enable LoadBalancer| |NO',
    oneapp_vnf_lb_interfaces: 'O|text|LoadBalancer - Interfaces',
    oneapp_vnf_nat4_enabled: 'O|boolean|Enable NAT| |NO',
    oneapp_vnf_nat4_interfaces_out: 'O|text|NAT - Outgoing Interfaces',
    oneapp_vnf_sdnat4_enabled: 'O|boolean|Enable SDNAT| |NO',
    oneapp_vnf_sdnat4_interfaces: 'O|text|SDNAT - Mapped Interfaces',
  },
  vrouter: 'YES',
};

/** The market driver's rendering of a template hash (src/market_mad/remotes/one/monitor template_to_str:225-244, release-6.8.0). */
export function marketTemplateToStr(t: Record<string, string | Record<string, string>>): string {
  return Object.entries(t)
    .map(([k, v]) =>
      typeof v === 'string'
        ? `${k.toUpperCase()} = "${v}"`
        : `${k.toUpperCase()} = [ ${Object.entries(v)
            .map(([ik, iv]) => `${ik.toUpperCase()}  ="${iv}"`)
            .join(',')}]\n`,
    )
    .join('\n');
}

/**
 * The marketplace app "Service Virtual Router" as the OpenNebula Public marketplace lists it in 6.8
 * (src/market_mad/remotes/one/monitor render_image:83-111): APPTEMPLATE64 holds only DEV_PREFIX and
 * TYPE, each `NAME="value"` on its line; VMTEMPLATE64 the appliance's template (VROUTER="YES", CONTEXT
 * TOKEN="YES"); SIZE 2048 MB (2147483648 bytes, rounded up).
 */
export const VR_APP = {
  name: 'Service Virtual Router',
  version: '6.8.1-1-20240131',
  sizeMb: 2048,
  appTemplate: 'DEV_PREFIX="vd"\nTYPE="OS"\n',
  vmTemplate: marketTemplateToStr(VR_OPENNEBULA_TEMPLATE),
};
