/**
 * The lab of any scenario (`lab up -f`, `demo -f`), pure: topology.ts labTopology from
 * scenarios of 1, 3 and 4 clusters whose names, subnets and AS are unlike the seed's,
 * and the lab's copy of each scenario. No root, no namespaces.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateScenario, type ScenarioInput } from '../../src/core/index.js';
import { contains, parseCidr4 } from '../../src/core/net.js';
import { UsageError } from '../../src/core/errors.js';
import { labPaths, labScenario, renderScenario } from '../../src/lab/files.js';
import { INOTIFY_PER_HOST, inotifyProblem, readLabSource } from '../../src/lab/lab.js';
import { parseLabArgs, runLab } from '../../src/cli/commands/lab.js';
import type { LabDeps } from '../../src/lab/exec.js';
import {
  clusterTags,
  hostsByRole,
  LAB_MAX_CLUSTERS,
  LAB_MAX_KVM_HOSTS,
  labTopology,
  labTopologyProblems,
  namespaceNames,
  SEED_LAB_SCENARIO,
  type LabTopology,
} from '../../src/lab/topology.js';

const DIR = 'test/fixtures/lab-scenarios';
const read = (f: string): ScenarioInput => parse(readFileSync(f, 'utf8')) as ScenarioInput;
/** title, file, clusters, KVM hosts */
const FIXTURES: Array<[string, string, number, number]> = [
  ['one cluster', `${DIR}/one-cluster.yaml`, 1, 2],
  ['three clusters (examples/three-clusters.yaml)', 'examples/three-clusters.yaml', 3, 4],
  ['three clusters, topology hub', `${DIR}/three-hub.yaml`, 3, 4],
  ['three clusters of two, topology hub (examples/hub.yaml)', 'examples/hub.yaml', 3, 6],
  ['four clusters', `${DIR}/four-clusters.yaml`, 4, 16],
];
const paths = labPaths('anyt', '/tmp/ew-anyt');
const ip = (cidr: string): string => cidr.split('/')[0]!;

/** Every interface name the lab creates (kernel limit: 15 characters). */
function linkNames(t: LabTopology): string[] {
  return [t.controller.link, t.controller.peer, ...t.bridges.map((b) => b.name), ...t.hosts.flatMap((h) => h.interfaces.flatMap((i) => [i.name, i.peer]))];
}

function expectBuildable(t: LabTopology): void {
  for (const l of linkNames(t)) expect(l.length).toBeLessThanOrEqual(15);
  const peers = t.hosts.flatMap((h) => h.interfaces.map((i) => i.peer));
  expect(new Set(peers).size).toBe(peers.length);
  expect(new Set(t.hosts.map((h) => h.tag)).size).toBe(t.hosts.length);
  expect(new Set(namespaceNames(t)).size).toBe(namespaceNames(t).length);
  for (const h of t.hosts) {
    expect(h.tag).toMatch(/^[a-z0-9]+$/);
    expect(h.machine).toBe(`ew-${t.lab}-${h.tag}`);
    expect(h.hostname).toBe(h.name.replace(/_/g, '-'));
    expect(h.hostname).toMatch(/^[A-Za-z][A-Za-z0-9-]*$/);
  }
}

