/**
 * wireguard.topology hub: the plan (home hubs, AllowedIPs), its invariants over several
 * shapes (one host's peers never share an address, every VTEP reaches every other within
 * three hops, each hop accepted by the next host's cryptokey routing), the files (O(hosts),
 * regeneration keeps addresses and bytes), the checks precheck.yml gets, and the
 * validation sentences through the CLI. precheck.yml itself on a hub inventory: hub.system.test.ts.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { applyDefaults } from '../../src/core/defaults.js';
import { checkSemantics } from '../../src/core/validate.js';
import { planMesh, precheckPeerVars, type MeshPlan, type WireguardPeer } from '../../src/core/wireguard/mesh.js';
import { planFiles } from '../../src/core/plan.js';
import { contains, overlaps, parseCidr4, type Cidr } from '../../src/core/net.js';
import type { ScenarioInput } from '../../src/core/scenario.js';
import { cli } from '../support/cli.js';
import { hubInput as input } from '../support/hub.js';

function plan(i: ScenarioInput): MeshPlan {
  const s = applyDefaults(i);
  expect(checkSemantics(s).errors).toEqual([]);
  return planMesh(s);
}

const prefixes = (p: WireguardPeer): Cidr[] => p.allowed_ips.split(/,\s*/).map((x) => parseCidr4(x)!);
const routes = (p: WireguardPeer, ip: string) => prefixes(p).some((c) => contains(c, ip));
const peerNames = (m: MeshPlan, host: string) => m.hosts.find((h) => h.name === host)!.peers.map((p) => p.name);

/** Every invariant a WireGuard plan must hold, whatever its shape. */
function expectSound(m: MeshPlan): void {
  const byName = new Map(m.hosts.map((h) => [h.name, h]));
  for (const h of m.hosts) {
    // No two peers of one host share an address: WireGuard sends each address to one peer.
    const all = h.peers.flatMap((p) => prefixes(p).map((c) => ({ peer: p.name, c })));
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        if (all[i]!.peer !== all[j]!.peer)
          expect({ host: h.name, a: all[i]!.peer, b: all[j]!.peer, overlap: overlaps(all[i]!.c, all[j]!.c) }).toEqual({
            host: h.name,
            a: all[i]!.peer,
            b: all[j]!.peer,
            overlap: false,
          });
      }
    }
    // Peering is symmetric, never with itself.
    expect(h.peers.map((p) => p.name)).not.toContain(h.name);
    for (const p of h.peers) expect({ from: p.name, peers: peerNames(m, p.name).includes(h.name) }).toEqual({ from: p.name, peers: true });
  }
  // Every VTEP reaches every other: follow the peer whose AllowedIPs hold the destination; the
  // next host must accept the source from the previous one (cryptokey routing), within 3 hops.
  for (const a of m.hosts) {
    for (const b of m.hosts) {
      if (a === b) continue;
      let at = a;
      const path = [a.name];
      while (at !== b && path.length <= 4) {
        const next = at.peers.filter((p) => routes(p, b.ip));
        expect({ path, to: b.name, candidates: next.length }).toEqual({ path, to: b.name, candidates: 1 });
        const to = byName.get(next[0]!.name)!;
        const back = to.peers.find((p) => p.name === at.name)!;
        expect({ path, hop: to.name, acceptsSource: routes(back, a.ip) }).toEqual({ path, hop: to.name, acceptsSource: true });
        at = to;
        path.push(at.name);
      }
      expect({ path, hops: path.length - 1 <= 3 }).toEqual({ path, hops: true });
    }
  }
}

