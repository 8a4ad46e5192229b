#!/usr/bin/env node
// `npm run bench:fleet` (issue 25): a route reflector at fleet size, measured on this machine.
//
// For each N (default 100, 300, 1000): `edge-wizard generate` on a scenario of N KVM hosts
// (clusters of 50, as test/core/fleet.test.ts), the ingress's FRR configuration rendered by
// ansible-playbook from one-deploy's frr.evpn template and roles/frr_layer (bench/fleet-render.yml),
// real FRR (zebra, bfdd, bgpd; the fd limit of frr.service or of our drop-in) started cold in
// namespace ewf-rr with the layer applied by vtysh -f as the drop-in does, facing N simulated
// VTEPs in namespace ewf-sim: one iBGP session each from its own overlay address
// (bench/fleet-sim.js: a type-3 and 10 type-2 routes each) and one BFD session each from a
// second FRR bfdd in ewf-sim, at the generated profile. Prints, per N, one line
//   fleet N=1000: converged 42.0 s, reflector RSS 180 MiB, reflector CPU 35 %, BFD flaps 0 in 300 s, withdrawal to all clients 0.9 s
// then a table; then WireGuard at size (bench/fleet-wg.js). `--parts bgp,wg,deploy` adds the
// deploy's growth on the lab (bench/fleet-deploy.js, long; --deploy-sizes 2,4,8,16, --deploy-budget 3000 s).
// Flags: --sizes 100,300,1000  --soak 300 (seconds of BFD soak; 30 for a quick run)  --timeout 900
//        --vms 10  --nofile N (override the reflector's fd limit, for experiments).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { findOneDeploy } from '../dist/adapters/ansible.js';
import { startSim } from './fleet-sim.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const RR = 'ewf-rr';
const SIM = 'ewf-sim';
const FRR = '/usr/lib/frr';

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const sizes = flag('sizes', '100,300,1000').split(',').map(Number);
const soak = Number(flag('soak', '300'));
const timeout = Number(flag('timeout', '900'));
const vms = Number(flag('vms', '10'));
// --bfd 3x1000: the scenario's bgp.bfd (detect multiplier x interval ms); default: the generated default.
const bfdFlag = flag('bfd', undefined);
// bgp: the reflector (default); wg: WireGuard at size (default); deploy: the deploy's growth on the lab (long: ask for it).
const parts = flag('parts', 'bgp,wg').split(',');
const deploySizes = flag('deploy-sizes', '2,4,8,16').split(',').map(Number);
const deployBudget = Number(flag('deploy-budget', '3000'));
// The reflector's fd limit: by default what the generated drop-in sets, else frr.service's 1024.
const nofileFlag = flag('nofile', undefined);

const sh = (file, args, opts = {}) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (s) => process.stderr.write(`[fleet] ${s}\n`);

function nsClean() {
  for (const ns of [RR, SIM]) {
    let pids = '';
    try {
      pids = sh('ip', ['netns', 'pids', ns]);
    } catch {
      continue;
    }
    for (const p of pids.split('\n').filter(Boolean)) {
      if (Number(p) === process.pid) continue;
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      /* gone */
    }
  }
}

function nsSetup() {
  const batch = [
    `netns add ${RR}`,
    `netns add ${SIM}`,
    `-n ${RR} link set lo up`,
    `-n ${SIM} link set lo up`,
    `link add ewf-rr0 type veth peer name ewf-sim0`,
    `link set ewf-rr0 netns ${RR}`,
    `link set ewf-sim0 netns ${SIM}`,
    `-n ${RR} addr add 169.254.25.1/30 dev ewf-rr0`,
    `-n ${SIM} addr add 169.254.25.2/30 dev ewf-sim0`,
    `-n ${RR} link set ewf-rr0 up`,
    `-n ${SIM} link set ewf-sim0 up`,
  ];
  for (const l of batch) sh('ip', l.split(' '));
}