describe("the lab of a scenario: one cloud per cluster, the scenario's names, the lab's addresses", () => {
  test.each(FIXTURES)('%s', (_title, file, nClusters, nKvm) => {
    const input = read(file);
    const source = validateScenario(input, file).scenario;
    const t = labTopology('anyt', input);
    expectBuildable(t);

    // Names: clusters, KVM hosts, ingress and frontend as in the file.
    expect(t.clusters.map((c) => c.name)).toEqual(source.clusters.map((c) => c.name));
    expect(hostsByRole(t, 'kvm').map((h) => [h.name, h.cluster])).toEqual(source.clusters.flatMap((c) => c.hosts.map((h) => [h.name, c.name])));
    expect(hostsByRole(t, 'kvm')).toHaveLength(nKvm);
    expect(hostsByRole(t, 'ingress').map((h) => h.name)).toEqual([source.ingress.name]);
    expect(hostsByRole(t, 'frontend').map((h) => h.name)).toEqual([source.frontend.name]);

    // Clouds: documentation ranges, then 198.18.N.0/24; bridge br-a, br-b, ...; the controller routes exactly them.
    const clouds = ['203.0.113.0/24', '198.51.100.0/24', '198.18.0.0/24', '198.18.1.0/24'].slice(0, nClusters);
    expect(t.clusters.map((c) => [c.bridge, c.subnet])).toEqual(clouds.map((s, i) => [`br-${'abcd'[i]}`, s]));
    expect(t.controller.routes).toEqual(clouds);
    expect(t.bridges.map((b) => [b.name, b.address])).toEqual([
      ...clouds.map((s, i) => [`br-${'abcd'[i]}`, `${s.replace(/0\/24$/, '1')}/24`]),
      ['br-ctl', undefined],
    ]);
    for (const [i, c] of source.clusters.entries()) {
      const cloud = parseCidr4(clouds[i]!)!;
      const base = clouds[i]!.replace(/0\/24$/, '');
      const mine = hostsByRole(t, 'kvm').filter((h) => h.cluster === c.name);
      expect(mine.map((h) => h.sshAddress)).toEqual(c.hosts.map((_, j) => `${base}${21 + j}`));
      for (const h of mine) {
        expect(h.interfaces.map((x) => [x.name, x.bridge])).toEqual([['enp125s0', `br-${'abcd'[i]}`]]);
        expect(h.gateway).toBe(`${base}1`);
      }
      const pub = t.clusters[i]!.publicNetworkIps;
      expect(pub).toHaveLength(c.public_network.ips.length);
      for (const a of pub) expect(contains(cloud, a)).toBe(true);
      expect(pub.some((a) => mine.some((h) => h.sshAddress === a))).toBe(false);
    }
    // The ingress in the first cloud at .10 and on the control subnet; the frontend behind it.
    const ingress = hostsByRole(t, 'ingress')[0]!;
    expect(ingress.interfaces.map((x) => [x.bridge, x.address])).toEqual([
      ['br-a', '203.0.113.10/24'],
      ['br-ctl', '10.0.1.1/24'],
    ]);
    expect(hostsByRole(t, 'frontend')[0]!.interfaces.map((x) => x.address)).toEqual(['10.0.1.87/24']);
    expect(t.inetRoutes).toEqual([{ to: '10.0.1.0/24', via: '203.0.113.10' }]);

    // The lab's copy: valid, named after the lab, the source's overlay carried unchanged.
    const copy = labScenario(t, paths);
    const lab = validateScenario(copy, paths.scenario).scenario;
    expect(lab.name).toBe('anyt');
    expect(copy.wireguard).toEqual(input.wireguard);
    expect(copy.networks).toEqual(input.networks);
    expect(copy.bgp).toEqual(input.bgp);
    expect(copy.virtual_router).toEqual(input.virtual_router);
    expect(lab.networks).toEqual(source.networks);
    expect(lab.bgp).toEqual(source.bgp);
    expect(lab.wireguard).toEqual(source.wireguard);
    expect(lab.clusters.map((c) => [c.name, c.region, c.public_network.name, c.hosts.map((h) => h.name)])).toEqual(
      source.clusters.map((c) => [c.name, c.region, c.public_network.name, c.hosts.map((h) => h.name)]),
    );
    // ...and the lab's own addresses and access.
    expect(lab.clusters.flatMap((c) => c.hosts.map((h) => [h.public_ip, h.public_interface, h.aws_reject_rule, h.ssh_user]))).toEqual(
      hostsByRole(t, 'kvm').map((h) => [h.sshAddress, 'enp125s0', true, 'root']),
    );
    expect(lab.ingress).toMatchObject({ name: source.ingress.name, public_ip: '203.0.113.10', control_ip: '10.0.1.1', ssh_user: 'root' });
    expect(lab.frontend).toMatchObject({ name: source.frontend.name, address: '10.0.1.87', proxy_jump: 'ingress', ssh_user: 'root' });
    expect(lab.control_subnet).toBe('10.0.1.0/24');
    expect(lab.opennebula.password).toBe('opennebula');
    expect(copy.ansible).toEqual({ user: 'root', repos_enabled: [], ssh_common_args: `-F ${paths.sshConfig} -o ControlPath=${paths.controlDir}/%C` });
    // The copy makes the same lab (what down, status and a second up rely on).
    expect(labTopology('anyt', copy)).toEqual(t);
    expect(renderScenario(t, paths, file)).toContain(`# Built from ${file}:`);
  });

  test("the seed's shape is labTopology of SEED_LAB_SCENARIO, with the tags it always had", () => {
    const t = labTopology('lab');
    expect(labTopology('lab', SEED_LAB_SCENARIO)).toEqual(t);
    expect(t.hosts.map((h) => h.tag)).toEqual(['ingr', 'fe1', 'lon1', 'lon2', 'nca1', 'nca2']);
    expect(t.clusters.map((c) => c.publicNetworkIps)).toEqual([
      ['203.0.113.30', '203.0.113.31'],
      ['198.51.100.30', '198.51.100.31'],
    ]);
  });

  test('examples/three-clusters.yaml and its fixture copy are the same file', () => {
    expect(read('examples/three-clusters.yaml')).toEqual(read(`${DIR}/three-clusters.yaml`));
  });
});

