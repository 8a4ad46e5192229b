/**
 * Use case: rotate WireGuard keys as an operation. New keys are made on the
 * hosts (never on the controller); every host gets its new config; all switch
 * at one instant agreed in advance, with `wg syncconf` (no interface goes down).
 * Then the overlay is verified.
 */
import { join } from 'node:path';
import { PLAYBOOKS_DIR } from '../adapters/ansible.js';
import type { Exec } from '../adapters/exec.js';
import { runnerIdent } from '../adapters/runner.js';
import { UsageError } from '../core/errors.js';
import type { Scenario } from '../core/scenario.js';
import type { VerifyReport } from '../core/verify.js';
import { readObservations, resetDir, runLog } from './deploy.js';
import { meshHosts } from './steps/hosts.js';
import { inventoryPath, runRunnerJob } from './steps/playbook.js';
import { operationContext } from './verify.js';
import { DEFAULT_SETTLE_S, runVerify } from './steps/verify.js';

export interface RotateDeps {
  exec: Exec;
  now: () => number;
  env: NodeJS.ProcessEnv;
}

export interface RotateOutcome {
  ok: boolean;
  hosts: string[];
  /** The instant every host switched (epoch ms). */
  at: number;
  problems: string[];
  verify?: VerifyReport;
  logPath?: string;
}

/** Seconds between starting the switch on every host and the switch itself. */
export function leadSeconds(hosts: number): number {
  return 8 + Math.ceil(hosts / 25);
}

export async function rotateKeys(scenario: Scenario, source: string, outDir: string, only: string[], deps: RotateDeps): Promise<RotateOutcome> {
  const mesh = meshHosts(scenario);
  const unknown = only.filter((h) => !mesh.includes(h));
  if (unknown.length) throw new UsageError(`--host ${unknown[0]} is not a host of ${source}: use one of ${mesh.join(', ')}.`);
  const hosts = only.length ? only : mesh;
  const at = deps.now() + leadSeconds(mesh.length) * 1000;
  const log = runLog(outDir, 'rotate-keys', deps.now());
  // Verify settles as deploy's does: the handshake gap at the switch can let BFD take BGP sessions down for a
  // few seconds, so a snapshot taken right after it would blame sessions that are coming back.
  const ctx = { ...operationContext(scenario, source, outDir, deps.env), settleMs: DEFAULT_SETTLE_S * 1000 };
  // An operation outside the deploy's steps, run through the same runner job (argv, env, log, results).
  const run = {
    outDir,
    ident: runnerIdent(deps.now(), 'rotate-keys'),
    playbook: join(PLAYBOOKS_DIR, 'rotate-keys.yml'),
    inventory: inventoryPath(ctx),
    extraVars: { rotate_hosts: hosts.join(','), rotate_at: (at / 1000).toFixed(3) },
  };
  const r = await runRunnerJob(ctx, { exec: deps.exec, log, now: deps.now, readObservations, resetDir }, run, 'rotate-keys');
  const problems = r.problems.map((p) => `${p.host} ${p.kind} at "${p.task}": ${p.message}`);
  if (problems.length || r.exec.exitCode !== 0)
    return { ok: false, hosts, at, problems: problems.length ? problems : [`ansible-runner exited ${r.exec.exitCode}`], logPath: log.path };
  const verify = await runVerify(ctx, { exec: deps.exec, log, now: deps.now, readObservations, resetDir });
  return { ok: verify.ok, hosts, at, problems: [], verify, logPath: log.path };
}
