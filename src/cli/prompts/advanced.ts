/**
 * The settings beyond the seed's questions, asked only when the user wants them
 * ("Advanced settings?" in a new session, or a section of the edit menu): the
 * WireGuard topology and hubs, the EVPN networks (add, edit, remove; VNI fixed or
 * automatic), the route reflectors, BFD timers, and interconnect gateways. Each
 * answer is checked by the core's validators, as every other question.
 */
import { defaultReflectors, DEFAULTS } from '../../core/defaults.js';
import { checkAnswer, crossFieldProblems, fieldKeys, setIn, splitList } from '../../core/fields.js';
import { INTERCONNECT_JOINS, INTERCONNECT_MODES } from '../../core/scenario.js';
import type { EvpnNetwork, InterconnectPeer, ScenarioInput } from '../../core/scenario.js';
import { topology, TOPOLOGY_NAMES } from '../../core/wireguard/topologies/index.js';
import { ask, askAll, store } from './ask.js';
import { networkQuestions } from './questions.js';
import type { AnyQuestion, Ctx, Prompter, Question } from './types.js';

type Out = (text: string) => void;
const ok = (problem: string | undefined): true | string => problem ?? true;

/** The ingress and the first KVM host of each cluster: the default reflectors, and the default hubs (core/defaults.ts). */
const firstHosts = (ctx: Ctx): string[] =>
  defaultReflectors(
    { name: ctx.draft.ingress?.name ?? DEFAULTS.ingress.name },
    (ctx.draft.clusters ?? []).map((c) => ({ hosts: (c?.hosts ?? []).filter((h) => h?.name).map((h) => ({ name: h!.name! })) })),
  );

const kvmCount = (ctx: Ctx) => (ctx.draft.clusters ?? []).reduce((n, c) => n + (c?.hosts ?? []).length, 0);

/** A list answer: the schema, then the cross-field checks of the list and of each item (`bgp.reflectors[1]`). */
function checkList(ctx: Ctx, field: string, v: string[]): true | string {
  const own = checkAnswer(ctx.draft, field, v);
  if (own) return own;
  const draft = setIn(ctx.draft, fieldKeys(field), v);
  return ok(v.map((_, i) => crossFieldProblems(draft, `${field}[${i}]`)[0]).find((p) => p !== undefined));
}

/** A comma list of host names, checked by the schema and the semantic checks at `field`. */
function nameList(
  name: string,
  message: string | ((ctx: Ctx) => string),
  field: string,
  def: (ctx: Ctx) => string[] | undefined,
  when?: (ctx: Ctx) => boolean,
): Question<string[]> {
  return {
    name,
    type: 'input',
    message,
    field: () => field,
    when,
    default: def,
    parse: splitList,
    format: (v) => v.join(', '),
    validate: (v, ctx) => checkList(ctx, field, v),
  };
}

// --- topology ---------------------------------------------------------------------------

/** The numbers that help choose, by topology (each module's `choice`): peers per host and hops, for this scenario's size. */
export function topologyNumbers(hosts: number, hubs: number): Record<string, string> {
  return Object.fromEntries(TOPOLOGY_NAMES.map((name) => [name, topology(name)!.choice(hosts, hubs)]));
}

/** Whether the topology of that name reads wireguard.hubs. */
const hasHubs = (name: string | undefined) => topology(name ?? '')?.hasHubs === true;

