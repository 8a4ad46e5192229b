/**
 * interconnect: external EVPN gateways (docs/interconnect.md), the pure half (the FRR layer
 * rendered by the real template engine and checked by FRR is interconnect.system.test.ts):
 * the route-target regexes; the WireGuard plan of both join modes (one host's
 * AllowedIPs disjoint, the gateway reached from every host and every host from the gateway);
 * addresses kept across regenerations; the snippet for the other side; the bad inputs through
 * `edge-wizard validate`; and that a scenario without interconnect generates what it did.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseScenario } from '../../src/core/index.js';
import { addressesFromHostVars, planFiles } from '../../src/core/plan.js';
import { planMesh, type MeshPlan, type WireguardHostPlan } from '../../src/core/wireguard/mesh.js';
import { notOneOf, otherRtRegex, routeTarget } from '../../src/core/frr/interconnect.js';
import { contains, overlaps, parseCidr4, type Cidr } from '../../src/core/net.js';
import { cli } from '../support/cli.js';
import { EXAMPLE, generated, KEY2, scenario } from '../support/interconnect.js';

describe('the route-target filters', () => {
  test('notOneOf matches every number but the given ones', () => {
    for (const set of [['100'], ['100', '200', '1001'], ['1', '2', '3', '4', '5', '6', '7', '8', '9'], ['10', '100', '1000'], ['16777215']]) {
      const re = new RegExp(`^${notOneOf(set)}$`);
      for (let n = 0; n < 3000; n++) expect({ set, n, match: re.test(String(n)) }).toEqual({ set, n, match: !set.includes(String(n)) });
      for (const w of set) expect(re.test(w)).toBe(false);
      expect(re.test('16777216')).toBe(true);
      expect(re.test('')).toBe(false);
    }
    expect(otherRtRegex([100])).toBe('_RT:[0-9.]+:([02-9][0-9]*|1([1-9][0-9]*|0([1-9][0-9]*|0[0-9][0-9]*)?)?)_');
  });

  test("the route target is the one FRR derives: the AS's low 16 bits, then the VNI", () => {
    expect(routeTarget(65000, 100)).toBe('65000:100');
    expect(routeTarget(4200000042, 100)).toBe(`${4200000042 % 65536}:100`);
    const s = scenario((d) => {
      d.bgp.as = 4200000042;
      d.interconnect[0]!.as = 4200000099;
    });
    expect(generated(s)['host_vars/ingress.yml']).toContain(`route_targets:\n      - "${4200000042 % 65536}:100"\n`);
  });
});

describe('mode l3 (unproven: no vrf module here)', () => {
  test('validate says it is unproven, and refuses an L3VNI that a network uses', () => {
    expect(parseScenario(EXAMPLE).warnings).toEqual([]);
    const doc = parse(EXAMPLE);
    Object.assign(doc.interconnect[0], { mode: 'l3', l3_vni: 5001 });
    expect(parseScenario(stringify(doc)).warnings.map((w) => w.message)).toEqual([
      'interconnect[0].mode l3 (EVPN type-5 in a VRF) is unproven: edge-wizard writes its FRR lines but neither makes the kernel VRF on the ingress nor tests it; read docs/interconnect.md before you deploy it.',
    ]);
    doc.interconnect[0].l3_vni = 100;
    expect(() => parseScenario(stringify(doc))).toThrow('interconnect[0].l3_vni 100 is already the vni of networks[1]: give the VRF a VNI of its own.');
    doc.interconnect[0].mode = 'l2';
    expect(() => parseScenario(stringify(doc))).toThrow('interconnect[0].l3_vni is set but interconnect[0].mode is l2: remove l3_vni, or set mode: l3.');
  });
});

// --- WireGuard ---

const prefixes = (allowed: string): Cidr[] => allowed.split(/,\s*/).map((x) => parseCidr4(x)!);

/** Every peer of a host, the gateways included, as [name, prefixes, external]. */
function peersOf(h: WireguardHostPlan): Array<{ name: string; nets: Cidr[]; external: boolean }> {
  return [
    ...h.peers.map((p) => ({ name: p.name, nets: prefixes(p.allowed_ips), external: false })),
    ...(h.external ?? []).map((p) => ({ name: p.name, nets: prefixes(p.allowed_ips), external: true })),
  ];
}

