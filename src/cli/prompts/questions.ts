/**
 * The questions of the session, as data. Defaults come from the draft (the
 * existing file), then core/defaults.ts and the schema; every validate calls the
 * core's validators (core/fields.ts over checkSchema/checkSemantics), so a refused
 * answer shows the sentence `edge-wizard validate` prints.
 */
import { DEFAULTS } from '../../core/defaults.js';
import { scenarioSchema } from '../../core/schema.js';
import { PROVIDERS } from '../../core/scenario.js';
import { checkAnswer, checkField, checkSubnet, crossFieldProblems, fieldKeys, getIn, setIn, splitList } from '../../core/fields.js';
import { hostDefaults, inventoryName } from '../../core/ssh-hosts.js';
import { isIpv4, maskToPrefix, parseCidr4 } from '../../core/net.js';
import { VXLAN_OVERHEAD } from '../../core/mtu.js';
import type { EdgeCluster, EvpnNetwork, KvmHost, Secret } from '../../core/scenario.js';
import { store } from './ask.js';
import type { AnyQuestion, Choice, Ctx, Question } from './types.js';

const ok = (problem: string | undefined): true | string => problem ?? true;

/** The current value at a field of the draft. */
function cur<T>(ctx: Ctx, field: string): T | undefined {
  return getIn(ctx.draft, fieldKeys(field)) as T | undefined;
}

const cluster = (ctx: Ctx) => (ctx.draft.clusters?.[ctx.ci] ?? {}) as Partial<EdgeCluster>;
const host = (ctx: Ctx) => (cluster(ctx).hosts?.[ctx.hi] ?? {}) as Partial<KvmHost>;
const cf = (ctx: Ctx, rest: string) => `clusters[${ctx.ci}].${rest}`;
const hf = (ctx: Ctx, rest: string) => `clusters[${ctx.ci}].hosts[${ctx.hi}].${rest}`;
const aliasDefaults = (ctx: Ctx) => (ctx.alias ? hostDefaults(ctx.alias) : undefined);

/** A text field checked by the schema and, with the draft, the semantic checks. */
function text(name: string, message: string | ((ctx: Ctx) => string), field: (ctx: Ctx) => string, def: (ctx: Ctx) => string | undefined): Question<string> {
  return { name, type: 'input', message, field, default: def, validate: (v, ctx) => ok(checkAnswer(ctx.draft, field(ctx), v)) };
}

function num(name: string, message: string, field: (ctx: Ctx) => string, def: (ctx: Ctx) => number | undefined): Question<number> {
  return { name, type: 'number', message, field, default: def, validate: (v, ctx) => ok(checkAnswer(ctx.draft, field(ctx), v)) };
}

function subnet(name: string, message: string, field: string, def: (ctx: Ctx) => string): Question<string> {
  return {
    name,
    type: 'input',
    message,
    field: () => field,
    default: def,
    validate: (v, ctx) => ok(checkSubnet(field, v) ?? checkAnswer(ctx.draft, field, v)),
  };
}

/** Offers the ssh config's Host aliases; the pick fills the next questions' defaults. */
function sshAlias(name: string, what: string, when: (ctx: Ctx) => boolean = () => true): Question<string> {
  return {
    name,
    type: 'select',
    message: `Pick ${what} from your ssh config, or type its address`,
    when: (ctx) => ctx.aliases.length > 0 && when(ctx),
    choices: (ctx) => [
      { name: '(type the address)', value: '' },
      ...ctx.aliases.map((a) => ({
        name: a.alias,
        value: a.alias,
        description: [a.user && `${a.user}@`, a.hostName ?? a.alias, a.port && `:${a.port}`].filter(Boolean).join(''),
      })),
    ],
    default: () => '',
    apply: (ctx, v) => {
      ctx.alias = ctx.aliases.find((a) => a.alias === v);
    },
  };
}

const ipMessage = (what: string) => (ctx: Ctx) => {
  const d = aliasDefaults(ctx);
  return d?.hostName ? `Public IP of ${what} (ssh config HostName ${d.hostName} is not an IP address)` : `Public IP of ${what}`;
};

export const scenarioQuestions: AnyQuestion[] = [
  text(
    'name',
    'Scenario name (the inventory goes to inventories/<name>/)',
    () => 'name',
    (ctx) => ctx.draft.name ?? 'edge',
  ),
];

