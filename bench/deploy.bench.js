#!/usr/bin/env node
// `npm run bench:deploy`: on a fresh lab (root), times a cold deploy, a warm
// re-run with --full (every step again), a plain warm re-run (unchanged steps
// skipped after verify), and in the same cold run one-deploy's FRR roles alone (the frr step:
// playbooks/frr-evpn.yml, the seed's playbook); prints peak RAM and the load average.
// `npm run bench:deploy -- --growth` then also deploys labs of 2, 4 and 8 KVM hosts (one cold
// deploy each, same run) and prints the marginal cost per KVM host (about 6 more minutes).
// The lab's controller side runs in its own network namespace (nsenter --net),
// so the bench never collides with another lab on this machine.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { realExec } from '../dist/adapters/exec.js';
import { defaultDeps } from '../dist/lab/exec.js';
import { labDown, labUp, readLabSource } from '../dist/lab/lab.js';
import { labPaths } from '../dist/lab/files.js';
import { runDeploy } from '../dist/cli/commands/deploy.js';
import { DEFAULT_SETTLE_S } from '../dist/app/steps/verify.js';
import { labBenchPreflight } from './preflight.js';
import { deployScenario, fitLine } from './fleet-deploy.js';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

labBenchPreflight('bench:deploy');
const growth = process.argv.includes('--growth');
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const name = 'ewbench';
const ctlNs = 'ewbench-ctl';
const stateRoot = mkdtempSync(join(tmpdir(), 'ew-bench-'));
const paths = labPaths(name, stateRoot);
const outDir = join(stateRoot, 'inventory');
const inCtl = (file, args, opts) => realExec('nsenter', [`--net=/run/netns/${ctlNs}`, file, ...args], opts);
const base = defaultDeps(() => {});
const labDeps = {
  ...base,
  exec: async (file, args, opts) => {
    const r = await inCtl(file, args, { input: opts?.input, timeout: opts?.timeoutMs, env: opts?.env });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  },
};

// Machine-wide memory in use (MemTotal - MemAvailable), sampled every 100 ms.
const memUsed = () => {
  const m = Object.fromEntries(
    readFileSync('/proc/meminfo', 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split(':')[0], Number.parseInt(l.split(':')[1], 10)]),
  );
  return (m.MemTotal - m.MemAvailable) / 1024;
};
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, memUsed())), 100);

const sink = { write: () => true };
const io = { out: sink, err: sink, debug: false };
const deps = { exec: inCtl, now: Date.now, env: { ...process.env, NODE_ENV: 'test' }, isTTY: false, confirm: async () => true };
const run = async (full = false, file = paths.scenario, out = outDir) => {
  const t0 = performance.now();
  // --settle as the CLI's default: verify collects again while sessions are still coming up, as for a user.
  const r = await runDeploy({ file, out, yes: true, opennebula: false, renderer: 'silent', full, settle: DEFAULT_SETTLE_S }, io, deps);
  const seconds = (performance.now() - t0) / 1000;
  if (!r.ok) console.log(r.report);
  const steps = Object.fromEntries(r.ctx.results.map((x) => [x.step, x.durationMs / 1000]));
  const changed = r.ctx.results.filter((x) => x.step !== 'verify').reduce((n, x) => n + Object.values(x.recap).reduce((m, s) => m + s.changed, 0), 0);
  return { ok: r.ok, seconds, steps, changed, verify: r.ctx.verify };
};

