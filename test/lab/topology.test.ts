/** The lab's topology and files, pure: no root, no namespaces. */
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { labTopology, labNameProblem, namespaceNames, hostsByRole } from '../../src/lab/topology.js';
import { labPaths, renderKnownHosts, renderRulesV4, renderScenario, renderSshConfig, renderEtcHosts } from '../../src/lab/files.js';
import { parseSnmp } from '../../src/lab/netns.js';
import { nspawnArgs } from '../../src/lab/hosts.js';
import { preflight } from '../../src/lab/lab.js';
import { parseLabArgs } from '../../src/cli/commands/lab.js';
import { UsageError, UserFacingError } from '../../src/cli/errors.js';
import type { LabDeps } from '../../src/lab/exec.js';
import {
  bfdPeer,
  gatewayFrrConf,
  gatewayWgConf,
  INTERCONNECT_LAB_SCENARIO,
  neighborRouteMaps,
  routeTargetsFrom,
  snippetAddresses,
  snippetVxlanCommands,
  summaryPeer,
} from '../../src/lab/gateway.js';
import { labScenario } from '../../src/lab/files.js';
import { validateScenario } from '../../src/core/index.js';
import { planFiles } from '../../src/core/plan.js';

const t = labTopology('lab');
const paths = labPaths('lab', '/var/lib/edge-wizard/lab');

describe('lab topology', () => {
  test('the seed topology: ingress, frontend, two clusters of two KVM hosts', () => {
    expect(t.hosts.map((h) => [h.name, h.role, h.cluster ?? '-'])).toEqual([
      ['ingress', 'ingress', '-'],
      ['fe1', 'frontend', '-'],
      ['kvm_london1', 'kvm', 'london'],
      ['kvm_london2', 'kvm', 'london'],
      ['kvm_ncalifornia1', 'kvm', 'ncalifornia'],
      ['kvm_ncalifornia2', 'kvm', 'ncalifornia'],
    ]);
  });

  test('london is in cloud A, ncalifornia in cloud B, the frontend only on the control subnet', () => {
    for (const h of hostsByRole(t, 'kvm')) {
      const prefix = h.cluster === 'london' ? '203.0.113.' : '198.51.100.';
      expect(h.interfaces).toHaveLength(1);
      expect(h.interfaces[0]!.address.startsWith(prefix)).toBe(true);
      expect(h.interfaces[0]!.name).toBe(t.kvmPublicInterface);
      expect(h.gateway.startsWith(prefix)).toBe(true);
    }
    const fe = hostsByRole(t, 'frontend')[0]!;
    expect(fe.interfaces.map((i) => i.bridge)).toEqual(['br-ctl']);
    const ingress = hostsByRole(t, 'ingress')[0]!;
    expect(ingress.interfaces.map((i) => [i.bridge, i.address])).toEqual([
      ['br-a', '203.0.113.10/24'],
      ['br-ctl', '10.0.1.1/24'],
    ]);
    expect(fe.gateway).toBe('10.0.1.1');
  });

  test('names fit the kernel (15 chars) and are unique', () => {
    const links = [
      t.controller.link,
      t.controller.peer,
      ...t.bridges.map((b) => b.name),
      ...t.hosts.flatMap((h) => h.interfaces.flatMap((i) => [i.name, i.peer])),
    ];
    for (const l of links) expect(l.length).toBeLessThanOrEqual(15);
    expect(new Set(t.hosts.flatMap((h) => h.interfaces.map((i) => i.peer))).size).toBe(t.hosts.flatMap((h) => h.interfaces).length);
    expect(new Set(namespaceNames(t)).size).toBe(namespaceNames(t).length);
    for (const h of t.hosts) expect(h.hostname).toMatch(/^[a-z0-9-]+$/);
    expect(labTopology('abcdefghijkl').controller.link).toHaveLength(15);
  });

  test('the controller routes only the lab subnets; the internet has no default route', () => {
    expect(t.controller.routes).toEqual(['203.0.113.0/24', '198.51.100.0/24']);
    expect(t.inetRoutes.map((r) => r.to)).not.toContain('default');
    expect(t.inetRoutes).toEqual([{ to: '10.0.1.0/24', via: '203.0.113.10' }]);
  });

  test('lab names are checked', () => {
    expect(labNameProblem('lab')).toBeUndefined();
    expect(labNameProblem('Lab_1')).toMatch(/lowercase/);
    expect(labNameProblem('abcdefghijklm')).toMatch(/1 to 12/);
    expect(() => labTopology('bad name')).toThrow();
  });
});