function secretLabel(s: Secret | undefined): string {
  if (s === undefined) return 'not set';
  if (typeof s === 'string') return 'plain text, (set)';
  return 'env' in s ? `environment variable ${s.env}` : 'Ansible Vault string';
}

export const opennebulaQuestions: AnyQuestion[] = [
  text(
    'opennebula.version',
    'OpenNebula version',
    () => 'opennebula.version',
    (ctx) => cur(ctx, 'opennebula.version') ?? DEFAULTS.opennebula.version,
  ),
  {
    name: 'opennebula.password_kind',
    type: 'select',
    message: 'oneadmin password (one_pass): where should it come from?',
    choices: (ctx) => [
      ...(ctx.draft.opennebula?.password !== undefined
        ? [{ name: `Keep the current one (${secretLabel(ctx.draft.opennebula.password as Secret)})`, value: 'keep' }]
        : []),
      { name: 'An environment variable, read when Ansible runs (recommended)', value: 'env' },
      { name: 'An Ansible Vault string ($ANSIBLE_VAULT;...)', value: 'vault' },
      { name: 'Plain text in the scenario file (the file is written 0600)', value: 'plain' },
    ],
    default: (ctx) => (ctx.draft.opennebula?.password !== undefined ? 'keep' : 'env'),
    apply: (ctx, v) => {
      ctx.scratch.passwordKind = v;
    },
  } satisfies Question<string>,
  {
    name: 'opennebula.password_env',
    type: 'input',
    message: 'Environment variable holding the oneadmin password',
    when: (ctx) => ctx.scratch.passwordKind === 'env',
    default: (ctx) => {
      const p = ctx.draft.opennebula?.password;
      return p && typeof p === 'object' && 'env' in p ? p.env : 'ONE_PASS';
    },
    validate: (v) => ok(checkField('opennebula.password', { env: v })),
    apply: (ctx, v) => store(ctx, 'opennebula.password', { env: v }),
  } satisfies Question<string>,
  {
    name: 'opennebula.password_vault',
    type: 'input',
    message: 'Ansible Vault string (ansible-vault encrypt_string output, one line)',
    when: (ctx) => ctx.scratch.passwordKind === 'vault',
    validate: (v) => ok(checkField('opennebula.password', { vault: v })),
    apply: (ctx, v) => store(ctx, 'opennebula.password', { vault: v }),
  } satisfies Question<string>,
  {
    name: 'opennebula.password',
    type: 'password',
    message: 'oneadmin password',
    when: (ctx) => ctx.scratch.passwordKind === 'plain',
    validate: (v) => ok(checkField('opennebula.password', v)),
    apply: (ctx, v) => store(ctx, 'opennebula.password', v),
  } satisfies Question<string>,
];

export const ingressQuestions: AnyQuestion[] = [
  sshAlias('ingress.ssh_alias', 'the ingress host', (ctx) => !ctx.draft.ingress?.public_ip),
  text(
    'ingress.name',
    'Ingress host name (WireGuard hub, BGP route reflector)',
    () => 'ingress.name',
    (ctx) => cur(ctx, 'ingress.name') ?? (ctx.alias ? inventoryName(ctx.alias.alias) : DEFAULTS.ingress.name),
  ),
  text(
    'ingress.public_ip',
    ipMessage('the ingress'),
    () => 'ingress.public_ip',
    (ctx) => cur(ctx, 'ingress.public_ip') ?? aliasDefaults(ctx)?.public_ip,
  ),
  text(
    'ingress.ssh_user',
    'SSH user on the ingress',
    () => 'ingress.ssh_user',
    (ctx) => cur(ctx, 'ingress.ssh_user') ?? aliasDefaults(ctx)?.ssh_user ?? DEFAULTS.ingress.ssh_user,
  ),
  num(
    'ingress.ssh_port',
    'SSH port of the ingress',
    () => 'ingress.ssh_port',
    (ctx) => cur(ctx, 'ingress.ssh_port') ?? aliasDefaults(ctx)?.ssh_port ?? DEFAULTS.ingress.ssh_port,
  ),
];

function reachOf(pj: string | undefined): string {
  return pj === undefined || pj === 'ingress' ? 'ingress' : pj === 'none' ? 'none' : 'custom';
}

