import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UsageError, UserFacingError } from '../errors.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { writeAtomic } from '../../adapters/files.js';
import { identityFilesFor } from '../../adapters/ssh-config.js';
import { realExec, type Exec } from '../../adapters/exec.js';
import { findOneDeploy } from '../../adapters/ansible.js';
import { redact } from '../../core/redact.js';
import type { Scenario } from '../../core/scenario.js';
import type { HostObservation } from '../../core/verify.js';
import { defaultOutDir, generate, renderDiff, summary } from './generate.js';
import {
  chooseRenderer,
  deployList,
  deployReport,
  oneArgv,
  selectSteps,
  taskStates,
  stepCommand,
  STEPS,
  type DeployContext,
  type DeployDeps,
  type RendererName,
  type RunLog,
  type StepName,
} from '../tasks/deploy.js';

export const command: Command = {
  help: `Usage: edge-wizard deploy -f FILE [options]

Brings the overlay up on the scenario's hosts, one idempotent step at a time:
  preflight    scenario valid, ansible-core, opennebula.deploy collection,
               SSH reach to the ingress and through it the frontend
  root-access  through the frontend's oneprovision key, let this controller in
               as root on every KVM host
  firewall     remove oneprovision's AWS REJECT rule (or, with
               --firewall strict, open only the mesh ports before it)
  wireguard    keys made on each host, the planned mesh, wg-quick@wg0
  frr          one-deploy's frr.common + frr.evpn (route reflector on the ingress)
  verify       EVPN sessions Established, handshakes fresh, DF ping at the MTU
  opennebula   the cluster, the EVPN network and the Virtual Router in oned
               (as "edge-wizard one"; --no-opennebula skips it)

The inventory is (re)generated first (as "edge-wizard generate"). A host that
fails is named with its step and cause; the other hosts finish; run deploy
again once it is fixed. Each run writes a log (no secrets) under DIR/logs/.

Options:
  -f, --file FILE        Scenario file (default: edge-wizard.yaml)
  -o, --out DIR          Inventory directory (default: inventories/<scenario name>)
      --from STEP        Start at STEP (preflight always runs)
      --only STEP        Run only STEP (after preflight)
      --check            Ansible check mode with diff: change nothing
  -n, --dry-run          Show the inventory diff and the ansible-playbook commands; run nothing
  -y, --yes              Do not ask for confirmation
      --identity FILE    Controller public key to install on the KVM hosts
                         (default: the IdentityFile of the scenario's ssh options, else ~/.ssh/id_*.pub)
      --restrict-from ADDR  Restrict that key to connections from ADDR (from="ADDR")
      --firewall MODE    open (default) or strict
      --no-opennebula    Skip the OpenNebula step (e.g. on the lab, which has no oned)
      --one-endpoint URL oned XML-RPC endpoint instead of the SSH tunnel to the frontend
  -h, --help             Show this help

Steps: ${STEPS.join(', ')}
`,
  async run(argv, io) {
    const { values } = parse(
      argv,
      {
        file: { type: 'string', short: 'f' },
        out: { type: 'string', short: 'o' },
        from: { type: 'string' },
        only: { type: 'string' },
        check: { type: 'boolean' },
        'dry-run': { type: 'boolean', short: 'n' },
        yes: { type: 'boolean', short: 'y' },
        identity: { type: 'string' },
        'restrict-from': { type: 'string' },
        firewall: { type: 'string' },
        'no-opennebula': { type: 'boolean' },
        'one-endpoint': { type: 'string' },
      },
      'deploy',
    );
    if (values.from && values.only) throw new UsageError('--from and --only cannot be used together: pick one.');
    if (values.firewall && !['open', 'strict'].includes(values.firewall)) throw new UsageError(`--firewall ${values.firewall} is not a mode: use open or strict.`);
    const result = await runDeploy(
      {
        file: values.file,
        out: values.out,
        from: values.from,
        only: values.only,
        check: Boolean(values.check),
        dryRun: Boolean(values['dry-run']),
        yes: Boolean(values.yes),
        identity: values.identity,
        restrictFrom: values['restrict-from'],
        firewallMode: values.firewall as 'open' | 'strict' | undefined,
        opennebula: !values['no-opennebula'],
        oneEndpoint: values['one-endpoint'],
      },
      io,
    );
    return result.ok ? 0 : 1;
  },
};