let code = 0;
try {
  execFileSync('ip', ['netns', 'add', ctlNs]);
  execFileSync('ip', ['-n', ctlNs, 'link', 'set', 'lo', 'up']);
  console.log(`load average at start (1, 5, 15 min): ${load()}  (2 cores, shared)`);
  const idle = memUsed();
  const up = await labUp({ name, stateRoot }, labDeps);
  const labMem = memUsed();
  peak = labMem;
  const cold = await run();
  const coldPeak = peak;
  peak = memUsed();
  const warmFull = await run(true);
  const warm = await run();
  const warmPeak = peak;
  const frr = cold.steps.frr;
  const fmt = (s) => `${s.toFixed(1)} s`;
  console.log(`lab up (${6} hosts): ${fmt(up.seconds)}`);
  console.log(
    `cold deploy:          ${fmt(cold.seconds)}  ok=${cold.ok} changed=${cold.changed}  [${Object.entries(cold.steps)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}]`,
  );
  console.log(`  one-deploy FRR roles alone (frr step, same run): ${fmt(frr)}  -> cold/frr = ${(cold.seconds / frr).toFixed(2)} (target <= 2)`);
  console.log(
    `warm re-run --full:   ${fmt(warmFull.seconds)}  ok=${warmFull.ok} changed=${warmFull.changed}  [${Object.entries(warmFull.steps)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}]`,
  );
  console.log(`  warm --full/cold = ${(warmFull.seconds / cold.seconds).toFixed(2)} (target <= 0.5, changed=0; every step runs again)`);
  // Both targets at once: 2 x warm --full <= cold <= 2 x frr(cold), and warm --full = frr(warm) + the rest(warm),
  // so the rest of a warm --full run (preflight and every other step) may take at most frr(cold) - frr(warm).
  const restWarm = warmFull.seconds - warmFull.steps.frr;
  console.log(
    `  both targets together allow the rest of warm --full (all but the frr step) ${fmt(Math.max(0, frr - warmFull.steps.frr))}` +
      ` (frr cold ${fmt(frr)} - frr warm ${fmt(warmFull.steps.frr)}); it took ${fmt(restWarm)}`,
  );
  console.log(
    `warm re-run:          ${fmt(warm.seconds)}  ok=${warm.ok} changed=${warm.changed}  [${Object.entries(warm.steps)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}]`,
  );
  console.log(`  warm/cold = ${(warm.seconds / cold.seconds).toFixed(2)} (changed=0; unchanged steps skipped after verify)`);
  console.log(
    `memory in use: idle ${idle.toFixed(0)} MiB, lab up ${labMem.toFixed(0)} MiB, peak during cold deploy ${coldPeak.toFixed(0)} MiB (+${(coldPeak - labMem).toFixed(0)}), during warm ${warmPeak.toFixed(0)} MiB (+${(warmPeak - labMem).toFixed(0)}); bench process max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
  console.log(`load average after the deploys (1, 5, 15 min): ${load()}`);
  if (!cold.ok || !warm.ok || !warmFull.ok || warm.changed !== 0 || warmFull.changed !== 0) code = 1;
} catch (e) {
  console.error(e);
  code = 1;
} finally {
  clearInterval(sampler);
  await labDown({ name, stateRoot, purge: true }, labDeps).catch((e) => console.error(`lab down: ${e.message}`));
  try {
    execFileSync('ip', ['netns', 'del', ctlNs]);
  } catch {
    // the namespace is already gone
  }
  rmSync(stateRoot, { recursive: true, force: true });
}
if (!growth) {
  console.log('marginal cost per KVM host: not measured in this run (add `-- --growth`: labs of 2, 4 and 8 KVM hosts, about 6 more minutes)');
} else if (code === 0) {
  // One cold deploy per size, each on a lab of its own built from a generated scenario (two
  // clusters, bench/fleet-deploy.js's), one after the other in the bench's controller namespace.
  try {
    execFileSync('ip', ['netns', 'add', ctlNs]);
    execFileSync('ip', ['-n', ctlNs, 'link', 'set', 'lo', 'up']);
    const rows = [];
    for (const k of [2, 4, 8]) {
      const lab = `ewbenchg${k}`;
      const root = mkdtempSync(join(tmpdir(), `ew-${lab}-`));
      const file = join(root, `${lab}.yaml`);
      writeFileSync(file, stringify({ ...deployScenario(k), name: lab }));
      try {
        await labUp({ name: lab, stateRoot: root, scenario: await readLabSource(file) }, labDeps);
        const r = await run(false, labPaths(lab, root).scenario, join(root, 'inventory'));
        rows.push({ k, ...r });
        console.log(
          `${k} KVM hosts: cold deploy ${r.seconds.toFixed(1)} s ok=${r.ok}  [${Object.entries(r.steps)
            .map(([s, v]) => `${s} ${v.toFixed(1)}`)
            .join(', ')}]  load ${load()}`,
        );
        if (!r.ok) code = 1;
      } catch (e) {
        console.error(`${k} KVM hosts: ${e.message}`);
        code = 1;
      } finally {
        await labDown({ name: lab, stateRoot: root, purge: true }, labDeps).catch((e) => console.error(`lab down ${lab}: ${e.message}`));
        rmSync(root, { recursive: true, force: true });
      }
    }
    const ok = rows.filter((r) => r.ok).map((r) => [r.k, r.seconds]);
    if (ok.length >= 2) {
      const line = fitLine(ok);
      console.log(
        `marginal cost per KVM host: ${line.slope.toFixed(1)} s (least squares over ${ok.map((p) => p[0]).join(', ')} KVM hosts; ${line.intercept.toFixed(1)} s fixed)`,
      );
    }
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', ctlNs]);
    } catch {
      // the namespace is already gone
    }
  }
}
process.exit(code);