describe('tags: short, unique, [a-z0-9], whatever the names', () => {
  test('three letters of the cluster name, else two and its number, else c and a number', () => {
    expect(clusterTags(['london', 'ncalifornia'])).toEqual(['lon', 'nca']);
    expect(clusterTags(['ap-south', 'ap-southeast', 'ap-south-2'])).toEqual(['aps', 'ap2', 'ap3']);
    expect(clusterTags(['a', 'b_', 'A-1', 'a1'])).toEqual(['c01', 'c02', 'a13', 'a14']);
    const t = labTopology('anyt', read(`${DIR}/four-clusters.yaml`));
    expect([...new Set(hostsByRole(t, 'kvm').map((h) => h.tag.slice(0, 3)))]).toEqual(['aps', 'ap2', 'euc', 'usw']);
    expect(hostsByRole(t, 'kvm').find((h) => h.name === 'kvm_ap_southeast_singapore_rack04')).toMatchObject({
      tag: 'ap24',
      hostname: 'kvm-ap-southeast-singapore-rack04',
    });
  });

  test(`the largest lab (${LAB_MAX_CLUSTERS} clusters, ${LAB_MAX_KVM_HOSTS} KVM hosts, 63-character names, a 12-character lab name) fits the kernel's 15 characters`, () => {
    const long = (p: string, i: number) => `${p}${'x'.repeat(60)}${i}`.slice(0, 63);
    const perCluster = LAB_MAX_KVM_HOSTS / LAB_MAX_CLUSTERS;
    const input: ScenarioInput = {
      name: 'largest',
      ingress: { name: long('Ingress_', 0), public_ip: '52.0.0.1' },
      frontend: { name: long('fe_', 0), address: '10.0.1.87' },
      clusters: Array.from({ length: LAB_MAX_CLUSTERS }, (_, c) => ({
        // The same first letters everywhere: every cluster falls back to a numbered tag.
        name: `same-prefix-${c}`,
        region: 'r',
        public_network: { ips: [`52.9.${c}.1`] },
        hosts: Array.from({ length: perCluster }, (_, h) => ({ name: `${long(`kvm_${c}_`, h)}`.slice(0, 60) + `_${h}`, public_ip: `52.0.${c + 1}.${h + 1}` })),
      })),
      networks: [{ name: 'n', network_address: '10.50.0.0', network_mask: '255.255.255.0', ar_start: '10.50.0.1', ar_size: 100, gateway: '10.50.0.1' }],
    };
    validateScenario(input);
    const t = labTopology('abcdefghijkl', input);
    expectBuildable(t);
    expect(t.controller.link).toBe('ew-abcdefghijkl');
    expect(t.clusters.map((c) => c.subnet).slice(2)).toEqual(Array.from({ length: LAB_MAX_CLUSTERS - 2 }, (_, i) => `198.18.${i}.0/24`));
    expect(validateScenario(labScenario(t, paths)).scenario.clusters.flatMap((c) => c.hosts)).toHaveLength(LAB_MAX_KVM_HOSTS);
  });
});