/** The peer WireGuard sends `ip` to (longest prefix: cryptokey routing), or undefined. */
function route(h: WireguardHostPlan, ip: string) {
  let best: { name: string; external: boolean; len: number } | undefined;
  for (const p of peersOf(h))
    for (const c of p.nets) if (contains(c, ip) && (!best || c.prefix > best.len)) best = { name: p.name, external: p.external, len: c.prefix };
  return best;
}

/** Hosts a packet from `from` to `ip` crosses until a host owns it or a gateway takes it; each relay must forward. */
function walk(m: MeshPlan, from: string, ip: string): string[] {
  const byName = new Map(m.hosts.map((h) => [h.name, h]));
  const path = [from];
  let at = byName.get(from)!;
  for (let hop = 0; hop < 5; hop++) {
    if (at.ip === ip) return path;
    if (hop > 0) expect({ relay: at.name, forwards: at.place === 'hub' || at.forward === true }).toEqual({ relay: at.name, forwards: true });
    const next = route(at, ip);
    if (!next) return [...path, 'unreachable'];
    path.push(next.name);
    if (next.external) return path;
    at = byName.get(next.name)!;
  }
  return [...path, 'loop'];
}

/** The gateway's own peers, as the snippet writes them: the ingress with the subnet, or every host with its /32. */
function gatewayRoute(m: MeshPlan, join: 'ingress' | 'mesh', ip: string): string {
  if (join === 'ingress') return m.hosts.find((h) => h.role === 'ingress')!.name;
  return m.hosts.find((h) => h.ip === ip)!.name;
}

function expectSound(m: MeshPlan, join: 'ingress' | 'mesh'): void {
  const gw = m.gateways![0]!;
  for (const h of m.hosts) {
    // No two peers of one host overlap: WireGuard sends each address to one peer.
    const all = peersOf(h).flatMap((p) => p.nets.map((c) => ({ peer: p.name, c })));
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        if (all[i]!.peer !== all[j]!.peer)
          expect({ host: h.name, a: all[i]!.peer, b: all[j]!.peer, overlap: overlaps(all[i]!.c, all[j]!.c) }).toMatchObject({ overlap: false });
      }
    }
    // The gateway's VTEP from every host, and back.
    const there = walk(m, h.name, gw.address);
    expect({ host: h.name, last: there[there.length - 1] }).toEqual({ host: h.name, last: gw.name });
    const first = gatewayRoute(m, join, h.ip);
    const back = walk(m, first, h.ip);
    expect({ host: h.name, last: back[back.length - 1] }).toEqual({ host: h.name, last: h.name });
  }
}