export const topologyQuestions: AnyQuestion[] = [
  {
    name: 'wireguard.topology',
    type: 'select',
    message: (ctx) => `WireGuard topology (${kvmCount(ctx) + 1} hosts with the ingress)`,
    field: () => 'wireguard.topology',
    choices: (ctx) => {
      const n = topologyNumbers(kvmCount(ctx) + 1, (ctx.draft.wireguard?.hubs ?? firstHosts(ctx)).length || 1);
      return TOPOLOGY_NAMES.map((name) => ({ name: `${name}: ${n[name]}`, value: name }));
    },
    default: (ctx) => ctx.draft.wireguard?.topology ?? DEFAULTS.wireguard.topology,
    apply: (ctx, v: string) => {
      store(ctx, 'wireguard.topology', v);
      // A mesh has no hubs (the two plan different networks): drop a list left from a hub topology.
      if (!hasHubs(v) && ctx.draft.wireguard?.hubs !== undefined) {
        const { hubs: _dropped, ...rest } = ctx.draft.wireguard;
        ctx.draft = { ...ctx.draft, wireguard: rest };
      }
    },
  } satisfies Question<string>,
  nameList(
    'wireguard.hubs',
    'Hubs, comma separated (the ingress or KVM hosts; a spoke uses the first hub of its own cluster, else the first listed)',
    'wireguard.hubs',
    (ctx) => ctx.draft.wireguard?.hubs ?? firstHosts(ctx),
    (ctx) => hasHubs(ctx.draft.wireguard?.topology),
  ),
];

// --- networks -----------------------------------------------------------------------------

const networks = (ctx: Ctx) => (ctx.draft.networks ?? (ctx.draft.evpn ? [ctx.draft.evpn] : [])) as Array<Partial<EvpnNetwork>>;

/** The older one-network form (`evpn:`) becomes `networks:` (and `bgp.as`) once a second network is added. */
function toNetworksForm(ctx: Ctx): void {
  if (!ctx.draft.evpn || ctx.draft.networks) return;
  const { as, ...net } = ctx.draft.evpn as Partial<EvpnNetwork> & { as?: number };
  const { evpn: _old, ...rest } = ctx.draft;
  ctx.draft = { ...rest, networks: [net] } as ScenarioInput;
  if (as !== undefined) store(ctx, 'bgp.as', as);
}

/** The next /24 after the last network's, for a new network's defaults. */
function nextNetwork(ctx: Ctx): Partial<EvpnNetwork> {
  const last = networks(ctx).at(-1)?.network_address ?? DEFAULTS.network.network_address;
  const b = last.split('.').map(Number);
  const third = ((b[2] ?? 0) + 1) % 256;
  const base = `${b[0]}.${b[1]}.${third}`;
  return {
    name: `network${networks(ctx).length + 1}`,
    network_address: `${base}.0`,
    network_mask: '255.255.255.0',
    ar_start: `${base}.1`,
    gateway: `${base}.1`,
  };
}

const vniQuestions: AnyQuestion[] = [
  {
    name: 'network.vni_kind',
    type: 'select',
    message: 'VNI (VXLAN ID) of this network',
    choices: () => [
      { name: 'Automatic: OpenNebula picks one (AUTOMATIC_VLAN_ID)', value: 'auto' },
      { name: 'Fixed: you choose it (needed to extend the network to an interconnect gateway)', value: 'fixed' },
    ],
    default: (ctx) => (networks(ctx)[ctx.ni]?.vni === undefined ? 'auto' : 'fixed'),
    apply: (ctx, v: string) => {
      ctx.scratch.vniKind = v;
      const n = networks(ctx)[ctx.ni];
      if (v === 'auto' && n?.vni !== undefined) {
        const { vni: _dropped, ...rest } = n;
        ctx.draft = { ...ctx.draft, networks: networks(ctx).map((x, i) => (i === ctx.ni ? rest : x)) } as ScenarioInput;
      }
    },
  } satisfies Question<string>,
  {
    name: 'network.vni',
    type: 'number',
    message: 'VNI (1-16777215, unique among the networks)',
    when: (ctx) => ctx.scratch.vniKind === 'fixed',
    field: (ctx) => `networks[${ctx.ni}].vni`,
    default: (ctx) => networks(ctx)[ctx.ni]?.vni ?? 100 * (ctx.ni + 1),
    validate: (v, ctx) => ok(checkAnswer(ctx.draft, `networks[${ctx.ni}].vni`, v)),
  } satisfies Question<number>,
];