describe('lab files', () => {
  test('KVM firewall as oneprovision leaves it: established, icmp, lo, 22/179/8472, then REJECT', () => {
    const rules = renderRulesV4('enp125s0')
      .split('\n')
      .filter((l) => l.startsWith('-A'));
    expect(rules).toEqual([
      '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
      '-A INPUT -p icmp -j ACCEPT',
      '-A INPUT -i lo -j ACCEPT',
      '-A INPUT -i enp125s0 -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT',
      '-A INPUT -i enp125s0 -p tcp -m state --state NEW -m tcp --dport 179 -j ACCEPT',
      '-A INPUT -i enp125s0 -p udp -m state --state NEW -m udp --dport 8472 -j ACCEPT',
      '-A INPUT -i enp125s0 -j REJECT --reject-with icmp-host-prohibited',
    ]);
  });

  test('ssh config: the frontend through the ingress, the lab key and known_hosts only', () => {
    const cfg = renderSshConfig(t, paths);
    expect(cfg).toContain('Host fe1 10.0.1.87\n  HostName 10.0.1.87\n  ProxyJump root@203.0.113.10\n');
    expect(cfg).toContain(`IdentityFile ${paths.key}`);
    expect(cfg).toContain(`UserKnownHostsFile ${paths.knownHosts}`);
    expect(cfg).toContain('StrictHostKeyChecking yes');
    expect(cfg).not.toContain('StrictHostKeyChecking no');
  });

  test('known_hosts names every address of every host', () => {
    const keys = Object.fromEntries(t.hosts.map((h) => [h.name, `ssh-ed25519 AAAA${h.tag} root@${h.hostname}`]));
    const kh = renderKnownHosts(t, keys);
    expect(kh.split('\n')[0]).toBe('203.0.113.10,10.0.1.1,ingress ssh-ed25519 AAAAingr');
    expect(kh).toContain('10.0.1.87,fe1 ssh-ed25519 AAAAfe1');
    expect(kh).toContain('203.0.113.21,kvm_london1,kvm-london1 ssh-ed25519 AAAAlon1');
  });

  test('/etc/hosts names the host itself and the others', () => {
    const h = t.hosts[2]!;
    const text = renderEtcHosts(t, h);
    expect(text).toContain('127.0.1.1\tkvm-london1');
    expect(text).toContain('10.0.1.87\tfe1');
    expect(text).not.toContain('203.0.113.21\t');
  });

  test('scenario: the seed shape with lab addresses, distro FRR and the lab ssh config', () => {
    const s = parse(renderScenario(t, paths));
    expect(s.name).toBe('lab');
    expect(s.frontend).toMatchObject({ name: 'fe1', address: '10.0.1.87', proxy_jump: 'ingress', oneprovision_key: '/var/lib/one/.ssh-oneprovision/id_rsa' });
    expect(s.ingress).toMatchObject({ name: 'ingress', public_ip: '203.0.113.10', control_ip: '10.0.1.1' });
    expect(s.clusters.map((c: { name: string; hosts: Array<{ public_ip: string }> }) => [c.name, c.hosts.map((h) => h.public_ip)])).toEqual([
      ['london', ['203.0.113.21', '203.0.113.22']],
      ['ncalifornia', ['198.51.100.21', '198.51.100.22']],
    ]);
    expect(s.clusters[0].hosts[0]).toMatchObject({ aws_reject_rule: true, public_interface: 'enp125s0' });
    expect(s.wireguard).toEqual({ interface: 'wg0', subnet: '192.168.0.0/24', port: 51820, mtu: 1420 });
    expect(s.networks[0]!.guest_mtu).toBe(1370);
    expect(s.ansible).toEqual({ user: 'root', repos_enabled: [], ssh_common_args: `-F ${paths.sshConfig} -o ControlPath=${paths.dir}/ssh/cp/%C` });
  });

  test('nspawn: booted, private network, no machined, tun bound', () => {
    const args = nspawnArgs(t.hosts[0]!, '/x/root');
    expect(args).toEqual(
      expect.arrayContaining([
        '--boot',
        '--register=no',
        '--keep-unit',
        '--private-network',
        '--bind=/dev/net/tun',
        '--machine=ew-lab-ingr',
        '--directory=/x/root',
      ]),
    );
  });

  test('containment counters parse /proc/net/snmp', () => {
    const snmp = ['Ip: Forwarding DefaultTTL InReceives OutNoRoutes', 'Ip: 1 64 10 3', 'Icmp: InMsgs OutMsgs OutDestUnreachs', 'Icmp: 0 2 2'].join('\n');
    expect(parseSnmp(snmp)).toEqual({ outNoRoutes: 3, icmpOutDestUnreachs: 2 });
  });
});