export const frontendQuestions: AnyQuestion[] = [
  sshAlias('frontend.ssh_alias', 'the OpenNebula frontend', (ctx) => !ctx.draft.frontend?.address),
  text(
    'frontend.name',
    'OpenNebula frontend host name',
    () => 'frontend.name',
    (ctx) => cur(ctx, 'frontend.name') ?? DEFAULTS.frontend.name,
  ),
  text(
    'frontend.address',
    'Frontend address (usually on the control subnet)',
    () => 'frontend.address',
    (ctx) => cur(ctx, 'frontend.address') ?? aliasDefaults(ctx)?.public_ip,
  ),
  subnet(
    'control_subnet',
    'Control subnet (frontend and ingress private side)',
    'control_subnet',
    (ctx) => ctx.draft.control_subnet ?? DEFAULTS.control_subnet,
  ),
  {
    name: 'frontend.reach',
    type: 'select',
    message: 'How does Ansible reach the frontend?',
    choices: (ctx) => [
      { name: `Through the ingress (ProxyJump ${ctx.draft.ingress?.ssh_user ?? 'root'}@${ctx.draft.ingress?.public_ip ?? 'ingress'})`, value: 'ingress' },
      { name: 'Directly (no jump host)', value: 'none' },
      { name: 'Through another jump host (user@host[:port])', value: 'custom' },
    ],
    // A ProxyJump of the picked ssh config alias is honoured: it becomes frontend.proxy_jump.
    default: (ctx) => (aliasDefaults(ctx)?.proxyJump ? 'custom' : reachOf(ctx.draft.frontend?.proxy_jump)),
    apply: (ctx, v) => {
      ctx.scratch.reach = v;
      if (v !== 'custom') store(ctx, 'frontend.proxy_jump', v);
    },
  } satisfies Question<string>,
  {
    ...text(
      'frontend.proxy_jump',
      'ProxyJump to the frontend (user@host[:port])',
      () => 'frontend.proxy_jump',
      (ctx) => {
        const pj = ctx.draft.frontend?.proxy_jump;
        return aliasDefaults(ctx)?.proxyJump ?? (reachOf(pj) === 'custom' ? pj : undefined);
      },
    ),
    when: (ctx) => ctx.scratch.reach === 'custom',
  },
];

export const clusterQuestions: AnyQuestion[] = [
  text(
    'cluster.name',
    'Edge cluster name',
    (ctx) => cf(ctx, 'name'),
    (ctx) => cluster(ctx).name ?? `cluster${ctx.ci + 1}`,
  ),
  {
    name: 'cluster.provider',
    type: 'select',
    message: 'Provider',
    field: (ctx) => cf(ctx, 'provider'),
    choices: () => PROVIDERS.map((p) => ({ name: p, value: p })),
    default: (ctx) => cluster(ctx).provider ?? scenarioSchema.properties.clusters.items.properties.provider.default,
  } satisfies Question<string>,
  text(
    'cluster.region',
    'Region (e.g. eu-west-2)',
    (ctx) => cf(ctx, 'region'),
    (ctx) => cluster(ctx).region ?? '',
  ),
  text(
    'cluster.public_network.name',
    'Name of its public network in OpenNebula',
    (ctx) => cf(ctx, 'public_network.name'),
    (ctx) => cluster(ctx).public_network?.name ?? `${cluster(ctx).name}-public`,
  ),
  {
    name: 'cluster.public_network.ips',
    type: 'input',
    message: 'Its public IPs, comma separated (at most 5, the Virtual Router takes one)',
    field: (ctx) => cf(ctx, 'public_network.ips'),
    default: (ctx) => cluster(ctx).public_network?.ips as string[] | undefined,
    parse: splitList,
    format: (v) => v.join(', '),
    validate: (ips, ctx) => {
      for (let i = 0; i < ips.length; i++) {
        const p = checkField(cf(ctx, `public_network.ips[${i}]`), ips[i]);
        if (p) return p;
      }
      if (ips.length === 0) return true; // the final check tells whether the Virtual Router needs one here
      const field = cf(ctx, 'public_network.ips');
      const draft = setIn(ctx.draft, fieldKeys(field), ips);
      const problems = [...crossFieldProblems(draft, field), ...ips.flatMap((_, i) => crossFieldProblems(draft, `${field}[${i}]`))];
      return ok(problems[0]);
    },
  } satisfies Question<string[]>,
];