// ---------------------------------------------------------------- inner: in ewf-sim
function fleetScenario(n) {
  const clusters = [];
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / 50);
    clusters[c] ??= { name: `c${c}`, region: `r${c}`, public_network: { ips: [`203.0.113.${(c % 250) + 1}`] }, hosts: [] };
    clusters[c].hosts.push({ name: `kvm${i}`, public_ip: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}` });
  }
  return {
    name: `fleet-${n}`,
    frontend: { address: '10.0.1.87' },
    ingress: { public_ip: '198.51.100.1' },
    clusters,
    wireguard: { subnet: '10.64.0.0/20' },
    networks: [{ name: 'net', network_address: '172.16.0.0', network_mask: '255.255.240.0', ar_start: '172.16.0.1', gateway: '172.16.0.1', ar_size: 2000 }],
    ...(bfdFlag
      ? {
          bgp: {
            bfd: {
              detect_multiplier: Number(bfdFlag.split('x')[0]),
              receive_interval: Number(bfdFlag.split('x')[1]),
              transmit_interval: Number(bfdFlag.split('x')[1]),
            },
          },
        }
      : {}),
  };
}

/** Generates the scenario's inventory and renders the ingress's FRR files into `dir/rr`. */
function generateAndRender(n, dir) {
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, stringify(fleetScenario(n)));
  const inv = join(dir, 'inventory');
  sh(process.execPath, [join(repo, 'bin/edge-wizard.js'), 'generate', '-f', file, '--out', inv]);
  const hosts = parse(readFileSync(join(inv, 'hosts.yml'), 'utf8'), { version: '1.1', logLevel: 'error' });
  const hv = parse(readFileSync(join(inv, 'host_vars/ingress.yml'), 'utf8'));
  const mesh = parse(readFileSync(join(inv, 'group_vars/all/wireguard.yml'), 'utf8')).wireguard_mesh;
  const all = hosts.all.vars;
  const reflectors = new Set(Object.keys(hosts.router.hosts));
  const addr = hv.frr_layer_update_source;
  const rr = join(dir, 'rr');
  sh('mkdir', ['-p', rr]);
  const vars = {
    ...all,
    ...hv,
    vn: undefined,
    frr_layer_interconnect: [],
    frr_layer_dir: '/etc/frr',
    ansible_nodename: 'ingress',
    // wg0 carries a /32 (roles/wireguard); one-deploy reads the address and network from facts.
    [`ansible_${all.evpn_if}`]: { ipv4: { address: addr, network: addr, prefix: '32' } },
    rr_template: join(findOneDeploy(process.env), 'opennebula/deploy/roles/frr/evpn/templates/bgpd_rr.conf.j2'),
    layer_dir: join(repo, 'roles/frr_layer'),
    out_dir: rr,
  };
  delete vars.vn;
  delete vars.one_pass;
  writeFileSync(join(dir, 'vars.json'), JSON.stringify(vars));
  sh('ansible-playbook', ['-i', 'localhost,', join(repo, 'bench/fleet-render.yml'), '-e', `@${join(dir, 'vars.json')}`], {
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false' },
  });
  const configBytes = ['bgpd.conf', 'edge-wizard-bgpd.conf', 'bfdd.conf'].reduce((s, f) => s + statSync(join(rr, f)).size, 0);
  const dropIn = readFileSync(join(rr, 'frr-layer.service.conf'), 'utf8');
  const nofile = Number(nofileFlag ?? /^LimitNOFILE=(\d+)/m.exec(dropIn)?.[1] ?? 1024); // frr.service's own LimitNOFILE=1024
  // The one path changed: the log file, out of the machine's /var/log/frr.
  const bgpd = readFileSync(join(rr, 'bgpd.conf'), 'utf8').replace('/var/log/frr/bgpd.log', join(rr, 'bgpd.log'));
  writeFileSync(join(rr, 'bgpd.conf'), bgpd);
  writeFileSync(join(rr, 'zebra.conf'), 'hostname ingress\n');
  const vteps = mesh
    .filter((h) => h.name !== all.ingress_name && h.name !== 'ingress')
    .map((h) => ({ name: h.name, ip: h.allowed_ips.split('/')[0], nonClient: reflectors.has(h.name) }));
  return {
    rr,
    vteps,
    reflector: addr,
    as: hv.frr_layer_as,
    bfd: hv.frr_layer_bfd,
    configBytes,
    nofile,
    reflectors: reflectors.size,
    clusterId: all.evpn_cluster_id,
  };
}

function frrUp(ns, dir, daemons, nofile) {
  chownR(dir);
  for (const d of daemons) {
    sh('ip', [
      'netns',
      'exec',
      ns,
      'prlimit',
      `--nofile=${nofile}:${nofile}`,
      'nice',
      '-n',
      '10',
      `${FRR}/${d}`,
      '-d',
      '-f',
      join(dir, `${d}.conf`),
      '-i',
      join(dir, `${d}.pid`),
      '-z',
      join(dir, 'zserv.api'),
      '--vty_socket',
      dir,
      '-u',
      'frr',
      '-g',
      'frr',
    ]);
  }
}

function chownR(dir) {
  sh('chown', ['-R', 'frr:frr', dir]);
  chownSync(dir, uidOf('frr'), gidOf('frr'));
}
const uidOf = (u) => Number(sh('id', ['-u', u]).trim());
const gidOf = (u) => Number(sh('id', ['-g', u]).trim());

function pidsIn(dir, daemons) {
  return daemons.map((d) => Number(readFileSync(join(dir, `${d}.pid`), 'utf8').trim()));
}

async function frrDown(dir, daemons) {
  let pids = [];
  try {
    pids = pidsIn(dir, daemons);
  } catch {
    return;
  }
  for (const p of pids) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  for (let i = 0; i < 100 && pids.some((p) => existsSync(`/proc/${p}`)); i++) await sleep(100);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

const vtysh = (dir, ...args) => sh('vtysh', ['--vty_socket', dir, ...args]);

function procTicks(pids) {
  let t = 0;
  for (const p of pids) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone */
    }
  }
  return t;
}
function procKb(pids, field) {
  let k = 0;
  for (const p of pids) {
    try {
      k += Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return k;
}
const HZ = 100;

function bfdCounters(dir) {
  try {
    const list = JSON.parse(vtysh(dir, '-c', 'show bfd peers counters json'));
    return list.reduce((a, p) => ({ down: a.down + (p['session-down-events'] ?? 0), up: a.up + (p['session-up-events'] ?? 0) }), { down: 0, up: 0 });
  } catch {
    return { down: NaN, up: NaN };
  }
}
function bfdUp(dir) {
  try {
    const list = JSON.parse(vtysh(dir, '-c', 'show bfd peers json'));
    return { up: list.filter((p) => p.status === 'up').length, total: list.length, multihop: list.filter((p) => p.multihop).length };
  } catch {
    return { up: NaN, total: NaN, multihop: NaN };
  }
}

function simBfdConfig(g) {
  const b = g.bfd;
  const lines = [
    'bfd',
    ` profile ${b.profile}`,
    `  detect-multiplier ${b.detect_multiplier}`,
    `  receive-interval ${b.receive_interval}`,
    `  transmit-interval ${b.transmit_interval}`,
    ' exit',
  ];
  for (const v of g.vteps) lines.push(` peer ${g.reflector} multihop local-address ${v.ip}`, `  profile ${b.profile}`, ' exit');
  lines.push('exit', '');
  return lines.join('\n');
}

async function one(n) {
  const dir = mkdtempSync(join(tmpdir(), `ew-fleet-${n}-`));
  chmodSync(dir, 0o755); // FRR runs as frr; nothing secret here (one_pass is left out)
  const simDir = join(dir, 'sim');
  const daemons = ['zebra', 'bfdd', 'bgpd'];
  const r = { n };
  let sim;
  try {
    const g = generateAndRender(n, dir);
    r.configBytes = g.configBytes;
    r.nofile = g.nofile;
    r.reflectors = g.reflectors;
    // Routes to the overlay, the VTEPs' addresses (/32 on lo, as wg0 has a /32), the BFD peers.
    sh('ip', ['-n', RR, 'addr', 'replace', `${g.reflector}/32`, 'dev', 'lo']);
    sh('ip', ['-n', RR, 'route', 'replace', '10.64.0.0/20', 'via', '169.254.25.2']);
    sh('ip', ['route', 'replace', `${g.reflector}/32`, 'via', '169.254.25.1']);
    writeFileSync(join(dir, 'addr.batch'), g.vteps.map((v) => `addr replace ${v.ip}/32 dev lo`).join('\n') + '\n');
    sh('ip', ['-force', '-batch', join(dir, 'addr.batch')]);
    sh('mkdir', ['-p', simDir]);
    writeFileSync(join(simDir, 'bfdd.conf'), simBfdConfig(g));
    writeFileSync(join(simDir, 'zebra.conf'), 'hostname vteps\n');
    frrUp(SIM, simDir, ['zebra', 'bfdd'], 16384);
    // bfdd reads a config of N peers in O(N^2) (1000 peers: about 18 s of CPU): the VTEPs' side is
    // ready before the reflector starts, so what follows measures the reflector.
    const ready0 = performance.now();
    while (bfdUp(simDir).total !== n && performance.now() - ready0 < timeout * 1000) await sleep(1000);
    r.simBfdReady = (performance.now() - ready0) / 1000;
    sim = startSim({ vteps: g.vteps, reflector: g.reflector, as: g.as, vni: 100, vms, clusterId: g.clusterId });
    await sleep(1500); // every VTEP is retrying (connection refused) before the reflector starts

    // Cold reflector: frr.service's start, then its ExecStartPost (vtysh -f the layer).
    const t0 = performance.now();
    frrUp(RR, g.rr, daemons, g.nofile);
    vtysh(g.rr, '-f', join(g.rr, 'edge-wizard-bgpd.conf'));
    const pids = pidsIn(g.rr, daemons);
    let established;
    let last;
    while (true) {
      last = sim.stats();
      const t = (performance.now() - t0) / 1000;
      if (established === undefined && last.established === n) established = t;
      if (last.complete === n) {
        r.converged = t;
        break;
      }
      if (t > timeout) break;
      await sleep(100);
    }
    r.established = established;
    r.convergeTicks = procTicks(pids);
    r.convergeCpu = (100 * r.convergeTicks) / HZ / ((performance.now() - t0) / 1000);
    r.complete = last.complete;
    r.establishedCount = last.established;
    r.rssPeakAfterConverge = procKb(pids, 'VmHWM') / 1024;
    log(`N=${n}: ${last.established}/${n} established, ${last.complete}/${n} with every route, after ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Soak: BFD flaps (reflector's down events) and BGP session drops (the VTEPs' view), once
    // every BFD session is up (bgpd asks bfdd for each through zebra).
    while (bfdUp(g.rr).up !== n && (performance.now() - t0) / 1000 < timeout) await sleep(500);
    r.bfdAllUp = bfdUp(g.rr).up === n ? (performance.now() - t0) / 1000 : undefined;
    log(`N=${n}: BFD ${bfdUp(g.rr).up}/${n} up at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const b0 = bfdCounters(g.rr);
    // The reflector deletes a dynamic neighbor's BFD session (and its counters) with the session:
    // flaps are counted on the VTEPs' bfdd, whose sessions are configured and stay.
    const v0 = bfdCounters(simDir);
    const u0 = bfdUp(g.rr);
    const drops0 = sim.stats().drops;
    const ticks0 = procTicks(pids);
    const s0 = performance.now();
    let minUp = u0.up;
    while ((performance.now() - s0) / 1000 < soak) {
      await sleep(Math.min(10000, soak * 1000));
      minUp = Math.min(minUp, bfdUp(g.rr).up);
    }
    const soakS = (performance.now() - s0) / 1000;
    r.load = readFileSync('/proc/loadavg', 'utf8').split(' ')[2]; // the machine's 15-minute load average
    const b1 = bfdCounters(g.rr);
    r.bfd = { ...bfdUp(g.rr), upAtStart: u0.up, minUp };
    r.flaps = bfdCounters(simDir).down - v0.down;
    r.flapsReflector = b1.down - b0.down;
    r.drops = sim.stats().drops - drops0;
    r.dropReasons = JSON.stringify(sim.dropReasons); // since the VTEPs started
    r.soakCpu = (100 * (procTicks(pids) - ticks0)) / HZ / soakS;
    r.soak = soakS;
    r.rss = procKb(pids, 'VmRSS') / 1024;
    r.rssBgpd = procKb([pids[2]], 'VmRSS') / 1024;
    r.rssPeak = procKb(pids, 'VmHWM') / 1024;

    // Withdrawal: one VTEP's underlay blackholed (silent death); time until no other VTEP holds its routes.
    const victim = g.vteps.findLastIndex((v) => !v.nonClient);
    const vip = g.vteps[victim].ip;
    const before = sim.holding(victim);
    const w0 = performance.now();
    sh('iptables', ['-I', 'INPUT', '-d', vip, '-j', 'DROP']);
    sh('iptables', ['-I', 'OUTPUT', '-s', vip, '-j', 'DROP']);
    while (sim.holding(victim) > 0 && performance.now() - w0 < 30000) await sleep(5);
    r.withdrawal = sim.holding(victim) === 0 ? (performance.now() - w0) / 1000 : undefined;
    r.withdrawalFrom = before;
    sh('iptables', ['-D', 'INPUT', '-d', vip, '-j', 'DROP']);
    sh('iptables', ['-D', 'OUTPUT', '-s', vip, '-j', 'DROP']);
  } catch (e) {
    r.error = String(e.stderr || e.message || e)
      .split('\n')
      .filter(Boolean)
      .slice(0, 3)
      .join(' | ');
  } finally {
    sim?.stop();
    await frrDown(join(dir, 'rr'), daemons);
    await frrDown(simDir, ['zebra', 'bfdd']);
    try {
      sh('ip', ['-force', '-batch', '-'], {
        input: readFileSync(join(dir, 'addr.batch'), 'utf8').replaceAll('addr replace', 'addr del'),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch {
      /* none */
    }
    if (!process.env.EW_FLEET_KEEP) rmSync(dir, { recursive: true, force: true });
  }
  return r;
}

const f1 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));

export function fleetLine(r) {
  if (r.error) return `fleet N=${r.n}: error: ${r.error}`;
  const conv = r.converged === undefined ? `not converged in ${timeout} s (${r.complete}/${r.n} VTEPs with every route)` : `converged ${f1(r.converged)} s`;
  const wd = r.withdrawal === undefined ? 'withdrawal to all clients not within 30 s' : `withdrawal to all clients ${f1(r.withdrawal)} s`;
  return `fleet N=${r.n}: ${conv}, reflector RSS ${Math.round(r.rss)} MiB, reflector CPU ${Math.round(r.soakCpu)} %, BFD flaps ${r.flaps} in ${Math.round(r.soak)} s, ${wd}`;
}

async function inner() {
  sh('sysctl', ['-qw', 'net.ipv4.ip_local_port_range=20000 60999']);
  const results = [];
  for (const n of sizes) {
    log(`N=${n}: generating, rendering, starting FRR (soak ${soak} s)`);
    const r = await one(n);
    results.push(r);
    console.log(fleetLine(r));
  }
  console.log('');
  console.log(
    '| N VTEPs | all Established | every route at every VTEP | every BFD session up | reflector RSS (peak) | reflector CPU converging / steady | BFD sessions up (min in soak) | BFD flaps / BGP drops in soak | withdrawal to all | reflector config |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    if (r.error) {
      console.log(`| ${r.n} | error: ${r.error} |||||||`);
      continue;
    }
    console.log(
      `| ${r.n} | ${f1(r.established)} s | ${r.converged === undefined ? `no (${r.complete}/${r.n})` : `${f1(r.converged)} s`} | ${r.bfdAllUp === undefined ? 'no' : `${f1(r.bfdAllUp)} s`} | ${Math.round(r.rss)} MiB (${Math.round(r.rssPeak)}; bgpd ${Math.round(r.rssBgpd)}) | ${Math.round(r.convergeCpu)} % / ${Math.round(r.soakCpu)} % | ${r.bfd.up}/${r.bfd.total} (${r.bfd.minUp}) | ${r.flaps} / ${r.drops} in ${Math.round(r.soak)} s | ${f1(r.withdrawal)} s | ${r.configBytes} B |`,
    );
  }
  const big = results.at(-1);
  for (const r of results) if (r.drops) console.log(`(N=${r.n}: BGP sessions lost, by reason: ${r.dropReasons})`);
  console.log(
    `(BFD flaps: session-down events on the VTEPs' bfdd, whose sessions persist; the reflector's own count, ${results.map((r) => r.flapsReflector ?? '-').join('/')}, loses a dynamic neighbor's session with the neighbor. BFD ${bfdFlag ? `${bfdFlag} ms (--bfd)` : 'as generated (3x300 ms)'})`,
  );
  console.log(
    `(reflector = zebra + bfdd + bgpd of the ingress, fd limit ${results.map((r) => r.nofile).join('/')}; CPU in % of one core; ${big?.reflectors ?? '?'} reflectors in the largest scenario's config; ${vms} type-2 + 1 type-3 routes per VTEP; soak ${soak} s; machine load average (15 min) at the end of each soak ${results.map((r) => r.load ?? '-').join('/')} on ${cpus().length} cores)`,
  );
}

// ---------------------------------------------------------------- outer: root namespace
if (!process.env.EW_FLEET_INNER) {
  if (process.getuid?.() !== 0) {
    console.error('bench:fleet needs root (it runs FRR in network namespaces).');
    process.exit(2);
  }
  for (const [bin, pkg] of [
    [`${FRR}/bgpd`, 'frr'],
    ['/usr/bin/vtysh', 'frr'],
    ['/usr/bin/ansible-playbook', 'ansible-core'],
  ]) {
    if (!existsSync(bin)) {
      console.error(`SKIPPED: ${bin} is missing: apt-get install ${pkg}${pkg === 'frr' ? ' frr-pythontools' : ''}.`);
      process.exit(2);
    }
  }
  if (!findOneDeploy(process.env)) {
    console.error('SKIPPED: one-deploy not found: set ONE_DEPLOY_DIR to an extracted one-deploy.');
    process.exit(2);
  }
  let code = 0;
  if (parts.includes('bgp')) {
    nsClean();
    nsSetup();
    const child = spawn('ip', ['netns', 'exec', SIM, 'nice', '-n', '10', process.execPath, fileURLToPath(import.meta.url), ...argv], {
      stdio: 'inherit',
      env: { ...process.env, EW_FLEET_INNER: '1' },
    });
    const stop = (sig) => () => {
      child.kill(sig);
      nsClean();
      process.exit(1);
    };
    process.on('SIGINT', stop('SIGINT'));
    process.on('SIGTERM', stop('SIGTERM'));
    code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
    nsClean();
  }
  if (parts.includes('wg')) {
    const { wgBench, wgTable } = await import('./fleet-wg.js');
    console.log('');
    console.log(wgTable(await wgBench(repo, log)));
  }
  if (parts.includes('deploy')) {
    const { deployGrowth, deployTable } = await import('./fleet-deploy.js');
    console.log('');
    console.log(deployTable(await deployGrowth(deploySizes, log, deployBudget)));
  }
  process.exit(code);
} else {
  await inner();
}