describe('lab preflight and arguments', () => {
  const deps = (root: boolean, have: string[]): LabDeps => ({
    exec: async () => ({ exitCode: 0, stdout: '', stderr: '', durationMs: 0 }),
    spawnDetached: () => 1,
    which: (p) => (have.includes(p) ? `/usr/bin/${p}` : undefined),
    isRoot: () => root,
    log: () => {},
    now: () => 0,
    sleep: async () => {},
  });
  const all = ['systemd-nspawn', 'ip', 'ssh-keygen', 'ss', 'mount', 'nc', 'debootstrap'];

  test('not root: one sentence saying to run as root', () => {
    expect(() => preflight(deps(false, all), true)).toThrow(UserFacingError);
    expect(() => preflight(deps(false, all), true)).toThrow(/run it as root/);
  });

  test('missing programs: the apt-get line', () => {
    expect(() => preflight(deps(true, ['ip', 'ssh-keygen', 'ss', 'mount', 'nc']), true)).toThrow(
      'The lab needs systemd-nspawn, debootstrap: install them with "apt-get install --no-install-recommends systemd-container debootstrap".',
    );
    expect(() =>
      preflight(
        deps(
          true,
          all.filter((p) => p !== 'debootstrap'),
        ),
        false,
      ),
    ).not.toThrow();
  });

  test('arguments', () => {
    expect(parseLabArgs(['up']).opts.name).toBe('lab');
    expect(parseLabArgs(['down', '--name', 'x1', '--purge']).opts).toMatchObject({ name: 'x1', purge: true });
    expect(() => parseLabArgs([])).toThrow(UsageError);
    expect(() => parseLabArgs(['sideways'])).toThrow(/up, down or status/);
    expect(() => parseLabArgs(['up', '--purge'])).toThrow(UsageError);
    expect(parseLabArgs(['up']).opts.release).toBeUndefined();
    expect(parseLabArgs(['up', '--release', 'trixie']).opts.release).toBe('trixie');
    expect(() => parseLabArgs(['up', '--release', 'sid'])).toThrow('--release "sid" is not a release the lab boots: use bookworm or trixie.');
    expect(() => parseLabArgs(['down', '--release', 'trixie'])).toThrow('--release only goes with "lab up".');
  });
});