function nextHostName(ctx: Ctx): string {
  const base = `kvm_${cluster(ctx).name ?? ctx.ci + 1}`;
  const used = new Set((ctx.draft.clusters ?? []).flatMap((c) => (c?.hosts ?? []).map((h) => h?.name)));
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}${i}`)) return `${base}${i}`;
}

const otherHost = (ctx: Ctx) => (cluster(ctx).hosts ?? []).find((_, i) => i !== ctx.hi) as Partial<KvmHost> | undefined;

export const hostQuestions: AnyQuestion[] = [
  sshAlias('host.ssh_alias', 'the KVM host', (ctx) => !host(ctx).public_ip),
  text(
    'host.name',
    (ctx) => `KVM host name (cluster ${cluster(ctx).name})`,
    (ctx) => hf(ctx, 'name'),
    (ctx) => host(ctx).name ?? aliasDefaults(ctx)?.name ?? nextHostName(ctx),
  ),
  text(
    'host.public_ip',
    (ctx) => ipMessage(host(ctx).name ?? 'the host')(ctx),
    (ctx) => hf(ctx, 'public_ip'),
    (ctx) => host(ctx).public_ip ?? aliasDefaults(ctx)?.public_ip,
  ),
  text(
    'host.ssh_user',
    'SSH user',
    (ctx) => hf(ctx, 'ssh_user'),
    (ctx) => host(ctx).ssh_user ?? aliasDefaults(ctx)?.ssh_user ?? DEFAULTS.host.ssh_user,
  ),
  num(
    'host.ssh_port',
    'SSH port',
    (ctx) => hf(ctx, 'ssh_port'),
    (ctx) => host(ctx).ssh_port ?? aliasDefaults(ctx)?.ssh_port ?? DEFAULTS.host.ssh_port,
  ),
  {
    name: 'host.aws_reject_rule',
    type: 'confirm',
    message: "Remove oneprovision's AWS REJECT rule (icmp-host-prohibited) on it, so live migration works?",
    field: (ctx) => hf(ctx, 'aws_reject_rule'),
    default: (ctx) => host(ctx).aws_reject_rule ?? (cluster(ctx).provider ?? 'aws') === 'aws',
  } satisfies Question<boolean>,
  text(
    'host.public_interface',
    'Its public interface (the REJECT rule is bound to it)',
    (ctx) => hf(ctx, 'public_interface'),
    (ctx) => host(ctx).public_interface ?? otherHost(ctx)?.public_interface ?? DEFAULTS.host.public_interface,
  ),
];

export const wireguardQuestions: AnyQuestion[] = [
  subnet('wireguard.subnet', 'WireGuard subnet', 'wireguard.subnet', (ctx) => ctx.draft.wireguard?.subnet ?? DEFAULTS.wireguard.subnet),
  num(
    'wireguard.port',
    'WireGuard port',
    () => 'wireguard.port',
    (ctx) => cur(ctx, 'wireguard.port') ?? DEFAULTS.wireguard.port,
  ),
  num(
    'wireguard.mtu',
    'WireGuard MTU (wg0)',
    () => 'wireguard.mtu',
    (ctx) => cur(ctx, 'wireguard.mtu') ?? DEFAULTS.wireguard.mtu,
  ),
];

/**
 * The network being asked about (ctx.ni): where the file keeps it (`evpn` in a file of the older
 * one-network form, else networks[ni]). The seed's session asks for the first; more are added
 * in the advanced settings (prompts/advanced.ts).
 */
const legacy = (ctx: Ctx) => Boolean(ctx.draft.evpn && !ctx.draft.networks && ctx.ni === 0);
const netField = (ctx: Ctx, key: string): string => (legacy(ctx) ? `evpn.${key}` : `networks[${ctx.ni}].${key}`);
const firstNet = (ctx: Ctx) => ((legacy(ctx) ? ctx.draft.evpn : ctx.draft.networks?.[ctx.ni]) ?? {}) as Partial<EvpnNetwork>;

function evpnCidr(ctx: Ctx): string {
  const addr = firstNet(ctx).network_address ?? DEFAULTS.network.network_address;
  const prefix = maskToPrefix(firstNet(ctx).network_mask ?? DEFAULTS.network.network_mask);
  return `${addr}/${prefix ?? 24}`;
}

function prefixToMask(prefix: number): string {
  const n = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export const networkQuestions: AnyQuestion[] = [
  text(
    'evpn.name',
    'EVPN virtual network name',
    (ctx) => netField(ctx, 'name'),
    (ctx) => firstNet(ctx).name ?? DEFAULTS.network.name,
  ),
  {
    name: 'evpn.network',
    type: 'input',
    message: 'EVPN network (VMs get their leases here)',
    default: evpnCidr,
    validate: (v, ctx) => {
      const bad = checkSubnet('evpn network', v);
      if (bad) return bad;
      const [addr, prefix] = v.split('/');
      const at = fieldKeys(netField(ctx, 'network_address'));
      const draft = setIn(setIn(ctx.draft, at, addr), [...at.slice(0, -1), 'network_mask'], prefixToMask(Number(prefix)));
      return ok(crossFieldProblems(draft, netField(ctx, 'network_address'))[0]);
    },
    apply: (ctx, v) => {
      const c = parseCidr4(v)!;
      store(ctx, netField(ctx, 'network_address'), v.split('/')[0]);
      store(ctx, netField(ctx, 'network_mask'), prefixToMask(c.prefix));
    },
  } satisfies Question<string>,
  text(
    'evpn.ar_start',
    (ctx) => (ctx.ni === 0 ? 'First lease (the Virtual Router takes it)' : 'First lease'),
    (ctx) => netField(ctx, 'ar_start'),
    (ctx) => firstNet(ctx).ar_start ?? nextOf(firstNet(ctx).network_address) ?? DEFAULTS.network.ar_start,
  ),
  num(
    'evpn.ar_size',
    'Number of leases',
    (ctx) => netField(ctx, 'ar_size'),
    (ctx) => firstNet(ctx).ar_size ?? DEFAULTS.network.ar_size,
  ),
  text(
    'evpn.gateway',
    'Gateway handed to the VMs',
    (ctx) => netField(ctx, 'gateway'),
    (ctx) => firstNet(ctx).gateway ?? firstNet(ctx).ar_start ?? DEFAULTS.network.gateway,
  ),
  text(
    'evpn.dns',
    'DNS handed to the VMs',
    (ctx) => netField(ctx, 'dns'),
    (ctx) => firstNet(ctx).dns ?? DEFAULTS.network.dns,
  ),
  num(
    'evpn.guest_mtu',
    'Guest MTU (WireGuard MTU minus VXLAN overhead)',
    (ctx) => netField(ctx, 'guest_mtu'),
    (ctx) => firstNet(ctx).guest_mtu ?? (ctx.draft.wireguard?.mtu ?? DEFAULTS.wireguard.mtu) - VXLAN_OVERHEAD,
  ),
];

function nextOf(addr: string | undefined): string | undefined {
  if (!addr || !isIpv4(addr)) return undefined;
  const b = addr.split('.').map(Number);
  b[3] = (b[3] ?? 0) + 1;
  return b[3]! > 254 ? undefined : b.join('.');
}

export const virtualRouterQuestions: AnyQuestion[] = [
  {
    name: 'virtual_router.enabled',
    type: 'confirm',
    message: 'Create the Virtual Router (public IP on eth0, first EVPN lease on eth1)?',
    field: () => 'virtual_router.enabled',
    default: (ctx) => ctx.draft.virtual_router?.enabled ?? DEFAULTS.virtual_router.enabled,
  } satisfies Question<boolean>,
  {
    name: 'virtual_router.sdnat',
    type: 'confirm',
    message: 'Enable SDNAT on it (public IPs to VMs)?',
    field: () => 'virtual_router.sdnat',
    when: (ctx) => ctx.draft.virtual_router?.enabled ?? true,
    default: (ctx) => ctx.draft.virtual_router?.sdnat ?? DEFAULTS.virtual_router.sdnat,
  } satisfies Question<boolean>,
  {
    name: 'virtual_router.cluster',
    type: 'select',
    message: 'Which cluster gives it its public IP?',
    field: () => 'virtual_router.cluster',
    when: (ctx) => (ctx.draft.virtual_router?.enabled ?? true) && (ctx.draft.clusters ?? []).length > 0,
    choices: (ctx) =>
      (ctx.draft.clusters ?? []).map((c) => ({ name: `${c?.name} (${(c?.public_network?.ips ?? []).length} public IPs)`, value: c?.name ?? '' })) as Array<
        Choice<string>
      >,
    default: (ctx) => ctx.draft.virtual_router?.cluster ?? ctx.draft.clusters?.[0]?.name,
  } satisfies Question<string>,
];
