/**
 * The interactive flow: sections of questions and the menus between them.
 * A new file walks every section once; an existing file opens a section menu
 * so the user changes only what they want (add a cluster or a host, ...).
 */
import type { EdgeCluster, KvmHost } from '../../core/scenario.js';
import { mergeSshArgs } from '../../core/ssh-hosts.js';
import { ask, askAll, store } from './ask.js';
import {
  clusterQuestions,
  networkQuestions,
  frontendQuestions,
  hostQuestions,
  ingressQuestions,
  opennebulaQuestions,
  scenarioQuestions,
  virtualRouterQuestions,
  wireguardQuestions,
} from './questions.js';
import type { Ctx, Prompter, Question } from './types.js';
import { ADVANCED_SECTIONS } from './advanced.js';
import { frontendSection } from './frontend.js';

type Out = (text: string) => void;

const clusters = (ctx: Ctx) => (ctx.draft.clusters ?? []) as Array<Partial<EdgeCluster>>;
const hostsOf = (ctx: Ctx, ci: number) => (clusters(ctx)[ci]?.hosts ?? []) as Array<Partial<KvmHost>>;

/** What an ssh config alias adds beyond the host's fields (identity files, the config file, jumps). */
function applyAlias(ctx: Ctx, what: string, out: Out, frontend = false): void {
  const a = ctx.alias;
  if (!a) return;
  if (frontend) {
    // The frontend's user and port are not asked: take them from the alias; its ProxyJump was offered as frontend.proxy_jump.
    if (a.user) store(ctx, 'frontend.ssh_user', a.user);
    if (a.port) store(ctx, 'frontend.ssh_port', a.port);
  }
  const args = mergeSshArgs(ctx.draft.ansible?.ssh_common_args, { configFile: ctx.sshConfigFile, identityFiles: a.identityFiles });
  if (args && args !== ctx.draft.ansible?.ssh_common_args) {
    store(ctx, 'ansible.ssh_common_args', args);
    out(`  ansible.ssh_common_args is now "${args}", so Ansible uses the same keys and ssh config as "ssh ${a.alias}".\n`);
  }
  if (a.proxyJump && !frontend) {
    out(
      `  Note: ssh config reaches ${a.alias} through ProxyJump ${a.proxyJump}; ${what} is reached on its public address, so check that it is reachable directly.\n`,
    );
  }
  ctx.alias = undefined;
}

export async function hostFlow(ctx: Ctx, p: Prompter, out: Out, ci: number, hi: number): Promise<void> {
  ctx.ci = ci;
  ctx.hi = hi;
  if (hi >= hostsOf(ctx, ci).length) {
    // A new host: a placeholder so the questions' cross-field checks see it where it will be.
    ctx.draft = { ...ctx.draft, clusters: clusters(ctx).map((c, i) => (i === ci ? { ...c, hosts: [...(c.hosts ?? []), {}] } : c)) } as Ctx['draft'];
  }
  await askAll(hostQuestions, ctx, p);
  applyAlias(ctx, hostsOf(ctx, ci)[hi]?.name ?? 'the host', out);
}

const hostMenu: Question<string> = {
  name: 'hosts.action',
  type: 'select',
  message: 'KVM hosts of this cluster',
  choices: (ctx) => [
    { name: 'Add a KVM host', value: 'add' },
    ...hostsOf(ctx, ctx.ci).flatMap((h, i) => [
      { name: `Edit ${h.name} (${h.public_ip})`, value: `edit:${i}` },
      { name: `Remove ${h.name}`, value: `remove:${i}` },
    ]),
    { name: 'Done with this cluster', value: 'done' },
  ],
  default: (ctx) => (hostsOf(ctx, ctx.ci).length === 0 ? 'add' : 'done'),
};

async function hostsLoop(ctx: Ctx, p: Prompter, out: Out, ci: number): Promise<void> {
  for (;;) {
    ctx.ci = ci;
    const action = (await ask(hostMenu, ctx, p))!;
    if (action === 'done') return;
    const [verb, idx] = action.split(':');
    if (verb === 'add') await hostFlow(ctx, p, out, ci, hostsOf(ctx, ci).length);
    else if (verb === 'edit') await hostFlow(ctx, p, out, ci, Number(idx));
    else if (verb === 'remove' && (await confirmRemove(ctx, p, hostsOf(ctx, ci)[Number(idx)]?.name ?? ''))) {
      const c = clusters(ctx)[ci]!;
      ctx.draft = {
        ...ctx.draft,
        clusters: clusters(ctx).map((x, i) => (i === ci ? { ...c, hosts: hostsOf(ctx, ci).filter((_, j) => j !== Number(idx)) } : x)),
      } as Ctx['draft'];
    }
  }
}

async function confirmRemove(ctx: Ctx, p: Prompter, what: string): Promise<boolean> {
  return (
    (await ask<boolean>(
      { name: 'remove.confirm', type: 'confirm', message: `Remove ${what}? (its WireGuard address is freed)`, default: () => false },
      ctx,
      p,
    )) ?? false
  );
}

export async function clusterFlow(ctx: Ctx, p: Prompter, out: Out, ci: number): Promise<void> {
  ctx.ci = ci;
  if (ci >= clusters(ctx).length) ctx.draft = { ...ctx.draft, clusters: [...clusters(ctx), { hosts: [] }] } as Ctx['draft'];
  await askAll(clusterQuestions, ctx, p);
  await hostsLoop(ctx, p, out, ci);
}

