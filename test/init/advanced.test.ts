/**
 * The settings beyond the seed's questions, through the session with a fake prompt:
 * hub topology, a second network with fixed VNIs, reflectors, BFD timers (with the
 * detection time), an interconnect gateway; re-entry that removes a network; and the
 * session's frontend section (a fake ssh answering in the real formats).
 */
import { parseScenario } from '../../src/core/index.js';
import { runInit } from '../../src/cli/commands/init.js';
import { readFrontendPlan } from '../../src/app/import.js';
import { detectionMs, topologyNumbers } from '../../src/cli/prompts/advanced.js';
import { fakeDeps, fakePrompt } from './fake.js';
import { seedAnswers } from './seed-answers.js';
import { fakeSsh, frontend6 } from '../import/frontend-fakes.js';

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const E = undefined; // Enter: the default

const advanced = {
  ...seedAnswers,
  advanced: true,
  'advanced.section': ['topology', 'networks', 'bgp', 'interconnect', 'done'],
  'wireguard.topology': 'hub',
  'networks.action': ['edit:0', 'add', 'done'],
  'evpn.name': [E, E, 'tenant-b'],
  'network.vni_kind': ['fixed', 'fixed'],
  'network.vni': [100, 200],
  'bgp.reflectors': 'ingress, kvm_london',
  'bgp.bfd.detect_multiplier': 5,
  'interconnect.action': ['add', 'done'],
  'interconnect.name': 'dcgw',
  'interconnect.endpoint': '198.19.0.50',
  'interconnect.public_key': KEY,
  'interconnect.as': 65100,
  'interconnect.networks': 'tenant-b',
};

