/**
 * Use case: bring the overlay up on the scenario's hosts, one idempotent step
 * at a time (steps/index.ts), after (re)generating the inventory. The CLI parses
 * argv, loads the scenario and prints; this runs the task list and returns
 * what happened.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import { ansiblePaths, findOneDeploy } from '../adapters/ansible.js';
import { FACTS_DIR } from '../adapters/runner.js';
import type { Effects } from '../adapters/effects.js';
import type { Exec } from '../adapters/exec.js';
import { identityFilesFor } from '../adapters/ssh-config.js';
import { UsageError, UserFacingError } from '../core/errors.js';
import type { Scenario } from '../core/scenario.js';
import { kvmHosts } from '../core/scenario.js';
import { sshOptions } from '../core/ssh-hosts.js';
import { parseAddressList } from '../core/net.js';
import { unsafeJsonData } from '../core/unsafe.js';
import type { HostObservation } from '../core/verify.js';
import { generate, type Generated } from './generate.js';
import { selectSteps, STEP_NAMES, stepNamed } from './steps/index.js';
import { playbookTask, stepCommand } from './steps/playbook.js';
import { forgetSteps, readDeployState } from '../adapters/fingerprint.js';
import { readPrevious } from '../adapters/files.js';
import { sshTarget } from '../core/host-keys.js';
import { addressesFromHostVars } from '../core/plan.js';
import { renumbering } from '../core/wireguard/addresses.js';
import { meshHosts } from './steps/hosts.js';
import { recordUnchanged, skippedAsUnchanged, stepsAboutToRun } from './steps/unchanged.js';
import type { DeployContext, DeployStep, RunLog, StepDeps, StepName } from './steps/types.js';

export type RendererName = 'default' | 'simple' | 'silent';

/** Fancy output only for a person at a terminal; simple in CI, silent in tests. */
export function chooseRenderer(env: { isTTY?: boolean; ci?: boolean; test?: boolean; quiet?: boolean }): RendererName {
  if (env.test || env.quiet) return 'silent';
  if (env.ci || !env.isTTY) return 'simple';
  return 'default';
}

export interface DeployInput {
  scenario: Scenario;
  /** Where the scenario came from (titles, logs, the printed `edge-wizard one` line). */
  source: string;
  warnings: string[];
  outDir: string;
  from?: string;
  only?: string;
  check?: boolean;
  yes?: boolean;
  identity?: string;
  restrictFrom?: string;
  firewallMode?: 'open' | 'strict';
  /** Run every step, also those whose inputs are unchanged since the last verified deploy. */
  full?: boolean;
  /** Hosts rebuilt under the same name and address: read their new SSH host keys through the frontend and accept them. */
  acceptNewHostKey?: string[];
  /** Accept a changed wireguard.subnet on hosts already deployed (every overlay address changes at once). */
  renumber?: boolean;
  /** Seconds verify keeps collecting while checks fail (default 0: one snapshot; the CLI's --settle default is DEFAULT_SETTLE_S). */
  settle?: number;
  /** Run the OpenNebula step (default true). */
  opennebula?: boolean;
  oneEndpoint?: string;
  renderer?: RendererName;
  /** Where the task list writes (default stdout); `--json` sends it to stderr so stdout holds JSON only. */
  rendererOutput?: NodeJS.WriteStream;
}

export interface DeployDeps {
  exec: Exec;
  effects: Effects;
  now: () => number;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  confirm: (message: string) => Promise<boolean>;
  /** Told what generation changed, before the task list starts. */
  onGenerated?: (g: Generated, outDir: string) => void;
  /** The OpenNebula use case (app/one.ts), scenario in memory. */
  one?: StepDeps['one'];
  /** Overrides where opennebula.deploy is looked for (tests). */
  findCollections?: () => string | undefined;
}

export interface DeployOutcome {
  ok: boolean;
  ctx?: DeployContext;
  /** Final state of every task by title. */
  tasks?: Array<{ title: string; state: string }>;
  report: string;
  logPath?: string;
  outDir: string;
  generated?: Generated;
  /** Set when the user declined at the confirmation: nothing was done. */
  declined?: boolean;
  /** Why the run stopped early (a preflight or step error), when it did. */
  stopped?: string;
}

