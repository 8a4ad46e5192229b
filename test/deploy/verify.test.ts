import { describe, expect, test } from '@jest/globals';
import { formatReport, judge, parseBfdPeers, parseBgpSummary, parseHandshakes, type HostObservation } from '../../src/core/verify.js';

// FRR 8.4 `show bgp l2vpn evpn summary json` with dynamic (listen range) peers.
const SUMMARY = JSON.stringify({
  routerId: '192.168.0.1',
  as: 65000,
  peers: {
    '*192.168.0.2': { remoteAs: 65000, state: 'Established', pfxRcd: 3, dynamicPeer: true },
    '192.168.0.3': { remoteAs: 65000, state: 'Active', pfxRcd: 0 },
  },
  totalPeers: 2,
});

function obs(host: string, addr: string, key: string, extra: Partial<HostObservation> = {}): HostObservation {
  return {
    host,
    router: false,
    wireguard_address: addr,
    mtu: 1420,
    now: 1000,
    wg_handshakes: '',
    wg_rc: 0,
    public_key: key,
    bgp_summary: '',
    pings: [],
    peers: [],
    peer_addresses: [],
    ...extra,
  };
}

describe('verify judgement', () => {
  test('parses FRR summary JSON, dynamic peers included', () => {
    expect(parseBgpSummary(SUMMARY)).toEqual([
      { address: '192.168.0.2', state: 'Established', prefixesReceived: 3, dynamic: true },
      { address: '192.168.0.3', state: 'Active', prefixesReceived: 0 },
    ]);
    expect(parseBgpSummary('{}')).toEqual([]);
    expect(parseBgpSummary('garbage')).toEqual([]);
  });

  test('parses latest-handshakes', () => {
    expect(parseHandshakes('KEYA=\t990\nKEYB=\t0\n')).toEqual(
      new Map([
        ['KEYA=', 990],
        ['KEYB=', 0],
      ]),
    );
  });

  test('names the VTEP that is not Established, the stale handshake and the failing DF ping', () => {
    const rr = obs('ingress', '192.168.0.1/24', 'K1=', {
      router: true,
      bgp_summary: SUMMARY,
      peers: ['kvm_a', 'kvm_b'],
      wg_handshakes: 'K2=\t990\nK3=\t0',
      pings: [
        ['kvm_a', 0],
        ['kvm_b', 1],
      ],
    });
    const a = obs('kvm_a', '192.168.0.2/24', 'K2=', { peers: ['ingress'], wg_handshakes: 'K1=\t995', pings: [['ingress', 0]] });
    const b = obs('kvm_b', '192.168.0.3/24', 'K3=', { peers: ['ingress'], wg_handshakes: 'K1=\t0', pings: [['ingress', 1]] });
    const r = judge([rr, a, b], ['ingress', 'kvm_a', 'kvm_b']);
    expect(r.ok).toBe(false);
    const failed = r.checks.filter((c) => !c.ok).map((c) => c.title);
    expect(failed).toEqual([
      'kvm_b (192.168.0.3) Established on ingress',
      'handshake ingress -> kvm_b',
      '1420-byte DF ping ingress -> kvm_b',
      'handshake kvm_b -> ingress',
      '1420-byte DF ping kvm_b -> ingress',
    ]);
    expect(r.checks.find((c) => c.title === 'kvm_a (192.168.0.2) Established on ingress')?.ok).toBe(true);
  });

  test('two reflectors: every other host Established on each; BFD up with its timing, or named when down', () => {
    const bfd = (peers: Array<[string, string]>) =>
      JSON.stringify(peers.map(([peer, status]) => ({ peer, status, 'detect-multiplier': 3, 'receive-interval': 300, 'transmit-interval': 300 })));
    const sum = (peers: string[]) => JSON.stringify({ peers: Object.fromEntries(peers.map((p) => [`*${p}`, { state: 'Established', pfxRcd: 2 }])) });
    const rr1 = obs('ingress', '192.168.0.1/24', 'K1=', {
      router: true,
      bgp_summary: sum(['192.168.0.2', '192.168.0.3']),
      bfd_expected: true,
      bfd_peers: bfd([
        ['192.168.0.2', 'up'],
        ['192.168.0.3', 'up'],
      ]),
    });
    const rr2 = obs('kvm_a', '192.168.0.2/24', 'K2=', {
      router: true,
      bgp_summary: sum(['192.168.0.1']),
      bfd_expected: true,
      bfd_peers: bfd([
        ['192.168.0.1', 'up'],
        ['192.168.0.3', 'down'],
      ]),
    });
    const vtep = obs('kvm_b', '192.168.0.3/24', 'K3=', { bfd_expected: true, bfd_peers: bfd([['192.168.0.1', 'up']]) });
    const r = judge([rr1, rr2, vtep], ['ingress', 'kvm_a', 'kvm_b']);
    const failed = r.checks.filter((c) => !c.ok).map((c) => `${c.title}: ${c.detail}`);
    expect(failed).toEqual([
      'kvm_b (192.168.0.3) Established on kvm_a: no session',
      'BFD kvm_a -> kvm_b (192.168.0.3) up: status down, 3 x 300 ms',
      'BFD kvm_b -> kvm_a (192.168.0.2) up: no BFD session (is bfdd running and the FRR layer applied?)',
    ]);
    expect(r.checks.find((c) => c.title === 'BFD ingress -> kvm_b (192.168.0.3) up')?.detail).toBe('status up, 3 x 300 ms');
    // BFD between reflectors too (wg0 is a /32: every session is multi-hop, roles/frr_layer).
    expect(r.checks.filter((c) => c.kind === 'bfd').map((c) => c.title)).toEqual([
      'BFD ingress -> kvm_a (192.168.0.2) up',
      'BFD ingress -> kvm_b (192.168.0.3) up',
      'BFD kvm_a -> ingress (192.168.0.1) up',
      'BFD kvm_a -> kvm_b (192.168.0.3) up',
      'BFD kvm_b -> ingress (192.168.0.1) up',
      'BFD kvm_b -> kvm_a (192.168.0.2) up',
    ]);
    expect(parseBfdPeers('not json')).toEqual([]);
  });

  test('a host that answered nothing is named', () => {
    const r = judge([], ['ingress', 'kvm_a']);
    expect(r.checks.map((c) => c.title)).toContain('kvm_a answered');
  });

  test('interconnect gateways are reported apart and never fail verify', () => {
    const sum = JSON.stringify({ peers: { '*192.168.0.2': { state: 'Established', pfxRcd: 2 }, '192.168.0.9': { state: 'Active', pfxRcd: 0 } } });
    const bfd = JSON.stringify([
      { peer: '192.168.0.2', status: 'up' },
      { peer: '192.168.0.9', status: 'down', 'detect-multiplier': 5, 'receive-interval': 300 },
    ]);
    const rr = obs('ingress', '192.168.0.1/24', 'K1=', {
      router: true,
      bgp_summary: sum,
      bfd_expected: true,
      bfd_peers: bfd,
      peers: ['kvm_a'],
      wg_handshakes: 'K2=\t990\nKG=\t0',
      gateways: [['dcgw', '192.168.0.9']],
      external_peers: [['dcgw', 'KG=']],
    });
    const a = obs('kvm_a', '192.168.0.2/24', 'K2=', {
      peers: ['ingress'],
      wg_handshakes: 'K1=\t995',
      bfd_expected: true,
      bfd_peers: JSON.stringify([{ peer: '192.168.0.1', status: 'up' }]),
    });
    const r = judge([rr, a], ['ingress', 'kvm_a']);
    expect(r.ok).toBe(true);
    expect(r.checks.some((c) => c.title.includes('dcgw'))).toBe(false);
    expect(r.interconnect?.map((c) => `${c.ok ? 'ok' : 'down'} ${c.title}: ${c.detail}`)).toEqual([
      'down gateway dcgw (192.168.0.9) Established on ingress: state Active, 0 prefixes received',
      'down BFD ingress -> gateway dcgw (192.168.0.9) up: status down, 5 x 300 ms',
      'down handshake ingress -> gateway dcgw: never',
    ]);
    expect(formatReport(r)).toContain('interconnect gateways (reported, not judged: the other side is configured by its own operator):\ndown gateway dcgw');
    // Without gateways the report has no such section.
    expect(judge([a], ['kvm_a']).interconnect).toBeUndefined();
  });
});