const ISOLATION =
  '  Each network is its own VXLAN segment with its own VNI: VMs on different networks do not reach each other (the Virtual Router has a NIC on the first network only).\n';

async function networkFlow(ctx: Ctx, p: Prompter, ni: number): Promise<void> {
  toNetworksForm(ctx);
  if (ni >= networks(ctx).length) ctx.draft = { ...ctx.draft, networks: [...networks(ctx), nextNetwork(ctx)] } as ScenarioInput;
  ctx.ni = ni;
  await askAll([...networkQuestions, ...vniQuestions], ctx, p);
  ctx.ni = 0;
}

const networkMenu: Question<string> = {
  name: 'networks.action',
  type: 'select',
  message: 'EVPN networks',
  choices: (ctx) => [
    { name: 'Add a network', value: 'add' },
    ...networks(ctx).flatMap((n, i) => [
      {
        name: `Edit ${n.name ?? DEFAULTS.network.name} (${n.network_address ?? DEFAULTS.network.network_address}, VNI ${n.vni ?? 'automatic'})`,
        value: `edit:${i}`,
      },
      ...(networks(ctx).length > 1 ? [{ name: `Remove ${n.name}`, value: `remove:${i}` }] : []),
    ]),
    { name: 'Done with the networks', value: 'done' },
  ],
  default: () => 'done',
};

export async function networksLoop(ctx: Ctx, p: Prompter, out: Out): Promise<void> {
  for (;;) {
    const action = (await ask(networkMenu, ctx, p))!;
    if (action === 'done') return;
    const [verb, idx] = action.split(':');
    const i = Number(idx);
    if (verb === 'add') {
      out(ISOLATION);
      await networkFlow(ctx, p, networks(ctx).length);
    } else if (verb === 'edit') await networkFlow(ctx, p, i);
    else if (verb === 'remove') {
      const n = networks(ctx)[i];
      const users = (ctx.draft.interconnect ?? []).filter((g) => (g?.networks ?? []).includes(n?.name ?? '')).map((g) => g?.name);
      const message = `Remove network ${n?.name}? (deploy drops it from the inventory; its OpenNebula network is left to you${users.length ? `; interconnect ${users.join(', ')} still names it` : ''})`;
      if (await ask<boolean>({ name: 'networks.remove', type: 'confirm', message, default: () => false }, ctx, p)) {
        toNetworksForm(ctx);
        ctx.draft = { ...ctx.draft, networks: networks(ctx).filter((_, j) => j !== i) } as ScenarioInput;
      }
    }
  }
}

// --- route reflectors and BFD -----------------------------------------------------------

/** BFD's detection time: the multiplier times the slower of our receive and the peer's transmit interval (same profile on both ends). */
export function detectionMs(multiplier: number, receive: number, transmit: number): number {
  return multiplier * Math.max(receive, transmit);
}

const bfd = (ctx: Ctx) => ({ ...DEFAULTS.bgp.bfd, ...(ctx.draft.bgp?.bfd ?? {}) });

export const bgpQuestions: AnyQuestion[] = [
  nameList(
    'bgp.reflectors',
    'Route reflectors, comma separated (every VTEP peers with each; two or more keep EVPN up when one fails)',
    'bgp.reflectors',
    (ctx) => ctx.draft.bgp?.reflectors ?? firstHosts(ctx),
  ),
  {
    name: 'bgp.bfd.enabled',
    type: 'confirm',
    message: (ctx) => {
      const b = bfd(ctx);
      return `BFD on every EVPN session (now ${b.detect_multiplier} x ${Math.max(b.receive_interval, b.transmit_interval)} ms: a silent peer is detected in ${detectionMs(b.detect_multiplier, b.receive_interval, b.transmit_interval)} ms instead of BGP's 180 s hold time)?`;
    },
    field: () => 'bgp.bfd.enabled',
    default: (ctx) => bfd(ctx).enabled,
  } satisfies Question<boolean>,
  ...(['detect_multiplier', 'receive_interval', 'transmit_interval'] as const).map((k): Question<number> => ({
    name: `bgp.bfd.${k}`,
    type: 'number',
    message:
      k === 'detect_multiplier' ? 'BFD detect multiplier (missed packets before the peer is down, 2-255)' : `BFD ${k.replace('_', ' ')} in ms (10-60000)`,
    field: () => `bgp.bfd.${k}`,
    when: (ctx) => bfd(ctx).enabled,
    default: (ctx) => bfd(ctx)[k],
    validate: (v, ctx) => ok(checkAnswer(ctx.draft, `bgp.bfd.${k}`, v)),
  })),
];