/** The controller's public key: --identity, then the scenario's ssh options, then ~/.ssh. */
export function controllerPublicKey(
  s: Scenario,
  identity: string | undefined,
  read: (p: string) => string | undefined = readIfExists,
): { path: string; key: string } {
  const candidates: string[] = [];
  if (identity) candidates.push(identity.endsWith('.pub') ? identity : `${identity}.pub`);
  const ssh = sshOptions(s.ansible.ssh_common_args);
  for (const f of ssh.identityFiles) candidates.push(`${f}.pub`);
  if (ssh.configFile) {
    const text = read(ssh.configFile);
    if (text) for (const f of identityFilesFor(text, kvmHosts(s)[0]?.name ?? s.ingress.name)) candidates.push(`${f}.pub`);
  }
  for (const n of ['id_ed25519', 'id_ecdsa', 'id_rsa']) candidates.push(join(homedir(), '.ssh', `${n}.pub`));
  for (const c of candidates) {
    const key = read(c);
    if (key && /^(ssh-|ecdsa-|sk-)/.test(key.trim())) return { path: c, key: key.trim().split('\n')[0]! };
  }
  throw new UserFacingError(
    `No SSH public key found for this controller (looked at ${candidates.join(', ')}): pass --identity FILE, or create one with ssh-keygen -t ed25519.`,
  );
}

function readIfExists(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A run log under DIR/logs/, 0600. It holds Ansible's output and our own lines;
 * neither can hold the password: every playbook run gets one_pass withheld
 * (core/secrets.ts), and our messages never include it.
 */
export function runLog(outDir: string, kind: string, now: number): RunLog {
  mkdirSync(join(outDir, 'logs'), { recursive: true, mode: 0o700 });
  const path = join(outDir, 'logs', `${kind}-${new Date(now).toISOString().replace(/[:.]/g, '-')}.log`);
  return {
    path,
    write(text: string) {
      appendFileSync(path, text, { mode: 0o600 });
    },
  };
}

export async function readObservations(dir: string): Promise<HostObservation[]> {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as HostObservation));
}

