/**
 * What OpenNebula's vxlan driver (EVPN mode) creates on a KVM host for a VNET,
 * replayed by hand, plus one "VM" per host: a network namespace on a veth in
 * the VNET's bridge. Used by `edge-wizard demo` and the lab tests to prove a
 * VM in one cluster reaches a VM in another over the overlay.
 */
import type { Exec } from '../adapters/exec.js';
import { vnTemplate } from '../core/inventory.js';
import type { EvpnNetwork, Scenario } from '../core/scenario.js';
import { kvmHosts } from '../core/scenario.js';
import { pingPayloadForMtu } from '../core/mtu.js';
import { fromInt, maskToPrefix, toInt } from '../core/net.js';

/** First automatic VXLAN id OpenNebula hands out (oned.conf VXLAN_IDS START = 2). */
export const DEMO_VNI = 2;

export interface VmPlan {
  host: string;
  cluster: string;
  /** The EVPN network (its name) and its index in the scenario's networks. */
  network: string;
  net: number;
  /** VXLAN device `<phydev>.<vni>`, bridge `onebr.<vni>` as OpenNebula names them. */
  vxlanDev: string;
  bridge: string;
  vni: number;
  localIp: string;
  /** The VNET's MTU (its template's MTU): the VXLAN device's, the tap's and the guest's. */
  guestMtu: number;
  /** The VM: namespace name and its address with prefix. */
  vmNs: string;
  vmAddress: string;
}

/**
 * The VNI of each network as OpenNebula would have it: the fixed `vni`, else the lowest free
 * id from VXLAN_IDS START (2) up, in file order, skipping the fixed ones.
 */
export function demoVnis(s: Scenario): number[] {
  const fixed = new Set(s.networks.flatMap((n) => (n.vni === undefined ? [] : [n.vni])));
  let next = DEMO_VNI;
  return s.networks.map((n) => {
    if (n.vni !== undefined) return n.vni;
    while (fixed.has(next)) next++;
    return next++;
  });
}

/** The MTU the VNET template gives OpenNebula (core/inventory.ts vnTemplate): what the driver and the guests use. */
export function vnetMtu(s: Scenario, n: EvpnNetwork): number {
  return Number(vnTemplate(s, n).MTU);
}

/**
 * One VM per KVM host and network (namespace vm<k> for the k-th network), addresses after the
 * first lease (kept for the Virtual Router).
 */
export function vmPlan(s: Scenario, wgAddresses: Record<string, string>): VmPlan[] {
  const vnis = demoVnis(s);
  return s.networks.flatMap((n, k) => {
    const vni = vnis[k]!;
    const start = toInt(n.ar_start);
    const prefix = maskToPrefix(n.network_mask)!;
    const mtu = vnetMtu(s, n);
    return kvmHosts(s).map((h, i) => {
      const local = wgAddresses[h.name];
      if (!local) throw new Error(`No WireGuard address for ${h.name}: run edge-wizard generate first.`);
      return {
        host: h.name,
        cluster: h.cluster,
        network: n.name,
        net: k,
        vxlanDev: `${s.wireguard.interface}.${vni}`,
        bridge: `onebr.${vni}`,
        vni,
        localIp: local.split('/')[0]!,
        guestMtu: mtu,
        vmNs: `vm${k + 1}`,
        vmAddress: `${fromInt(start + 1 + i)}/${prefix}`,
      };
    });
  });
}