export interface DeployOptions {
  file?: string;
  out?: string;
  from?: string;
  only?: string;
  check?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  identity?: string;
  restrictFrom?: string;
  firewallMode?: 'open' | 'strict';
  /** Run the OpenNebula step (default true). */
  opennebula?: boolean;
  oneEndpoint?: string;
  renderer?: RendererName;
}

export interface DeployRunDeps {
  exec: Exec;
  now: () => number;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  confirm: (message: string) => Promise<boolean>;
  /** Overrides where opennebula.deploy is looked for (tests). */
  findCollections?: () => string | undefined;
  /** Overrides how the OpenNebula step runs `edge-wizard one` (tests). */
  runOne?: (argv: string[], io: CommandIO) => Promise<number>;
}

export function defaultRunDeps(): DeployRunDeps {
  return {
    exec: realExec,
    now: Date.now,
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    confirm: async (message) => {
      const { confirm } = await import('@inquirer/prompts');
      return confirm({ message, default: false });
    },
  };
}

export interface DeployOutcome {
  ok: boolean;
  ctx?: DeployContext;
  /** Final state of every task by title. */
  tasks?: Array<{ title: string; state: string }>;
  report: string;
  logPath?: string;
  outDir: string;
}

/** Secrets to scrub from logs: plain one_pass, and values of env-referenced secrets. */
export function secretsOf(s: Scenario, env: NodeJS.ProcessEnv): string[] {
  const p = s.opennebula.password;
  if (typeof p === 'string') return [p];
  if ('env' in p && env[p.env]) return [env[p.env]!];
  return [];
}

/** The controller's public key: --identity, then the ssh options of the scenario, then ~/.ssh. */
export function controllerPublicKey(s: Scenario, identity: string | undefined, read: (p: string) => string | undefined = readIfExists): { path: string; key: string } {
  const candidates: string[] = [];
  if (identity) candidates.push(identity.endsWith('.pub') ? identity : `${identity}.pub`);
  const args = (s.ansible.ssh_common_args ?? '').split(/\s+/).filter(Boolean);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-i' && args[i + 1]) candidates.push(`${args[i + 1]}.pub`);
    const m = /^IdentityFile=(.+)$/.exec(a === '-o' ? (args[i + 1] ?? '') : '');
    if (m) candidates.push(`${m[1]}.pub`);
    if (a === '-F' && args[i + 1]) {
      const text = read(args[i + 1]!);
      if (text) {
        for (const f of identityFilesFor(text, kvmFirst(s))) candidates.push(`${f}.pub`);
      }
    }
  }
  for (const n of ['id_ed25519', 'id_ecdsa', 'id_rsa']) candidates.push(join(homedir(), '.ssh', `${n}.pub`));
  for (const c of candidates) {
    const key = read(c);
    if (key && /^(ssh-|ecdsa-|sk-)/.test(key.trim())) return { path: c, key: key.trim().split('\n')[0]! };
  }
  throw new UserFacingError(`No SSH public key found for this controller (looked at ${candidates.join(', ')}): pass --identity FILE, or create one with ssh-keygen -t ed25519.`);
}

function kvmFirst(s: Scenario): string {
  return s.clusters[0]?.hosts[0]?.name ?? s.ingress.name;
}