describe('the WireGuard plan', () => {
  test('join ingress (the default): only the ingress peers with the gateway, forwards, and carries its /32 for everyone', () => {
    const m = planMesh(scenario());
    expectSound(m, 'ingress');
    const ingress = m.hosts.find((h) => h.role === 'ingress')!;
    expect(ingress.external).toEqual([
      {
        name: 'dcgw',
        address: '192.168.0.4',
        public_key: '9aRihXvmjmmTIs+hpr8iX/dCSL8OYWB91sWZxXnp8i4=',
        endpoint: '192.0.2.50:51820',
        allowed_ips: '192.168.0.4/32',
        persistent_keepalive: 25,
      },
    ]);
    expect(ingress.forward).toBe(true);
    for (const h of m.hosts.filter((x) => x.role === 'kvm')) {
      expect(h.external).toBeUndefined();
      expect(h.peers.find((p) => p.name === 'ingress')).toMatchObject({ allowed_ips: '192.168.0.1/32, 192.168.0.4/32', address: '192.168.0.1' });
      expect(walk(m, h.name, '192.168.0.4')).toEqual([h.name, 'ingress', 'dcgw']);
    }
  });

  test('join mesh: every host peers with the gateway directly; the ingress does not forward for it', () => {
    const m = planMesh(scenario((d) => (d.interconnect[0]!.join = 'mesh')));
    expectSound(m, 'mesh');
    for (const h of m.hosts) {
      expect(h.external?.map((p) => p.name)).toEqual(['dcgw']);
      expect(h.forward).toBeUndefined();
      expect(walk(m, h.name, '192.168.0.4')).toEqual([h.name, 'dcgw']);
    }
  });

  test('topology hub, join ingress: the ingress hub carries the gateway, spokes reach it through their hub', () => {
    const m = planMesh(
      scenario((d) => {
        d.wireguard.topology = 'hub';
        d.clusters[0]!.hosts.push({ name: 'kvm_london2', public_ip: '18.134.246.201' });
        d.clusters[1]!.hosts.push({ name: 'kvm_ncalifornia2', public_ip: '18.144.25.42' });
      }),
    );
    expectSound(m, 'ingress');
    expect(walk(m, 'kvm_london2', m.gateways![0]!.address)).toEqual(['kvm_london2', 'kvm_london', 'ingress', 'dcgw']);
  });

  test('two gateways, one of each join', () => {
    const m = planMesh(scenario((d) => d.interconnect.push({ name: 'dc2', endpoint: '192.0.2.60', public_key: KEY2, join: 'mesh', networks: ['tenant-b'] })));
    expectSound(m, 'ingress');
    expect(m.hosts.find((h) => h.name === 'ingress')!.external!.map((p) => p.name)).toEqual(['dcgw', 'dc2']);
    expect(m.hosts.find((h) => h.name === 'kvm_london')!.external!.map((p) => p.name)).toEqual(['dc2']);
  });

  test("the gateway's address is kept across regenerations, like a host's; a pinned one wins", () => {
    const first = generated(scenario());
    const hostVars = Object.fromEntries(
      Object.entries(first)
        .filter(([p]) => p.startsWith('host_vars/'))
        .map(([p, t]) => [p.slice('host_vars/'.length, -4), t]),
    );
    const previous = addressesFromHostVars(hostVars);
    expect(previous['interconnect/dcgw']).toBe('192.168.0.4');
    const grown = scenario((d) => d.clusters[0]!.hosts.push({ name: 'kvm_london2', public_ip: '18.134.246.201' }));
    expect(planMesh(grown, previous).gateways![0]!.address).toBe('192.168.0.4');
    expect(planMesh(grown, previous).hosts.find((h) => h.name === 'kvm_london2')!.ip).toBe('192.168.0.5');
    // Without the previous plan the gateway would have moved: the kept address is what keeps it.
    expect(planMesh(grown).gateways![0]!.address).toBe('192.168.0.5');
    const pinned = scenario((d) => (d.interconnect[0]!.wireguard_address = '192.168.0.250'));
    expect(planMesh(pinned, previous).gateways![0]!.address).toBe('192.168.0.250');
  });
});

describe("the snippet for the gateway's operator", () => {
  test('join ingress, eBGP: one WireGuard peer with our subnet, the neighbor, BFD, the vni and route-target lines, no secret', () => {
    const text = generated(scenario())['interconnect/dcgw.md']!;
    expect(text).toContain(`[Interface]
# Your private key; its public key is the one we were given: 9aRihXvmjmmTIs+hpr8iX/dCSL8OYWB91sWZxXnp8i4=
PrivateKey = <your private key>
Address = 192.168.0.4/32
ListenPort = 51820
MTU = 1420
PostUp = ip -4 route replace 192.168.0.0/24 dev %i

# ingress (edge-wizard scenario "interconnect"): its public key is made on it at deploy, see "Our public keys"
[Peer]
PublicKey = <ingress public key>
AllowedIPs = 192.168.0.0/24
Endpoint = 13.58.199.98:51820
PersistentKeepalive = 25
`);
    expect(text.match(/^\[Peer\]$/gm)).toHaveLength(1);
    for (const line of [
      'router bgp 65100',
      ' neighbor 192.168.0.1 remote-as 65000',
      ' neighbor 192.168.0.1 update-source 192.168.0.4',
      ' neighbor 192.168.0.1 ebgp-multihop 2',
      ' neighbor 192.168.0.1 passive',
      ' neighbor 192.168.0.1 bfd profile ew-ic-dcgw',
      '  neighbor 192.168.0.1 activate',
      '  neighbor 192.168.0.1 attribute-unchanged next-hop',
      '  vni 100\n   route-target import 65000:100\n   route-target export 65000:100\n  exit-vni',
      ' profile ew-ic-dcgw\n  detect-multiplier 5\n  receive-interval 300\n  transmit-interval 300',
      'ip link add vxlan100 type vxlan id 100 local 192.168.0.4 dstport 4789 nolearning',
      'their MTU is at most 1370',
      '`wg show wg0 public-key` on the ingress',
      'Allow UDP 51820 in from our ingress, 13.58.199.98.',
    ]) {
      expect(text).toContain(line);
    }
    // Not the network that is not extended, and nothing secret: no key material but the gateway's own public key, no password.
    expect(text).not.toContain('private_evpn-vxlan');
    expect(text).not.toMatch(/PrivateKey = (?!<your private key>)/);
    expect(text).not.toContain('opennebula');
    expect(planFiles(scenario()).files.find((f) => f.path === 'interconnect/dcgw.md')!.mode).toBe(0o644);
  });

  test('join mesh, iBGP: a WireGuard peer per host with its /32; no multihop, no next-hop flag', () => {
    const text = generated(scenario((d) => Object.assign(d.interconnect[0]!, { join: 'mesh', as: undefined })))['interconnect/dcgw.md']!;
    expect(text.match(/^\[Peer\]$/gm)).toHaveLength(3);
    for (const [ip, endpoint] of [
      ['192.168.0.1', '13.58.199.98:51820'],
      ['192.168.0.2', '18.134.246.200:51820'],
      ['192.168.0.3', '18.144.25.41:51820'],
    ]) {
      expect(text).toContain(`AllowedIPs = ${ip}/32\nEndpoint = ${endpoint}\n`);
    }
    expect(text).toContain('router bgp 65000\n neighbor 192.168.0.1 remote-as 65000\n');
    expect(text).not.toContain('ebgp-multihop');
    expect(text).not.toContain('attribute-unchanged');
  });
});

