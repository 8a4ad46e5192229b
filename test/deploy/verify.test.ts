import { describe, expect, test } from '@jest/globals';
import { judge, parseBgpSummary, parseHandshakes, type HostObservation } from '../../src/core/verify.js';

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
  return { host, router: false, wireguard_address: addr, mtu: 1420, now: 1000, wg_handshakes: '', wg_rc: 0, public_key: key, bgp_summary: '', pings: [], peers: [], peer_addresses: [], ...extra };
}

describe('verify judgement', () => {
  test('parses FRR summary JSON, dynamic peers included', () => {
    expect(parseBgpSummary(SUMMARY)).toEqual([
      { address: '192.168.0.2', state: 'Established', prefixesReceived: 3 },
      { address: '192.168.0.3', state: 'Active', prefixesReceived: 0 },
    ]);
    expect(parseBgpSummary('{}')).toEqual([]);
    expect(parseBgpSummary('garbage')).toEqual([]);
  });

  test('parses latest-handshakes', () => {
    expect(parseHandshakes('KEYA=\t990\nKEYB=\t0\n')).toEqual(new Map([['KEYA=', 990], ['KEYB=', 0]]));
  });

  test('names the VTEP that is not Established, the stale handshake and the failing DF ping', () => {
    const rr = obs('ingress', '192.168.0.1/24', 'K1=', { router: true, bgp_summary: SUMMARY, peers: ['kvm_a', 'kvm_b'], wg_handshakes: 'K2=\t990\nK3=\t0', pings: [['kvm_a', 0], ['kvm_b', 1]] });
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

  test('a host that answered nothing is named', () => {
    const r = judge([], ['ingress', 'kvm_a']);
    expect(r.checks.map((c) => c.title)).toContain('kvm_a answered');
  });
});
