// The deploy's growth with the fleet, for `npm run bench:fleet -- --parts deploy` (issue 25):
// for each size K (default 2, 4, 8, 16 KVM hosts, two clusters), `edge-wizard lab up -f` of a
// generated scenario as lab fleetK, from a controller namespace of our own (ewf-ctl), then a
// cold `edge-wizard deploy` (without OpenNebula) timed by step, then the lab removed. Prints
// the seconds per size, the marginal seconds per host (least squares), and that line
// extrapolated to 1000 hosts at the generated forks (50).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runDeploy } from '../dist/cli/commands/deploy.js';
import { controllerNamespace } from '../dist/lab/controller.js';
import { labPaths } from '../dist/lab/files.js';
import { labDown, labUp, readLabSource } from '../dist/lab/lab.js';

export function deployScenario(k) {
  const half = Math.ceil(k / 2);
  const cluster = (c, region, base, n) => ({
    name: c,
    region,
    public_network: { name: `${c}-public`, ips: [`${base}.50`] },
    hosts: Array.from({ length: n }, (_, i) => ({ name: `${c}-kvm${i + 1}`, public_ip: `${base}.${21 + i}` })),
  });
  return {
    name: `fleet${k}`,
    frontend: { name: 'fe1', address: '10.20.0.10' },
    ingress: { name: 'ingress', public_ip: '203.0.113.10' },
    control_subnet: '10.20.0.0/24',
    clusters: [cluster('east', 'us-east-2', '203.0.113', half), cluster('west', 'us-west-2', '198.51.100', k - half)],
    wireguard: { subnet: '10.200.0.0/24' },
  };
}

/** Least-squares line through (hosts, seconds): { slope, intercept }. */
export function fitLine(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const slope = sxx ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

const memUsed = () => {
  const m = Object.fromEntries(
    readFileSync('/proc/meminfo', 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split(':')[0], Number.parseInt(l.split(':')[1], 10)]),
  );
  return (m.MemTotal - m.MemAvailable) / 1024;
};

/** budgetSeconds: a size is not started once the run has taken this long (the machine is shared). */
export async function deployGrowth(sizes, log = () => undefined, budgetSeconds = Infinity) {
  const ctl = controllerNamespace('ewf-ctl', (l) => log(`    ${l}`));
  const rows = [];
  const start = performance.now();
  await ctl.open();
  try {
    for (const k of sizes) {
      if ((performance.now() - start) / 1000 > budgetSeconds) {
        rows.push({ k, error: `not run: the sizes before it took past the ${budgetSeconds} s budget (--deploy-budget)` });
        continue;
      }
      const name = `fleet${k}`;
      const stateRoot = mkdtempSync(join(tmpdir(), `ew-${name}-`));
      const file = join(stateRoot, `${name}.yaml`);
      writeFileSync(file, stringify(deployScenario(k)));
      const row = { k };
      try {
        const t0 = performance.now();
        await labUp({ name, stateRoot, scenario: await readLabSource(file) }, ctl.labDeps);
        row.labUp = (performance.now() - t0) / 1000;
        log(`${name}: lab up in ${row.labUp.toFixed(1)} s; deploying`);
        let peak = memUsed();
        const sampler = setInterval(() => (peak = Math.max(peak, memUsed())), 200);
        const sink = { write: () => true };
        const deps = { exec: ctl.exec, now: Date.now, env: { ...process.env, NODE_ENV: 'test' }, isTTY: false, confirm: async () => true };
        const t1 = performance.now();
        const r = await runDeploy(
          { file: labPaths(name, stateRoot).scenario, out: join(stateRoot, 'inventory'), yes: true, opennebula: false, renderer: 'silent' },
          { out: sink, err: sink, debug: false },
          deps,
        );
        clearInterval(sampler);
        row.deploy = (performance.now() - t1) / 1000;
        row.ok = r.ok;
        row.steps = Object.fromEntries(r.ctx.results.map((x) => [x.step, x.durationMs / 1000]));
        row.peakMem = peak;
        log(`${name}: deploy ${row.ok ? 'ok' : 'FAILED'} in ${row.deploy.toFixed(1)} s`);
      } catch (e) {
        row.error = String(e.message ?? e).split('\n')[0];
      } finally {
        try {
          await labDown({ name, stateRoot }, ctl.labDeps);
        } catch (e) {
          log(`${name}: lab down: ${e.message}`);
        }
        rmSync(stateRoot, { recursive: true, force: true });
      }
      rows.push(row);
    }
  } finally {
    await ctl.close();
  }
  return rows;
}

export function deployTable(rows, forks = 50) {
  const ok = rows.filter((r) => r.ok);
  const lines = ['| KVM hosts | lab up | cold deploy | steps (s) | machine memory peak |', '|---|---|---|---|---|'];
  for (const r of rows) {
    if (r.error || !r.ok) {
      lines.push(`| ${r.k} | ${r.labUp ? `${r.labUp.toFixed(1)} s` : '-'} | ${r.error ? `error: ${r.error}` : `FAILED after ${r.deploy.toFixed(1)} s`} | | |`);
      continue;
    }
    lines.push(
      `| ${r.k} | ${r.labUp.toFixed(1)} s | ${r.deploy.toFixed(1)} s | ${Object.entries(r.steps)
        .map(([s, v]) => `${s} ${v.toFixed(1)}`)
        .join(', ')} | ${Math.round(r.peakMem)} MiB |`,
    );
  }
  if (ok.length >= 2) {
    const { slope, intercept } = fitLine(ok.map((r) => [r.k, r.deploy]));
    lines.push(
      '',
      `marginal ${slope.toFixed(1)} s per KVM host (least squares over ${ok.map((r) => r.k).join(', ')} hosts; ${intercept.toFixed(1)} s fixed); forks ${forks}`,
    );
    lines.push(
      `extrapolated to 1000 KVM hosts: ${((intercept + slope * 1000) / 60).toFixed(0)} min on this 2-core controller, if the per-host cost stays linear`,
    );
  }
  return lines.join('\n');
}