function readIfExists(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

export function fileLog(path: string, secrets: string[]): RunLog {
  return {
    path,
    write(text: string) {
      appendFileSync(path, redact(text, secrets), { mode: 0o600 });
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

export async function runDeploy(opts: DeployOptions, io: CommandIO, deps: DeployRunDeps = defaultRunDeps()): Promise<DeployOutcome> {
  const steps = (() => {
    try {
      return selectSteps({ from: opts.from, only: opts.only });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  })();
  const { scenario, warnings, path: source } = await loadScenarioFile(opts.file);
  for (const w of warnings) io.err.write(`warning: ${w.message}\n`);
  const outDir = resolve(opts.out ?? defaultOutDir(scenario));
  const secrets = secretsOf(scenario, deps.env);

  // Generation is the core's (same as `edge-wizard generate`).
  const changes = await generate(scenario, outDir, { dryRun: opts.dryRun });
  io.err.write(summary(changes, outDir, Boolean(opts.dryRun)));

  const collectionsPath = (deps.findCollections ?? (() => findOneDeploy(deps.env)))();
  const pub = steps.includes('root-access') ? controllerPublicKey(scenario, opts.identity) : undefined;
  const extraVars: Record<string, unknown> = {
    root_access_oneprovision_key: scenario.frontend.oneprovision_key,
    root_access_frontend: scenario.frontend.name,
    ...(pub ? { root_access_public_key: pub.key } : {}),
    ...(opts.restrictFrom ? { root_access_from: opts.restrictFrom } : {}),
    ...(opts.firewallMode ? { firewall_mode: opts.firewallMode } : {}),
  };
  const extraVarsFile = join(outDir, '.deploy-vars.json');
  const ctx: DeployContext = {
    scenario,
    inventoryDir: outDir,
    collectionsPath,
    check: Boolean(opts.check),
    extraVarsFile,
    results: [],
    failedHosts: new Map(),
    opennebula: opts.opennebula !== false,
    oneEndpoint: opts.oneEndpoint,
    scenarioFile: source,
  };

  if (opts.dryRun) {
    io.out.write(renderDiff(changes));
    io.out.write(`\nWould run (env ANSIBLE_CONFIG=${join(outDir, 'ansible.cfg')} ANSIBLE_COLLECTIONS_PATH=${collectionsPath ?? '(not found)'}):\n`);
    for (const step of steps.filter((s) => s !== 'preflight')) {
      if (step === 'opennebula') {
        if (ctx.opennebula) io.out.write(`  opennebula: ${['edge-wizard', 'one', ...oneArgv(ctx)].map(shellQuote).join(' ')}\n`);
        continue;
      }
      const c = stepCommand(ctx, step)!;
      io.out.write(`  ${step}: ${[c.file, ...c.args].map(shellQuote).join(' ')}\n`);
    }
    return { ok: true, report: '', outDir };
  }

  if (!opts.yes && !opts.check && deps.isTTY && !deps.env.CI) {
    const hosts = 1 + scenario.clusters.reduce((n, c) => n + c.hosts.length, 0);
    const go = await deps.confirm(`Deploy ${steps.filter((s) => s !== 'preflight').join(', ')} on ${hosts} hosts of "${scenario.name}"?`);
    if (!go) {
      io.err.write('Nothing done.\n');
      return { ok: true, report: '', outDir };
    }
  }

  await writeAtomic(extraVarsFile, `${JSON.stringify(extraVars, null, 2)}\n`, 0o600);
  mkdirSync(join(outDir, 'logs'), { recursive: true, mode: 0o700 });
  const stamp = new Date(deps.now()).toISOString().replace(/[:.]/g, '-');
  const log = fileLog(join(outDir, 'logs', `deploy-${stamp}.log`), secrets);
  log.write(`edge-wizard deploy ${source} steps=${steps.join(',')} check=${ctx.check}\n`);

  const renderer = opts.renderer ?? chooseRenderer({ isTTY: deps.isTTY, ci: Boolean(deps.env.CI), test: deps.env.NODE_ENV === 'test' });
  const taskDeps: DeployDeps = { exec: deps.exec, log, now: deps.now, readObservations, resetDir, progress: renderer === 'default', runOne: deps.runOne };
  const list = deployList(steps, ctx, taskDeps, { scenarioSource: source, warnings: warnings.map((w) => w.message), renderer });
  let fatal: Error | undefined;
  try {
    await list.run();
  } catch (e) {
    fatal = e as Error;
  }
  const rep = deployReport(ctx);
  const text = `${fatal ? `deploy stopped: ${redact(fatal.message, secrets)}\n` : ''}${rep.text}log: ${log.path}\n`;
  log.write(`\n=== report\n${text}`);
  io.out.write(text);
  return { ok: !fatal && rep.ok, ctx, tasks: taskStates(list), report: text, logPath: log.path, outDir };
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export type { StepName };
