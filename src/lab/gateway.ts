/**
 * An external EVPN gateway in the lab (docs/interconnect.md "The lab"): a container of its own
 * cloud (topology.ts, role `gateway`), not in the inventory, configured the way a DC gateway's
 * operator would: its WireGuard key made on it at lab up, then, after our deploy, its wg0.conf,
 * FRR and VXLAN devices taken from the generated interconnect/<name>.md (so the snippet is what
 * the lab tests), plus a host namespace behind it in each network: `ext1` in the extended
 * network, `ext2` in one that is not extended (VNI and route target of ours, which our filters
 * must keep from crossing).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { bgpSummaryPeers } from '../core/verify.js';
import type { ScenarioInput } from '../core/scenario.js';
import { run, type LabDeps } from './exec.js';
import type { LabRunner } from './exec.js';
import type { LabState } from './state.js';
import { SEED_LAB_SCENARIO, type LabHost, type LabTopology } from './topology.js';
import { CREATE_VNET_SCRIPT, PING_SCRIPT, parsePings } from './vms.js';

/**
 * The lab of `demo --interconnect`: examples/interconnect.yaml's shape (one KVM host per
 * cluster, two networks with fixed VNIs, tenant-b extended to dcgw in AS 65100 on 198.19.0.50).
 * The key is a placeholder: lab up replaces it with the one made on dcgw.
 */
export const INTERCONNECT_LAB_SCENARIO: ScenarioInput = {
  ...SEED_LAB_SCENARIO,
  name: 'interconnect-lab',
  clusters: SEED_LAB_SCENARIO.clusters!.map((c) => ({ ...c, hosts: (c.hosts ?? []).slice(0, 1) })),
  networks: [
    { ...SEED_LAB_SCENARIO.networks![0], vni: 200 },
    { ...SEED_LAB_SCENARIO.networks![0], name: 'tenant-b', network_address: '172.18.0.0', ar_start: '172.18.0.1', gateway: '172.18.0.1', vni: 100 },
  ],
  interconnect: [{ name: 'dcgw', endpoint: '198.19.0.50', public_key: '9aRihXvmjmmTIs+hpr8iX/dCSL8OYWB91sWZxXnp8i4=', as: 65100, networks: ['tenant-b'] }],
};

const nsenter = (initPid: number, args: string[]): [string, string[]] => ['nsenter', ['--target', String(initPid), '--all', ...args]];

/** Makes its WireGuard key on the gateway once (kept across lab up); prints its public key. */
export const GATEWAY_KEY_SCRIPT = `set -eu
umask 077
mkdir -p /etc/wireguard
[ -s /etc/wireguard/wg0.key ] || wg genkey > /etc/wireguard/wg0.key
wg pubkey < /etc/wireguard/wg0.key
`;

/**
 * Each gateway's public key, made on it, written into the lab's scenario (`interconnect[i]
 * .public_key`, matched by name): we never make the other side's keys.
 */
export async function recordGatewayKeys(deps: LabDeps, t: LabTopology, state: LabState): Promise<void> {
  for (const h of t.hosts.filter((x) => x.role === 'gateway')) {
    const [f, a] = nsenter(state.hosts[h.name]!.initPid!, ['bash', '-s']);
    const key = (await run(deps, f, a, { input: GATEWAY_KEY_SCRIPT })).trim();
    const peer = t.scenario.interconnect?.find((p) => p.name === h.name);
    if (peer) peer.public_key = key;
  }
}

/** The fenced block that follows a `## <heading>` of the snippet. */
export function snippetBlock(md: string, heading: string): string {
  const at = md.indexOf(`\n## ${heading}`);
  const open = at < 0 ? -1 : md.indexOf('\n```', at);
  const start = open < 0 ? -1 : md.indexOf('\n', open + 1);
  const end = start < 0 ? -1 : md.indexOf('\n```', start);
  if (end < 0) throw new Error(`The snippet has no code block under "## ${heading}"`);
  return md.slice(start + 1, end + 1);
}