const clusterMenu: Question<string> = {
  name: 'clusters.action',
  type: 'select',
  message: 'Edge clusters',
  choices: (ctx) => [
    { name: 'Add an edge cluster', value: 'add' },
    ...clusters(ctx).map((c, i) => ({ name: `Add a KVM host to ${c.name}`, value: `addhost:${i}` })),
    ...clusters(ctx).flatMap((c, i) => [
      { name: `Edit ${c.name} (${(c.hosts ?? []).length} hosts)`, value: `edit:${i}` },
      { name: `Remove ${c.name}`, value: `remove:${i}` },
    ]),
    { name: 'Done with the clusters', value: 'done' },
  ],
  default: (ctx) => (clusters(ctx).length < 1 ? 'add' : 'done'),
};

export async function clustersLoop(ctx: Ctx, p: Prompter, out: Out): Promise<void> {
  for (;;) {
    const action = (await ask(clusterMenu, ctx, p))!;
    if (action === 'done') return;
    const [verb, idx] = action.split(':');
    const i = Number(idx);
    if (verb === 'add') await clusterFlow(ctx, p, out, clusters(ctx).length);
    else if (verb === 'addhost') await hostFlow(ctx, p, out, i, hostsOf(ctx, i).length);
    else if (verb === 'edit') await clusterFlow(ctx, p, out, i);
    else if (verb === 'remove' && (await confirmRemove(ctx, p, `cluster ${clusters(ctx)[i]?.name} and its hosts`))) {
      ctx.draft = { ...ctx.draft, clusters: clusters(ctx).filter((_, j) => j !== i) } as Ctx['draft'];
    }
  }
}

async function ingressAndFrontend(ctx: Ctx, p: Prompter, out: Out): Promise<void> {
  await askAll(ingressQuestions, ctx, p);
  applyAlias(ctx, 'the ingress', out);
  await askAll(frontendQuestions, ctx, p);
  applyAlias(ctx, 'the frontend', out, true);
}

export const SECTIONS: Record<string, { title: string; run: (ctx: Ctx, p: Prompter, out: Out) => Promise<void> }> = {
  clusters: { title: 'Edge clusters and KVM hosts', run: clustersLoop },
  access: { title: 'Ingress and frontend', run: ingressAndFrontend },
  opennebula: { title: 'OpenNebula version and password', run: (c, p) => askAll([...scenarioQuestions, ...opennebulaQuestions], c, p) },
  wireguard: { title: 'WireGuard', run: (c, p) => askAll(wireguardQuestions, c, p) },
  evpn: { title: 'EVPN network', run: (c, p) => askAll(networkQuestions, c, p) },
  vr: { title: 'Virtual Router', run: (c, p) => askAll(virtualRouterQuestions, c, p) },
  ...ADVANCED_SECTIONS,
  frontend: {
    title: 'Provisions on the frontend: add or remove clusters and hosts as oneprovision left them',
    run: (c, p, out) =>
      c.readFrontend ? frontendSection(c, p, out, c.readFrontend) : Promise.resolve(out('  No way to reach the frontend in this session.\n')),
  },
};

const advancedMenu: Question<string> = {
  name: 'advanced.section',
  type: 'select',
  message: 'Advanced settings',
  choices: () => [...Object.entries(ADVANCED_SECTIONS).map(([value, s]) => ({ name: s.title, value })), { name: 'Done: review and write', value: 'done' }],
  default: () => 'done',
};

/** A new scenario: every section in order. */
export async function freshSession(ctx: Ctx, p: Prompter, out: Out): Promise<void> {
  await SECTIONS.opennebula!.run(ctx, p, out);
  await SECTIONS.access!.run(ctx, p, out);
  await SECTIONS.clusters!.run(ctx, p, out);
  await SECTIONS.wireguard!.run(ctx, p, out);
  await SECTIONS.evpn!.run(ctx, p, out);
  await SECTIONS.vr!.run(ctx, p, out);
  const more = await ask<boolean>(
    {
      name: 'advanced',
      type: 'confirm',
      message: 'Advanced settings (WireGuard hubs, more networks and VNIs, route reflectors, BFD timers, interconnect gateways)?',
      default: () => false,
    },
    ctx,
    p,
  );
  if (!more) return;
  for (;;) {
    const s = (await ask(advancedMenu, ctx, p))!;
    if (s === 'done') return;
    await ADVANCED_SECTIONS[s]!.run(ctx, p, out);
  }
}

const sectionMenu: Question<string> = {
  name: 'section',
  type: 'select',
  message: 'What do you want to change?',
  choices: (ctx) => [
    ...Object.entries(SECTIONS)
      .filter(([value]) => value !== 'frontend' || ctx.readFrontend)
      .map(([value, s]) => ({ name: s.title, value })),
    { name: 'Nothing more: review and write', value: 'review' },
  ],
  default: () => 'review',
};

/** An existing scenario (or one that failed the final check): a section menu until "review". */
export async function editSession(ctx: Ctx, p: Prompter, out: Out): Promise<void> {
  for (;;) {
    const s = (await ask(sectionMenu, ctx, p))!;
    if (s === 'review') return;
    await SECTIONS[s]!.run(ctx, p, out);
  }
}