/** Runs a fixed bash script on a host with positional arguments (script on stdin, never interpolated). */
export type HostRunner = (host: string, script: string, args: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

const SAFE_ARG = /^[A-Za-z0-9_.:/-]+$/;

export function sshRunner(exec: Exec, sshConfig: string): HostRunner {
  return async (host, script, args) => {
    for (const a of args) if (!SAFE_ARG.test(a)) throw new Error(`unsafe argument for ${host}: ${a}`);
    const r = await exec('ssh', ['-F', sshConfig, host, 'bash', '-s', '--', ...args], { input: script, timeout: 120_000 });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  };
}

/**
 * What OpenNebula's vxlan driver (release-6.8.0, src/vnm_mad/remotes: VLANDriver#activate,
 * VXLAN#create_vlan_dev) runs on a KVM host for a NIC of an EVPN VNET with edge-wizard's
 * template (VXLAN_TEP=local_ip, IP_LINK_CONF=nolearning=,dstport=4789, MTU): the bridge `onebr.<vni>`
 * without options, then `<phydev>.<vni>` with the VNET's MTU, OpenNebulaNetwork.conf's
 * vxlan_ttl 16, the PHYDEV's first address as `local` and no `dev` (local_ip mode does not
 * bind the device to PHYDEV), enslaved. One difference, on purpose: `dstport 4789`. The
 * driver gives no port for this template, so the kernel's default 8472 applies on real hosts;
 * the lab's external gateway and FRR's interconnect speak 4789 (test/lab/vnm-driver.test.ts
 * pins the driver's commands and this difference). Idempotent: creates only what is missing.
 * Args: phydev vni mtu local dev bridge.
 */
export const DRIVER_REPLAY_SCRIPT = `set -eu
phy=$1 vni=$2 mtu=$3 local=$4 dev=$5 br=$6
ip link show "$br" >/dev/null 2>&1 || ip link add name "$br" type bridge
ip link set "$br" up
ip link show "$dev" >/dev/null 2>&1 || ip link add "$dev" mtu "$mtu" type vxlan id "$vni" ttl 16 local "$local" nolearning dstport 4789
ip link set "$dev" up
ip link set "$dev" master "$br"
`;

/** The VM: a namespace on a veth with the VNET's MTU in the bridge. Uses $mtu $br $ns $addr. */
const VM_NIC_BODY = `[ -e "/run/netns/$ns" ] || ip netns add "$ns"
nic="$ns-nic"
ip link show "$nic" >/dev/null 2>&1 || ip link add "$nic" mtu "$mtu" type veth peer name eth0 netns "$ns"
ip link set "$nic" master "$br"
ip link set "$nic" up
ip -n "$ns" link set lo up
ip -n "$ns" link set eth0 mtu "$mtu" up
ip -n "$ns" addr replace "$addr" dev eth0
`;

/**
 * The driver replay, then the VM. Idempotent. Args: phydev vni mtu local dev bridge ns address.
 */
export const CREATE_VNET_SCRIPT = `${DRIVER_REPLAY_SCRIPT}ns=$7 addr=$8
${VM_NIC_BODY}`;

/** The VM alone, in a bridge OpenNebula's own driver made (src/lab/one-driver.ts). Idempotent. Args: mtu bridge ns address. */
export const VM_NIC_SCRIPT = `set -eu
mtu=$1 br=$2 ns=$3 addr=$4
${VM_NIC_BODY}`;

/**
 * Pings each target from the VM until every one answers or the deadline passes
 * (EVPN needs a moment to exchange the MACs), then the DF probes.
 * Args: ns mtu deadline target...  Prints `ping <ip> ok|fail`, `df <ip> <size> ok|fail`.
 */
export const PING_SCRIPT = `ns=$1 mtu=$2 deadline=$3; shift 3
end=$(( $(date +%s) + deadline ))
for t in "$@"; do
  ok=fail
  while :; do
    if ip netns exec "$ns" ping -c 1 -W 1 "$t" >/dev/null 2>&1; then ok=ok; break; fi
    [ "$(date +%s)" -ge "$end" ] && break
  done
  echo "ping $t $ok"
done
for t in "$@"; do
  s=$(( mtu - 28 ))
  ip netns exec "$ns" ping -M do -s "$s" -c 1 -W 2 "$t" >/dev/null 2>&1 && echo "df $t $s ok" || echo "df $t $s fail"
  s=$(( mtu - 27 ))
  ip netns exec "$ns" ping -M do -s "$s" -c 1 -W 1 "$t" >/dev/null 2>&1 && echo "df $t $s ok" || echo "df $t $s fail"
done
`;

/**
 * Makes a host's bridge and VXLAN device for a VM of the plan (OpenNebula's own driver: app/demo.ts
 * with ONE_SOURCE); without one, createVms replays the driver.
 */
export type VnetMaker = (p: VmPlan) => Promise<void>;

export async function createVms(plan: VmPlan[], run: HostRunner, phydev: string, makeVnet?: VnetMaker): Promise<void> {
  await Promise.all(
    plan.map(async (p) => {
      if (makeVnet) await makeVnet(p);
      const r = makeVnet
        ? await run(p.host, VM_NIC_SCRIPT, [String(p.guestMtu), p.bridge, p.vmNs, p.vmAddress])
        : await run(p.host, CREATE_VNET_SCRIPT, [phydev, String(p.vni), String(p.guestMtu), p.localIp, p.vxlanDev, p.bridge, p.vmNs, p.vmAddress]);
      if (r.exitCode !== 0) throw new Error(`Creating the VXLAN device and VM on ${p.host} failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
    }),
  );
}

export interface PingResult {
  network: string;
  /** The guest MTU the DF probes used. */
  mtu: number;
  from: string;
  to: string;
  toAddress: string;
  reachable: boolean;
  /** DF ping of exactly guest MTU bytes passes. */
  dfAtMtu: boolean;
  /** DF ping of guest MTU + 1 bytes fails (as it must). */
  dfAboveMtuFails: boolean;
}

/** What PING_SCRIPT printed for one target. */
export interface PingOutcome {
  reachable: boolean;
  /** DF ping of exactly `mtu` bytes passes. */
  dfAtMtu: boolean;
  /** DF ping of `mtu` + 1 bytes fails (as it must). */
  dfAboveMtuFails: boolean;
}

/** The one reader of PING_SCRIPT's output (`ping <ip> ok|fail`, `df <ip> <payload> ok|fail`), per target address. */
export function parsePings(stdout: string, mtu: number, targets: string[]): PingOutcome[] {
  const lines = stdout.split('\n');
  const size = pingPayloadForMtu(mtu);
  return targets.map((ip) => ({
    reachable: lines.includes(`ping ${ip} ok`),
    dfAtMtu: lines.includes(`df ${ip} ${size} ok`),
    dfAboveMtuFails: lines.includes(`df ${ip} ${size + 1} fail`),
  }));
}

export function parsePingOutput(from: VmPlan, targets: VmPlan[], stdout: string): PingResult[] {
  const ips = targets.map((t) => t.vmAddress.split('/')[0]!);
  return parsePings(stdout, from.guestMtu, ips).map((o, i) => ({
    network: from.network,
    mtu: from.guestMtu,
    from: from.host,
    to: targets[i]!.host,
    toAddress: ips[i]!,
    ...o,
  }));
}

export async function pingMatrix(plan: VmPlan[], run: HostRunner, deadlineSeconds = 30): Promise<PingResult[]> {
  const all = await Promise.all(
    plan.map(async (p) => {
      const targets = plan.filter((t) => t.net === p.net && t.host !== p.host);
      const r = await run(p.host, PING_SCRIPT, [p.vmNs, String(p.guestMtu), String(deadlineSeconds), ...targets.map((t) => t.vmAddress.split('/')[0]!)]);
      return parsePingOutput(p, targets, r.stdout);
    }),
  );
  return all.flat();
}

export function formatPings(results: PingResult[]): string {
  return results
    .map(
      (r) =>
        `${r.reachable ? 'ok  ' : 'FAIL'} ${r.network}: VM on ${r.from} -> VM on ${r.to} (${r.toAddress}); DF ${r.mtu} bytes ${r.dfAtMtu ? 'passes' : 'FAILS'}, ${r.mtu + 1} bytes ${r.dfAboveMtuFails ? 'refused' : 'NOT refused'}`,
    )
    .join('\n');
}

/**
 * Isolation between networks, at L2: from a VM, each address of another network's VMs is made
 * on-link (a /32 route out of eth0, so the VM ARPs for it on its own segment) and pinged; it
 * must not answer. Args: ns target...  Prints `leak <ip>` or `apart <ip>`.
 */
export const ISOLATION_SCRIPT = `ns=$1; shift
for t in "$@"; do
  ip netns exec "$ns" ip route replace "$t/32" dev eth0
  if ip netns exec "$ns" ping -c 2 -i 0.2 -W 1 "$t" >/dev/null 2>&1; then echo "leak $t"; else echo "apart $t"; fi
  ip netns exec "$ns" ip route del "$t/32" dev eth0
done
`;

export interface IsolationResult {
  from: string;
  fromNetwork: string;
  toAddress: string;
  toNetwork: string;
  /** The VM of the other network answered: the networks are not apart. */
  leaked: boolean;
}

/** Every VM probes every VM of every other network (nothing when there is one network). */
export async function isolationMatrix(plan: VmPlan[], run: HostRunner): Promise<IsolationResult[]> {
  const all = await Promise.all(
    plan.map(async (p) => {
      const others = plan.filter((t) => t.net !== p.net);
      if (!others.length) return [];
      const r = await run(p.host, ISOLATION_SCRIPT, [p.vmNs, ...others.map((t) => t.vmAddress.split('/')[0]!)]);
      const lines = r.stdout.split('\n');
      return others.map((t) => {
        const ip = t.vmAddress.split('/')[0]!;
        return { from: p.host, fromNetwork: p.network, toAddress: ip, toNetwork: t.network, leaked: !lines.includes(`apart ${ip}`) };
      });
    }),
  );
  return all.flat();
}
