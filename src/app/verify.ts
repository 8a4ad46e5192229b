/**
 * Use case: check the overlay on every host, read-only. It uses the inventory
 * already on disk (it never rewrites it) and says when that inventory no longer
 * matches the scenario.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ansiblePaths, findOneDeploy } from '../adapters/ansible.js';
import { readDeployState } from '../adapters/fingerprint.js';
import { createEffects } from '../adapters/effects.js';
import type { Exec } from '../adapters/exec.js';
import { UsageError } from '../core/errors.js';
import type { Scenario } from '../core/scenario.js';
import { overlayFacts, type OverlayFacts } from '../core/observed.js';
import { judge, type VerifyReport } from '../core/verify.js';
import { readObservations, resetDir, runLog } from './deploy.js';
import { generate } from './generate.js';
import { meshHosts } from './steps/hosts.js';
import { runVerify, verifyDir } from './steps/verify.js';
import type { DeployContext } from './steps/types.js';

export interface VerifyDeps {
  exec: Exec;
  now: () => number;
  env: NodeJS.ProcessEnv;
}

export interface VerifyOutcome {
  report: VerifyReport;
  /** Generated files that differ from what the scenario would generate now. */
  stale: string[];
  logPath?: string;
  /** What the hosts reported, per host and peer (`--json`, `--prometheus`). */
  facts: OverlayFacts;
  /** When the run finished (deps.now()), epoch milliseconds. */
  finishedAt: number;
}

/** The context of an operation on an overlay already deployed from `outDir` (verify, rotate-keys). */
export function operationContext(scenario: Scenario, source: string, outDir: string, env: NodeJS.ProcessEnv): DeployContext {
  return {
    scenario,
    inventoryDir: outDir,
    collectionsPath: findOneDeploy(env),
    check: false,
    results: [],
    failedHosts: new Map(),
    scenarioSource: source,
    warnings: [],
  };
}

export async function verifyOverlay(scenario: Scenario, source: string, outDir: string, deps: VerifyDeps): Promise<VerifyOutcome> {
  if (!existsSync(join(outDir, 'hosts.yml'))) {
    throw new UsageError(`There is no inventory in ${outDir}: run "edge-wizard deploy -f ${source}" (or "generate") first, or pass --out DIR.`);
  }
  // Compare only: a dry-run Effects writes nothing.
  const { changes } = await generate(scenario, outDir, createEffects({ dryRun: true, exec: deps.exec }), ansiblePaths(deps.env));
  const stale = changes.filter((c) => c.action === 'create' || c.action === 'update').map((c) => c.path);
  const log = runLog(outDir, 'verify', deps.now());
  const ctx = operationContext(scenario, source, outDir, deps.env);
  // Drift: what differs from what the last verified deploy left on each host (named, never changed).
  const recorded = readDeployState(outDir)?.hosts;
  const report = await runVerify(ctx, { exec: deps.exec, log, now: deps.now, readObservations, resetDir }, undefined, { recorded });
  const facts = overlayFacts(await readObservations(verifyDir(ctx)), meshHosts(scenario));
  return { report, stale, logPath: log.path, facts, finishedAt: deps.now() };
}

/**
 * What the last verify (the command or deploy's step) left in DIR/.verify/,
 * judged again; undefined when there is none. Read-only: nothing runs.
 */
export async function lastVerify(scenario: Scenario, outDir: string): Promise<{ report: VerifyReport; facts: OverlayFacts } | undefined> {
  const dir = verifyDir({ inventoryDir: outDir });
  if (!existsSync(dir)) return undefined;
  const observations = await readObservations(dir);
  if (!observations.length) return undefined;
  return { report: judge(observations, meshHosts(scenario)), facts: overlayFacts(observations, meshHosts(scenario)) };
}
