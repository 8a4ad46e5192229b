/**
 * Use case: the whole story on this machine (root): build the lab, deploy its
 * scenario (in memory) on it, make each KVM host's VNET with OpenNebula's own vxlan
 * driver (ONE_SOURCE, lab/one-driver.ts) or the replay of it, plus one VM per host and
 * network, ping every VM from every VM of its network, and probe that the networks stay apart.
 */
import type { Exec } from '../adapters/exec.js';
import { UserFacingError } from '../core/errors.js';
import { validateScenario } from '../core/index.js';
import type { LabDeps } from '../lab/exec.js';
import { DEFAULT_CACHE_DIR, labInventoryDir, labScenario } from '../lab/files.js';
import { labUp, type LabSource } from '../lab/lab.js';
import type { Release } from '../lab/rootfs.js';
import {
  createVms,
  formatPings,
  isolationMatrix,
  pingMatrix,
  sshRunner,
  vmPlan,
  vnetMtu,
  type IsolationResult,
  type PingResult,
  type VnetMaker,
} from '../lab/vms.js';
import { driverNic, networkBuilder, oneDriver, runOneDriver } from '../lab/one-driver.js';
import { readState } from '../lab/state.js';
import { INTERCONNECT_LAB_SCENARIO } from '../lab/gateway.js';
import { deploy, type DeployDeps } from './deploy.js';
import { DEFAULT_SETTLE_S } from './steps/verify.js';
import { proveInterconnect, type InterconnectResult } from './demo-interconnect.js';
import { containerRunner } from '../lab/faults.js';
import { ensureGuest } from '../lab/guest.js';
import { formatMigrationSum, proveMigration, type MigrationProof } from '../lab/migrate.js';

export interface DemoOptions {
  lab: string;
  /** The Debian release the lab's hosts boot (default bookworm). */
  release?: Release;
  stateRoot?: string;
  cacheDir?: string;
  /** The scenario to build the lab from (`demo -f`); absent: the seed's shape. */
  scenario?: LabSource;
  /**
   * Also the external EVPN gateway of the scenario's interconnect[0] (`demo --interconnect`;
   * without a scenario, INTERCONNECT_LAB_SCENARIO): configured, checked, cut and healed.
   */
  interconnect?: boolean;
  /**
   * Also live-migrate a real VM (QEMU) between the first hosts of the first two clusters,
   * `roundTrips` times there and back (default 1), while a VM on a third host pings and
   * streams to it (`demo --migrate`, src/lab/migrate.ts).
   */
  migrate?: boolean;
  roundTrips?: number;
  /**
   * A checkout of OpenNebula/one (the command line's ONE_SOURCE): its vxlan driver makes each KVM
   * host's bridge and VXLAN device instead of the replay (lab/one-driver.ts).
   */
  oneSource?: string;
  /** The network namespace the lab's controller side lives in (the command line's: lab/controller.ts). */
  controllerNs?: string;
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
  isolation: IsolationResult[];
  /** Who made the VNETs' bridges and VXLAN devices (lab/one-driver.ts networkBuilder). */
  network: string;
  timings: Record<string, number>;
  interconnect?: InterconnectResult;
  migration?: MigrationProof;
}

