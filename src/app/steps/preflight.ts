import { join } from 'node:path';
import type { ListrTask } from 'listr2';
import { MIN_ANSIBLE_CORE, parseAnsibleVersion, PLAYBOOKS_DIR, versionAtLeast } from '../../adapters/ansible.js';
import { problemsFromEvents, runnerIdent } from '../../adapters/runner.js';
import { describeHost, parseHostReports, unsupportedHosts } from '../../core/families.js';
import { comparePin, PIN_INSTALL_HINT, readFrrPin, readInstalled, readPin } from '../../adapters/one-deploy.js';
import { frrOutsidePin, frrPinApplies } from '../../core/frr-pin.js';
import { hostKeyKind, hostKeyMessage, knownHostsName, type HostKeyProblem, parseHostKeyProblems, parseScanned } from '../../core/host-keys.js';
import { sshArgWords } from '../../core/ssh-hosts.js';
import type { Scenario } from '../../core/scenario.js';
import { keyFingerprint, knownHostsFile, replaceKnownHost } from '../../adapters/known-hosts.js';
import { inventoryPath, runRunnerJob, type RunnerOutcome } from './playbook.js';
import type { DeployContext, DeployStep, StepDeps } from './types.js';

/** Read-only checks that guard every other step; always runs, and its failure stops the deploy. */
export const preflight: DeployStep<'preflight'> = {
  name: 'preflight',
  guard: true,
  title: 'Preflight',
  help: [
    'scenario valid, ansible-core, opennebula.deploy collection (pinned?),',
    "SSH reach to the ingress and through it the frontend, each host's OS family and FRR,",
    'SSH host keys (a changed one stops the deploy: --accept-new-host-key)',
  ],
  dryRun: () => "(read-only checks: ansible-core, the collection, then preflight.yml: the inventory, SSH reach, each host's OS and FRR)",
  task: (deps: StepDeps): ListrTask<DeployContext> => ({
    title: preflight.title,
    task: (first, task) => {
      const jobs = preflightJobs(deps);
      return task.newListr<DeployContext>(
        [
          {
            title: `Scenario ${first.scenarioSource} is valid`,
            task: (ctx, sub) => {
              if (ctx.warnings.length) sub.title = `${sub.title} (${ctx.warnings.length} warning${ctx.warnings.length > 1 ? 's' : ''})`;
            },
          },
          {
            title: `ansible-core ${MIN_ANSIBLE_CORE} or newer`,
            task: async (ctx, sub) => {
              const r = await deps.exec('ansible-playbook', ['--version']);
              if (r.failedToStart || r.exitCode !== 0) {
                throw new Error('ansible-playbook not found: install ansible-core (apt-get install ansible-core, or pipx install ansible-core).');
              }
              const v = parseAnsibleVersion(r.stdout);
              if (!v || !versionAtLeast(v, MIN_ANSIBLE_CORE)) {
                throw new Error(`ansible-core ${v ?? '(unknown)'} is too old: install ${MIN_ANSIBLE_CORE} or newer.`);
              }
              ctx.ansibleVersion = v;
              sub.title = `ansible-core ${v}`;
            },
          },
          {
            title: 'Find the opennebula.deploy collection',
            task: (ctx, sub) => {
              if (!ctx.collectionsPath)
                throw new Error(
                  `The opennebula.deploy collection (one-deploy) was not found: install the pinned one with \`${PIN_INSTALL_HINT}\` from edge-wizard's directory, or extract one-deploy and set ONE_DEPLOY_DIR to it.`,
                );
              sub.title = `opennebula.deploy found in ${ctx.collectionsPath}`;
            },
          },
          {
            title: 'opennebula.deploy is the pinned release',
            task: (ctx, sub) => {
              const line = collectionVersionLine(ctx.collectionsPath!);
              sub.title = line.title;
              deps.log.write(`\n=== one-deploy: ${line.title}\n`);
              if (line.warning) ctx.warnings.push(line.warning);
            },
          },
          {
            title: 'Inventory is consistent (precheck.yml)',
            task: async (ctx) => {
              const problem = inventoryProblem(await jobs.inventory(ctx));
              if (problem) throw new Error(problem);
            },
          },
          {
            title: `Accept the new SSH host keys of ${(first.acceptHostKeys ?? []).map((t) => t.name).join(', ')}, read through the frontend ${first.scenario.frontend.name}`,
            enabled: (ctx) => Boolean(ctx.acceptHostKeys?.length),
            task: async (ctx, sub) => {
              const targets = ctx.acceptHostKeys!;
              const run = {
                outDir: ctx.inventoryDir,
                ident: runnerIdent(deps.now(), 'host-keys'),
                playbook: join(PLAYBOOKS_DIR, 'host-keys.yml'),
                inventory: inventoryPath(ctx),
                extraVars: { ew_accept_hosts: targets },
              };
              const r = await runRunnerJob(ctx, deps, run, 'host keys');
              const scanned = parseScanned(r.exec.stdout);
              const missing = targets.filter((t) => !scanned.has(t.name)).map((t) => t.name);
              if (missing.length) {
                throw new Error(
                  `The frontend ${ctx.scenario.frontend.name} could not read the SSH host key of ${missing.join(', ')} (${r.problems[0]?.message ?? `exit ${r.exec.exitCode}`}): check that the host is up and its sshd listening, then run deploy again.`,
                );
              }
              const sshArgs = sshArgWords(ctx.scenario.ansible.ssh_common_args);
              const lines: string[] = [];
              for (const t of targets) {
                const file = await knownHostsFile(deps.exec, sshArgs, t);
                await replaceKnownHost(deps.exec, file, knownHostsName(t), scanned.get(t.name)!);
                lines.push(`${t.name} ${keyFingerprint(scanned.get(t.name)!)} in ${file}`);
              }
              deps.log.write(`\n=== host keys accepted (read through ${ctx.scenario.frontend.name}):\n${lines.join('\n')}\n`);
              sub.title = `Accepted new SSH host keys, read through ${ctx.scenario.frontend.name}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
            },
          },
          {
            title: `Reach the ingress ${first.scenario.ingress.name} and, through it, the frontend ${first.scenario.frontend.name} over SSH`,
            task: async (ctx, sub) => {
              const problem = reachProblem(await jobs.hosts(ctx), ctx.scenario, ctx.scenarioSource);
              if (problem) throw new Error(problem);
              sub.title = `Reached ${ctx.scenario.ingress.name} and ${ctx.scenario.frontend.name} over SSH`;
            },
          },
          {
            title: "Read each mesh host's OS family and FRR version (host-facts.yml)",
            task: async (ctx, sub) => {
              const r = (await jobs.hosts(ctx)).exec;
              // A changed (or never accepted) host key stops the deploy before anything changes.
              const keys = parseHostKeyProblems(r.stdout);
              if (keys.length) throw new Error(hostKeyMessage(keys, ctx.scenario, ctx.scenarioSource));
              const reports = parseHostReports(r.stdout);
              if (!reports.length) {
                // Not a reason to stop: the steps that need a host report it themselves.
                ctx.warnings.push(`the hosts' OS and FRR could not be read (host-facts.yml exit ${r.exitCode}): see the log.`);
                sub.title = `Hosts' OS and FRR: not read (host-facts.yml exit ${r.exitCode}; see the log)`;
                return;
              }
              deps.log.write(`${reports.map(describeHost).join('\n')}\n`);
              const unsupported = unsupportedHosts(reports);
              if (unsupported.length) throw new Error(unsupported.join(' '));
              // one-deploy keeps an FRR a host already has: one outside its pinned series is named (core/frr-pin.ts).
              const pin = ctx.collectionsPath && frrPinApplies(ctx.scenario) ? readFrrPin(ctx.collectionsPath) : undefined;
              const frr = pin ? frrOutsidePin(reports, pin, ctx.scenarioSource) : { errors: [], warnings: [] };
              deps.log.write(
                `FRR pin: ${pin ? `${pin} (one-deploy's roles/repository)` : frrPinApplies(ctx.scenario) ? "unknown (no FRR series in one-deploy's roles/repository)" : "none (ansible.repos_enabled leaves out frr: the distribution's FRR)"}\n`,
              );
              if (frr.errors.length) throw new Error(frr.errors.join(' '));
              ctx.warnings.push(...frr.warnings);
              const pinLine = pin ? `\n  one-deploy pins FRR ${pin}${frr.warnings.map((w) => `\n  warning: ${w}`).join('')}` : '';
              if (frr.warnings.length) deps.log.write(`${frr.warnings.map((w) => `warning: ${w}`).join('\n')}\n`);
              sub.title = `Hosts' OS and FRR:\n${reports.map((h) => `  ${describeHost(h)}`).join('\n')}${pinLine}`;
            },
          },
        ],
        { concurrent: false, exitOnError: true },
      );
    },
  }),
};