describe('validate', () => {
  const DIR = 'test/fixtures/bad';
  const cases = readdirSync(DIR)
    .filter((f) => f.startsWith('interconnect-') && f.endsWith('.yaml'))
    .sort();

  test('the bad-input corpus covers the interconnect refusals', () => {
    expect(cases).toEqual([
      'interconnect-address-outside.yaml',
      'interconnect-address-taken.yaml',
      'interconnect-bad-public-key.yaml',
      'interconnect-bfd-out-of-range.yaml',
      'interconnect-duplicate-name.yaml',
      'interconnect-ebgp-own-as.yaml',
      'interconnect-endpoint-private.yaml',
      'interconnect-ibgp-other-as.yaml',
      'interconnect-join-mesh-hub.yaml',
      'interconnect-l3-without-vni.yaml',
      'interconnect-network-without-vni.yaml',
      'interconnect-unknown-network.yaml',
    ]);
  });

  test.each(cases)('%s: one sentence per problem, exit 2', async (file) => {
    const want = readFileSync(join(DIR, file), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('# expect: '))
      .map((l) => l.slice('# expect: '.length));
    const r = await cli('validate', '-f', join(DIR, file));
    expect(r.code).toBe(2);
    expect(
      r.err
        .split('\n')
        .filter((l) => l.startsWith('  - '))
        .map((l) => l.slice(4)),
    ).toEqual(want);
  });

  test('examples/interconnect.yaml is valid, and a hub topology that leaves the ingress out is refused', async () => {
    const r = await cli('validate', '-f', 'examples/interconnect.yaml');
    expect(r.code).toBe(0);
    const doc = parse(EXAMPLE);
    doc.wireguard.topology = 'hub';
    doc.wireguard.hubs = ['kvm_london'];
    expect(() => parseScenario(stringify(doc))).toThrow(
      "wireguard.hubs leaves out ingress, the ingress, which holds the interconnect gateways' sessions and WireGuard peers: add it to wireguard.hubs (a spoke reaches every address through its hub, the gateways' too).",
    );
  });
});

describe('without interconnect', () => {
  test('the scenario generates the same files as before: no gateway, no new variable, no snippet', () => {
    const plain = readFileSync('examples/two-networks.yaml', 'utf8');
    const files = generated(parseScenario(plain).scenario);
    const withEmpty = generated(parseScenario(`${plain}\ninterconnect: []\n`).scenario);
    expect(withEmpty).toEqual(files);
    expect(Object.keys(files).some((p) => p.startsWith('interconnect/'))).toBe(false);
    for (const [path, text] of Object.entries(files)) {
      expect({ path, found: /wireguard_external_peers|wireguard_forward|frr_layer_interconnect|, 192\.168/.test(text) }).toEqual({ path, found: false });
    }
  });
});
