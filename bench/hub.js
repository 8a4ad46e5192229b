#!/usr/bin/env node
// `npm run bench:hub`: what the hub topology costs on this machine (root). Builds the lab of
// examples/hub.yaml (three clusters of two KVM hosts; the ingress and each cluster's first
// host are hubs, the second hosts spokes) with `edge-wizard demo -f`, which proves every VM
// reaches every VM of its network, then measures TCP throughput with iperf3 (the host's
// binary, run in the VMs' network namespaces) and ping round trips between VMs:
//   hub -> hub      1 WireGuard hop  (kvm_fra1 -> kvm_bom1)
//   spoke -> spoke  3 WireGuard hops (kvm_fra2 -> kvm_fra1 -> kvm_bom1 -> kvm_bom2)
// and prints each with its ratio to the 1-hop figure, measured in the same run (this
// machine is shared and noisy: the ratio is the figure to read). Traffic stays in the lab.
//
//   npm run bench:hub                 build, measure, tear down
//   npm run bench:hub -- --keep       leave the lab up (the teardown command is printed)
//   npm run bench:hub -- --seconds 5  iperf3 duration per pair (default 5)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEffects } from '../dist/adapters/effects.js';
import { demo } from '../dist/app/demo.js';
import { controllerNamespace } from '../dist/lab/controller.js';
import { labPaths } from '../dist/lab/files.js';
import { labDown, readLabSource } from '../dist/lab/lab.js';
import { labBenchPreflight } from './preflight.js';

const { values } = parseArgs({ options: { keep: { type: 'boolean' }, seconds: { type: 'string', default: '5' } } });
labBenchPreflight('npm run bench:hub');
if (spawnSync('iperf3', ['--version']).status !== 0) {
  console.error('iperf3 is missing: apt-get install -y iperf3');
  process.exit(2);
}

const name = 'hub';
const ctlNs = 'ewhub-ctl';
const stateRoot = mkdtempSync(join(tmpdir(), 'ew-hub-'));
const say = (line) => console.error(line);
const ctl = controllerNamespace(ctlNs, (l) => say(`    ${l}`));
const { exec: inCtl, labDeps } = ctl;

/** A VM's network namespace as the host sees it: the container's /run/netns/<vm>. */
const vmNet = (initPid, vm) => `--net=/proc/${initPid}/root/run/netns/${vm}`;
const inVm = (initPid, vm, args, opts = {}) => execFileSync('nsenter', [vmNet(initPid, vm), ...args], { encoding: 'utf8', ...opts });

let code = 0;
try {
  await ctl.open();
  const source = await readLabSource('examples/hub.yaml');
  const env = { ...process.env, NODE_ENV: 'test' };
  const r = await demo(
    { lab: name, stateRoot, scenario: source },
    {
      exec: inCtl,
      lab: labDeps,
      deploy: { exec: inCtl, effects: createEffects({ dryRun: false, exec: inCtl }), now: Date.now, env, isTTY: false, confirm: async () => true },
      say,
    },
  );
  if (!r.ok) throw new Error('the demo did not converge (its output is above)');
  const pings = r.pings.filter((p) => p.reachable).length;
  say(`demo -f examples/hub.yaml: ${pings}/${r.pings.length} VM pings across the hub topology`);

  const state = JSON.parse(readFileSync(labPaths(name, stateRoot).state, 'utf8'));
  const pid = (host) => state.hosts[host].initPid;
  const vmIp = (host) => inVm(pid(host), 'vm1', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']).match(/inet (\S+)\//)[1];
  const measure = (from, to) => {
    const server = spawnSync('nsenter', [vmNet(pid(to), 'vm1'), 'iperf3', '-s', '-1', '-D', '-p', '5201'], { encoding: 'utf8' });
    if (server.status !== 0) throw new Error(`iperf3 -s on ${to}: ${server.stderr}`);
    spawnSync('sleep', ['0.5']);
    const out = JSON.parse(inVm(pid(from), 'vm1', ['iperf3', '-c', vmIp(to), '-p', '5201', '-t', values.seconds, '-J'], { timeout: 60_000 }));
    const gbits = out.end.sum_received.bits_per_second / 1e9;
    const rtt = inVm(pid(from), 'vm1', ['ping', '-c', '20', '-i', '0.05', '-q', vmIp(to)]).match(/= [\d.]+\/([\d.]+)\//)[1];
    return { gbits, rttMs: Number(rtt) };
  };
  const rows = [
    ['hub -> hub (1 WireGuard hop)', 'kvm_fra1', 'kvm_bom1'],
    ['spoke -> spoke (3 hops)', 'kvm_fra2', 'kvm_bom2'],
    ['spoke -> own hub (1 hop)', 'kvm_fra2', 'kvm_fra1'],
    ['hub -> hub again (1 hop)', 'kvm_fra1', 'kvm_bom1'],
  ].map(([what, from, to]) => ({ what, from, to, ...measure(from, to) }));
  const ref = (rows[0].gbits + rows[3].gbits) / 2;
  const refRtt = (rows[0].rttMs + rows[3].rttMs) / 2;
  const line = (c) => `${c[0].padEnd(32)} ${c[1].padEnd(22)} ${c[2].padStart(10)} ${c[3].padStart(8)} ${c[4].padStart(9)} ${c[5].padStart(8)}`;
  process.stdout.write(`\n${line(['path', 'VMs', 'Gbit/s', 'ratio', 'RTT ms', 'ratio'])}\n`);
  for (const x of rows) {
    process.stdout.write(
      `${line([x.what, `${x.from} -> ${x.to}`, x.gbits.toFixed(2), (x.gbits / ref).toFixed(2), x.rttMs.toFixed(3), (x.rttMs / refRtt).toFixed(2)])}\n`,
    );
  }
  process.stdout.write(`(ratios to the mean of the two hub -> hub rows; iperf3 -t ${values.seconds}, TCP, one stream; ping -c 20)\n`);
} catch (e) {
  console.error(`bench:hub stopped: ${e.message}`);
  code = 1;
} finally {
  if (values.keep) {
    say(`Lab kept: nsenter --net=/run/netns/${ctlNs} edge-wizard lab down --name ${name} --state-dir ${stateRoot} --purge; ip netns del ${ctlNs}`);
  } else {
    await labDown({ name, stateRoot, purge: true }, labDeps, { quiet: true }).catch((e) => say(`lab down: ${e.message}`));
    await ctl.close();
    rmSync(stateRoot, { recursive: true, force: true });
  }
}
process.exit(code);