/** The plays of precheck.yml and host-facts.yml whose results preflight reads from the job's events (by name). */
export const INVENTORY_PLAY = 'Check the inventory';
export const REACH_PLAY = 'Reach the ingress and the frontend over SSH';

/**
 * Preflight's read-only checks as ansible-runner jobs, each started once, when a subtask first
 * needs it: one job of preflight.yml (the inventory check, the reach, the host facts: one
 * process start instead of three); with host keys to accept, precheck.yml, then (after
 * host-keys.yml) host-facts.yml, which starts with the reach.
 */
function preflightJobs(deps: StepDeps) {
  const started = new Map<string, Promise<RunnerOutcome>>();
  const job = (ctx: DeployContext, playbook: string): Promise<RunnerOutcome> => {
    let p = started.get(playbook);
    if (!p) {
      const name = playbook.replace(/\.yml$/, '');
      const run = {
        outDir: ctx.inventoryDir,
        ident: runnerIdent(deps.now(), name),
        playbook: join(PLAYBOOKS_DIR, playbook),
        inventory: inventoryPath(ctx),
        // Whom the reach play pings (ew_reach_hosts) comes with the deploy's vars (.deploy-vars.json).
        extraVars: {},
      };
      p = runRunnerJob(ctx, deps, run, name);
      started.set(playbook, p);
    }
    return p;
  };
  const apart = (ctx: DeployContext) => Boolean(ctx.acceptHostKeys?.length);
  return {
    inventory: (ctx: DeployContext) => job(ctx, apart(ctx) ? 'precheck.yml' : 'preflight.yml'),
    hosts: (ctx: DeployContext) => job(ctx, apart(ctx) ? 'host-facts.yml' : 'preflight.yml'),
  };
}