async function bgpSection(ctx: Ctx, p: Prompter, out: Out): Promise<void> {
  await askAll(bgpQuestions, ctx, p);
  const b = bfd(ctx);
  if (b.enabled)
    out(
      `  BFD: a peer that goes silent is detected in ${b.detect_multiplier} x ${Math.max(b.receive_interval, b.transmit_interval)} ms = ${detectionMs(b.detect_multiplier, b.receive_interval, b.transmit_interval)} ms.\n`,
    );
}

// --- interconnect gateways ----------------------------------------------------------------

const gateways = (ctx: Ctx) => (ctx.draft.interconnect ?? []) as Array<Partial<InterconnectPeer>>;
const gf = (ctx: Ctx, k: string) => `interconnect[${ctx.gi}].${k}`;
const gw = (ctx: Ctx) => gateways(ctx)[ctx.gi] ?? {};

function gText(name: string, message: string, key: string, def: (ctx: Ctx) => string | undefined): Question<string> {
  return { name, type: 'input', message, field: (ctx) => gf(ctx, key), default: def, validate: (v, ctx) => ok(checkAnswer(ctx.draft, gf(ctx, key), v)) };
}

export const interconnectQuestions: AnyQuestion[] = [
  gText(
    'interconnect.name',
    'Gateway name (names its BGP neighbor, BFD profile and interconnect/<name>.md)',
    'name',
    (ctx) => gw(ctx).name ?? `gw${ctx.gi + 1}`,
  ),
  gText('interconnect.endpoint', 'Its public IP (WireGuard endpoint)', 'endpoint', (ctx) => gw(ctx).endpoint),
  {
    name: 'interconnect.port',
    type: 'number',
    message: 'Its WireGuard port',
    field: (ctx) => gf(ctx, 'port'),
    default: (ctx) => gw(ctx).port ?? DEFAULTS.interconnect.port,
    validate: (v, ctx) => ok(checkAnswer(ctx.draft, gf(ctx, 'port'), v)),
  } satisfies Question<number>,
  gText('interconnect.public_key', 'Its WireGuard public key (44 characters of base64, from its operator)', 'public_key', (ctx) => gw(ctx).public_key),
  {
    name: 'interconnect.as',
    type: 'number',
    message: (ctx) => `Its AS (ours is ${ctx.draft.bgp?.as ?? DEFAULTS.bgp.as}: the same means iBGP, another means eBGP)`,
    field: (ctx) => gf(ctx, 'as'),
    default: (ctx) => gw(ctx).as ?? ctx.draft.bgp?.as ?? DEFAULTS.bgp.as,
    validate: (v, ctx) => ok(checkAnswer(ctx.draft, gf(ctx, 'as'), v)),
  } satisfies Question<number>,
  {
    name: 'interconnect.networks',
    type: 'input',
    message: (ctx) =>
      `Networks extended to it, comma separated (each needs a fixed VNI; ours: ${networks(ctx)
        .map((n) => `${n.name} ${n.vni === undefined ? '(automatic VNI)' : `VNI ${n.vni}`}`)
        .join(', ')})`,
    field: (ctx) => gf(ctx, 'networks'),
    default: (ctx) =>
      gw(ctx).networks ??
      networks(ctx)
        .filter((n) => n.vni !== undefined)
        .map((n) => n.name ?? ''),
    parse: splitList,
    format: (v: string[]) => v.join(', '),
    validate: (v, ctx) => checkList(ctx, gf(ctx, 'networks'), v),
  } satisfies Question<string[]>,
  {
    name: 'interconnect.join',
    type: 'select',
    message: 'How it joins the WireGuard network',
    field: (ctx) => gf(ctx, 'join'),
    choices: () =>
      INTERCONNECT_JOINS.map((j) => ({
        name:
          j === 'ingress'
            ? 'ingress: a peer of the ingress only, which forwards (one tunnel)'
            : 'mesh: a peer of every host (one tunnel each, no forwarding hop)',
        value: j,
      })),
    default: (ctx) => gw(ctx).join ?? DEFAULTS.interconnect.join,
  } satisfies Question<string>,
  {
    name: 'interconnect.mode',
    type: 'select',
    message: 'What crosses',
    field: (ctx) => gf(ctx, 'mode'),
    choices: () =>
      INTERCONNECT_MODES.map((m) => ({
        name:
          m === 'l2'
            ? 'l2: the networks are one L2 segment on both sides (EVPN type-2/3)'
            : 'l3: routed, EVPN type-5 in a VRF (unproven: docs/interconnect.md)',
        value: m,
      })),
    default: (ctx) => gw(ctx).mode ?? DEFAULTS.interconnect.mode,
  } satisfies Question<string>,
];

