#!/usr/bin/env node
// `npm run faults`: the fault suite (issue 10) on a lab of its own (root). Builds the lab
// "faults", deploys its scenario as `edge-wizard demo` does (keeping one KVM host spare for
// the add-host fault), creates the VMs, then fails things one at a time and prints one row
// per fault: what was measured, the target, pass or FAIL (bench/fault-suite.ts, run from the sources by tsx).
// The lab's controller side runs in its own network namespace (nsenter --net), so the
// suite never collides with another lab on this machine. Traffic stays in the lab.
//
//   npm run faults                          every fault (about 10-20 minutes)
//   npm run faults -- --only vtep-cut,vm-move,vm-migrate
//   npm run faults -- --keep                leave the lab up afterwards (tear down with the printed command)
//   npm run faults -- --json FILE           also write the rows as JSON
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createEffects } from '../src/adapters/effects.js';
import { deploy } from '../src/app/deploy.js';
import { controllerNamespace } from '../src/lab/controller.js';
import { labDown } from '../src/lab/lab.js';
import { FAULT_IDS, renderFaultTable, runFaultSuite } from './fault-suite.js';
import { labBenchPreflight } from './preflight.js';

// --teardown DIR (internal): remove the lab kept in DIR; run by the exit hook below.
const { values } = parseArgs({ options: { only: { type: 'string' }, keep: { type: 'boolean' }, json: { type: 'string' }, teardown: { type: 'string' } } });
const only = values.only ? values.only.split(',').map((s) => s.trim()) : undefined;
const unknown = (only ?? []).filter((id) => !FAULT_IDS.includes(id));
if (unknown.length > 0) {
  console.error(`Unknown fault "${unknown[0]}": use one or more of ${FAULT_IDS.join(', ')} (comma-separated).`);
  process.exit(2);
}
labBenchPreflight('npm run faults');

const name = 'faults';
const ctlNs = 'ewfaults-ctl';
const stateRoot = values.teardown ?? mkdtempSync(join(tmpdir(), 'ew-faults-'));
const say = (line) => console.error(line);
const ctl = controllerNamespace(ctlNs, (l) => say(`    ${l}`));
const { exec: inCtl, labDeps } = ctl;
const env = { ...process.env, NODE_ENV: 'test' };
const deployDeps = { exec: inCtl, effects: createEffects({ dryRun: false, exec: inCtl }), now: Date.now, env, isTTY: false, confirm: async () => true };

const deployFn = async (scenario, source, outDir) => {
  const r = await deploy({ scenario, source, warnings: [], outDir, yes: true, opennebula: false, renderer: 'silent' }, deployDeps);
  return { ok: r.ok, addresses: r.generated?.addresses ?? {}, report: r.report };
};

// One teardown, however it is reached (end of run or Ctrl-C): both wait for the same promise.
let cleaning;
const cleanup = () => (cleaning ??= teardown());
async function teardown() {
  if (values.keep) {
    say(`Lab kept: nsenter --net=/run/netns/${ctlNs} edge-wizard lab status --name ${name} --state-dir ${stateRoot}`);
    say(`Tear down: nsenter --net=/run/netns/${ctlNs} edge-wizard lab down --name ${name} --state-dir ${stateRoot} --purge; ip netns del ${ctlNs}`);
    return;
  }
  await labDown({ name, stateRoot, purge: true }, labDeps, { quiet: true }).catch((e) => say(`lab down: ${e.message}`));
  try {
    execFileSync('ip', ['netns', 'del', ctlNs], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  rmSync(stateRoot, { recursive: true, force: true });
  tornDown = true;
}
process.on('SIGINT', () => {
  say('Interrupted: tearing the lab down...');
  cleanup().finally(() => process.exit(130));
});
// Whatever ends the process before the teardown finished (listr2 exits with 127 on Ctrl-C
// during a deploy), a separate process removes the lab.
let tornDown = false;
process.on('exit', () => {
  if (tornDown || values.keep || values.teardown || !existsSync(stateRoot)) return;
  process.stderr.write('Removing the lab (separate process)...\n');
  spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--teardown', stateRoot], { stdio: 'inherit' });
});
if (values.teardown) {
  await cleanup();
  process.exit(0);
}

const t0 = performance.now();
let code = 0;
try {
  await ctl.open();
  const rows = await runFaultSuite({ name, stateRoot, only }, { lab: labDeps, deploy: deployFn, say });
  const minutes = ((performance.now() - t0) / 60_000).toFixed(1);
  process.stdout.write(
    `\n${renderFaultTable(rows)}\nFault suite: ${rows.filter((r) => r.result === 'pass').length} pass, ${rows.filter((r) => r.result === 'FAIL').length} FAIL, ${rows.filter((r) => r.result === 'not measured').length} not measured, in ${minutes} min (lab up and first deploy included).\n`,
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ rows, minutes: Number(minutes) }, null, 2)}\n`);
  code = rows.every((r) => r.result === 'pass') ? 0 : 1;
} catch (e) {
  console.error(`Fault suite stopped: ${e.message}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