const playProblems = (o: RunnerOutcome, play: string) => problemsFromEvents(o.events.filter((e) => e.event_data?.play === play));

/** Why the inventory check stops the deploy (its first failed assert's fail_msg, or the runner's own error), or nothing. */
export function inventoryProblem(o: RunnerOutcome): string | undefined {
  const p = o.problems.find((x) => x.host === 'controller') ?? playProblems(o, INVENTORY_PLAY)[0];
  if (p) return p.message;
  const ran = o.events.some((e) => e.event === 'playbook_on_play_start' && e.event_data?.play === INVENTORY_PLAY);
  if (o.exec.exitCode !== 0 && !ran) return `precheck failed (exit ${o.exec.exitCode}): see the log.`;
  return undefined;
}

/** Why the ingress or the frontend stops the deploy (a host key, else unreachable: one sentence), or nothing. */
export function reachProblem(o: RunnerOutcome, s: Scenario, source: string): string | undefined {
  const controller = o.problems.find((x) => x.host === 'controller');
  if (controller) return controller.message;
  const problems = playProblems(o, REACH_PLAY);
  const message = (h: string) => problems.find((p) => p.host === h)?.message;
  // A host that answered has a recap line and no problem in the reach play.
  const bad = [s.ingress.name, s.frontend.name].filter((h) => message(h) !== undefined || !o.recap[h]);
  const keys = bad.flatMap((h): HostKeyProblem[] => {
    const kind = hostKeyKind(message(h) ?? '');
    return kind ? [{ host: h, kind }] : [];
  });
  if (keys.length) return hostKeyMessage(keys, s, source);
  if (!bad.length) return undefined;
  return (
    bad.map((h) => `${h} is not reachable over SSH: ${message(h) ?? `no answer (exit ${o.exec.exitCode})`}`).join('; ') +
    ' — check the address, the user and your SSH key.'
  );
}

/**
 * The collection's version and whether it is the pinned release: a title for
 * the preflight line, and a warning when it is not (a warning, not a failure:
 * another one-deploy may work, it is just not the one edge-wizard was proven with).
 */
export function collectionVersionLine(collectionsPath: string): { title: string; warning?: string } {
  const installed = readInstalled(collectionsPath);
  if (!installed) return { title: `opennebula.deploy in ${collectionsPath}: version unknown (no roles directory)` };
  const version = installed.version ? `${installed.version} (${installed.versionFrom})` : 'of unknown version (no MANIFEST.json or galaxy.yml)';
  let pin;
  try {
    pin = readPin();
  } catch (e) {
    return { title: `opennebula.deploy ${version} in ${installed.dir}; the pin could not be read: ${(e as Error).message}` };
  }
  const name = `${pin.tag} (${pin.commit.slice(0, 7)})`;
  const cmp = comparePin(installed, pin);
  if (cmp.pinned) return { title: `opennebula.deploy ${version} in ${installed.dir}: the pinned ${name}` };
  const warning =
    `opennebula.deploy in ${installed.dir} is not the pinned ${name}: its role${cmp.differing.length > 1 ? 's' : ''} ${cmp.differing.join(', ')} differ; ` +
    `edge-wizard was proven with the pin: install it with \`${PIN_INSTALL_HINT}\` and set ONE_DEPLOY_DIR=~/.ansible/collections, unless you mean to run this one.`;
  return { title: `opennebula.deploy ${version} in ${installed.dir}: WARNING, not the pinned ${name} (${cmp.differing.join(', ')} differ)`, warning };
}