/** What the snippet tells the gateway: its address, our BGP speaker's. */
export function snippetAddresses(md: string): { gateway: string; ingress: string } {
  const gateway = snippetBlock(md, 'WireGuard').match(/^Address = ([\d.]+)\//m)?.[1];
  const ingress = snippetBlock(md, 'FRR').match(/^ neighbor ([\d.]+) remote-as/m)?.[1];
  if (!gateway || !ingress) throw new Error('The snippet names no gateway address or no BGP neighbor');
  return { gateway, ingress };
}

/** The snippet's wg0.conf with the private key read from its file (as our role does) and the ingress's public key. */
export function gatewayWgConf(md: string, ingressKey: string): string {
  return snippetBlock(md, 'WireGuard')
    .replace(/^PrivateKey = .*$/m, 'PostUp = wg set %i private-key /etc/wireguard/wg0.key')
    .replace(/^PublicKey = <.*>$/m, `PublicKey = ${ingressKey}`);
}

/**
 * The snippet's FRR block as the operator completes it: datacenter defaults, a router-id, no
 * IPv4 unicast by default, and a `vni` block of ours the gateway is not given (the not-extended
 * network, with our route target), which our filters must keep from crossing.
 */
export function gatewayFrrConf(md: string, name: string, routerId: string, notGiven: Array<{ vni: number; rt: string }>): string {
  const extra = notGiven.map((v) => `  vni ${v.vni}\n   route-target import ${v.rt}\n   route-target export ${v.rt}\n  exit-vni\n`).join('');
  const body = snippetBlock(md, 'FRR')
    .replace(/^(router bgp \d+)$/m, `$1\n bgp router-id ${routerId}\n no bgp default ipv4-unicast`)
    .replace(/^ exit-address-family$/m, `${extra} exit-address-family`);
  return `frr defaults datacenter\nhostname ${name}\nlog syslog informational\n!\n${body}`;
}

/** The snippet's VXLAN commands, one argv each (`ip ...` lines only; nothing goes through a shell). */
export function snippetVxlanCommands(md: string): string[][] {
  return snippetBlock(md, 'VXLAN')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((a) => a[0] === 'ip');
}

/** Starts WireGuard and FRR (bgpd, bfdd) on the gateway with the files written into its overlay. */
export const GATEWAY_UP_SCRIPT = `set -eu
chown frr:frr /etc/frr/frr.conf && chmod 640 /etc/frr/frr.conf
sed -i -e 's/^bgpd=no/bgpd=yes/' -e 's/^bfdd=no/bfdd=yes/' /etc/frr/daemons
systemctl restart wg-quick@wg0
`;

export const GATEWAY_FRR_SCRIPT = `systemctl reset-failed frr 2>/dev/null; systemctl restart frr`;

export interface GatewayHost {
  /** Namespace on the gateway, its network, address with prefix, VNI. */
  ns: string;
  network: string;
  address: string;
  vni: number;
}

/**
 * Configures the gateway as its operator would: wg0.conf and frr.conf written into its overlay
 * (root: the container's root directory), WireGuard up, the snippet's VXLAN devices, a host
 * namespace in each network (CREATE_VNET_SCRIPT: the same bridge and veth as a VM), FRR.
 */
export async function configureGateway(
  runner: LabRunner,
  o: {
    host: LabHost;
    root: string;
    snippet: string;
    ingressKey: string;
    routerId: string;
    notGiven: Array<{ vni: number; rt: string }>;
    hosts: GatewayHost[];
    mtu: number;
  },
): Promise<void> {
  const write = (path: string, text: string) => {
    writeFileSync(`${o.root}${path}`, text, { mode: 0o600 });
    chmodSync(`${o.root}${path}`, 0o600);
  };
  write('/etc/wireguard/wg0.conf', gatewayWgConf(o.snippet, o.ingressKey));
  write('/etc/frr/frr.conf', gatewayFrrConf(o.snippet, o.host.hostname, o.routerId, o.notGiven));
  const check = (what: string, r: { exitCode: number; stderr: string; stdout: string }) => {
    if (r.exitCode !== 0) throw new Error(`${what} on ${o.host.name} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}`);
  };
  check('Starting WireGuard', await runner(o.host.name, GATEWAY_UP_SCRIPT, []));
  for (const argv of snippetVxlanCommands(o.snippet)) {
    // `ip link add NAME ...` once: a second demo on the same lab finds it made.
    if (argv[2] === 'add' && (await runner(o.host.name, 'ip link show "$1" >/dev/null 2>&1', [argv[3]!])).exitCode === 0) continue;
    check(argv.join(' '), await runner(o.host.name, '"$@"', argv));
  }
  for (const h of o.hosts) {
    check(
      `Creating ${h.ns}`,
      await runner(o.host.name, CREATE_VNET_SCRIPT, ['wg0', String(h.vni), String(o.mtu), o.routerId, `vxlan${h.vni}`, `br${h.vni}`, h.ns, h.address]),
    );
  }
  check('Starting FRR', await runner(o.host.name, GATEWAY_FRR_SCRIPT, []));
}

/** Pings from a host behind the gateway: `reached` of the targets, and the DF ping at the guest MTU. */
export async function pingFromGateway(
  runner: LabRunner,
  gw: string,
  ns: string,
  mtu: number,
  targets: string[],
  deadlineSeconds: number,
): Promise<{ reached: number; dfOk: number }> {
  const r = await runner(gw, PING_SCRIPT, [ns, String(mtu), String(deadlineSeconds), ...targets], {
    timeoutMs: (deadlineSeconds + 10 * targets.length + 30) * 1000,
  });
  const seen = parsePings(r.stdout, mtu, targets);
  return { reached: seen.filter((o) => o.reachable).length, dfOk: seen.filter((o) => o.dfAtMtu).length };
}

/** A peer of `show bgp l2vpn evpn summary json` by its address (read by core/verify.ts), and whether the listen range accepted it. */
export function summaryPeer(json: string, address: string): { state: string; dynamic: boolean } | undefined {
  const p = bgpSummaryPeers(json)?.find((x) => x.address === address);
  return p && { state: p.state, dynamic: p.dynamic === true };
}

/** The route-maps of a neighbor's l2vpn evpn address family (`show bgp neighbors ADDR json`). */
export function neighborRouteMaps(json: string, address: string): { in?: string; out?: string } {
  const n = (JSON.parse(json) as Record<string, { addressFamilyInfo?: Record<string, Record<string, unknown>> }>)[address];
  const af = Object.entries(n?.addressFamilyInfo ?? {}).find(([k]) => /evpn/i.test(k))?.[1] ?? {};
  return { in: af.routeMapForIncomingAdvertisements as string | undefined, out: af.routeMapForOutgoingAdvertisements as string | undefined };
}

export interface BfdPeer {
  peer: string;
  status: string;
  multihop: boolean;
  'detect-multiplier': number;
  'receive-interval': number;
  'transmit-interval': number;
}

/** The BFD session to `address` from `show bfd peers json`. */
export function bfdPeer(json: string, address: string): BfdPeer | undefined {
  return (JSON.parse(json) as BfdPeer[]).find((p) => p.peer === address);
}

/** Route targets of every path learned from `peer` in `show bgp l2vpn evpn json` (one entry per path). */
export function routeTargetsFrom(json: string, peer: string): string[][] {
  const out: string[][] = [];
  const walk = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    if (Array.isArray(o)) return o.forEach(walk);
    const rec = o as Record<string, unknown>;
    if (rec.peerId === peer) {
      const ext = (rec.extendedCommunity as { string?: string } | undefined)?.string ?? '';
      out.push(ext.split(/\s+/).filter((x) => x.startsWith('RT:')));
      return;
    }
    Object.values(rec).forEach(walk);
  };
  walk(JSON.parse(json));
  return out;
}
