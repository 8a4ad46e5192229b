/**
 * The lab, for real: root, systemd-nspawn containers, network namespaces.
 * Asserts what a user checks by hand. Skipped when not root or when
 * systemd-nspawn is missing. Everything started here is removed in afterAll;
 * traffic goes only to addresses inside the namespaces the lab creates.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { defaultDeps, realWhich } from '../../src/lab/exec.js';
import { labDown, labStatus, labUp } from '../../src/lab/lab.js';
import { labPaths } from '../../src/lab/files.js';
import { findNspawnPids, inputRules } from '../../src/lab/hosts.js';
import { readState } from '../../src/lab/state.js';
import { containmentCounters, listNamespaces } from '../../src/lab/netns.js';
import { labTopology } from '../../src/lab/topology.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canRun = isRoot && realWhich('systemd-nspawn') !== undefined;
const suite = canRun ? describe : describe.skip;
if (!canRun) console.warn('lab tests SKIPPED: they need root and systemd-nspawn (apt-get install systemd-container debootstrap)');

const name = 'ewtest';
const stateRoot = canRun ? mkdtempSync(join(tmpdir(), 'ew-lab-')) : '/nonexistent';
const opts = { name, stateRoot };
const t = labTopology(name);
const paths = labPaths(name, stateRoot);
const logs: string[] = [];
const deps = defaultDeps((l) => logs.push(l));
const host = (n: string) => t.hosts.find((h) => h.name === n)!;

const ssh = (args: string[]) => execa('ssh', ['-F', paths.sshConfig, ...args], { reject: false, timeout: 20_000 });
const inNs = (ns: string, args: string[]) => execa('ip', ['netns', 'exec', ns, ...args], { reject: false, timeout: 20_000 });

function connectError(hostAddr: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: hostAddr, port, timeout: 3000 });
    s.once('connect', () => (s.destroy(), resolve('connected')));
    s.once('timeout', () => (s.destroy(), resolve('timeout')));
    s.once('error', (e: NodeJS.ErrnoException) => (s.destroy(), resolve(e.code ?? e.message)));
  });
}

suite('edge-wizard lab (root, real containers)', () => {
  let upSeconds = 0;

  beforeAll(async () => {
    const r = await labUp(opts, deps);
    upSeconds = r.seconds;
    console.log(`lab up: ${r.seconds.toFixed(1)} s\n${logs.join('\n')}`);
  }, 600_000);

  afterAll(async () => {
    await labDown({ ...opts, purge: true }, deps);
    rmSync(stateRoot, { recursive: true, force: true });
  }, 120_000);

  test('lab up wrote the scenario, ssh config and key', () => {
    expect(readFileSync(paths.scenario, 'utf8')).toContain('repos_enabled: []');
    expect(readFileSync(paths.sshConfig, 'utf8')).toContain(`IdentityFile ${paths.key}`);
    expect(upSeconds).toBeGreaterThan(0);
  });

  test('ssh as root to the ingress works with the lab key', async () => {
    const r = await ssh(['ingress', 'hostname']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ingress');
  });

  test('ssh to the frontend through the ingress (ProxyJump) works, by alias and as deploy does it', async () => {
    expect((await ssh(['fe1', 'hostname'])).stdout).toBe('fe1');
    const r = await ssh(['-o', 'ProxyJump=root@203.0.113.10', 'root@10.0.1.87', 'hostname']);
    expect(r.stdout).toBe('fe1');
  });

  test('ssh as root directly to a KVM host is refused (publickey)', async () => {
    for (const h of ['kvm_london1', 'kvm_ncalifornia2']) {
      const r = await ssh([h, 'true']);
      expect(r.exitCode).toBe(255);
      expect(r.stderr).toMatch(/Permission denied \(publickey/);
    }
  });

  test("the frontend's oneadmin reaches every KVM host as root with the oneprovision key", async () => {
    for (const h of t.hosts.filter((x) => x.role === 'kvm')) {
      const r = await ssh([
        'fe1',
        'runuser',
        '-u',
        'oneadmin',
        '--',
        'ssh',
        '-o',
        'BatchMode=yes',
        '-i',
        t.oneprovisionKey,
        `root@${h.sshAddress}`,
        'hostname',
      ]);
      expect(`${h.name}: ${r.stdout}`).toBe(`${h.name}: ${h.hostname}`);
    }
  });

  test("oneprovision's AWS REJECT rule is on every KVM host's public interface, persisted and enforced", async () => {
    for (const h of t.hosts.filter((x) => x.role === 'kvm')) {
      const initPid = readState(paths.state)!.hosts[h.name]!.initPid!;
      const rules = (await inputRules(deps, initPid)).split('\n');
      expect(rules.at(-1)).toBe('-A INPUT -i enp125s0 -j REJECT --reject-with icmp-host-prohibited');
      expect(rules).toContain('-A INPUT -i enp125s0 -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT');
      expect(readFileSync(`${paths.hostsDir}/${h.name}/root/etc/iptables/rules.v4`, 'utf8')).toContain('-j REJECT --reject-with icmp-host-prohibited');
    }
    // A port oneprovision did not open: the controller gets icmp-host-prohibited back.
    expect(await connectError(host('kvm_london1').sshAddress, 8080)).toBe('EHOSTUNREACH');
    // The ingress has no such firewall.
    expect(await connectError(host('ingress').sshAddress, 8080)).toBe('ECONNREFUSED');
  });

  test('hosts in cloud A ping hosts in cloud B', async () => {
    for (const [from, to] of [
      ['kvm_london1', 'kvm_ncalifornia1'],
      ['kvm_london2', 'kvm_ncalifornia2'],
      ['ingress', 'kvm_ncalifornia1'],
      ['kvm_ncalifornia2', 'kvm_london1'],
    ] as const) {
      const r = await inNs(host(from).machine, ['ping', '-c', '1', '-W', '2', host(to).sshAddress]);
      expect(`${from} -> ${to}: ${r.exitCode}`).toBe(`${from} -> ${to}: 0`);
    }
  });

  test('hosts run systemd, FRR and sshd; wireguard-go and python3-apt are there', async () => {
    const r = await ssh([
      'fe1',
      'runuser',
      '-u',
      'oneadmin',
      '--',
      'ssh',
      '-o',
      'BatchMode=yes',
      '-i',
      t.oneprovisionKey,
      'root@203.0.113.22',
      // One word for the frontend's shell, run by the KVM host's shell.
      `'systemctl is-system-running; systemctl is-active frr ssh netfilter-persistent; command -v wireguard-go wg wg-quick; python3 -c "import apt; print(1)"; cat /etc/hostname; systemctl --failed --no-legend --plain'`,
    ]);
    const [state, ...rest] = r.stdout.split('\n');
    // systemd runs either way; one CI run found the container "degraded" (a unit we do not use had
    // failed at boot): the units that matter are asserted, the failed ones printed.
    if (state !== 'running') console.warn(`systemctl is-system-running: ${state}; failed units:\n${rest.slice(8).join('\n')}`);
    expect(['running', 'degraded']).toContain(state);
    expect(rest.slice(0, 8)).toEqual(['active', 'active', 'active', '/usr/bin/wireguard-go', '/usr/bin/wg', '/usr/bin/wg-quick', '1', 'kvm-london2']);
  });

  test('lab up again is a no-op: still one lab', async () => {
    const before = findNspawnPids(t.hosts.map((h) => h.machine));
    const r = await labUp(opts, deps);
    expect(r.alreadyUp).toBe(true);
    expect(findNspawnPids(t.hosts.map((h) => h.machine))).toEqual(before);
    expect([...before.values()].every((pids) => pids.length === 1)).toBe(true);
  });

  test('lab status shows every host running and reachable', async () => {
    const s = await labStatus(opts, deps);
    expect(s.up).toBe(true);
    expect(s.hosts.map((h) => [h.name, h.state, h.reachable])).toEqual(t.hosts.map((h) => [h.name, 'running', true]));
  });

  test("nothing tried to leave the lab: the internet namespace's no-route and unreachable counters are 0", async () => {
    expect(await containmentCounters(deps, t)).toEqual({ outNoRoutes: 0, icmpOutDestUnreachs: 0 });
  });

  test('lab down leaves no namespace, process, veth or mount, and is safe to repeat', async () => {
    await labDown(opts, deps);
    const ns = await listNamespaces(deps);
    expect(ns.filter((n) => n.startsWith(`ew-${name}-`))).toEqual([]);
    expect(findNspawnPids(t.hosts.map((h) => h.machine)).size).toBe(0);
    expect((await execa('ip', ['link', 'show', 'dev', t.controller.link], { reject: false })).exitCode).not.toBe(0);
    expect((await execa('ip', ['-o', 'route', 'show', 'exact', '203.0.113.0/24'])).stdout).toBe('');
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(paths.hostsDir);
    const again = await labDown(opts, deps);
    expect(again).toEqual({ stopped: [], namespaces: [], unmounted: [] });
  }, 60_000);
});
