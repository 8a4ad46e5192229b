/**
 * The provisions on the frontend, in the session and in `import --from-frontend`:
 * which new address is an old host's, what a removal means, and the session's
 * section that reads the frontend and applies the accepted changes to the draft.
 */
import { applyFrontendPlan, describePlan, planIsEmpty, removals, REMOVAL_EFFECT, type FrontendChoices, type FrontendPlan } from '../../core/import/frontend.js';
import { validateScenario, type Scenario, type ScenarioInput } from '../../core/index.js';
import { ask } from './ask.js';
import { shown } from '../../core/printable.js';
import type { Ctx, Prompter } from './types.js';

type Out = (text: string) => void;

export function describeRemovals(gone: { hosts: Array<{ name: string; public_ip: string }>; clusters: string[] }): string {
  const parts = [];
  if (gone.clusters.length) parts.push(`cluster${gone.clusters.length > 1 ? 's' : ''} ${gone.clusters.join(', ')}`);
  if (gone.hosts.length) parts.push(`host${gone.hosts.length > 1 ? 's' : ''} ${gone.hosts.map((h) => `${h.name} (${h.public_ip})`).join(', ')}`);
  return parts.join(' and ');
}

/** A cluster that lost hosts and gained others: each new address may be an old host's new one (it keeps its name and WireGuard address). */
export async function askReaddress(plan: FrontendPlan, prompt: Prompter): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of plan.changes) {
    if (c.isNew || !c.added.length || !c.removed.length) continue;
    for (const a of c.added) {
      const free = c.removed.filter((r) => !Object.values(out).includes(r.name));
      if (!free.length) break;
      const v = await prompt<string>({
        type: 'select',
        name: 'import.readdress',
        message: `${a.public_ip} is new in ${c.cluster}: a new host, or a host at a new address?`,
        choices: [
          { name: `A new host (${a.name})`, value: '' },
          ...free.map((r) => ({ name: `${r.name}, no longer at ${r.public_ip} (keeps its name and WireGuard address)`, value: r.name })),
        ],
        default: '',
      });
      if (v) out[a.public_ip] = v;
    }
  }
  return out;
}

/** Reads the frontend's provisions for a scenario (the session gets it from init's deps). */
export type FrontendReader = (s: Scenario) => Promise<{ plan: FrontendPlan; provisions: Array<{ id?: number; name?: string; hosts: unknown[] }> }>;

/** The session's "provisions on the frontend" section: read, show, ask, apply to the draft (written with the rest at the end). */
export async function frontendSection(ctx: Ctx, p: Prompter, out: Out, read: FrontendReader): Promise<void> {
  let s: Scenario;
  try {
    s = validateScenario(ctx.draft, 'the session').scenario;
  } catch {
    out('  The scenario is not complete yet (frontend, ingress and clusters are needed to reach the frontend): finish it first.\n');
    return;
  }
  out(`  Reading the provisions on ${s.frontend.name} (${s.frontend.ssh_user}@${s.frontend.address}), read only...\n`);
  let r;
  try {
    r = await read(s);
  } catch (e) {
    out(`  ${(e as Error).message}\n`);
    return;
  }
  out(
    `  ${r.provisions.length} provision(s): ${r.provisions.map((x) => `${x.id ?? '?'}${x.name ? ` ${shown(x.name)}` : ''} (${x.hosts.length} host(s))`).join(', ') || 'none'}.\n`,
  );
  if (planIsEmpty(r.plan)) {
    out('  The scenario already matches the frontend.\n');
    return;
  }
  const choices: FrontendChoices = { remove: false, readdress: await askReaddress(r.plan, p) };
  const gone = removals(r.plan, choices);
  if (gone.hosts.length || gone.clusters.length) {
    const what = describeRemovals(gone);
    out(`  The frontend no longer provisions ${what}.\n`);
    choices.remove =
      (await ask<boolean>({ name: 'import.remove', type: 'confirm', message: `Remove ${what}? (${REMOVAL_EFFECT})`, default: () => false }, ctx, p)) ?? false;
  }
  out(
    describePlan(r.plan, choices)
      .map((l) => `  ${l}\n`)
      .join(''),
  );
  if (
    await ask<boolean>(
      { name: 'import.apply', type: 'confirm', message: 'Apply these changes (the file is written at the end of the session)?', default: () => true },
      ctx,
      p,
    )
  ) {
    ctx.draft = applyFrontendPlan(ctx.draft as Record<string, unknown>, r.plan, choices) as ScenarioInput;
  }
}