export async function demo(opts: DemoOptions, deps: DemoDeps): Promise<DemoResult> {
  const { say } = deps;
  const timings: Record<string, number> = {};
  let t = Date.now();
  const lap = (name: string) => {
    timings[name] = (Date.now() - t) / 1000;
    t = Date.now();
  };

  // ONE_SOURCE checked before anything is built.
  const driver = oneDriver(opts.oneSource, deps.lab);
  const steps = 4 + (opts.interconnect ? 1 : 0) + (opts.migrate ? 1 : 0);
  const source =
    opts.scenario ?? (opts.interconnect ? { input: INTERCONNECT_LAB_SCENARIO, file: 'the built-in interconnect lab (demo --interconnect)' } : undefined);
  if (opts.interconnect && !source?.input.interconnect?.length)
    throw new UserFacingError(
      `${source?.file ?? 'The scenario'} has no interconnect gateway: add one (docs/interconnect.md), or leave out -f for the built-in one.`,
    );
  say(`1/${steps} Building lab "${opts.lab}" (network namespaces + systemd-nspawn hosts${opts.interconnect ? ', and the external gateway' : ''})...`);
  const up = await labUp(
    { name: opts.lab, release: opts.release, stateRoot: opts.stateRoot, cacheDir: opts.cacheDir, scenario: source, controllerNs: opts.controllerNs },
    deps.lab,
  );
  lap('lab');
  const outDir = labInventoryDir(up.paths);
  const stateDir = opts.stateRoot ? ` --state-dir ${opts.stateRoot}` : '';
  const { scenario } = validateScenario(labScenario(up.t, up.paths), up.paths.scenario);

  say(`2/${steps} Deploying ${up.paths.scenario} (inventory in ${outDir})...`);
  // The lab has no oned: the OpenNebula step is off.
  const dep = await deploy({ scenario, source: up.paths.scenario, warnings: [], outDir, yes: true, opennebula: false, settle: DEFAULT_SETTLE_S }, deps.deploy);
  lap('deploy');
  say(dep.report.trimEnd());
  if (!dep.ok)
    throw new UserFacingError(
      `The deploy on the lab did not converge (see ${dep.logPath}); tear down with: edge-wizard lab down --name ${opts.lab}${stateDir}`,
    );

  const network = networkBuilder(driver);
  say(
    `3/${steps} Creating the EVPN network${scenario.networks.length > 1 ? 's' : ''} on each KVM host with ${network}, and one VM per host${scenario.networks.length > 1 ? ' and network' : ''}...`,
  );
  const plan = vmPlan(scenario, dep.generated!.addresses);
  const run = sshRunner(deps.exec, up.paths.sshConfig);
  const hosts = readState(up.paths.state)?.hosts ?? {};
  // The driver runs from this machine in the host container's network namespace (the rootfs has no ruby).
  const makeVnet: VnetMaker | undefined =
    driver &&
    (async (p) => {
      const pid = hosts[p.host]?.initPid;
      if (pid === undefined) throw new Error(`${p.host} has no running container`);
      const ran = await runOneDriver(deps.lab, driver, `/proc/${pid}/ns/net`, driverNic(scenario, scenario.networks[p.net]!, p.vni));
      say(`    ${p.host}: the driver ran ${ran.length ? ran.map((c) => `"${c}"`).join(', ') : 'nothing (the bridge and the VXLAN device were there)'}`);
    });
  await createVms(plan, run, scenario.wireguard.interface, makeVnet);
  for (const p of plan)
    say(
      `    ${p.host} (${p.cluster}): ${p.vxlanDev} (VNI ${p.vni}, local ${p.localIp}) in ${p.bridge}, VM ${p.vmNs} ${p.vmAddress} MTU ${p.guestMtu}${scenario.networks.length > 1 ? ` on ${p.network}` : ''}`,
    );
  lap('vms');

  say(
    `4/${steps} ${scenario.networks.length > 1 ? 'Pinging every VM from every VM of its network, and probing every other network at L2...' : 'Pinging every VM from every VM...'}`,
  );
  const pings = await pingMatrix(plan, run);
  const apart = await isolationMatrix(plan, run);
  lap('pings');
  say(formatPings(pings));
  for (const a of apart.filter((x) => x.leaked)) say(`LEAK ${a.fromNetwork}: VM on ${a.from} reached ${a.toAddress} of ${a.toNetwork}`);
  let ic: InterconnectResult | undefined;
  if (opts.interconnect) {
    say(
      `5/${steps} Configuring the external gateway ${scenario.interconnect[0]!.name} as its operator would (from the generated snippet), then checking, cutting and healing it...`,
    );
    ic = await proveInterconnect({ lab: opts.lab, stateRoot: opts.stateRoot, t: up.t, paths: up.paths, scenario, plan, outDir }, { lab: deps.lab, say });
    lap('interconnect');
  }
  let mig: MigrationProof | undefined;
  if (opts.migrate) {
    const [a, b] = scenario.clusters;
    const from = a?.hosts[0]?.name;
    const to = b?.hosts[0]?.name;
    const third = scenario.clusters.flatMap((c) => c.hosts.map((h) => h.name)).find((h) => h !== from && h !== to);
    if (!from || !to || !third)
      throw new UserFacingError(
        `demo --migrate needs two clusters and a third KVM host; ${up.paths.scenario} has fewer: add hosts to its clusters, or leave out -f.`,
      );
    const roundTrips = opts.roundTrips ?? 1;
    say(
      `${steps}/${steps} Live-migrating a real VM (QEMU) ${from} <-> ${to} ${roundTrips === 1 ? 'there and back' : `${roundTrips} times there and back`}, while a VM on ${third} pings it every 20 ms and streams TCP to it...`,
    );
    const guest = await ensureGuest(deps.lab, opts.cacheDir ?? DEFAULT_CACHE_DIR);
    mig = await proveMigration(
      {
        lab: opts.lab,
        paths: up.paths,
        t: up.t,
        guest,
        scenario,
        plan,
        addresses: dep.generated!.addresses,
        reflectors: scenario.bgp.reflectors,
        from,
        to,
        third,
        roundTrips,
      },
      { lab: deps.lab, runner: containerRunner(deps.lab, { name: opts.lab, stateRoot: opts.stateRoot }), say },
    );
    say(formatMigrationSum(mig));
    lap('migrate');
  }
  const ok = pings.every((p) => p.reachable && p.dfAtMtu && p.dfAboveMtuFails) && apart.every((a) => !a.leaked) && (ic?.ok ?? true) && (mig?.ok ?? true);
  const sessions = dep.ctx?.verify?.checks.filter((c) => c.kind === 'bgp' && c.ok).length ?? 0;
  const bfd = dep.ctx?.verify?.checks.filter((c) => c.kind === 'bfd') ?? [];
  const handshakes = dep.ctx?.verify?.checks.filter((c) => c.kind === 'handshake' && c.ok).length ?? 0;
  const { bfd: b } = scenario.bgp;
  say('');
  say(ok ? 'What works:' : 'Some checks failed:');
  say(`  - ${sessions} EVPN sessions Established on the route reflectors ${scenario.bgp.reflectors.join(', ')} (BGP over ${scenario.wireguard.interface})`);
  if (b.enabled) say(`  - BFD up on ${bfd.filter((c) => c.ok).length}/${bfd.length} sessions, ${b.detect_multiplier} x ${b.receive_interval} ms`);
  say(`  - the VNETs' bridges and VXLAN devices made by ${network}`);
  say(`  - ${handshakes} fresh WireGuard handshakes; ${scenario.wireguard.mtu}-byte don't-fragment pings over ${scenario.wireguard.interface} on every pair`);
  for (const n of scenario.networks) {
    const mine = pings.filter((p) => p.network === n.name);
    say(
      `  - ${n.name}: ${mine.filter((p) => p.reachable).length}/${mine.length} VM-to-VM pings across clusters; guest MTU ${vnetMtu(scenario, n)}: DF ping passes on ${mine.filter((p) => p.dfAtMtu).length}/${mine.length} pairs, ${vnetMtu(scenario, n) + 1} bytes refused on ${mine.filter((p) => p.dfAboveMtuFails).length}/${mine.length}`,
    );
  }
  if (apart.length) say(`  - networks kept apart: ${apart.filter((a) => !a.leaked).length}/${apart.length} L2 probes into another network unanswered`);
  for (const c of Object.values(ic?.checks ?? {})) say(`  ${c.ok ? '-' : '!'} ${c.line}${c.ok ? '' : '   <- FAILED'}`);
  if (mig) say(`  ${mig.ok ? '-' : '!'} ${formatMigrationSum(mig)}${mig.ok ? '' : '   <- FAILED'}`);
  say(
    `  - timings: ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)}s`)
      .join(', ')}`,
  );
  say('');
  say(`Look around:  ssh -F ${up.paths.sshConfig} ${scenario.ingress.name} vtysh -c 'show bgp l2vpn evpn summary'`);
  // A VM and another of the same network, on another host (a ping across networks gets no answer).
  const [first, peer] = [plan[0], plan.find((v) => v.network === plan[0]?.network && v.host !== plan[0]?.host)];
  if (first && peer) say(`              ssh -F ${up.paths.sshConfig} ${first.host} ip netns exec ${first.vmNs} ping ${peer.vmAddress.split('/')[0]}`);
  say(`Deploy again: edge-wizard deploy -f ${up.paths.scenario} --out ${outDir} --yes --no-opennebula   (changes nothing; the lab has no oned)`);
  if (ic) say(`The gateway:  ssh -F ${up.paths.sshConfig} ${ic.gateway} vtysh -c 'show bgp l2vpn evpn summary'   (edge-wizard lab cut|heal ${ic.gateway})`);
  say(`Tear down:    edge-wizard lab down --name ${opts.lab}${stateDir}`);
  return { ok, pings, isolation: apart, network, timings, ...(ic ? { interconnect: ic } : {}), ...(mig ? { migration: mig } : {}) };
}