describe('the hub plan', () => {
  test("one cluster, default hubs: the ingress and the cluster's first host; the others home at the latter", () => {
    const m = plan(input([4]));
    expect(m.hubs.map((p) => p.name)).toEqual(['ingress', 'c0h0']);
    expect(m.hosts.map((h) => [h.name, h.place, h.home])).toEqual([
      ['ingress', 'hub', undefined],
      ['c0h0', 'hub', undefined],
      ['c0h1', 'spoke', 'c0h0'],
      ['c0h2', 'spoke', 'c0h0'],
      ['c0h3', 'spoke', 'c0h0'],
    ]);
    const spoke = m.hosts[2]!;
    expect(spoke.peers).toEqual([
      { name: 'c0h0', endpoint: '198.18.0.2:51820', allowed_ips: '192.168.0.0/22', address: '192.168.0.2', persistent_keepalive: 25 },
    ]);
    const hub = m.hosts[1]!;
    expect(hub.peers.map((p) => [p.name, p.allowed_ips])).toEqual([
      ['ingress', '192.168.0.1/32'],
      ['c0h1', '192.168.0.3/32'],
      ['c0h2', '192.168.0.4/32'],
      ['c0h3', '192.168.0.5/32'],
    ]);
    expect(m.hosts[0]!.peers.map((p) => [p.name, p.allowed_ips])).toEqual([['c0h0', '192.168.0.2/32, 192.168.0.3/32, 192.168.0.4/32, 192.168.0.5/32']]);
    expectSound(m);
  });

  test('three clusters, a hub per cluster (the default): spokes home in their cluster', () => {
    const m = plan(input([3, 1, 5]));
    expect(m.hubs.map((p) => p.name)).toEqual(['ingress', 'c0h0', 'c1h0', 'c2h0']);
    const homes = Object.fromEntries(m.hosts.filter((h) => h.place === 'spoke').map((h) => [h.name, h.home]));
    expect(homes).toEqual({ c0h1: 'c0h0', c0h2: 'c0h0', c2h1: 'c2h0', c2h2: 'c2h0', c2h3: 'c2h0', c2h4: 'c2h0' });
    // A hub lists the other hubs, then its own spokes.
    expect(peerNames(m, 'c2h0')).toEqual(['ingress', 'c0h0', 'c1h0', 'c2h1', 'c2h2', 'c2h3', 'c2h4']);
    expectSound(m);
  });

  test('the ingress as the only hub: a star, every KVM host a spoke of it', () => {
    const m = plan(input([2, 3], { topology: 'hub', hubs: ['ingress'] }));
    expect(m.hosts.filter((h) => h.place === 'spoke').every((h) => h.home === 'ingress')).toBe(true);
    expect(peerNames(m, 'ingress')).toEqual(['c0h0', 'c0h1', 'c1h0', 'c1h1', 'c1h2']);
    expect(m.hubs).toEqual([
      {
        name: 'ingress',
        endpoint: '203.0.113.1:51820',
        allowed_ips: '192.168.0.1/32, 192.168.0.2/32, 192.168.0.3/32, 192.168.0.4/32, 192.168.0.5/32, 192.168.0.6/32',
        address: '192.168.0.1',
        persistent_keepalive: 25,
      },
    ]);
    expectSound(m);
  });

  test('a cluster without a hub and the ingress home at the first hub; a cluster with two uses the first listed', () => {
    const m = plan(input([3, 2, 2], { topology: 'hub', hubs: ['c1h1', 'c0h2', 'c0h0'] }));
    const homes = Object.fromEntries(m.hosts.filter((h) => h.place === 'spoke').map((h) => [h.name, h.home]));
    expect(homes).toEqual({ ingress: 'c1h1', c0h1: 'c0h2', c1h0: 'c1h1', c2h0: 'c1h1', c2h1: 'c1h1' });
    expectSound(m);
  });

  test.each([
    ['every host a hub (a full mesh of hubs)', [2, 2], { topology: 'hub', hubs: ['ingress', 'c0h0', 'c0h1', 'c1h0', 'c1h1'] }],
    ['one KVM host as the only hub', [4, 1, 3], { topology: 'hub', hubs: ['c2h2'] }],
    ['many small clusters', [1, 1, 1, 2, 1, 3, 1], { topology: 'hub' }],
    ['a full mesh', [3, 2], { topology: 'mesh' }],
  ])('sound: %s', (_name, sizes, wg) => {
    expectSound(plan(input(sizes as number[], wg)));
  });

  test("the MTU is the full mesh's: forwarding adds no encapsulation", () => {
    const hub = plan(input([2, 2]));
    const mesh = plan(input([2, 2], { topology: 'mesh' }));
    expect(new Set(hub.hosts.map((h) => h.mtu))).toEqual(new Set(mesh.hosts.map((h) => h.mtu)));
  });

  test("precheck gets each host's planned peers apart from the hub-to-hub mesh", () => {
    const m = plan(input([3, 2], { topology: 'hub', hubs: ['c0h0', 'ingress'] }));
    expect(precheckPeerVars(m)).toEqual({
      ew_wireguard_hubs: ['c0h0', 'ingress'],
      // Cluster c1 has no hub: its hosts home at the first hub, c0h0, not at the ingress.
      ew_wireguard_peers: { ingress: [], c0h0: ['c0h1', 'c0h2', 'c1h0', 'c1h1'], c0h1: ['c0h0'], c0h2: ['c0h0'], c1h0: ['c0h0'], c1h1: ['c0h0'] },
    });
    expect(precheckPeerVars(plan(input([3], { topology: 'mesh' })))).toEqual({});
  });
});

