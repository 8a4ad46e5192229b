/**
 * `edge-wizard deploy` on a real lab: systemd-nspawn hosts with sshd, FRR,
 * WireGuard and iptables, the real ansible-playbook and one-deploy's roles.
 * Asserts what an operator checks: every VTEP Established on the route
 * reflector, fresh handshakes, a VM in one cluster pings a VM in the other,
 * the guest MTU holds, a second deploy changes nothing, and a KVM host lost
 * mid-deploy is named in the report and converges once it is back.
 *
 * Isolation: the lab runs under its own name, and its controller side lives
 * in a network namespace this test creates (every command goes through
 * `nsenter --net`), so it never collides with another lab on this machine.
 * Traffic goes only to addresses inside those namespaces.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { realExec, type Exec } from '../../src/adapters/exec.js';
import { findOneDeploy } from '../../src/adapters/ansible.js';
import { readPrevious } from '../../src/adapters/files.js';
import { addressesFromHostVars } from '../../src/core/index.js';
import { loadScenarioFile } from '../../src/adapters/scenario-file.js';
import { defaultDeps as labDefaultDeps, realWhich, type LabDeps } from '../../src/lab/exec.js';
import { labDown, labUp } from '../../src/lab/lab.js';
import { labPaths } from '../../src/lab/files.js';
import { labTopology } from '../../src/lab/topology.js';
import type { DeployOutcome } from '../../src/app/deploy.js';
import { runDeploy, type DeployRunDeps } from '../../src/cli/commands/deploy.js';
import { DEFAULT_SETTLE_S } from '../../src/app/steps/verify.js';
import { createVms, pingMatrix, sshRunner, vmPlan } from '../../src/lab/vms.js';
import { rotateKeys } from '../../src/app/rotate-keys.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canRun = isRoot && realWhich('systemd-nspawn') !== undefined && realWhich('ansible-playbook') !== undefined;
const collections = findOneDeploy(process.env);
if (!canRun) console.warn('lab deploy tests SKIPPED: they need root, systemd-nspawn and ansible-playbook');
if (canRun && !collections) {
  console.warn('SKIPPED: one-deploy not found: the lab deploy tests need the opennebula.deploy collection (set ONE_DEPLOY_DIR to an extracted one-deploy)');
}
const suite = canRun ? describe : describe.skip;
const needOneDeploy = collections ? test : test.skip;
const name = 'ewdeploy';
const ctlNs = 'ewdeploy-ctl';
const stateRoot = canRun ? mkdtempSync(join(tmpdir(), 'ew-deploy-lab-')) : '/nonexistent';
const t = labTopology(name);
const paths = labPaths(name, stateRoot);
const outDir = join(stateRoot, 'inventory');

/** Every command of the lab and of deploy runs in the controller namespace. */
const inCtl: Exec = (file, args, opts) => realExec('nsenter', [`--net=/run/netns/${ctlNs}`, file, ...args], opts);
const logs: string[] = [];
const baseLab = labDefaultDeps((l) => logs.push(l));
const labDeps: LabDeps = {
  ...baseLab,
  exec: async (file, args, opts) => {
    const r = await inCtl(file, args, { input: opts?.input, timeout: opts?.timeout, env: opts?.env });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs };
  },
};