const interconnectMenu: Question<string> = {
  name: 'interconnect.action',
  type: 'select',
  message: 'Interconnect gateways (external EVPN gateways some networks are extended to)',
  choices: (ctx) => [
    { name: 'Add a gateway', value: 'add' },
    ...gateways(ctx).flatMap((g, i) => [
      { name: `Edit ${g.name} (${g.endpoint})`, value: `edit:${i}` },
      { name: `Remove ${g.name}`, value: `remove:${i}` },
    ]),
    { name: 'Done with the gateways', value: 'done' },
  ],
  default: () => 'done',
};

export async function interconnectLoop(ctx: Ctx, p: Prompter): Promise<void> {
  for (;;) {
    const action = (await ask(interconnectMenu, ctx, p))!;
    if (action === 'done') return;
    const [verb, idx] = action.split(':');
    const i = Number(idx);
    if (verb === 'add' || verb === 'edit') {
      ctx.gi = verb === 'add' ? gateways(ctx).length : i;
      if (verb === 'add') ctx.draft = { ...ctx.draft, interconnect: [...gateways(ctx), {}] } as ScenarioInput;
      await askAll(interconnectQuestions, ctx, p);
    } else if (verb === 'remove') {
      const message = `Remove gateway ${gateways(ctx)[i]?.name}? (deploy then removes its peer and BGP session from the ingress)`;
      if (await ask<boolean>({ name: 'interconnect.remove', type: 'confirm', message, default: () => false }, ctx, p)) {
        const rest = gateways(ctx).filter((_, j) => j !== i);
        const { interconnect: _all, ...draft } = ctx.draft;
        ctx.draft = (rest.length ? { ...draft, interconnect: rest } : draft) as ScenarioInput;
      }
    }
  }
}

export const ADVANCED_SECTIONS: Record<string, { title: string; run: (ctx: Ctx, p: Prompter, out: Out) => Promise<void> }> = {
  topology: { title: 'WireGuard topology (mesh or hubs)', run: (c, p) => askAll(topologyQuestions, c, p) },
  networks: { title: 'EVPN networks (add, edit, remove; VNI)', run: networksLoop },
  bgp: { title: 'Route reflectors and BFD timers', run: bgpSection },
  interconnect: { title: 'Interconnect gateways', run: (c, p) => interconnectLoop(c, p) },
};