export async function resetDir(dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Runs the deploy. Usage errors (bad --from/--only) throw before anything is written. */
export async function deploy(input: DeployInput, deps: DeployDeps): Promise<DeployOutcome> {
  let names: StepName[];
  try {
    names = selectSteps({ from: input.from, only: input.only });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { scenario, outDir } = input;
  // authorized_keys `from="..."`: addresses and CIDRs only, so nothing else reaches the key's options.
  let restrictFrom: string | undefined;
  if (input.restrictFrom !== undefined) {
    const parsed = parseAddressList(input.restrictFrom, '--restrict-from');
    if ('problem' in parsed) throw new UsageError(parsed.problem);
    restrictFrom = parsed.list;
  }
  const accept = (input.acceptNewHostKey ?? []).map((name) => {
    const t = sshTarget(scenario, name);
    if (!t)
      throw new UsageError(
        `--accept-new-host-key ${name}: ${input.source} has no ingress or KVM host of that name; name one of ${meshHosts(scenario).join(', ')}.`,
      );
    return t;
  });
  await refuseRenumbering(input);

  // Generation is the same use case as `edge-wizard generate`.
  const collectionsPath = (deps.findCollections ?? (() => findOneDeploy(deps.env)))();
  const generated = await generate(scenario, outDir, deps.effects, ansiblePaths(deps.env, collectionsPath));
  deps.onGenerated?.(generated, outDir);

  const ctx: DeployContext = {
    scenario,
    inventoryDir: outDir,
    collectionsPath,
    check: Boolean(input.check),
    extraVarsFile: join(outDir, '.deploy-vars.json'),
    results: [],
    failedHosts: new Map(),
    opennebula: input.opennebula !== false,
    oneEndpoint: input.oneEndpoint,
    scenarioSource: input.source,
    warnings: input.warnings,
    full: Boolean(input.full),
    acceptHostKeys: accept,
    settleMs: (input.settle ?? 0) * 1000,
  };
  const steps = names.map(stepNamed).filter((s) => s.enabled?.(ctx) ?? true);
  ctx.steps = steps;
  ctx.stepNames = steps.map((s) => s.name);
  const pub = steps.some((s) => s.opensHosts) ? controllerPublicKey(scenario, input.identity) : undefined;
  // Every string from outside (scenario, flags, the key's comment) reaches Ansible as data:
  // marked unsafe when it could template (core/unsafe.ts), .deploy-vars.json being read by `-e @`.
  const extraVars = unsafeJsonData({
    root_access_oneprovision_key: scenario.frontend.oneprovision_key,
    root_access_frontend: scenario.frontend.name,
    // Who preflight's reach play pings (host-facts.yml), also when run by hand with -e @.deploy-vars.json.
    ew_reach_hosts: [scenario.ingress.name, scenario.frontend.name],
    ...(pub ? { root_access_public_key: pub.key } : {}),
    ...(restrictFrom ? { root_access_from: restrictFrom } : {}),
    ...(input.firewallMode ? { firewall_mode: input.firewallMode } : {}),
    // What precheck.yml compares the inventory with (computed here, not in Jinja).
    ew_mesh_addresses: Object.fromEntries(Object.entries(generated.addresses).map(([h, a]) => [h, `${a}/${scenario.wireguard.subnet.split('/')[1]}`])),
    // Topology hub: each host's planned peers (ew_wireguard_hubs, ew_wireguard_peers).
    ...generated.peerChecks,
  }) as Record<string, unknown>;

  if (deps.effects.dryRun) {
    // Nothing runs: each step's command is recorded as it would run.
    for (const step of steps.filter((s) => !s.guard)) {
      const cmd = stepCommand(ctx, step);
      if (step.dryRun) await deps.effects.run(step.name, step.dryRun(ctx), []);
      else if (cmd) await deps.effects.run(step.name, cmd.file, cmd.args, { env: cmd.env });
    }
    return { ok: true, report: '', outDir, ctx, generated };
  }

  if (!input.yes && !input.check && deps.isTTY && !deps.env.CI) {
    const hosts = 1 + kvmHosts(scenario).length;
    const go = await deps.confirm(
      `Deploy ${steps
        .filter((s) => !s.guard)
        .map((s) => s.name)
        .join(', ')} on ${hosts} hosts of "${scenario.name}"?`,
    );
    if (!go) return { ok: true, report: 'Nothing done.\n', outDir, declined: true };
  }

  await deps.effects.writeFile(ctx.extraVarsFile!, `${JSON.stringify(extraVars, null, 2)}\n`, 0o600);
  // Facts are gathered once per deploy: the steps share a fact cache (adapters/runner.ts), which
  // starts empty so that no fact outlives the deploy that gathered it (a host rebuilt, readdressed).
  rmSync(join(outDir, FACTS_DIR), { recursive: true, force: true });
  const log = runLog(outDir, 'deploy', deps.now());
  log.write(`edge-wizard deploy ${input.source} steps=${names.join(',')} check=${ctx.check}\n`);

  const renderer = input.renderer ?? chooseRenderer({ isTTY: deps.isTTY, ci: Boolean(deps.env.CI), test: deps.env.NODE_ENV === 'test' });
  const stepDeps: StepDeps = { exec: deps.exec, log, now: deps.now, readObservations, resetDir, progress: renderer === 'default', one: deps.one };
  const output = input.rendererOutput ? { logger: new ListrLogger({ processOutput: new ProcessOutput(input.rendererOutput, input.rendererOutput) }) } : {};
  // The first step that may change hosts first takes its digests out of the deploy state.
  let forgotten = false;
  const beforeChange = async (c: DeployContext) => {
    if (forgotten || c.check) return;
    forgotten = true;
    await forgetSteps(c.inventoryDir, stepsAboutToRun(c));
  };
  const list = new Listr<DeployContext>(
    steps.map((step) => taskOf(step, stepDeps, beforeChange)),
    {
      ctx,
      // Preflight failures stop everything; a failing host inside a step does not.
      exitOnError: true,
      renderer,
      fallbackRenderer: 'simple',
      rendererOptions: { collapseSubtasks: false, showErrorMessage: true, ...output },
      fallbackRendererOptions: output,
    } as never,
  );
  let fatal: Error | undefined;
  try {
    await list.run();
  } catch (e) {
    fatal = e as Error;
  }
  const rep = deployReport(ctx);
  if (!fatal && rep.ok) await recordUnchanged(ctx, deps.effects, deps.now());
  const text = `${fatal ? `deploy stopped: ${fatal.message}\n` : ''}${rep.text}log: ${log.path}\n`;
  log.write(`\n=== report\n${text}`);
  return {
    ok: !fatal && rep.ok,
    ctx,
    tasks: taskStates(list),
    report: text,
    logPath: log.path,
    outDir,
    generated,
    ...(fatal ? { stopped: fatal.message } : {}),
  };
}

/**
 * A changed wireguard.subnet on hosts a verified deploy configured: refused (exit 2)
 * before anything is written, unless --renumber says the operator planned for it.
 */
async function refuseRenumbering(input: DeployInput): Promise<void> {
  if (input.renumber || !readDeployState(input.outDir)) return;
  const previous = addressesFromHostVars((await readPrevious(input.outDir)).hostVars);
  const moved = renumbering(input.scenario, previous);
  if (!moved) return;
  throw new UsageError(
    `wireguard.subnet is now ${input.scenario.wireguard.subnet}, but ${moved.host} has ${moved.from} from the last deploy in ${input.outDir}: ` +
      'renumbering gives every host a new overlay address at once and cuts every VM off until OpenNebula re-creates its VXLAN device, ' +
      'so put the old subnet back, or stop (or migrate away) the VMs and run deploy again with --renumber, then redeploy the VMs.',
  );
}

function taskOf(step: DeployStep, deps: StepDeps, beforeChange: (ctx: DeployContext) => Promise<void>) {
  const task = step.task ? step.task(deps) : playbookTask(step, deps);
  const mode = step.checkMode;
  const skip = (ctx: DeployContext): string | false => {
    if (ctx.check && mode && mode !== 'check') return mode.skip;
    return skippedAsUnchanged(ctx, step);
  };
  if (!step.playbook) return { ...task, skip };
  const run = task.task;
  return {
    ...task,
    skip,
    task: async (ctx: DeployContext, t: Parameters<typeof run>[1]) => {
      await beforeChange(ctx);
      return run(ctx, t);
    },
  };
}

/**
 * Step x host from each step's recap: ok, changed, failed, and a note where a
 * host was unreachable, left out (skipped) or ran nothing. Plain aligned text,
 * step by step in the order they ran; empty when no playbook step ran.
 */
export function summaryTable(ctx: DeployContext): string {
  const rows: string[][] = [];
  for (const r of ctx.results.filter((x) => x.step !== 'opennebula')) {
    const listed = stepNamed(r.step).hosts?.(ctx.scenario) ?? [];
    const hosts = [...listed, ...Object.keys(r.recap).filter((h) => !listed.includes(h))];
    for (const host of hosts) {
      const st = r.recap[host];
      const problem = r.problems.find((p) => p.host === host);
      const earlier = ctx.failedHosts.get(host);
      let note = '';
      if (st?.unreachable || problem?.kind === 'unreachable') note = 'unreachable';
      else if (!st && earlier && STEP_NAMES.indexOf(earlier.step) < STEP_NAMES.indexOf(r.step)) note = `skipped: failed in ${earlier.step}`;
      else if (!st && !stepNamed(r.step).opensHosts && ctx.pendingHosts?.has(host)) note = `skipped: ${ctx.pendingHosts.get(host)}`;
      else if (!st && problem) note = 'failed';
      else if (!st) note = 'no tasks ran';
      rows.push([r.step, host, ...(st ? [st.ok, st.changed, st.failed].map(String) : ['-', '-', '-']), note]);
    }
  }
  if (!rows.length) return '';
  const all = [['step', 'host', 'ok', 'changed', 'failed', ''], ...rows];
  const width = all[0]!.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  // Names left-aligned, counts right-aligned under their heading.
  const line = (row: string[]) =>
    row
      .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  return `${all.map(line).join('\n')}\n`;
}

/** The end-of-run report: the step x host table, then which host failed where and why. */
export function deployReport(ctx: DeployContext): { ok: boolean; text: string } {
  const lines: string[] = [];
  const table = summaryTable(ctx);
  if (table) lines.push(table.trimEnd());
  const timed = ctx.results.filter((r) => r.step !== 'opennebula');
  if (ctx.unchanged)
    lines.push(`unchanged since ${ctx.unchanged.since}, skipped: ${[...ctx.unchanged.steps].join(', ')} (the overlay verified; --full runs them)`);
  if (timed.length) lines.push(`time: ${timed.map((r) => `${r.step} ${(r.durationMs / 1000).toFixed(1)} s`).join(', ')}`);
  for (const r of ctx.results.filter((x) => x.step === 'opennebula')) {
    lines.push(
      `opennebula: ${r.exitCode === 0 ? 'done' : 'failed'}, ${(r.durationMs / 1000).toFixed(1)}s${ctx.check ? ' (dry run: calls listed, none made)' : ''}`,
    );
  }
  const problems = [...ctx.failedHosts.entries()].map(([host, f]) => `  - ${host}: ${f.step} failed at "${f.problem.task}": ${f.problem.message}`);
  if (ctx.pendingHosts?.size) {
    lines.push(`check mode: ${[...ctx.pendingHosts.keys()].join(', ')} would first get root access; the later steps were not checked on them.`);
  }
  if (problems.length) {
    lines.push('Hosts that did not finish (fix them and run deploy again; the other hosts are done):', ...problems);
  }
  if (ctx.verify) {
    const bad = ctx.verify.checks.filter((c) => !c.ok);
    lines.push(bad.length ? `verify: ${bad.length} of ${ctx.verify.checks.length} checks failed:` : `verify: all ${ctx.verify.checks.length} checks passed`);
    for (const c of bad) lines.push(`  - ${c.title}: ${c.detail ?? 'failed'}`);
  }
  const ok = !problems.length && ctx.results.every((r) => r.exitCode === 0 || r.step === 'verify') && (ctx.verify ? ctx.verify.ok : true);
  return { ok, text: `${lines.join('\n')}\n` };
}

/** Every task's title and final state, depth first (tests assert on these). */
export function taskStates(list: { tasks: unknown[] }): Array<{ title: string; state: string }> {
  const out: Array<{ title: string; state: string }> = [];
  const walk = (tasks: unknown[]) => {
    for (const t of tasks as Array<{ title?: string; state?: string; subtasks?: unknown[] }>) {
      out.push({ title: String(t.title ?? ''), state: String(t.state ?? '') });
      if (t.subtasks?.length) walk(t.subtasks);
    }
  };
  walk(list.tasks);
  return out;
}