describe('the hub files', () => {
  const files = (i: ScenarioInput) => Object.fromEntries(planFiles(applyDefaults(i)).files.map((f) => [f.path, f.content]));

  test('a spoke lists its hub, a hub forwards and lists its spokes; the hub table is written once', () => {
    const f = files(input([3, 2]));
    const spoke = parse(f['host_vars/c0h1.yml']!);
    expect(spoke.wireguard_peers).toEqual([
      { name: 'c0h0', endpoint: '198.18.0.2:51820', allowed_ips: '192.168.0.0/22', address: '192.168.0.2', persistent_keepalive: 25 },
    ]);
    expect(spoke.wireguard_forward).toBeUndefined();
    const hub = parse(f['host_vars/c0h0.yml']!);
    expect(hub.wireguard_forward).toBe(true);
    expect(hub.wireguard_peers).toBeUndefined();
    expect(hub.wireguard_spokes.map((p: WireguardPeer) => p.name)).toEqual(['c0h1', 'c0h2']);
    const all = parse(f['group_vars/all/wireguard.yml']!);
    expect(all.wireguard_peers).toBe("{{ (wireguard_hubs | rejectattr('name', 'equalto', inventory_hostname) | list) + (wireguard_spokes | d([])) }}");
    expect(all.wireguard_hubs.map((p: WireguardPeer) => [p.name, p.allowed_ips])).toEqual([
      ['ingress', '192.168.0.1/32'],
      ['c0h0', '192.168.0.2/32, 192.168.0.3/32, 192.168.0.4/32'],
      ['c1h0', '192.168.0.5/32, 192.168.0.6/32'],
    ]);
    expect(all.wireguard_mesh.map((p: WireguardPeer) => p.allowed_ips)).toEqual([
      '192.168.0.1/32',
      '192.168.0.2/32',
      '192.168.0.3/32',
      '192.168.0.4/32',
      '192.168.0.5/32',
      '192.168.0.6/32',
    ]);
    expect(f['wireguard/c0h1.conf']).toContain('[Peer]\nPublicKey = <c0h0 public key>\nAllowedIPs = 192.168.0.0/22\nEndpoint = 198.18.0.2:51820\n');
  });

  test('the output grows with the fleet, a hub per cluster: twice the clusters, about twice the bytes', () => {
    // One reflector, so that only the WireGuard plan grows (every reflector lists the others).
    const size = (clusters: number) =>
      Object.values(
        files({
          ...input(Array(clusters).fill(10)),
          wireguard: { subnet: '10.64.0.0/20', topology: 'hub' },
          bgp: { reflectors: ['ingress'] },
        } as ScenarioInput),
      ).reduce((n, t) => n + t.length, 0);
    const ratio = size(40) / size(20);
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
  });
});