describe('the external gateway of an interconnect lab (demo --interconnect)', () => {
  const ic = labTopology('ic', INTERCONNECT_LAB_SCENARIO);
  const snippet = planFiles(validateScenario(labScenario(ic, labPaths('ic'))).scenario, {}).files.find((f) => f.path === 'interconnect/dcgw.md')!.content;

  test('dcgw is a container of its own cloud (198.19.0.0/24, routed by the lab), never a host of the scenario', () => {
    const gw = hostsByRole(ic, 'gateway');
    expect(gw.map((h) => [h.name, h.machine, h.interfaces[0]!.bridge, h.interfaces[0]!.address, h.gateway])).toEqual([
      ['dcgw', 'ew-ic-gw1', 'br-gw', '198.19.0.50/24', '198.19.0.1'],
    ]);
    expect(ic.bridges.find((b) => b.name === 'br-gw')!.address).toBe('198.19.0.1/24');
    expect(ic.controller.routes).toContain('198.19.0.0/24');
    expect(ic.scenario.interconnect).toEqual([expect.objectContaining({ name: 'dcgw', endpoint: '198.19.0.50' })]);
    expect(JSON.stringify(ic.scenario.clusters)).not.toContain('dcgw');
    // Without interconnect nothing changes.
    expect(t.bridges.map((b) => b.name)).toEqual(['br-a', 'br-b', 'br-ctl']);
  });

  test("dcgw's wg0.conf and frr.conf are the snippet's, completed as its operator would", () => {
    expect(snippetAddresses(snippet)).toEqual({ gateway: '192.168.0.4', ingress: '192.168.0.1' });
    const wg = gatewayWgConf(snippet, 'INGRESSKEY');
    expect(wg).toContain('PostUp = wg set %i private-key /etc/wireguard/wg0.key\n');
    expect(wg).toContain('PublicKey = INGRESSKEY\nAllowedIPs = 192.168.0.0/24\nEndpoint = 203.0.113.10:51820\n');
    expect(wg).not.toContain('PrivateKey');
    const frr = gatewayFrrConf(snippet, 'dcgw', '192.168.0.4', [{ vni: 200, rt: '65000:200' }]);
    expect(frr.startsWith('frr defaults datacenter\n')).toBe(true);
    expect(frr).toContain('router bgp 65100\n bgp router-id 192.168.0.4\n no bgp default ipv4-unicast\n neighbor 192.168.0.1 remote-as 65000\n');
    expect(frr).toContain('  exit-vni\n  vni 200\n   route-target import 65000:200\n   route-target export 65000:200\n  exit-vni\n exit-address-family\n');
    expect(snippetVxlanCommands(snippet).map((a) => a.join(' '))).toEqual([
      'ip link add br100 type bridge',
      'ip link set br100 mtu 1370 up',
      'ip link add vxlan100 type vxlan id 100 local 192.168.0.4 dstport 4789 nolearning',
      'ip link set vxlan100 master br100 mtu 1370 up',
    ]);
  });

  test("FRR's JSON as the demo reads it: dynamic peers, route-maps, BFD, route targets by peer", () => {
    expect(summaryPeer('{"peers":{"*192.168.0.4":{"state":"Established"}}}', '192.168.0.4')).toEqual({ state: 'Established', dynamic: true });
    expect(summaryPeer('{"l2vpnEvpn":{"peers":{"192.168.0.4":{"state":"Connect"}}}}', '192.168.0.4')).toEqual({ state: 'Connect', dynamic: false });
    expect(
      neighborRouteMaps(
        '{"192.168.0.4":{"addressFamilyInfo":{"l2VpnEvpn":{"routeMapForIncomingAdvertisements":"a","routeMapForOutgoingAdvertisements":"b"}}}}',
        '192.168.0.4',
      ),
    ).toEqual({ in: 'a', out: 'b' });
    expect(
      bfdPeer('[{"peer":"192.168.0.4","status":"up","multihop":true,"detect-multiplier":5,"receive-interval":300,"transmit-interval":300}]', '192.168.0.4')
        ?.status,
    ).toBe('up');
    const evpn = {
      rd1: {
        '[2]:[0]:[48]:[aa]': {
          paths: [
            [{ peerId: '192.168.0.1', extendedCommunity: { string: 'RT:65000:100 ET:8' } }],
            [{ peerId: '(unspec)', extendedCommunity: { string: 'RT:65000:200' } }],
          ],
        },
      },
    };
    expect(routeTargetsFrom(JSON.stringify(evpn), '192.168.0.1')).toEqual([['RT:65000:100']]);
  });
});
