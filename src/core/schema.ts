/**
 * The JSON Schema of `edge-wizard.yaml`. One schema feeds validation (ajv),
 * prompt defaults and enum choices, and editors (schema/edge-wizard.schema.json
 * is written from this object by `npm run schema` and checked by a test).
 *
 * Defaults here document the values of core/defaults.ts; defaults.ts is what applies them.
 *
 * The scenario's TypeScript types are generated from this object (src/core/scenario.generated.ts,
 * by scripts/write-schema.mjs; lint fails when it is stale). `ts({...})` notes what only the
 * types need, under a symbol key that JSON, ajv and editors never see: a type `name`, a field
 * left `optional` after defaults (every other field is set by core/defaults.ts), a field of the
 * file only (`inputOnly`, the older `evpn` block).
 */

import { INTERCONNECT_JOINS, INTERCONNECT_MODES, ONE_DEPLOY_REPOS, PROVIDERS } from './scenario.js';
import { TOPOLOGY_DESCRIPTION, TOPOLOGY_NAMES } from './wireguard/topologies/index.js';

/** The key of the TypeScript notes (scripts/write-schema.mjs reads them). */
export const TS = Symbol('typescript');
interface TsNote {
  name?: string;
  optional?: true;
  inputOnly?: true;
}
const ts = (note: TsNote) => ({ [TS]: note });

/** Ansible inventory host names (also host_vars file names and DNS labels): at most 63 characters. */
const name = { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]*$', maxLength: 63 } as const;
/** Linux interface names: 1 to 15 characters, not "." or "..". */
const ifname = (extra: string) => ({ type: 'string', pattern: `^(?!\\.\\.?$)[A-Za-z0-9_.${extra}-]{1,15}$` }) as const;
const ipv4 = { type: 'string', format: 'ipv4' } as const;
const ip = { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const cidr = { type: 'string', pattern: '^[0-9.]+/[0-9]{1,2}$' } as const;
/** A POSIX user name as useradd takes it (ssh's -l, Ansible's ansible_user): never an option, a space or a template. */
const user = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,31}$' } as const;

const secret = {
  ...ts({ name: 'Secret' }),
  description: 'Plain text, { env: VAR } (read at run time), or { vault: "$ANSIBLE_VAULT;..." }.',
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', additionalProperties: false, required: ['env'], properties: { env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } } },
    { type: 'object', additionalProperties: false, required: ['vault'], properties: { vault: { type: 'string', pattern: '^\\$ANSIBLE_VAULT;' } } },
  ],
} as const;

export const DATASTORE_MODES = ['ssh', 'shared', 'ceph'] as const;

/** A BGP AS number (FRR: 1-4294967295). */
const asNumber = { type: 'integer', minimum: 1, maximum: 4294967295 } as const;

/** A BFD profile's timers in FRR's ranges (bgp.bfd and each interconnect peer's bfd). */
const bfdTimers = (detectMultiplier: number) =>
  ({
    detect_multiplier: { type: 'integer', minimum: 2, maximum: 255, default: detectMultiplier },
    receive_interval: { type: 'integer', minimum: 10, maximum: 60000, default: 300, description: 'Milliseconds.' },
    transmit_interval: { type: 'integer', minimum: 10, maximum: 60000, default: 300, description: 'Milliseconds.' },
  }) as const;

