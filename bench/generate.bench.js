// npm run bench: generation time, CPU, peak RSS and output size for 1, 10, 100 and
// 1000 KVM hosts (clusters of 10, full WireGuard mesh), cold (empty output dir) and
// warm (second run, nothing to write); the time to copy the output tree (`cp -r`) in
// the same run, as the yardstick on a noisy machine; and `edge-wizard --help` start-up.
// Then 10,000 KVM hosts in wireguard.topology hub (clusters of 10, the default hubs: the
// ingress and the first host of each cluster, 1001 in all; public IPs from 198.18.0.0/15).
// Targets: 1000 hosts at most 1 s of CPU, 500 MB and 20 MB written; --help under 0.3 s;
// 10,000 hub hosts at most 10 s and 1 GB.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

function scenario(hosts) {
  const clusters = [];
  for (let i = 0; i < hosts; i++) {
    const c = Math.floor(i / 10);
    if (!clusters[c]) {
      clusters[c] = { name: `c${c}`, provider: 'aws', region: `r${c}`, public_network: { ips: [`203.0.113.${c + 1}`] }, hosts: [] };
    }
    clusters[c].hosts.push({ name: `kvm${i}`, public_ip: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}` });
  }
  return {
    name: `bench-${hosts}`,
    frontend: { address: '10.0.1.87' },
    ingress: { public_ip: '198.51.100.1' },
    clusters,
    wireguard: { subnet: '192.168.0.0/21' },
    bgp: { as: 65000 },
    networks: [{ name: 'evpn', network_address: '172.16.0.0', network_mask: '255.255.240.0', ar_start: '172.16.0.1', gateway: '172.16.0.1', ar_size: 2000 }],
  };
}

/** `hosts` KVM hosts in clusters of 10, wireguard.topology hub with the default hubs. */
function hubScenario(hosts) {
  const ip = (n) => [24, 16, 8, 0].map((b) => (n >>> b) & 255).join('.');
  const base = (198 << 24) + (18 << 16); // 198.18.0.0/15: hosts in 198.18/16, public networks in 198.19/16
  const clusters = [];
  for (let i = 0; i < hosts; i++) {
    const c = Math.floor(i / 10);
    clusters[c] ??= { name: `c${c}`, provider: 'aws', region: `r${c}`, public_network: { ips: [ip(base + 65536 + c + 1)] }, hosts: [] };
    clusters[c].hosts.push({ name: `kvm${i}`, public_ip: ip(base + i + 1) });
  }
  return {
    name: `bench-hub-${hosts}`,
    frontend: { address: '10.0.1.87' },
    ingress: { public_ip: '198.51.100.1' },
    clusters,
    wireguard: { subnet: '10.64.0.0/17', topology: 'hub' },
    networks: [
      { name: 'evpn', network_address: '172.16.0.0', network_mask: '255.255.192.0', ar_start: '172.16.0.1', gateway: '172.16.0.1', ar_size: hosts + 100 },
    ],
  };
}

function run(file, out) {
  return JSON.parse(execFileSync(process.execPath, ['bench/run-generate.js', file, out], { encoding: 'utf8' }));
}

const dir = mkdtempSync(join(tmpdir(), 'ew-bench-'));
const rows = [];
for (const n of [1, 10, 100, 1000]) {
  const file = join(dir, `s${n}.yaml`);
  writeFileSync(file, stringify(scenario(n)));
  const out = join(dir, `out${n}`);
  const cold = run(file, out);
  const warm = run(file, out);
  if (cold.code !== 0 || warm.code !== 0) throw new Error(`generate failed for ${n} hosts`);
  const bytes = Number(execFileSync('du', ['-sb', out], { encoding: 'utf8' }).split('\t')[0]);
  const t0 = performance.now();
  execFileSync('cp', ['-r', out, `${out}.copy`]);
  const cpMs = performance.now() - t0;
  rows.push({
    hosts: n,
    'output MB': (bytes / 1e6).toFixed(2),
    'cold ms': cold.ms.toFixed(0),
    'cold CPU ms': cold.cpuMs.toFixed(0),
    user: cold.userMs.toFixed(0),
    sys: cold.sysMs.toFixed(0),
    'cp -r ms': cpMs.toFixed(0),
    'cold / cp -r': (cold.ms / cpMs).toFixed(1),
    'cold peak RSS MiB': cold.maxRssMiB.toFixed(0),
    'warm ms': warm.ms.toFixed(0),
    'warm peak RSS MiB': warm.maxRssMiB.toFixed(0),
  });
}
console.log('edge-wizard generate (in-process time and CPU from CLI entry; RSS of the whole process; cp -r of the same output tree, same run)');
console.table(rows);

const hubRows = [];
for (const n of [10000]) {
  const file = join(dir, `hub${n}.yaml`);
  writeFileSync(file, stringify(hubScenario(n)));
  const out = join(dir, `hub-out${n}`);
  const cold = run(file, out);
  const warm = run(file, out);
  if (cold.code !== 0 || warm.code !== 0) throw new Error(`generate failed for ${n} hub hosts`);
  const bytes = Number(execFileSync('du', ['-sb', out], { encoding: 'utf8' }).split('\t')[0]);
  const wireguard = Number(execFileSync('du', ['-sb', join(out, 'group_vars')], { encoding: 'utf8' }).split('\t')[0]);
  hubRows.push({
    hosts: n,
    hubs: 1 + n / 10,
    'output MB': (bytes / 1e6).toFixed(2),
    'group_vars MB': (wireguard / 1e6).toFixed(2),
    'cold ms': cold.ms.toFixed(0),
    'cold CPU ms': cold.cpuMs.toFixed(0),
    user: cold.userMs.toFixed(0),
    sys: cold.sysMs.toFixed(0),
    'cold peak RSS MiB': cold.maxRssMiB.toFixed(0),
    'warm ms': warm.ms.toFixed(0),
    'warm CPU ms': warm.cpuMs.toFixed(0),
    'warm peak RSS MiB': warm.maxRssMiB.toFixed(0),
  });
}
console.log('edge-wizard generate, wireguard.topology hub (clusters of 10; hubs and BGP reflectors: the ingress and the first host of each cluster)');
console.table(hubRows);

const helpTimes = [];
for (let i = 0; i < 7; i++) {
  const t0 = performance.now();
  execFileSync(process.execPath, ['bin/edge-wizard.js', '--help']);
  helpTimes.push(performance.now() - t0);
}
helpTimes.sort((a, b) => a - b);
console.log(`edge-wizard --help: median ${helpTimes[3].toFixed(0)} ms, min ${helpTimes[0].toFixed(0)} ms (7 runs, whole process)`);
rmSync(dir, { recursive: true, force: true });