describe('init: advanced settings', () => {
  it("a first-time user who declines answers only the seed's questions", async () => {
    const prompt = fakePrompt(seedAnswers);
    expect(await runInit({}, fakeDeps(prompt))).toBe(0);
    expect(prompt.asked).toContain('advanced');
    expect(prompt.asked.filter((n) => /^(wireguard\.topology|networks\.|bgp\.|interconnect\.|advanced\.section)/.test(n))).toEqual([]);
  });

  it('hub topology, two networks with fixed VNIs, reflectors, BFD, an interconnect gateway: written and valid', async () => {
    const prompt = fakePrompt(advanced);
    const deps = fakeDeps(prompt);
    expect(await runInit({}, deps)).toBe(0);
    const s = parseScenario(deps.fs.files.get('edge-wizard.yaml')!.content).scenario;
    expect(s.wireguard.topology).toBe('hub');
    expect(s.wireguard.hubs).toEqual(['ingress', 'kvm_london', 'kvm_ncalifornia']);
    expect(s.networks.map((n) => [n.name, `${n.network_address}/${n.network_mask}`, n.vni])).toEqual([
      ['private_evpn-vxlan', '172.17.2.0/255.255.255.0', 100],
      ['tenant-b', '172.17.3.0/255.255.255.0', 200],
    ]);
    expect(s.bgp.reflectors).toEqual(['ingress', 'kvm_london']);
    expect(s.bgp.bfd).toEqual({ enabled: true, detect_multiplier: 5, receive_interval: 300, transmit_interval: 300 });
    expect(s.interconnect.map((g) => [g.name, g.endpoint, g.as, g.ebgp, g.networks, g.join, g.mode])).toEqual([
      ['dcgw', '198.19.0.50', 65100, true, ['tenant-b'], 'ingress', 'l2'],
    ]);
    expect(deps.output()).toContain('BFD: a peer that goes silent is detected in 5 x 300 ms = 1500 ms.');
    expect(deps.output()).toContain('VMs on different networks do not reach each other');
    expect(prompt.configs['wireguard.topology']!.choices!.map((c) => c.name)).toEqual([
      'mesh: every host peers with the 2 others, 1 hop between any two (up to 1000 KVM hosts)',
      'hub: a spoke peers with 1 hub, a hub with 2 other hub(s) and its spokes (about 0); up to 3 hops, each one costs throughput and latency (up to 10000 KVM hosts)',
    ]);
  });

  it('refuses what validate refuses: a VNI used twice, an unknown reflector', async () => {
    const prompt = fakePrompt({
      ...advanced,
      'network.vni': [100, 100, 200],
      'bgp.reflectors': ['ingress, nosuchhost', 'ingress, kvm_london'],
      'network.vni_kind': ['fixed', 'fixed'],
    });
    expect(await runInit({}, fakeDeps(prompt))).toBe(0);
    expect(prompt.refused.map((r) => [r.name, r.message])).toEqual([
      ['network.vni', expect.stringContaining('networks[1].vni')],
      ['bgp.reflectors', expect.stringContaining('nosuchhost')],
    ]);
  });

  it('refuses an interconnect network whose VNI is automatic', async () => {
    const prompt = fakePrompt({
      ...advanced,
      'network.vni_kind': ['auto', 'fixed'],
      'network.vni': [200],
      'interconnect.networks': ['private_evpn-vxlan, tenant-b', 'tenant-b'],
    });
    expect(await runInit({}, fakeDeps(prompt))).toBe(0);
    expect(prompt.refused.map((r) => r.name)).toEqual(['interconnect.networks']);
    expect(prompt.refused[0]!.message).toMatch(/private_evpn-vxlan/);
  });

  it('re-entry: a network removed after confirmation; names, addresses and comments kept', async () => {
    const first = fakeDeps(fakePrompt(advanced));
    await runInit({}, first);
    const text = first.fs.files.get('edge-wizard.yaml')!.content.replace('name: tenant-b', 'name: tenant-b # second tenant');
    const prompt = fakePrompt({
      section: ['networks', 'interconnect', 'review'],
      'networks.action': ['remove:1', 'done'],
      'networks.remove': true,
      'interconnect.action': ['remove:0', 'done'],
      'interconnect.remove': true,
      generate: false,
    });
    const deps = fakeDeps(prompt, { 'edge-wizard.yaml': text });
    expect(await runInit({}, deps)).toBe(0);
    const after = deps.fs.files.get('edge-wizard.yaml')!.content;
    const s = parseScenario(after).scenario;
    expect(s.networks.map((n) => n.name)).toEqual(['private_evpn-vxlan']);
    expect(s.interconnect).toEqual([]);
    expect(s.clusters.flatMap((c) => c.hosts.map((h) => h.name))).toEqual(['kvm_london', 'kvm_ncalifornia']);
    expect(after).toContain('# Written by `edge-wizard init`');
    expect(prompt.configs['networks.remove']!.message).toContain('interconnect dcgw still names it');
  });

  it('the numbers that help choose', () => {
    expect(topologyNumbers(101, 4).hub).toContain('a hub with 3 other hub(s) and its spokes (about 25)');
    expect(detectionMs(3, 300, 300)).toBe(900);
    expect(detectionMs(10, 500, 200)).toBe(5000);
  });
});

describe('init: the provisions on the frontend, in the session', () => {
  it('reads, shows, asks before removing, applies to the draft; the file is written at the end', async () => {
    const seed = (await import('node:fs')).readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
    const ssh = fakeSsh(
      frontend6([
        { id: 7, name: 'london', hosts: [{ id: 3, ip: '18.134.246.200' }] },
        { id: 12, name: 'tokyo', hosts: [{ id: 20, ip: '198.51.100.40' }] },
      ]),
    );
    const prompt = fakePrompt({ section: ['frontend', 'review'], 'import.remove': true, 'import.apply': true, generate: false });
    const deps = fakeDeps(prompt, { 'edge-wizard.yaml': seed }, { readFrontend: (s) => readFrontendPlan(s, ssh.exec as never) });
    expect(await runInit({}, deps)).toBe(0);
    const s = parseScenario(deps.fs.files.get('edge-wizard.yaml')!.content).scenario;
    expect(s.clusters.map((c) => [c.name, c.hosts.map((h) => h.public_ip)])).toEqual([
      ['london', ['18.134.246.200']],
      ['tokyo', ['198.51.100.40']],
    ]);
    expect(deps.output()).toContain('The frontend no longer provisions cluster ncalifornia and host kvm_ncalifornia (18.144.25.41).');
    expect(deps.output()).toContain('+ cluster tokyo (provision 12 "tokyo", new; provider aws)');
  });
});
