/**
 * `edge-wizard lab cut|heal|reboot HOST` and the fault suite's measurements,
 * on one real lab deployed as `edge-wizard demo` does it. Asserts mechanics
 * only (a cut host hears nothing and is told nothing, a reboot boots the same
 * disk, the figures are consistent); timings belong to `npm run faults`.
 *
 * Isolation: the lab "flt" runs with its own state directory, and its
 * controller side lives in a network namespace this test creates (every
 * command goes through `nsenter --net`). Traffic goes only to addresses inside
 * the lab's namespaces; everything started here is removed in afterAll.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createEffects } from '../../src/adapters/effects.js';
import { UsageError } from '../../src/core/errors.js';
import { demo, type DemoResult } from '../../src/app/demo.js';
import { parseLabArgs, runLab } from '../../src/cli/commands/lab.js';
import { controllerNamespace } from '../../src/lab/controller.js';
import { containerRunner, labHost } from '../../src/lab/faults.js';
import { reflectorsOf, withoutHost } from '../../bench/fault-suite.js';
import { labPaths, labScenario } from '../../src/lab/files.js';
import { labDown, labStatus } from '../../src/lab/lab.js';
import { containmentCounters, cutRoutes } from '../../src/lab/netns.js';
import { evpnPeerStates, outageOf, parsePing, reflectorPeers, startPing, waitPeer, waitReachable } from '../../src/lab/outage.js';
import { readState } from '../../src/lab/state.js';
import { labTopology } from '../../src/lab/topology.js';
import { labSuite } from '../support/lab-suite.js';

const { runs, suite } = labSuite('lab fault tests');

const name = 'flt';
const t = labTopology(name);

describe('lab reboot|cut|heal arguments and the measurement arithmetic (no root)', () => {
  test('an unknown or missing HOST is one sentence and exit 2', () => {
    expect(() => parseLabArgs(['cut', 'kvm_paris1'])).toThrow(UsageError);
    expect(() => parseLabArgs(['cut', 'kvm_paris1'])).toThrow(
      'No host "kvm_paris1" in lab "lab": use one of ingress, fe1, kvm_london1, kvm_london2, kvm_ncalifornia1, kvm_ncalifornia2.',
    );
    expect(() => parseLabArgs(['reboot'])).toThrow(/Say which host to reboot/);
    expect(() => parseLabArgs(['heal', 'ingress', 'fe1'])).toThrow(/Unexpected argument "fe1"/);
    let code = 0;
    try {
      parseLabArgs(['reboot', 'nope', '--name', name]);
    } catch (e) {
      code = (e as UsageError).exitCode;
    }
    expect(code).toBe(2);
    expect(parseLabArgs(['heal', 'kvm-london1', '--name', name])).toMatchObject({ action: 'heal', host: 'kvm-london1', opts: { name } });
    expect(labHost(t, 'kvm-london1').name).toBe('kvm_london1');
  });

  test("a cut blackholes the host's addresses and what is routed through it", () => {
    expect(cutRoutes(t, labHost(t, 'ingress'))).toEqual([{ to: '203.0.113.10/32' }, { to: '10.0.1.1/32' }, { to: '10.0.1.0/24', via: '203.0.113.10' }]);
    expect(cutRoutes(t, labHost(t, 'kvm_ncalifornia2'))).toEqual([{ to: '198.51.100.22/32' }]);
  });

  test('outage figures: the longest gap between replies beyond one interval, lost replies, recovery', () => {
    const line = (seq: number, at: number) => `[${(at / 1000).toFixed(6)}] 64 bytes from 172.17.2.5: icmp_seq=${seq} ttl=64 time=0.5 ms`;
    const t0 = 1_700_000_000_000;
    // 1..10 answered every 100 ms, 11..20 lost, 21..30 answered, one duplicate.
    const seqs = [...Array.from({ length: 10 }, (_, i) => i + 1), ...Array.from({ length: 10 }, (_, i) => i + 21)];
    const out = [
      ...seqs.map((s) => line(s, t0 + s * 100)),
      `${line(25, t0 + 2500)} (DUP!)`,
      '',
      '30 packets transmitted, 20 received, +1 duplicates, 33% packet loss, time 2900ms',
    ].join('\n');
    const p = parsePing(out);
    expect(p.replies).toHaveLength(20);
    expect(outageOf(p, 100, t0 + 3100, t0)).toMatchObject({ sent: 30, received: 20, lost: 10, outageMs: 1000, outageFrom: t0 + 1000, recovered: true });
    // Stopped 3 s after the last reply: the outage was still going on.
    expect(outageOf(p, 100, t0 + 6000, t0)).toMatchObject({ lost: 10, outageMs: 2900, recovered: false });
    expect(outageOf(parsePing('5 packets transmitted, 0 received, 100% packet loss'), 100, t0 + 500, t0)).toMatchObject({
      lost: 5,
      outageMs: 500,
      recovered: false,
    });
  });

  test("FRR's EVPN summary JSON: state by peer address", () => {
    const json = JSON.stringify({
      routerId: '192.168.0.1',
      peers: { '192.168.0.3': { dynamicPeer: true, state: 'Established' }, '192.168.0.5': { state: 'Active' } },
    });
    expect(evpnPeerStates(json)).toEqual({ '192.168.0.3': 'Established', '192.168.0.5': 'Active' });
    expect(evpnPeerStates('% bgpd is not running')).toBeUndefined();
  });

  test("the reflectors are the inventory's router group; a spare host is left out of the scenario", () => {
    expect(reflectorsOf('router:\n  hosts:\n    ingress:\n      ansible_host: 1.2.3.4\n    kvm_london1: {}\n', 'x')).toEqual(['ingress', 'kvm_london1']);
    expect(reflectorsOf('frontend: {}\n', 'ingress')).toEqual(['ingress']);
    const input = labScenario(t, labPaths(name, '/nonexistent'));
    expect(withoutHost(input, 'kvm_ncalifornia2').clusters!.flatMap((c) => c!.hosts!.map((h) => h!.name))).toEqual([
      'kvm_london1',
      'kvm_london2',
      'kvm_ncalifornia1',
    ]);
  });
});

const stateRoot = runs ? mkdtempSync(join(tmpdir(), 'ew-flt-lab-')) : '/nonexistent';
const opts = { name, stateRoot };
const paths = labPaths(name, stateRoot);
const logs: string[] = [];
const ctl = controllerNamespace('ewflt-ctl', (l) => logs.push(l));
const { exec: inCtl, labDeps } = ctl;
const sink = () => {
  const chunks: string[] = [];
  return { w: { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream, text: () => chunks.join('') };
};
const lab = async (...argv: string[]): Promise<string> => {
  const s = sink();
  expect(await runLab([...argv, '--name', name, '--state-dir', stateRoot], s.w, labDeps)).toBe(0);
  return s.text();
};
const inNs = (ns: string, args: string[]) => execa('ip', ['netns', 'exec', ns, ...args], { reject: false, timeout: 30_000 });
const pings = async (ns: string, to: string, count = 2) => (await inNs(ns, ['ping', '-n', '-c', String(count), '-W', '1', to])).exitCode === 0;
const link = async (ns: string, dev: string) =>
  (JSON.parse((await execa('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev])).stdout) as Array<{ operstate: string; address: string }>)[0]!;
const eventually = async (what: () => Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 300));
  }
  return true;
};

suite('lab cut|heal|reboot and the fault measurements on a deployed lab (root, real hosts)', () => {
  let demoed: DemoResult;
  const runner = containerRunner(labDeps, opts);
  const vm = (host: string) => demoed.pings.find((p) => p.to === host)!.toAddress;

  beforeAll(async () => {
    await ctl.open();
    const started = Date.now();
    demoed = await demo(
      { lab: name, stateRoot },
      {
        exec: inCtl,
        lab: labDeps,
        deploy: {
          exec: inCtl,
          effects: createEffects({ dryRun: false, exec: inCtl }),
          now: Date.now,
          env: { ...process.env, NODE_ENV: 'test' },
          isTTY: false,
          confirm: async () => true,
        },
        say: (l) => logs.push(l),
      },
    );
    console.log(`lab up + deploy + VMs (demo's flow): ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (!demoed.ok) console.log(logs.join('\n'));
    expect(demoed.ok).toBe(true);
  }, 900_000);

  afterAll(async () => {
    await labDown({ ...opts, purge: true }, labDeps, { quiet: true }).catch((e) => console.warn(`lab down: ${(e as Error).message}`));
    await ctl.close();
    if (existsSync(stateRoot)) rmSync(stateRoot, { recursive: true, force: true });
  }, 180_000);

  test('cut: the host keeps its link up and is told nothing, nothing reaches it from its bridge or the other cloud; cut again, heal, heal again', async () => {
    const victim = labHost(t, 'kvm_london2');
    const icmpBefore = (await containmentCounters(labDeps, t)).icmpOutDestUnreachs;
    expect(await lab('cut', victim.name)).toContain('kvm_london2 cut off');
    expect((await link(victim.machine, 'enp125s0')).operstate).toBe('UP');
    expect(await pings(labHost(t, 'kvm_london1').machine, victim.sshAddress)).toBe(false);
    expect(await pings(labHost(t, 'kvm_ncalifornia1').machine, victim.sshAddress)).toBe(false);
    expect(await pings(victim.machine, labHost(t, 'ingress').sshAddress)).toBe(false);
    expect((await containmentCounters(labDeps, t)).icmpOutDestUnreachs).toBe(icmpBefore);
    expect((await labStatus(opts, labDeps)).hosts.find((h) => h.name === victim.name)).toMatchObject({ cut: true, reachable: false });
    expect(await lab('cut', victim.name)).toContain('was already cut off');

    expect(await lab('heal', victim.name)).toContain('healed');
    expect(await eventually(() => pings(labHost(t, 'kvm_ncalifornia1').machine, victim.sshAddress, 1))).toBe(true);
    expect(await eventually(() => pings(labHost(t, 'kvm_london1').machine, victim.sshAddress, 1))).toBe(true);
    expect(await lab('heal', victim.name)).toContain('was not cut off');
    expect((await labStatus(opts, labDeps)).hosts.find((h) => h.name === victim.name)).toMatchObject({ cut: false });
  }, 120_000);

  test('measurements: a VM-to-VM ping shows a cut as lost replies and an outage, then recovery; the reflector poller sees a VTEP withdrawn and back', async () => {
    const from = 'kvm_london1';
    const to = 'kvm_ncalifornia2';
    const reflectors = reflectorsOf(readFileSync(join(paths.dir, 'inventory', 'hosts.yml'), 'utf8'), 'ingress');
    const peer = (await runner('kvm_ncalifornia2', "ip -4 -o addr show dev wg0 | awk '{print $4}' | cut -d/ -f1", [])).stdout.trim();
    for (const r of reflectors.filter((x) => x !== to)) expect((await reflectorPeers(runner, r))?.[peer]).toBe('Established');

    const ping = startPing(runner, { host: from, ns: 'vm1', target: vm(to), intervalMs: 100, maxSeconds: 300 });
    await new Promise((r) => setTimeout(r, 1500));
    await lab('cut', to);
    await new Promise((r) => setTimeout(r, 2000));
    await lab('heal', to);
    expect(await waitReachable(runner, { host: from, ns: 'vm1', target: vm(to), timeoutMs: 200_000 })).toBeDefined();
    await new Promise((r) => setTimeout(r, 1000));
    const f = await ping.stop();
    console.log(`ping ${from} -> ${to} with a 2 s cut: ${JSON.stringify({ ...f, stdout: undefined })}`);
    expect(f.recovered).toBe(true);
    expect(f.lost).toBeGreaterThan(0);
    expect(f.received).toBeGreaterThan(10);
    expect(f.received + f.lost).toBeLessThanOrEqual(f.sent);
    expect(f.outageMs).toBeGreaterThan(0);
    expect(f.outageMs).toBeLessThan(Date.now() - ping.startedAt);

    // FRR stopped on a VTEP closes its sessions at once: the poller must see it gone, then back.
    const rrs = reflectors.filter((x) => x !== to);
    const since = Date.now();
    expect((await runner(to, 'systemctl stop frr', [])).exitCode).toBe(0);
    const gone = await waitPeer(runner, { reflectors: rrs, peer, until: 'withdrawn', since, timeoutMs: 60_000 });
    expect(gone.timedOut).toBe(false);
    expect(Object.keys(gone.perReflector).sort()).toEqual([...rrs].sort());
    expect(gone.seconds).toBeGreaterThanOrEqual(0);
    expect((await runner(to, 'systemctl reset-failed frr 2>/dev/null; systemctl start frr', [])).exitCode).toBe(0);
    const back = await waitPeer(runner, { reflectors: rrs, peer, until: 'established', since: Date.now(), timeoutMs: 180_000, intervalMs: 500 });
    expect(back.timedOut).toBe(false);
  }, 600_000);

  test('reboot: the container boots again from the same disk (/run emptied), with the same addresses and MACs; a cut host stays cut through it', async () => {
    const h = labHost(t, 'kvm_ncalifornia2');
    expect((await runner(h.name, 'echo kept > /root/ew-flt-marker && echo gone > /run/ew-flt-marker', [])).exitCode).toBe(0);
    const before = readState(paths.state)!.hosts[h.name]!;
    const mac = (await link(h.machine, 'enp125s0')).address;
    await lab('cut', h.name);
    const out = await lab('reboot', h.name);
    console.log(out);
    expect(out).toMatch(/kvm_ncalifornia2 rebooted \(reboot\): down in [\d.]+ s; after boot, systemd "\w+"/);
    expect(out).toContain('still cut off');
    const after = readState(paths.state)!.hosts[h.name]!;
    expect(after.nspawnPid).not.toBe(before.nspawnPid);
    expect(after.initPid).not.toBe(before.initPid);
    const files = await runner(
      h.name,
      'cat /root/ew-flt-marker; test -e /run/ew-flt-marker && echo run-kept || echo run-new; ip -4 -o addr show dev enp125s0',
      [],
    );
    expect(files.stdout).toMatch(/^kept\nrun-new\n.*inet 198\.51\.100\.22\/24/);
    expect(await link(h.machine, 'enp125s0')).toMatchObject({ operstate: 'UP', address: mac });
    expect(await pings(labHost(t, 'kvm_ncalifornia1').machine, h.sshAddress)).toBe(false);
    await lab('heal', h.name);
    expect(await eventually(() => pings(labHost(t, 'kvm_ncalifornia1').machine, h.sshAddress, 1))).toBe(true);
    const ssh = await execa('nsenter', [`--net=/run/netns/${ctl.ns}`, 'ssh', '-F', paths.sshConfig, h.name, 'hostname'], { reject: false, timeout: 30_000 });
    expect(ssh.stdout).toBe(h.hostname);
    // What came back by itself is for the fault suite to judge; shown here for the record.
    const services = await runner(h.name, 'systemctl is-active wg-quick@wg0 frr; ip -br link show dev wg0', []);
    console.log(`after the reboot on ${h.name}: ${services.stdout.replace(/\n/g, '; ')}`);
  }, 300_000);
});