/** The fields of one EVPN network (`networks[]`, and the older `evpn` block). */
const networkProperties = {
  name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', default: 'private_evpn-vxlan' },
  network_address: { ...ipv4, default: '172.17.2.0' },
  network_mask: { ...ipv4, default: '255.255.255.0' },
  ar_start: { ...ipv4, default: '172.17.2.1' },
  ar_size: { type: 'integer', minimum: 1, default: 20 },
  gateway: { ...ipv4, default: '172.17.2.1' },
  dns: { ...ipv4, default: '1.1.1.1' },
  guest_mtu: { type: 'integer', minimum: 576, maximum: 9000, description: 'Default: wireguard.mtu - 50 (VXLAN overhead).' },
  vni: {
    type: 'integer',
    minimum: 1,
    maximum: 16777215,
    description: "Fixed VNI (OpenNebula's VLAN_ID); default: automatic (AUTOMATIC_VLAN_ID).",
    ...ts({ optional: true }),
  },
} as const;

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
      ...ts({ name: 'Frontend' }),
      type: 'object',
      additionalProperties: false,
      required: ['address'],
      properties: {
        name: { ...name, default: 'fe1' },
        address: ip,
        ssh_user: { ...user, default: 'root' },
        ssh_port: { ...port, default: 22 },
        proxy_jump: { type: 'string', default: 'ingress', description: '"ingress", "none", or a ProxyJump spec user@host[:port].' },
        oneprovision_key: { type: 'string', default: '/var/lib/one/.ssh-oneprovision/id_rsa' },
        xmlrpc_port: { ...port, default: 2633 },
      },
    },
    ingress: {
      ...ts({ name: 'Ingress' }),
      type: 'object',
      additionalProperties: false,
      required: ['public_ip'],
      properties: {
        name: { ...name, default: 'ingress' },
        public_ip: ip,
        control_ip: { ...ip, ...ts({ optional: true }) },
        ssh_user: { ...user, default: 'root' },
        ssh_port: { ...port, default: 22 },
        route_reflector: { type: 'boolean', default: true },
        wireguard_address: { ...ipv4, ...ts({ optional: true }) },
      },
    },
    clusters: {
      type: 'array',
      items: {
        ...ts({ name: 'EdgeCluster' }),
        type: 'object',
        additionalProperties: false,
        required: ['name', 'hosts'],
        properties: {
          name,
          provider: { ...ts({ name: 'Provider' }), type: 'string', enum: [...PROVIDERS], default: 'aws' },
          region: { type: 'string', default: '' },
          public_network: {
            ...ts({ name: 'PublicNetwork' }),
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
              ...ts({ name: 'KvmHost' }),
              type: 'object',
              additionalProperties: false,
              required: ['name', 'public_ip'],
              properties: {
                name,
                public_ip: ip,
                ssh_user: { ...user, default: 'root' },
                ssh_port: { ...port, default: 22 },
                aws_reject_rule: { type: 'boolean', description: 'Default: true when the provider is aws.' },
                public_interface: { ...ifname('@'), default: 'eth0' },
                wireguard_address: { ...ipv4, ...ts({ optional: true }) },
              },
            },
          },
        },
      },
    },
    wireguard: {
      ...ts({ name: 'WireGuard' }),
      type: 'object',
      additionalProperties: false,
      properties: {
        interface: { ...ifname(''), default: 'wg0' },
        subnet: { ...cidr, default: '192.168.0.0/24' },
        port: { ...port, default: 51820 },
        mtu: { type: 'integer', minimum: 576, maximum: 9000, default: 1420 },
        keepalive: { type: 'integer', minimum: 0, maximum: 65535, default: 25 },
        underlay_mtu: { type: 'integer', minimum: 576, maximum: 9216, default: 1500 },
        topology: {
          ...ts({ name: 'WireguardTopology' }),
          type: 'string',
          enum: [...TOPOLOGY_NAMES],
          default: 'mesh',
          description: TOPOLOGY_DESCRIPTION,
        },
        hubs: {
          type: 'array',
          items: name,
          description:
            'Hub hosts (ingress or KVM host names) of topology hub (default: the ingress and the first KVM host of each cluster). Only with topology hub.',
        },
      },
    },
    networks: {
      type: 'array',
      minItems: 1,
      description: "The EVPN networks: one OpenNebula VXLAN VNET (EVPN mode, on wg0) each (default: the seed's private_evpn-vxlan).",
      items: {
        ...ts({ name: 'EvpnNetwork' }),
        type: 'object',
        additionalProperties: false,
        required: ['name', 'network_address', 'network_mask', 'ar_start', 'gateway'],
        properties: networkProperties,
      },
    },
    evpn: {
      ...ts({ name: 'LegacyEvpn', inputOnly: true }),
      type: 'object',
      additionalProperties: false,
      description: 'The older one-network form: read as networks[0] and bgp.as. Write networks: to have more than one.',
      properties: {
        ...networkProperties,
        as: { ...asNumber, default: 65000 },
      },
    },
    bgp: {
      ...ts({ name: 'Bgp' }),
      type: 'object',
      additionalProperties: false,
      description: "BGP EVPN control plane, layered on one-deploy's FRR config (roles/frr_layer).",
      properties: {
        as: { ...asNumber, default: 65000, description: "The overlay's BGP AS (one-deploy's evpn_as)." },
        reflectors: {
          type: 'array',
          items: name,
          minItems: 1,
          uniqueItems: true,
          description: 'Hosts that reflect EVPN routes (default: the ingress and the first KVM host of each cluster; [ingress] for one reflector).',
        },
        connect_retry: {
          type: 'integer',
          minimum: 1,
          maximum: 65535,
          default: 1,
          description: 'Seconds between BGP connection attempts (FRR timers connect).',
        },
        listen_limit: {
          type: 'integer',
          minimum: 1,
          maximum: 65535,
          description: 'bgp listen limit on each reflector (default: 100, or the number of mesh hosts when larger).',
        },
        bfd: {
          ...ts({ name: 'Bfd' }),
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean', default: true },
            ...bfdTimers(3),
          },
        },
      },
    },
    interconnect: {
      type: 'array',
      description:
        "External EVPN gateways (another cloud's network node, a DC gateway) that some networks are extended to, each over WireGuard with a BGP session to the ingress (docs/interconnect.md).",
      items: {
        ...ts({ name: 'InterconnectPeer' }),
        type: 'object',
        additionalProperties: false,
        required: ['name', 'endpoint', 'public_key', 'networks'],
        properties: {
          name: {
            type: 'string',
            pattern: '^[A-Za-z][A-Za-z0-9_-]*$',
            maxLength: 32,
            description: "Names FRR's BFD profile and route-maps (ew-ic-<name>) and interconnect/<name>.md.",
          },
          endpoint: { ...ip, description: 'Its public IP: the WireGuard endpoint.' },
          port: { ...port, default: 51820, description: 'Its WireGuard port.' },
          public_key: { type: 'string', description: "Its WireGuard public key (44 characters of base64); edge-wizard never makes the other side's keys." },
          wireguard_address: {
            ...ipv4,
            ...ts({ optional: true }),
            description: 'Its address in wireguard.subnet: BGP address and VTEP (default: the next free address, kept across regenerations).',
          },
          join: {
            ...ts({ name: 'InterconnectJoin' }),
            type: 'string',
            enum: [...INTERCONNECT_JOINS],
            default: 'ingress',
            description:
              'ingress: a WireGuard peer of the ingress only, which forwards for the KVM hosts; mesh: a peer of every mesh host (wireguard.topology mesh only).',
          },
          as: { ...asNumber, description: 'Its BGP AS (default: bgp.as, iBGP).' },
          ebgp: { type: 'boolean', description: 'eBGP session (default: true when as differs from bgp.as); true needs an as other than bgp.as.' },
          networks: {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            items: { type: 'string' },
            description: 'Names of our networks it exchanges routes for; each needs a fixed vni.',
          },
          bfd: {
            ...ts({ name: 'InterconnectBfd' }),
            type: 'object',
            additionalProperties: false,
            properties: {
              ...bfdTimers(5),
            },
          },
          mode: {
            ...ts({ name: 'InterconnectMode' }),
            type: 'string',
            enum: [...INTERCONNECT_MODES],
            default: 'l2',
            description:
              "l2: the networks' segments are shared (EVPN type-2/3). l3: routed, EVPN type-5 in a VRF with l3_vni (unproven here: docs/interconnect.md).",
          },
          l3_vni: { ...ts({ optional: true }), type: 'integer', minimum: 1, maximum: 16777215, description: 'Mode l3: the L3VNI of the VRF (type-5 routes).' },
        },
      },
    },
    virtual_router: {
      ...ts({ name: 'VirtualRouter' }),
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', default: true },
        sdnat: { type: 'boolean', default: true },
        cluster: { ...name, description: 'Cluster whose public network gives eth0 (default: the first).' },
      },
    },
    ansible: {
      ...ts({ name: 'AnsibleSettings' }),
      type: 'object',
      additionalProperties: false,
      properties: {
        user: { ...user, default: 'root' },
        ensure_keys_for: { type: 'array', items: user, default: ['root'] },
        repos_enabled: {
          ...ts({ optional: true }),
          type: 'array',
          items: { ...ts({ name: 'OneDeployRepo' }), enum: ONE_DEPLOY_REPOS },
          uniqueItems: true,
          description:
            "one-deploy's repos_enabled: the package repositories one-deploy may add. Leave unset for one-deploy's pinned FRR (10.5) from FRR's repository; [] on hosts that must use the distribution's FRR.",
        },
        frr_repo: {
          ...ts({ optional: true }),
          type: 'string',
          deprecated: true,
          description: 'Retired: write repos_enabled: [] instead (read as that, with a warning).',
        },
        ssh_common_args: { ...ts({ optional: true }), type: 'string' },
      },
    },
    evpn_cluster_id: { ...ipv4, ...ts({ optional: true }), description: 'BGP cluster-id of the route reflector (default: the frontend address).' },
  },
} as const;
