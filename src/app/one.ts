/**
 * Use case: the OpenNebula side of a scenario (cluster, EVPN network, Virtual
 * Router) through oned's XML-RPC API, by name and idempotently. Called by
 * `edge-wizard one` and by deploy's OpenNebula step, with the scenario in memory.
 */
import type { Exec } from '../adapters/exec.js';
import {
  breakLock,
  ensureOne,
  LockHeld,
  NetworkNotReady,
  VrouterNotReleased,
  type EnsureResult,
  type LockOptions,
  type WaitOptions,
} from '../adapters/opennebula/ensure.js';
import { resolvePassword, SecretError, startTunnel, type Exec as SecretExec, type Spawn, type Tunnel } from '../adapters/opennebula/tunnel.js';
import { createOneClient, httpTransport, OneError, XmlRpcFault, type Transport } from '../adapters/opennebula/xmlrpc.js';
import { UsageError, UserFacingError } from '../core/errors.js';
import { checkEndpoint, plainHttpWarning } from '../core/opennebula/endpoint.js';
import { PlanProblems } from '../core/opennebula/plan.js';
import type { Scenario } from '../core/scenario.js';

export interface OneDeps {
  env: NodeJS.ProcessEnv;
  /** Starts the long-running SSH tunnel. */
  spawn: Spawn;
  /** Runs ansible-vault for a `{vault: ...}` password; a non-zero exit is an error. */
  exec: SecretExec;
  transport: (endpoint: string) => Transport;
}

export async function defaultOneDeps(exec: Exec): Promise<OneDeps> {
  const { execa } = await import('execa');
  return {
    env: process.env,
    spawn: (file, args) => execa(file, args, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' }) as unknown as ReturnType<Spawn>,
    exec: async (file, args, opts) => {
      const r = await exec(file, args, { input: opts?.input, env: opts?.env });
      if (r.exitCode !== 0) throw new Error(`${file} exited ${r.exitCode}`);
      return { stdout: r.stdout };
    },
    transport: (endpoint) => httpTransport(endpoint),
  };
}

export interface OneOptions {
  /** oned XML-RPC endpoint instead of the SSH tunnel to the frontend. */
  endpoint?: string;
  /** Read what exists and list the calls that would be made; make none. */
  dryRun: boolean;
  /** Each warning as soon as the plan is made; without it, warnings go to `say` as "warning: ..." lines. */
  warn?: (line: string) => void;
  /** How long to wait for the Virtual Router's image to be copied before releasing its VM. */
  wait?: Partial<WaitOptions>;
  /** How long to wait for another run on the same scenario (its lock in oned). */
  lock?: Partial<LockOptions>;
  /** Only release the scenario's lock (left by a run that died), then stop. */
  unlock?: boolean;
}

export interface OneResult extends EnsureResult {
  warnings: string[];
}

/** Ensures the OpenNebula objects; `say` gets one line per call made (or, in a dry run, that would be). */
export async function ensureOpenNebula(scenario: Scenario, opts: OneOptions, deps: OneDeps, say: (line: string) => void): Promise<OneResult> {
  const warn = opts.warn ?? ((w: string) => say(`warning: ${w}`));
  // An empty --endpoint is a mistake (exit 2), never a silent fall-back to the SSH tunnel.
  const checked = opts.endpoint === undefined ? undefined : checkEndpoint(opts.endpoint);
  if (checked?.error) throw new UsageError(checked.error);
  const plain = checked?.url && plainHttpWarning(checked.url);
  if (plain) warn(plain);
  let password: string;
  try {
    password = await resolvePassword(scenario.opennebula.password, { env: deps.env, exec: deps.exec });
  } catch (e) {
    if (e instanceof SecretError) throw new UserFacingError(e.message);
    throw e;
  }

  let tunnel: Tunnel | undefined;
  let endpoint = opts.endpoint;
  if (endpoint === undefined) {
    try {
      tunnel = await startTunnel(scenario, { spawn: deps.spawn });
    } catch (e) {
      throw new UserFacingError((e as Error).message);
    }
    endpoint = tunnel.endpoint;
  }
  try {
    const client = createOneClient({ transport: deps.transport(endpoint), user: 'oneadmin', password });
    if (opts.unlock) {
      const id = await breakLock(client, scenario);
      say(
        id === undefined
          ? `scenario ${scenario.name} has no lock in oned: nothing to release`
          : `released the lock of scenario ${scenario.name} (document ${id})`,
      );
      return { plan: { steps: [], known: {}, warnings: [] }, done: [], ids: {}, warnings: [] };
    }
    const r = await ensureOne(client, scenario, { dryRun: opts.dryRun, log: say, warn, wait: opts.wait, lock: opts.lock });
    return { ...r, warnings: r.plan.warnings };
  } catch (e) {
    if (e instanceof OneError) throw new UserFacingError(`${e.message}; nothing else was attempted after it.`);
    if (e instanceof PlanProblems) throw new UserFacingError(`OpenNebula is not ready for this scenario:\n${e.problems.map((p) => `  - ${p}`).join('\n')}`);
    if (e instanceof XmlRpcFault) throw new UserFacingError(`oned rejected the call: ${e.faultString}.`);
    if (e instanceof VrouterNotReleased || e instanceof NetworkNotReady || e instanceof LockHeld) throw new UserFacingError(e.message);
    if (e instanceof Error && /ECONNREFUSED|no answer from oned|HTTP \d+/.test(e.message)) {
      throw new UserFacingError(`Cannot reach oned at ${endpoint} (${e.message.replace(/^connect /, '')}): check --endpoint or frontend.xmlrpc_port.`);
    }
    throw e;
  } finally {
    await tunnel?.stop();
  }
}
