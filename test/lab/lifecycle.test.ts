/**
 * The fleet changes under the tool, on a real lab: every deploy converges in one run
 * from the state the hosts are in (issue: "every deploy converges in one run, from any
 * state"). Rows, in one lab:
 * - drift made by hand (wg0.conf edited, the AWS REJECT rule back, FRR's running config
 *   changed): `verify` names each drift per host and changes nothing; the next plain
 *   deploy repairs it; the one after takes the fast path;
 * - a host rebuilt under the same name (`lab rebuild`): deploy stops before any change,
 *   naming the host and the exact command; that command converges; the VMs of the
 *   other hosts keep pinging (loss printed, not asserted);
 * - the lab torn down and built again with the same scenario: one deploy converges.
 * Timings and ping losses are printed; `npm run lifecycle` prints them as a table.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeployOutcome } from '../../src/app/deploy.js';
import { verifyOverlay } from '../../src/app/verify.js';
import { controllerNamespace } from '../../src/lab/controller.js';
import { labInventoryDir, labPaths } from '../../src/lab/files.js';
import { labDown, labUp } from '../../src/lab/lab.js';
import { labRebuild } from '../../src/lab/rebuild.js';
import { createVms } from '../../src/lab/vms.js';
import { changedSteps, labDeployer } from '../support/lab-deploy.js';
import { labSuite } from '../support/lab-suite.js';
import { startPing } from '../support/ping-monitor.js';

const { suite } = labSuite('lab lifecycle tests');
const name = 'ewlife';
const ctl = controllerNamespace('ewlife-ctl');
const stateRoot = mkdtempSync(join(tmpdir(), 'ew-life-lab-'));
const paths = labPaths(name, stateRoot);
// Where demo keeps it too: lab down removes the deploy state there.
const outDir = labInventoryDir(paths);

const lab = labDeployer(ctl, paths, outDir);
const { deploy, run, scenario } = lab;
const plan = () => lab.vms();
const unchangedTitle = (r: DeployOutcome) => r.tasks?.find((t) => t.title.startsWith('Steps unchanged'))?.title ?? '';

suite('a deploy converges in one run from the state the hosts are in (real lab)', () => {
  beforeAll(async () => {
    await ctl.open();
    const r = await labUp({ name, stateRoot }, ctl.labDeps);
    console.log(`lab up ${r.seconds.toFixed(1)} s`);
    const first = await deploy();
    console.log(`cold deploy ${first.seconds.toFixed(1)} s\n${first.text}`);
    expect(first.ok).toBe(true);
    await createVms(await plan(), run(), (await scenario()).wireguard.interface);
  }, 900_000);

  afterAll(async () => {
    await labDown({ name, stateRoot, purge: true }, ctl.labDeps).catch((e) => console.warn(`lab down: ${(e as Error).message}`));
    await ctl.close().catch(() => undefined);
    if (existsSync(stateRoot)) rmSync(stateRoot, { recursive: true, force: true });
  }, 180_000);

  test('drift made by hand: verify names each one and changes nothing; the next deploy repairs it; the one after takes the fast path', async () => {
    const s = await scenario();
    const r = run();
    const wg = s.wireguard.interface;
    expect((await r('kvm_london1', 'echo "# edited by hand" >> "/etc/wireguard/$1.conf"', [wg])).exitCode).toBe(0);
    expect((await r('kvm_ncalifornia1', 'iptables -A INPUT -i "$1" -j REJECT --reject-with icmp-host-prohibited', ['enp125s0'])).exitCode).toBe(0);
    expect((await r('kvm_london2', "vtysh -c 'configure terminal' -c \"router bgp $1\" -c 'timers bgp 10 30' -c end", [String(s.bgp.as)])).exitCode).toBe(0);

    const v = await verifyOverlay(s, paths.scenario, outDir, { exec: ctl.exec, now: Date.now, env: { ...process.env } });
    const drift = v.report.checks.filter((c) => c.kind === 'drift');
    console.log(drift.map((c) => `${c.title}: ${c.detail}`).join('\n'));
    expect(drift.find((c) => c.title.startsWith('kvm_london1 '))?.detail).toMatch(/WireGuard configuration \(wg0.conf\) on kvm_london1 changed/);
    expect(drift.find((c) => c.title.startsWith('kvm_ncalifornia1 '))?.detail).toMatch(
      /INPUT firewall rules on kvm_ncalifornia1 changed .*the AWS REJECT rule is back/,
    );
    expect(drift.find((c) => c.title.startsWith('kvm_london2 '))?.detail).toMatch(/FRR's running configuration on kvm_london2 changed/);
    // verify changed nothing: the REJECT rule is still there.
    expect((await r('kvm_ncalifornia1', 'iptables -S INPUT', [])).stdout).toContain('-j REJECT --reject-with icmp-host-prohibited');

    const repaired = await deploy();
    console.log(`drift repaired in ${repaired.seconds.toFixed(1)} s: ${JSON.stringify(changedSteps(repaired))}\n${unchangedTitle(repaired)}`);
    expect(repaired.ok).toBe(true);
    expect(unchangedTitle(repaired)).toContain('drift found');
    expect((await r('kvm_ncalifornia1', 'iptables -S INPUT', [])).stdout).not.toContain('-j REJECT --reject-with icmp-host-prohibited');
    expect((await r('kvm_london1', 'cat "/etc/wireguard/$1.conf"', [wg])).stdout).not.toContain('edited by hand');
    expect((await r('kvm_london2', "vtysh -c 'show running-config'", [])).stdout).not.toContain('timers bgp 10 30');

    const fast = await deploy();
    console.log(`then a plain deploy: ${fast.seconds.toFixed(1)} s, ${unchangedTitle(fast)}`);
    expect(fast.ok).toBe(true);
    expect(fast.ctx!.results.map((x) => x.step)).toEqual([]);
    expect(fast.text).toMatch(/unchanged since \S+, skipped: root-access, firewall, wireguard, frr, frr-layer/);
  }, 900_000);

  test('a host rebuilt under the same name: deploy stops before any change with the command that accepts its key; that command converges; the other VMs keep pinging', async () => {
    const vms = await plan();
    const [from, to] = [vms.find((p) => p.host === 'kvm_london1')!, vms.find((p) => p.host === 'kvm_ncalifornia1')!];
    const ping = await startPing(run(), from.host, from.vmNs, to.vmAddress.split('/')[0]!, 'life');
    const rebuilt = await labRebuild({ name, stateRoot, host: 'kvm_london2' }, ctl.labDeps);
    expect(rebuilt.newKey).not.toBe(rebuilt.oldKey);

    const stopped = await deploy();
    console.log(`deploy after the rebuild: ${stopped.seconds.toFixed(1)} s\n${stopped.text}`);
    expect(stopped.ok).toBe(false);
    expect(stopped.stopped).toMatch(
      /kvm_london2's SSH host key changed since this controller last saw it \(rebuilt\?\): nothing was changed on any host; .*--accept-new-host-key kvm_london2/,
    );
    expect(stopped.ctx!.results).toEqual([]);

    const command = /with: edge-wizard deploy -f (\S+) --accept-new-host-key (\S+)/.exec(stopped.stopped!)!;
    expect(command[1]).toBe(paths.scenario);
    const accepted = await deploy({ acceptNewHostKey: command[2]!.split(',') });
    const loss = await ping.stop();
    console.log(
      `accepted and converged in ${accepted.seconds.toFixed(1)} s: ${JSON.stringify(changedSteps(accepted))}; VM kvm_london1 -> kvm_ncalifornia1: ${loss.lost}/${loss.sent} pings lost\n${accepted.text}`,
    );
    expect(accepted.ok).toBe(true);
    expect(accepted.ctx!.verify!.checks.every((c) => c.ok)).toBe(true);
    expect(loss.sent).toBeGreaterThan(0);
    expect(readFileSync(paths.knownHosts, 'utf8')).toContain(rebuilt.newKey.split(/\s+/)[1]!);
  }, 900_000);

  test('the lab torn down and built again with the same scenario: one deploy converges', async () => {
    await labDown({ name, stateRoot }, ctl.labDeps);
    expect(existsSync(join(outDir, '.deploy-state.json'))).toBe(false);
    await labUp({ name, stateRoot }, ctl.labDeps);
    const again = await deploy();
    console.log(`deploy on the rebuilt lab: ${again.seconds.toFixed(1)} s: ${JSON.stringify(changedSteps(again))}\n${unchangedTitle(again)}`);
    expect(again.ok).toBe(true);
    expect(again.ctx!.failedHosts.size).toBe(0);
    expect(again.ctx!.verify!.checks.every((c) => c.ok)).toBe(true);
  }, 900_000);
});
