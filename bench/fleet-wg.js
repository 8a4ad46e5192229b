// WireGuard at fleet size, for `npm run bench:fleet -- --wg` (issue 25): wireguard-go (as on
// the lab: this kernel has no wireguard module) in namespace ewf-wg, and the config that
// roles/wireguard writes for (a) a KVM host of a 1000-host mesh (1000 peers) and (b) the hub
// of a 1000-spoke hub scenario, both from `edge-wizard generate`. Measures what the role's
// handler runs, `wg syncconf` (empty -> full, the same again, one peer changed), its time and
// peak RSS, and wireguard-go's RSS with the peers loaded. Peers' keys are fresh x25519 keys.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

const NS = 'ewf-wg';
const IF = 'ewfwg0';
const sh = (file, args, opts = {}) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const b64 = (s) => Buffer.from(s, 'base64url').toString('base64');

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { priv: b64(privateKey.export({ format: 'jwk' }).d), pub: b64(publicKey.export({ format: 'jwk' }).x) };
}

/** The [Peer] sections roles/wireguard/templates/wg.conf.j2 prints, with a key of our own per peer. */
function wgConf(privateKey, peers) {
  const out = ['[Interface]', `PrivateKey = ${privateKey}`, 'ListenPort = 51820', ''];
  for (const p of peers) {
    out.push(`# ${p.name}`, '[Peer]', `PublicKey = ${keyPair().pub}`, `AllowedIPs = ${p.allowed_ips}`);
    if (p.endpoint) out.push(`Endpoint = ${p.endpoint}`);
    if (p.persistent_keepalive) out.push(`PersistentKeepalive = ${p.persistent_keepalive}`);
    out.push('');
  }
  return out.join('\n');
}

function scenario(n, hub) {
  const clusters = [];
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / 50);
    clusters[c] ??= { name: `c${c}`, region: `r${c}`, public_network: { ips: [`203.0.113.${(c % 250) + 1}`] }, hosts: [] };
    clusters[c].hosts.push({ name: `kvm${i}`, public_ip: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}` });
  }
  return {
    name: `wg-${n}`,
    frontend: { address: '10.0.1.87' },
    ingress: { public_ip: '198.51.100.1' },
    clusters,
    wireguard: hub ? { subnet: '10.64.0.0/20', topology: 'hub', hubs: ['ingress'] } : { subnet: '10.64.0.0/20' },
    networks: [{ name: 'net', network_address: '172.16.0.0', network_mask: '255.255.240.0', ar_start: '172.16.0.1', gateway: '172.16.0.1', ar_size: 2000 }],
  };
}

/** Runs a command in the namespace; returns its peak RSS in MiB (/usr/bin/time %M). */
function spawnSyncish(args) {
  const r = spawnSync('/usr/bin/time', ['-f', 'EWTIME %M', 'ip', 'netns', 'exec', NS, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr.trim()}`);
  const m = /EWTIME (\d+)/.exec(r.stderr);
  return m ? Number(m[1]) / 1024 : NaN;
}

const rssOf = (pid) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

export async function wgBench(repo, log = () => undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'ew-fleet-wg-'));
  const rows = [];
  let go;
  try {
    try {
      sh('ip', ['netns', 'del', NS]);
    } catch {
      /* none */
    }
    sh('ip', ['netns', 'add', NS]);
    sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    for (const [label, hub] of [
      ['mesh host, 1000 peers', false],
      ['hub, 1000 spokes', true],
    ]) {
      const file = join(dir, `${hub ? 'hub' : 'mesh'}.yaml`);
      writeFileSync(file, stringify(scenario(1000, hub)));
      const inv = join(dir, hub ? 'inv-hub' : 'inv-mesh');
      sh(process.execPath, [join(repo, 'bin/edge-wizard.js'), 'generate', '-f', file, '--out', inv]);
      const peers = hub
        ? parse(readFileSync(join(inv, 'host_vars/ingress.yml'), 'utf8')).wireguard_spokes
        : parse(readFileSync(join(inv, 'group_vars/all/wireguard.yml'), 'utf8')).wireguard_mesh.filter((p) => p.name !== 'kvm500');
      const me = keyPair();
      const conf = join(dir, `${hub ? 'hub' : 'mesh'}.conf`);
      const text = wgConf(me.priv, peers);
      writeFileSync(conf, text, { mode: 0o600 });
      // the same config with one peer's endpoint changed
      const changed = join(dir, `${hub ? 'hub' : 'mesh'}-1.conf`);
      writeFileSync(changed, text.replace(/Endpoint = 198\.18\.0\.7:51820/, 'Endpoint = 198.18.0.77:51820'), { mode: 0o600 });
      // a fresh wireguard-go interface (foreground, so its pid is ours)
      go = spawn('ip', ['netns', 'exec', NS, 'nice', '-n', '10', 'wireguard-go', '-f', IF], {
        stdio: 'ignore',
        env: { ...process.env, WG_PROCESS_FOREGROUND: '1' },
      });
      for (let i = 0; i < 100 && !existsSync(`/var/run/wireguard/${IF}.sock`); i++) await sleep(100);
      const goPid = Number(
        sh('ip', ['netns', 'pids', NS])
          .split('\n')
          .filter(Boolean)
          .find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim().startsWith('wireguard')),
      );
      const idle = rssOf(goPid);
      const t0 = performance.now();
      const rss1 = spawnSyncish(['wg', 'syncconf', IF, conf]);
      const full = (performance.now() - t0) / 1000;
      const loaded = rssOf(goPid);
      const n = sh('ip', ['netns', 'exec', NS, 'wg', 'show', IF, 'peers']).split('\n').filter(Boolean).length;
      const t1 = performance.now();
      spawnSyncish(['wg', 'syncconf', IF, conf]);
      const again = (performance.now() - t1) / 1000;
      const t2 = performance.now();
      spawnSyncish(['wg', 'syncconf', IF, changed]);
      const one = (performance.now() - t2) / 1000;
      const t3 = performance.now();
      spawnSyncish(['wg', 'showconf', IF]);
      const show = (performance.now() - t3) / 1000;
      rows.push({ label, peers: n, bytes: text.length, full, again, one, show, wgRss: rss1, idle, loaded, after: rssOf(goPid) });
      log(`wg ${label}: ${n} peers loaded`);
      go.kill('SIGTERM');
      await new Promise((r) => go.once('exit', r));
      go = undefined;
    }
  } finally {
    go?.kill('SIGKILL');
    try {
      for (const p of sh('ip', ['netns', 'pids', NS]).split('\n').filter(Boolean)) process.kill(Number(p), 'SIGKILL');
      sh('ip', ['netns', 'del', NS]);
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function wgTable(rows) {
  const f = (x) => x.toFixed(2);
  const lines = [
    '| WireGuard config | peers | config | wg syncconf empty -> full | same again | one peer changed | wg showconf | wg peak RSS | wireguard-go RSS idle -> loaded |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.peers} | ${Math.round(r.bytes / 1024)} KiB | ${f(r.full)} s | ${f(r.again)} s | ${f(r.one)} s | ${f(r.show)} s | ${r.wgRss.toFixed(1)} MiB | ${r.idle.toFixed(1)} -> ${r.loaded.toFixed(1)} MiB |`,
    );
  }
  return lines.join('\n');
}
