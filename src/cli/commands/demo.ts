import { join } from 'node:path';
import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UserFacingError } from '../errors.js';
import { realExec } from '../../adapters/exec.js';
import { readPrevious } from '../../adapters/files.js';
import { addressesFromHostVars } from '../../core/index.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { defaultDeps as labDefaultDeps } from '../../lab/exec.js';
import { labUp } from '../../lab/lab.js';
import { DEFAULT_CACHE_DIR, DEFAULT_STATE_ROOT } from '../../lab/files.js';
import { runDeploy } from './deploy.js';
import { createVms, formatPings, pingMatrix, sshRunner, vmPlan, type PingResult } from '../tasks/vms.js';

export const command: Command = {
  help: `Usage: edge-wizard demo [--lab NAME] [--state-dir DIR] [--cache-dir DIR]

The whole story on this machine (root): builds the lab (edge-wizard lab up),
deploys the lab's scenario on it (root access through the frontend's
oneprovision key, firewall, WireGuard mesh, one-deploy's FRR EVPN), verifies,
then creates on each KVM host what OpenNebula's vxlan driver creates for the
EVPN network (VXLAN device on wg0, bridge) and a VM (a network namespace on a
veth with the guest MTU), pings every VM from every VM across clusters and
probes the guest MTU with don't-fragment pings. Prints what works and how to
tear it all down. Nothing leaves the lab's network namespaces.

Options:
  --lab NAME         Lab name (default: lab)
  --state-dir DIR    Where labs keep their files (default: ${DEFAULT_STATE_ROOT})
  --cache-dir DIR    Debian root filesystem cache (default: ${DEFAULT_CACHE_DIR})
  -h, --help         Show this help
`,
  async run(argv, io) {
    const { values } = parse(argv, { lab: { type: 'string' }, 'state-dir': { type: 'string' }, 'cache-dir': { type: 'string' } }, 'demo');
    const r = await runDemo({ lab: values.lab ?? 'lab', stateRoot: values['state-dir'], cacheDir: values['cache-dir'] }, io);
    return r.ok ? 0 : 1;
  },
};

export interface DemoResult {
  ok: boolean;
  pings: PingResult[];
  timings: Record<string, number>;
}

export async function runDemo(opts: { lab: string; stateRoot?: string; cacheDir?: string }, io: CommandIO): Promise<DemoResult> {
  const say = (s: string) => io.out.write(`${s}\n`);
  const timings: Record<string, number> = {};
  let t = Date.now();
  const lap = (name: string) => {
    timings[name] = (Date.now() - t) / 1000;
    t = Date.now();
  };

  say(`1/4 Building lab "${opts.lab}" (network namespaces + systemd-nspawn hosts)...`);
  const up = await labUp({ name: opts.lab, stateRoot: opts.stateRoot, cacheDir: opts.cacheDir }, labDefaultDeps((l) => say(`    ${l}`)));
  lap('lab');
  const outDir = join(up.paths.dir, 'inventory');

  say(`2/4 Deploying ${up.paths.scenario} (inventory in ${outDir})...`);
  const dep = await runDeploy({ file: up.paths.scenario, out: outDir, yes: true, opennebula: false }, io);
  lap('deploy');
  if (!dep.ok) throw new UserFacingError(`The deploy on the lab did not converge (see ${dep.logPath}); tear down with: edge-wizard lab down --name ${opts.lab}`);

  say('3/4 Creating the EVPN network on each KVM host as OpenNebula would, and one VM per host...');
  const { scenario } = await loadScenarioFile(up.paths.scenario);
  const prev = await readPrevious(outDir);
  const plan = vmPlan(scenario, addressesFromHostVars(prev.hostVars));
  const run = sshRunner(realExec, up.paths.sshConfig);
  await createVms(plan, run, scenario.wireguard.interface);
  for (const p of plan) say(`    ${p.host} (${p.cluster}): ${p.vxlanDev} (VNI ${p.vni}, local ${p.localIp}) in ${p.bridge}, VM ${p.vmNs} ${p.vmAddress} MTU ${p.guestMtu}`);
  lap('vms');

  say('4/4 Pinging every VM from every VM...');
  const pings = await pingMatrix(plan, run);
  lap('pings');
  say(formatPings(pings, scenario.evpn.guest_mtu));
  const ok = pings.every((p) => p.reachable && p.dfAtMtu && p.dfAboveMtuFails);
  const sessions = dep.ctx?.verify?.checks.filter((c) => c.kind === 'bgp' && c.ok).length ?? 0;
  const handshakes = dep.ctx?.verify?.checks.filter((c) => c.kind === 'handshake' && c.ok).length ?? 0;
  say('');
  say(ok ? 'What works:' : 'Some checks failed:');
  say(`  - ${sessions} VTEPs Established on the route reflector ${scenario.ingress.name} (BGP EVPN over ${scenario.wireguard.interface})`);
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
