/**
 * deploy's verify settles (steps/verify.ts runVerify): while a check fails it collects
 * again every few seconds until --settle runs out; it stops at the first passing
 * collection, and does not wait when a host failed earlier in the run (or with settle 0).
 * ansible-runner is faked (it reports nothing); the observations are scripted.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Exec } from '../../src/adapters/exec.js';
import { runVerify, SETTLE_INTERVAL_MS } from '../../src/app/steps/verify.js';
import type { DeployContext, StepDeps } from '../../src/app/steps/types.js';
import { parseScenario } from '../../src/core/index.js';
import type { HostObservation } from '../../src/core/verify.js';

const { scenario } = parseScenario(readFileSync('test/fixtures/lab-scenarios/one-cluster.yaml', 'utf8'));
const HOSTS = [scenario.ingress.name, ...scenario.clusters.flatMap((c) => c.hosts.map((h) => h.name))];

/** Every host sees every other: sessions on the ingress, fresh handshakes, DF pings through. */
function healthy(): HostObservation[] {
  const addr = (i: number) => `10.50.0.${i + 1}`;
  const key = (i: number) => `K${i}=`;
  const summary = JSON.stringify({ peers: Object.fromEntries(HOSTS.slice(1).map((_, i) => [`*${addr(i + 1)}`, { state: 'Established', pfxRcd: 2 }])) });
  return HOSTS.map((host, i) => ({
    host,
    router: i === 0,
    wireguard_address: `${addr(i)}/32`,
    mtu: 1420,
    now: 1000,
    wg_rc: 0,
    public_key: key(i),
    wg_handshakes: HOSTS.map((_, j) => (j === i ? '' : `${key(j)}\t990`))
      .filter(Boolean)
      .join('\n'),
    bgp_summary: i === 0 ? summary : '',
    peers: HOSTS.filter((h) => h !== host),
    peer_addresses: HOSTS.map((_, j) => addr(j)).filter((_, j) => j !== i),
    pings: HOSTS.filter((h) => h !== host).map((h) => [h, 0] as [string, number]),
  }));
}

function setup(script: Array<'down' | 'up'>, settleMs: number) {
  let clock = 0;
  const collections: number[] = [];
  const sleeps: number[] = [];
  const fakeRunner: Exec = async () => ({ exitCode: 0, stdout: '', stderr: '', durationMs: 1, command: 'ansible-runner' }) as never;
  const deps: StepDeps = {
    exec: fakeRunner,
    log: { write: () => undefined },
    now: () => clock,
    sleep: async (ms) => void (sleeps.push(ms), (clock += ms)),
    resetDir: async () => undefined,
    readObservations: async () => {
      collections.push(clock);
      clock += 2_000; // a collection takes time too
      const state = script[Math.min(collections.length - 1, script.length - 1)];
      return state === 'up' ? healthy() : [];
    },
  };
  const ctx: DeployContext = {
    scenario,
    inventoryDir: mkdtempSync(join(tmpdir(), 'ew-settle-')),
    check: false,
    results: [],
    failedHosts: new Map(),
    scenarioSource: 'one-cluster.yaml',
    warnings: [],
    settleMs,
  };
  return { ctx, deps, collections, sleeps };
}

describe('verify settles while sessions come up', () => {
  test('the healthy fixture passes every check (the test means something)', async () => {
    const { ctx, deps, collections } = setup(['up'], 0);
    const r = await runVerify(ctx, deps);
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(collections).toHaveLength(1);
  });

  test('failing, then passing: collects again every few seconds and stops at the first pass', async () => {
    const { ctx, deps, collections, sleeps } = setup(['down', 'down', 'up'], 120_000);
    const lines: string[] = [];
    const r = await runVerify(ctx, deps, (l) => lines.push(l));
    expect(r.ok).toBe(true);
    expect(collections).toHaveLength(3);
    expect(sleeps).toEqual([SETTLE_INTERVAL_MS, SETTLE_INTERVAL_MS]);
    expect(lines[0]).toMatch(/^\d+ of \d+ checks not passing yet; collecting again \(settling, 118 s left\)$/);
    expect(ctx.verify).toBe(r);
  });

  test('never passing: gives up when settle runs out and reports the last collection', async () => {
    const { ctx, deps, collections } = setup(['down'], 30_000);
    const r = await runVerify(ctx, deps);
    expect(r.ok).toBe(false);
    // 2 s per collection + SETTLE_INTERVAL_MS between, and one last after the deadline's short sleep.
    const cycle = 2_000 + SETTLE_INTERVAL_MS;
    expect(collections.length).toBeGreaterThanOrEqual(Math.floor(30_000 / cycle));
    expect(collections.length).toBeLessThanOrEqual(Math.ceil(30_000 / cycle) + 1);
    expect(collections.at(-1)!).toBeLessThanOrEqual(30_000);
  });

  test('settle 0, or a host that failed earlier in the run: one snapshot, no waiting', async () => {
    const a = setup(['down', 'up'], 0);
    expect((await runVerify(a.ctx, a.deps)).ok).toBe(false);
    expect(a.sleeps).toEqual([]);
    const b = setup(['down', 'up'], 120_000);
    b.ctx.failedHosts.set(HOSTS[1]!, { step: 'firewall', problem: { host: HOSTS[1]!, task: 't', kind: 'unreachable', message: 'gone' } });
    expect((await runVerify(b.ctx, b.deps)).ok).toBe(false);
    expect(b.collections).toHaveLength(1);
  });
});