let onPlaybook: ((playbook: string) => Promise<void>) | undefined;
const deployDeps = (): DeployRunDeps => ({
  exec: async (file, args, opts) => {
    // Playbooks run through ansible-runner, whose argv ends with `-p /abs/playbooks/<name>.yml`.
    if ((file === 'ansible-runner' || file === 'ansible-playbook') && onPlaybook) await onPlaybook(args[args.length - 1]!);
    return inCtl(file, args, opts);
  },
  now: Date.now,
  env: { ...process.env, NODE_ENV: 'test' },
  isTTY: false,
  confirm: async () => true,
});
const sink = () => {
  const chunks: string[] = [];
  const w = { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream;
  return { io: { out: w, err: w, debug: false }, text: () => chunks.join('') };
};
const deploy = async (extra: Partial<Parameters<typeof runDeploy>[0]> = {}): Promise<DeployOutcome & { text: string }> => {
  const s = sink();
  const r = await runDeploy(
    { file: paths.scenario, out: outDir, yes: true, opennebula: false, renderer: 'silent', settle: DEFAULT_SETTLE_S, ...extra },
    s.io,
    deployDeps(),
  );
  return { ...r, text: s.text() };
};
const changedPerHost = (r: DeployOutcome) =>
  Object.fromEntries(
    (r.ctx?.results ?? []).filter((x) => x.step !== 'verify').flatMap((x) => Object.entries(x.recap).map(([h, st]) => [`${x.step}/${h}`, st.changed])),
  );

suite('edge-wizard deploy on the lab (root, real hosts)', () => {
  let first: DeployOutcome & { text: string };

  beforeAll(async () => {
    await execa('ip', ['netns', 'add', ctlNs], { reject: false });
    await execa('ip', ['-n', ctlNs, 'link', 'set', 'lo', 'up']);
    const r = await labUp({ name, stateRoot }, labDeps);
    console.log(`lab up ${r.seconds.toFixed(1)} s`);
  }, 600_000);

  afterAll(async () => {
    await labDown({ name, stateRoot, purge: true }, labDeps).catch((e) => console.warn(`lab down: ${(e as Error).message}`));
    await execa('ip', ['netns', 'del', ctlNs], { reject: false });
    if (existsSync(stateRoot)) rmSync(stateRoot, { recursive: true, force: true });
  }, 180_000);

  if (!collections) {
    test.skip('SKIPPED: one-deploy not found (set ONE_DEPLOY_DIR)', () => undefined);
  }

  needOneDeploy(
    'deploy converges: every VTEP Established on the reflector, handshakes fresh, DF ping at the WireGuard MTU',
    async () => {
      const started = Date.now();
      first = await deploy();
      console.log(`cold deploy ${((Date.now() - started) / 1000).toFixed(1)} s\n${first.text}`);
      expect(first.ok).toBe(true);
      const checks = first.ctx!.verify!.checks;
      const kvm = t.hosts.filter((h) => h.role === 'kvm').map((h) => h.name);
      for (const k of kvm) expect(checks.find((c) => c.kind === 'bgp' && c.title.startsWith(`${k} `))?.ok).toBe(true);
      expect(checks.filter((c) => c.kind === 'handshake').every((c) => c.ok)).toBe(true);
      expect(checks.filter((c) => c.kind === 'mtu')).toHaveLength(5 * 4);
      expect(checks.every((c) => c.ok)).toBe(true);
    },
    600_000,
  );

  needOneDeploy(
    'VXLAN + VM namespace per KVM host: every VM pings every other VM across clusters; guest MTU passes, +1 byte fails',
    async () => {
      const { scenario } = await loadScenarioFile(paths.scenario);
      const plan = vmPlan(scenario, addressesFromHostVars((await readPrevious(outDir)).hostVars));
      const run = sshRunner(inCtl, paths.sshConfig);
      await createVms(plan, run, scenario.wireguard.interface);
      for (const p of plan) {
        const r = await run(p.host, 'ip -d -o link show "$1"; ip netns list', [p.vxlanDev]);
        expect(r.stdout).toContain(`vxlan id ${p.vni} local ${p.localIp}`);
        expect(r.stdout).toContain(`mtu ${scenario.networks[0]!.guest_mtu}`);
        expect(r.stdout).toContain('nolearning');
        expect(r.stdout).toContain(p.vmNs);
      }
      const pings = await pingMatrix(plan, run);
      expect(pings).toHaveLength(4 * 3);
      expect(new Set(pings.map((p) => `${plan.find((x) => x.host === p.from)!.cluster}->${plan.find((x) => x.host === p.to)!.cluster}`))).toContain(
        'london->ncalifornia',
      );
      for (const p of pings) {
        expect({ pair: `${p.from}->${p.to}`, reachable: p.reachable, df: p.dfAtMtu, above: p.dfAboveMtuFails }).toEqual({
          pair: `${p.from}->${p.to}`,
          reachable: true,
          df: true,
          above: true,
        });
      }
    },
    300_000,
  );

  needOneDeploy(
    'wg-quick@wg0 restarted on a KVM host: its VXLAN device comes back in its bridge and its VM is reachable again',
    async () => {
      const { scenario } = await loadScenarioFile(paths.scenario);
      const plan = vmPlan(scenario, addressesFromHostVars((await readPrevious(outDir)).hostVars));
      const run = sshRunner(inCtl, paths.sshConfig);
      const target = plan.find((p) => p.host === 'kvm_london2')!;
      const r = await run(target.host, 'systemctl restart "wg-quick@$1" && ip -d -o link show "$2"', [scenario.wireguard.interface, target.vxlanDev]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`vxlan id ${target.vni} local ${target.localIp}`);
      expect(r.stdout).toContain(`master ${target.bridge}`);
      // Reachable again once BGP has re-learnt the host (BFD takes the sessions down during the restart).
      const from = plan.find((p) => p.cluster !== target.cluster)!;
      const ping = await run(from.host, 'for i in $(seq 1 30); do ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null && exit 0; done; exit 1', [
        from.vmNs,
        target.vmAddress.split('/')[0]!,
      ]);
      expect(ping.exitCode).toBe(0);
    },
    300_000,
  );

  needOneDeploy(
    'rotate-keys: new keys made on every host, every host switched at once, the overlay verifies',
    async () => {
      const { scenario } = await loadScenarioFile(paths.scenario);
      const run = sshRunner(inCtl, paths.sshConfig);
      const before = (await run('kvm_london1', 'wg show "$1" public-key', [scenario.wireguard.interface])).stdout.trim();
      const r = await rotateKeys(scenario, paths.scenario, outDir, [], { exec: inCtl, now: Date.now, env: { ...process.env } });
      expect(r.problems).toEqual([]);
      expect(r.ok).toBe(true);
      const after = (await run('kvm_london1', 'wg show "$1" public-key; ls /etc/wireguard', [scenario.wireguard.interface])).stdout;
      expect(after.split('\n')[0]).not.toBe(before);
      expect(after).not.toContain('.next');
      expect(r.verify!.checks.every((c) => c.ok)).toBe(true);
    },
    300_000,
  );

  needOneDeploy(
    'a second deploy with --full reports changed=0 on every host; a plain one verifies and skips every unchanged step',
    async () => {
      let started = Date.now();
      const again = await deploy({ full: true });
      console.log(`warm deploy --full ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(again.ok).toBe(true);
      const changed = changedPerHost(again);
      expect(Object.keys(changed).length).toBeGreaterThan(10);
      expect(Object.entries(changed).filter(([, n]) => n !== 0)).toEqual([]);
      started = Date.now();
      const warm = await deploy();
      console.log(`warm deploy ${((Date.now() - started) / 1000).toFixed(1)} s\n${warm.text}`);
      expect(warm.ok).toBe(true);
      expect(warm.text).toMatch(/unchanged since \S+, skipped: root-access, firewall, wireguard, frr, frr-layer/);
      // The unchanged step's verify is a probe, not a step result; it verified the overlay.
      expect(warm.ctx!.results.map((r) => r.step)).toEqual([]);
      expect(warm.ctx!.verify?.ok).toBe(true);
    },
    600_000,
  );

  needOneDeploy(
    'a KVM host lost mid-deploy is named with its step and cause; the others finish; a re-run after it returns converges',
    async () => {
      const victim = t.hosts.find((h) => h.name === 'kvm_ncalifornia2')!;
      const link = victim.interfaces[0]!.peer;
      // The host vanishes from the network as the firewall step starts (root access already done).
      onPlaybook = async (pb) => {
        if (pb.endsWith('/firewall.yml')) await execa('ip', ['-n', t.inetNs, 'link', 'set', link, 'down']);
      };
      let broken: DeployOutcome & { text: string };
      try {
        broken = await deploy({ full: true });
      } finally {
        onPlaybook = undefined;
        await execa('ip', ['-n', t.inetNs, 'link', 'set', link, 'up']);
      }
      console.log(broken.text);
      expect(broken.ok).toBe(false);
      expect(broken.text).toMatch(/kvm_ncalifornia2: firewall failed at "[^"]+": .*(ssh|connect|timed out|unreachable|route)/i);
      expect(
        broken.tasks?.find(
          (x) => x.title.startsWith('Leave the firewall of kvm_ncalifornia2') || x.title.startsWith('Remove the AWS REJECT rule on kvm_ncalifornia2'),
        )?.state,
      ).toBe('FAILED');
      for (const h of ['ingress', 'kvm_london1', 'kvm_london2', 'kvm_ncalifornia1']) {
        expect(broken.tasks?.find((x) => x.title.startsWith(`Configure wg0 on ${h}`))?.state).toBe('COMPLETED');
        expect(broken.tasks?.find((x) => x.title.startsWith(`Configure FRR EVPN on ${h}`))?.state).toBe('COMPLETED');
      }
      expect(broken.tasks?.find((x) => x.title.startsWith('Configure wg0 on kvm_ncalifornia2'))?.state).toBe('SKIPPED');

      const healed = await deploy({ full: true });
      console.log(healed.text);
      expect(healed.ok).toBe(true);
      expect(healed.ctx!.verify!.checks.every((c) => c.ok)).toBe(true);
    },
    900_000,
  );

  needOneDeploy(
    '--firewall strict keeps the REJECT rule, opens only the mesh ports before it, and the overlay still verifies',
    async () => {
      const run = sshRunner(inCtl, paths.sshConfig);
      const kvm = t.hosts.filter((h) => h.role === 'kvm');
      const reject = `-A INPUT -i ${t.kvmPublicInterface} -j REJECT --reject-with icmp-host-prohibited`;
      // Put oneprovision's rule back, live and in rules.v4's *filter table (the last one, before its COMMIT),
      // as on a freshly provisioned host.
      for (const h of kvm) {
        const r = await run(
          h.name,
          'iptables -A INPUT -i "$1" -j REJECT --reject-with icmp-host-prohibited && tac /etc/iptables/rules.v4 | sed "0,/^COMMIT$/s//COMMIT\\n-A INPUT -i $1 -j REJECT --reject-with icmp-host-prohibited/" | tac > /etc/iptables/rules.v4.new && mv /etc/iptables/rules.v4.new /etc/iptables/rules.v4 && iptables-restore --test /etc/iptables/rules.v4',
          [t.kvmPublicInterface],
        );
        expect(r.exitCode).toBe(0);
      }
      const strict = await deploy({ from: 'firewall', firewallMode: 'strict' });
      console.log(strict.text);
      expect(strict.ok).toBe(true);
      expect(strict.ctx!.verify!.checks.every((c) => c.ok)).toBe(true);
      for (const h of kvm) {
        const rules = (await run(h.name, 'iptables -S INPUT; echo ===; cat /etc/iptables/rules.v4', [])).stdout;
        const [live, file] = rules.split('===');
        expect(live!.trim().split('\n').at(-1)).toBe(reject);
        const wgSources = [...live!.matchAll(/-s (\S+)\/32 -i \S+ -p udp -m udp --dport 51820 .*-j ACCEPT/g)].map((m) => m[1]);
        expect(wgSources.sort()).toEqual(
          t.hosts
            .filter((x) => x.role !== 'frontend' && x.name !== h.name)
            .map((x) => x.sshAddress)
            .sort(),
        );
        expect(file).toContain(reject);
        expect(file).toContain('--comment "edge-wizard wireguard" -j ACCEPT');
      }
      const again = await deploy({ only: 'firewall', firewallMode: 'strict' });
      expect(again.ok).toBe(true);
      expect(Object.entries(changedPerHost(again)).filter(([, n]) => n !== 0)).toEqual([]);
    },
    600_000,
  );
});