describe('what the lab cannot build: one sentence, exit 2', () => {
  const clusters = (n: number, hosts: number) =>
    Array.from({ length: n }, (_, c) => ({
      name: `c${c}`,
      region: 'r',
      public_network: { ips: [`52.9.${c}.1`] },
      hosts: Array.from({ length: hosts }, (_, h) => ({ name: `kvm_${c}_${h}`, public_ip: `52.0.${c}.${h + 1}` })),
    }));
  const base = (cl: ScenarioInput['clusters']): ScenarioInput => ({
    name: 'x',
    ingress: { name: 'ingress', public_ip: '52.1.0.1' },
    frontend: { name: 'fe', address: '10.0.1.87' },
    clusters: cl,
  });

  test(`more than ${LAB_MAX_CLUSTERS} clusters or ${LAB_MAX_KVM_HOSTS} KVM hosts`, () => {
    expect(labTopologyProblems(base(clusters(LAB_MAX_CLUSTERS, 1)))).toEqual([]);
    expect(labTopologyProblems(base(clusters(LAB_MAX_CLUSTERS + 1, 1)))).toEqual([
      `clusters has ${LAB_MAX_CLUSTERS + 1} clusters but a lab on this machine builds at most ${LAB_MAX_CLUSTERS} (docs/lab.md): try the lab on a copy of the scenario with fewer clusters.`,
    ]);
    const many = 2 * (LAB_MAX_KVM_HOSTS / 2 + 1);
    expect(labTopologyProblems(base(clusters(2, many / 2)))).toEqual([
      `clusters hold ${many} KVM hosts but a lab on this machine runs at most ${LAB_MAX_KVM_HOSTS} (docs/lab.md): try the lab on a copy of the scenario with fewer hosts.`,
    ]);
    let code = 0;
    try {
      labTopology('anyt', base(clusters(LAB_MAX_CLUSTERS + 1, 1)));
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      code = (e as UsageError).exitCode;
    }
    expect(code).toBe(2);
  });

  test('two hosts that would share a container hostname', () => {
    const input = base([
      {
        name: 'x',
        region: 'r',
        public_network: { ips: ['52.9.0.1'] },
        hosts: [
          { name: 'kvm_a', public_ip: '52.0.0.1' },
          { name: 'kvm-a', public_ip: '52.0.0.2' },
        ],
      },
    ]);
    expect(labTopologyProblems(input)).toEqual([
      'Hosts kvm_a and kvm-a would both be named kvm-a inside the lab (container hostnames turn "_" into "-"): rename one of them.',
    ]);
  });

  test('lab up -f / demo -f: the file is validated, then checked; -f goes with up only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ew-anyt-'));
    try {
      const big = join(dir, 'big.yaml');
      writeFileSync(big, JSON.stringify(base(clusters(LAB_MAX_CLUSTERS + 1, 1))));
      await expect(readLabSource(big)).rejects.toThrow(UsageError);
      await expect(readLabSource(big)).rejects.toThrow(`${big}: clusters has ${LAB_MAX_CLUSTERS + 1} clusters`);
      const fake = { isRoot: () => false } as unknown as LabDeps;
      const out = { write: () => true } as unknown as NodeJS.WritableStream;
      // Refused before anything needs root.
      await expect(runLab(['up', '-f', big], out, fake)).rejects.toThrow(UsageError);
      await expect(runLab(['up', '-f', join(dir, 'missing.yaml')], out, fake)).rejects.toThrow(/does not exist/);
      expect((await readLabSource(`${DIR}/one-cluster.yaml`)).input.clusters?.[0]?.name).toBe('frankfurt');
      expect(parseLabArgs(['up', '-f', 'x.yaml']).opts.file).toBe('x.yaml');
      expect(() => parseLabArgs(['down', '-f', 'x.yaml'])).toThrow('-f only goes with "lab up" (the other actions act on the lab as it was built).');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the lab keeps its own subnets clear of the scenario's", () => {
  test('a WireGuard subnet on a lab range moves the clouds, control subnet and controller link on', () => {
    const input: ScenarioInput = {
      ...read(`${DIR}/one-cluster.yaml`),
      wireguard: { subnet: '10.0.0.0/8' },
      networks: [{ name: 'n', network_address: '203.0.113.0', network_mask: '255.255.255.0', ar_start: '203.0.113.1', gateway: '203.0.113.1' }],
    };
    validateScenario(input);
    const t = labTopology('anyt', input);
    expect(t.clusters.map((c) => c.subnet)).toEqual(['198.51.100.0/24']);
    expect(t.controlSubnet).toBe('172.31.1.0/24');
    expect([t.controller.address, t.controller.peerAddress]).toEqual(['172.31.255.253/30', '172.31.255.254/30']);
    expect(validateScenario(labScenario(t, paths)).scenario.ingress).toMatchObject({ public_ip: '198.51.100.10', control_ip: '172.31.1.1' });
  });

  test("the scenario's underlay MTU on the cloud interfaces (both veth ends), not on the control subnet", () => {
    const input: ScenarioInput = { ...read(`${DIR}/one-cluster.yaml`), wireguard: { underlay_mtu: 9001, mtu: 8921 } };
    const t = labTopology('anyt', input);
    expect(t.hosts.flatMap((h) => h.interfaces.map((i) => [h.name, i.bridge, i.mtu]))).toEqual([
      ['edge_gw', 'br-a', 9001],
      ['edge_gw', 'br-ctl', undefined],
      ['opennebula-fe', 'br-ctl', undefined],
      ['kvm_fra_a', 'br-a', 9001],
      ['kvm_fra_b', 'br-a', 9001],
    ]);
    expect(labTopology('lab').hosts.every((h) => h.interfaces.every((i) => i.mtu === undefined))).toBe(true);
  });

  test('the one-network evpn block is carried as written; pinned WireGuard addresses too', () => {
    const { networks: _n, bgp: _b, ...rest } = read(`${DIR}/one-cluster.yaml`);
    const evpn = { name: 'old', network_address: '10.80.0.0', network_mask: '255.255.255.0', ar_start: '10.80.0.1', gateway: '10.80.0.1', as: 64999 };
    const input: ScenarioInput = {
      ...rest,
      evpn,
      clusters: [{ ...rest.clusters![0]!, hosts: [{ name: 'kvm_fra_a', public_ip: '3.120.10.21', wireguard_address: '10.44.0.77' }] }],
    };
    const copy = labScenario(labTopology('anyt', input), paths);
    expect(copy.evpn).toEqual(evpn);
    expect(copy.networks).toBeUndefined();
    const lab = validateScenario(copy).scenario;
    expect(lab.bgp.as).toBe(64999);
    expect(lab.clusters[0]!.hosts[0]).toMatchObject({ name: 'kvm_fra_a', public_ip: '203.0.113.21', wireguard_address: '10.44.0.77' });
    expect(ip(labTopology('anyt', input).hosts[2]!.interfaces[0]!.address)).toBe('203.0.113.21');
  });
});

describe("root's inotify instances (the containers share them): checked before a lab starts", () => {
  test('the seed lab fits the default 128; 18 containers do not, and the sentence says how to raise the limit', () => {
    expect(INOTIFY_PER_HOST).toBe(8);
    expect(inotifyProblem('lab', 6, { used: 10, max: 128 })).toBeUndefined();
    expect(inotifyProblem('anyfour', 18, { used: 3, max: 128 })).toBe(
      'Lab "anyfour" runs 18 containers, which take about 144 inotify instances (8 each), but root may hold 128 (fs.inotify.max_user_instances) and holds 3 already: raise the limit with "sysctl -w fs.inotify.max_user_instances=512", then run lab up again.',
    );
    expect(inotifyProblem('anyfour', 18, { used: 3, max: 512 })).toBeUndefined();
    expect(inotifyProblem('big', 2 + LAB_MAX_KVM_HOSTS, { used: 400, max: 512 })).toMatch(/max_user_instances=1024"/);
  });
});
