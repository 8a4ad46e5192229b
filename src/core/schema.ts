/**
 * The JSON Schema of `edge-wizard.yaml`. One schema feeds validation (ajv),
 * prompt defaults and enum choices, and editors (schema/edge-wizard.schema.json
 * is written from this object by `npm run schema` and checked by a test).
 *
 * Defaults here document the values of core/defaults.ts; defaults.ts is what applies them.
 */

import { ONE_DEPLOY_REPOS } from './scenario.js';

/** Ansible inventory host names (also host_vars file names and DNS labels): at most 63 characters. */
const name = { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]*$', maxLength: 63 } as const;
/** Linux interface names: 1 to 15 characters, not "." or "..". */
const ifname = (extra: string) => ({ type: 'string', pattern: `^(?!\\.\\.?$)[A-Za-z0-9_.${extra}-]{1,15}$` }) as const;
const ipv4 = { type: 'string', format: 'ipv4' } as const;
const ip = { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const cidr = { type: 'string', pattern: '^[0-9.]+/[0-9]{1,2}$' } as const;

const secret = {
  description: 'Plain text, { env: VAR } (read at run time), or { vault: "$ANSIBLE_VAULT;..." }.',
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', additionalProperties: false, required: ['env'], properties: { env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } } },
    { type: 'object', additionalProperties: false, required: ['vault'], properties: { vault: { type: 'string', pattern: '^\\$ANSIBLE_VAULT;' } } },
  ],
} as const;

export const PROVIDERS = ['aws', 'equinix', 'vultr', 'onprem', 'other'] as const;
export const DATASTORE_MODES = ['ssh', 'shared', 'ceph'] as const;