describe('generate and validate through the CLI', () => {
  async function scenarioFile(i: ScenarioInput): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ew-hub-'));
    const file = join(dir, 'edge-wizard.yaml');
    await writeFile(file, stringify(i));
    return file;
  }
  const problems = (err: string) =>
    err
      .split('\n')
      .filter((l) => l.startsWith('  - '))
      .map((l) => l.slice(4));

  test.each([
    [
      'a hub that is not a host',
      { topology: 'hub', hubs: ['ingress', 'kvm_paris'] },
      ['wireguard.hubs[1] is "kvm_paris", which is not a host of this scenario: use the ingress name or a KVM host name.'],
    ],
    [
      'hubs with topology mesh',
      { hubs: ['ingress'] },
      [
        'wireguard.hubs is set but wireguard.topology is mesh, where every host peers with every other: set wireguard.topology: hub to use the hubs, or remove wireguard.hubs.',
      ],
    ],
    [
      'topology hub with no hub',
      { topology: 'hub', hubs: [] },
      [
        'wireguard.hubs is empty, which leaves the spokes of topology hub without a hub: list at least one hub (the ingress, say), or leave wireguard.hubs out for the ingress and the first KVM host of each cluster.',
      ],
    ],
    [
      'a hub listed twice',
      { topology: 'hub', hubs: ['c0h0', 'ingress', 'c0h0'] },
      ['wireguard.hubs[2] "c0h0" is already wireguard.hubs[0]: list each hub once.'],
    ],
    ['an unknown topology', { topology: 'star' }, ['wireguard.topology "star" is not one of mesh, hub: pick one of those.']],
  ])('%s: one sentence naming the field and the fix, exit 2', async (_name, wg, expected) => {
    const r = await cli('validate', '-f', await scenarioFile(input([2, 2], wg)));
    expect(problems(r.err)).toEqual(expected);
    expect(r.code).toBe(2);
  });

  test('more than 1000 KVM hosts in a full mesh: the sentence points to topology hub', async () => {
    const i = input(Array(101).fill(10), { topology: 'mesh', subnet: '10.64.0.0/20' });
    const r = await cli('validate', '-f', await scenarioFile(i));
    expect(problems(r.err)).toEqual([
      'clusters hold 1010 KVM hosts but edge-wizard plans a full WireGuard mesh of at most 1000: set wireguard.topology: hub (up to 10000 hosts), or split the hosts into several scenarios.',
    ]);
    expect(r.code).toBe(2);
  });

  test('more hubs than the largest full mesh: one sentence', async () => {
    // 1001 clusters of one host: the default hubs are the ingress and every host, 1002.
    const i = input(Array(1001).fill(1), { topology: 'hub', subnet: '10.64.0.0/20' });
    const r = await cli('validate', '-f', await scenarioFile({ ...i, bgp: { reflectors: ['ingress'] } } as ScenarioInput));
    expect(problems(r.err)).toEqual([
      "wireguard.hubs holds 1002 hubs but the hubs form a full mesh of at most 1001: list fewer hubs in wireguard.hubs (by default every cluster's first KVM host is one).",
    ]);
    expect(r.code).toBe(2);
  });

  test('regeneration keeps every address and byte; switching topology keeps the addresses', async () => {
    const out = await mkdtemp(join(tmpdir(), 'ew-hub-out-'));
    const first = input([3, 3]);
    expect((await cli('generate', '-f', await scenarioFile(first), '--out', out)).code).toBe(0);
    const address = async (h: string) => parse(await readFile(join(out, 'host_vars', `${h}.yml`), 'utf8')).wireguard_address;
    const before = { c0h2: await address('c0h2'), c1h0: await address('c1h0'), c1h2: await address('c1h2') };
    const again = await cli('generate', '-f', await scenarioFile(first), '--out', out);
    expect(again.out).toMatch(/wrote 0 new and 0 changed files/);
    // A host inserted at the front of a cluster and a new hub list: nobody is renumbered.
    const grown = input([3, 3], { topology: 'hub', hubs: ['c1h2', 'ingress'] });
    grown.clusters![0]!.hosts!.unshift({ name: 'c0new', public_ip: '198.18.9.9' });
    expect((await cli('generate', '-f', await scenarioFile(grown), '--out', out)).code).toBe(0);
    expect({ c0h2: await address('c0h2'), c1h0: await address('c1h0'), c1h2: await address('c1h2') }).toEqual(before);
    expect(await address('c0new')).toBe('192.168.0.8/22');
    expect((await cli('generate', '-f', await scenarioFile({ ...grown, wireguard: { subnet: '192.168.0.0/22' } }), '--out', out)).code).toBe(0);
    expect({ c0h2: await address('c0h2'), c1h0: await address('c1h0'), c1h2: await address('c1h2') }).toEqual(before);
  });
});
