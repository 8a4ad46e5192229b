/**
 * Use case: the whole story on this machine (root): build the lab, deploy its
 * scenario (in memory) on it, replay what OpenNebula's vxlan driver creates on
 * each KVM host plus one VM per host, and ping every VM from every VM.
 */
import { join } from 'node:path';
import type { Exec } from '../adapters/exec.js';
import { UserFacingError } from '../core/errors.js';
import { validateScenario } from '../core/index.js';
import type { LabDeps } from '../lab/exec.js';
import { labScenario } from '../lab/files.js';
import { context, labUp } from '../lab/lab.js';
import type { Release } from '../lab/rootfs.js';
import { createVms, formatPings, pingMatrix, sshRunner, vmPlan, type PingResult } from '../lab/vms.js';
import { deploy, type DeployDeps } from './deploy.js';

export interface DemoOptions {
  lab: string;
  /** The Debian release the lab's hosts boot (default bookworm). */
  release?: Release;
  stateRoot?: string;
  cacheDir?: string;
}

export interface DemoDeps {
  exec: Exec;
  lab: LabDeps;
  deploy: Omit<DeployDeps, 'one'>;
  say: (line: string) => void;
}

export interface DemoResult {
  ok: boolean;
  pings: PingResult[];
  timings: Record<string, number>;
}

export async function demo(opts: DemoOptions, deps: DemoDeps): Promise<DemoResult> {
  const { say } = deps;
  const timings: Record<string, number> = {};
  let t = Date.now();
  const lap = (name: string) => {
    timings[name] = (Date.now() - t) / 1000;
    t = Date.now();
  };

  say(`1/4 Building lab "${opts.lab}" (network namespaces + systemd-nspawn hosts)...`);
  const up = await labUp({ name: opts.lab, release: opts.release, stateRoot: opts.stateRoot, cacheDir: opts.cacheDir }, deps.lab);
  lap('lab');
  const outDir = join(up.paths.dir, 'inventory');
  const { scenario } = validateScenario(labScenario(context({ name: opts.lab, stateRoot: opts.stateRoot }).t, up.paths), up.paths.scenario);

  say(`2/4 Deploying ${up.paths.scenario} (inventory in ${outDir})...`);
  // The lab has no oned: the OpenNebula step is off.
  const dep = await deploy({ scenario, source: up.paths.scenario, warnings: [], outDir, yes: true, opennebula: false }, deps.deploy);
  lap('deploy');
  say(dep.report.trimEnd());
  if (!dep.ok) throw new UserFacingError(`The deploy on the lab did not converge (see ${dep.logPath}); tear down with: edge-wizard lab down --name ${opts.lab}`);

  say('3/4 Creating the EVPN network on each KVM host as OpenNebula would, and one VM per host...');
  const plan = vmPlan(scenario, dep.generated!.addresses);
  const run = sshRunner(deps.exec, up.paths.sshConfig);
  await createVms(plan, run, scenario.wireguard.interface);
  for (const p of plan) say(`    ${p.host} (${p.cluster}): ${p.vxlanDev} (VNI ${p.vni}, local ${p.localIp}) in ${p.bridge}, VM ${p.vmNs} ${p.vmAddress} MTU ${p.guestMtu}`);
  lap('vms');

  say('4/4 Pinging every VM from every VM...');
  const pings = await pingMatrix(plan, run);
  lap('pings');
  say(formatPings(pings, scenario.evpn.guest_mtu));
  const ok = pings.every((p) => p.reachable && p.dfAtMtu && p.dfAboveMtuFails);
  const sessions = dep.ctx?.verify?.checks.filter((c) => c.kind === 'bgp' && c.ok).length ?? 0;
  const bfd = dep.ctx?.verify?.checks.filter((c) => c.kind === 'bfd') ?? [];
  const handshakes = dep.ctx?.verify?.checks.filter((c) => c.kind === 'handshake' && c.ok).length ?? 0;
  const { bfd: b } = scenario.bgp;
  say('');
  say(ok ? 'What works:' : 'Some checks failed:');
  say(`  - ${sessions} EVPN sessions Established on the route reflectors ${scenario.bgp.reflectors.join(', ')} (BGP over ${scenario.wireguard.interface})`);
  if (b.enabled) say(`  - BFD up on ${bfd.filter((c) => c.ok).length}/${bfd.length} sessions, ${b.detect_multiplier} x ${b.receive_interval} ms`);
  say(`  - ${handshakes} fresh WireGuard handshakes; ${scenario.wireguard.mtu}-byte don't-fragment pings over ${scenario.wireguard.interface} on every pair`);
  say(`  - ${pings.filter((p) => p.reachable).length}/${pings.length} VM-to-VM pings across clusters`);
  say(`  - guest MTU ${scenario.evpn.guest_mtu}: DF ping passes on ${pings.filter((p) => p.dfAtMtu).length}/${pings.length} pairs, ${scenario.evpn.guest_mtu + 1} bytes refused on ${pings.filter((p) => p.dfAboveMtuFails).length}/${pings.length}`);
  say(`  - timings: ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}s`).join(', ')}`);
  say('');
  say(`Look around:  ssh -F ${up.paths.sshConfig} ingress vtysh -c 'show bgp l2vpn evpn summary'`);
  say(`              ssh -F ${up.paths.sshConfig} ${plan[0]?.host ?? 'kvm'} ip netns exec vm1 ping ${plan[plan.length - 1]?.vmAddress.split('/')[0] ?? ''}`);
  say(`Deploy again: edge-wizard deploy -f ${up.paths.scenario} --out ${outDir} --yes --no-opennebula   (changes nothing; the lab has no oned)`);
  say(`Tear down:    edge-wizard lab down --name ${opts.lab}`);
  return { ok, pings, timings };
}