export const scenarioSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'edge-wizard.schema.json',
  title: 'edge-wizard scenario',
  description: 'Edge clusters joined by a WireGuard mesh and BGP EVPN (one-deploy frr roles).',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'ingress', 'clusters'],
  properties: {
    name: { ...name, description: 'Scenario name; the output goes to inventories/<name>/.' },
    opennebula: {
      type: 'object',
      additionalProperties: false,
      properties: {
        version: { type: 'string', pattern: '^[0-9]+\\.[0-9]+$', default: '6.8', description: 'one_version' },
        password: { ...secret, description: 'oneadmin password (one_pass). ' + secret.description },
      },
    },
    datastores: {
      type: 'object',
      additionalProperties: false,
      properties: { mode: { type: 'string', enum: [...DATASTORE_MODES], default: 'ssh' } },
    },
    control_subnet: { ...cidr, default: '10.0.1.0/24', description: 'Subnet of the control plane (frontend, ingress private side).' },
    frontend: {
      type: 'object',
      additionalProperties: false,
      required: ['address'],
      properties: {
        name: { ...name, default: 'fe1' },
        address: ip,
        ssh_user: { type: 'string', default: 'root' },
        ssh_port: { ...port, default: 22 },
        proxy_jump: { type: 'string', default: 'ingress', description: '"ingress", "none", or a ProxyJump spec user@host[:port].' },
        oneprovision_key: { type: 'string', default: '/var/lib/one/.ssh-oneprovision/id_rsa' },
        xmlrpc_port: { ...port, default: 2633 },
      },
    },
    ingress: {
      type: 'object',
      additionalProperties: false,
      required: ['public_ip'],
      properties: {
        name: { ...name, default: 'ingress' },
        public_ip: ip,
        control_ip: ip,
        ssh_user: { type: 'string', default: 'root' },
        ssh_port: { ...port, default: 22 },
        route_reflector: { type: 'boolean', default: true },
        wireguard_address: ipv4,
      },
    },
    clusters: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'hosts'],
        properties: {
          name,
          provider: { type: 'string', enum: [...PROVIDERS], default: 'aws' },
          region: { type: 'string', default: '' },
          public_network: {
            type: 'object',
            additionalProperties: false,
            properties: {
              name: { type: 'string', minLength: 1 },
              ips: { type: 'array', items: ip, default: [] },
            },
          },
          hosts: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'public_ip'],
              properties: {
                name,
                public_ip: ip,
                ssh_user: { type: 'string', default: 'root' },
                ssh_port: { ...port, default: 22 },
                aws_reject_rule: { type: 'boolean', description: 'Default: true when the provider is aws.' },
                public_interface: { ...ifname('@'), default: 'eth0' },
                wireguard_address: ipv4,
              },
            },
          },
        },
      },
    },
    wireguard: {
      type: 'object',
      additionalProperties: false,
      properties: {
        interface: { ...ifname(''), default: 'wg0' },
        subnet: { ...cidr, default: '192.168.0.0/24' },
        port: { ...port, default: 51820 },
        mtu: { type: 'integer', minimum: 576, maximum: 9000, default: 1420 },
        keepalive: { type: 'integer', minimum: 0, maximum: 65535, default: 25 },
        underlay_mtu: { type: 'integer', minimum: 576, maximum: 9216, default: 1500 },
      },
    },
    evpn: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', default: 'private_evpn-vxlan' },
        network_address: { ...ipv4, default: '172.17.2.0' },
        network_mask: { ...ipv4, default: '255.255.255.0' },
        ar_start: { ...ipv4, default: '172.17.2.1' },
        ar_size: { type: 'integer', minimum: 1, default: 20 },
        gateway: { ...ipv4, default: '172.17.2.1' },
        dns: { ...ipv4, default: '1.1.1.1' },
        as: { type: 'integer', minimum: 1, maximum: 4294967295, default: 65000 },
        guest_mtu: { type: 'integer', minimum: 576, maximum: 9000, description: 'Default: wireguard.mtu - 50 (VXLAN overhead).' },
      },
    },
    bgp: {
      type: 'object',
      additionalProperties: false,
      description: "BGP EVPN control plane, layered on one-deploy's FRR config (roles/frr_layer).",
      properties: {
        reflectors: {
          type: 'array',
          items: name,
          minItems: 1,
          uniqueItems: true,
          description: 'Hosts that reflect EVPN routes (default: the ingress and the first KVM host of each cluster; [ingress] for one reflector).',
        },
        connect_retry: { type: 'integer', minimum: 1, maximum: 65535, default: 1, description: 'Seconds between BGP connection attempts (FRR timers connect).' },
        listen_limit: { type: 'integer', minimum: 1, maximum: 65535, description: 'bgp listen limit on each reflector (default: 100, or the number of mesh hosts when larger).' },
        bfd: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean', default: true },
            detect_multiplier: { type: 'integer', minimum: 2, maximum: 255, default: 3 },
            receive_interval: { type: 'integer', minimum: 10, maximum: 60000, default: 300, description: 'Milliseconds.' },
            transmit_interval: { type: 'integer', minimum: 10, maximum: 60000, default: 300, description: 'Milliseconds.' },
          },
        },
      },
    },
    virtual_router: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', default: true },
        sdnat: { type: 'boolean', default: true },
        cluster: { ...name, description: 'Cluster whose public network gives eth0 (default: the first).' },
      },
    },
    ansible: {
      type: 'object',
      additionalProperties: false,
      properties: {
        user: { type: 'string', default: 'root' },
        ensure_keys_for: { type: 'array', items: { type: 'string' }, default: ['root'] },
        repos_enabled: {
          type: 'array',
          items: { enum: ONE_DEPLOY_REPOS },
          uniqueItems: true,
          description:
            "one-deploy's repos_enabled: the package repositories one-deploy may add. Leave unset for one-deploy's pinned FRR (10.5) from FRR's repository; [] on hosts that must use the distribution's FRR.",
        },
        frr_repo: { type: 'string', deprecated: true, description: 'Retired: write repos_enabled: [] instead (read as that, with a warning).' },
        ssh_common_args: { type: 'string' },
      },
    },
    evpn_cluster_id: { ...ipv4, description: 'BGP cluster-id of the route reflector (default: the frontend address).' },
  },
} as const;
