/**
 * core/observed.ts states facts with the same expectations as judge(): for any
 * observations, the facts and the checks agree in number and in failures.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { overlayFacts, troubledHosts } from '../../src/core/observed.js';
import { judge, type HostObservation } from '../../src/core/verify.js';

const NAMES = ['ingress', 'kvm_a', 'kvm_b', 'kvm_c', 'kvm_d'];
const addr = (i: number) => `192.168.0.${i + 1}`;

const world = fc.integer({ min: 2, max: 5 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    hosts: fc.array(
      fc.record({
        silent: fc.boolean(),
        router: fc.boolean(),
        bfd: fc.boolean(),
        wgRc: fc.constantFrom(0, 0, 0, 1),
        bgp: fc.array(fc.constantFrom('Established', 'Established', 'Active', 'Idle', 'absent'), { minLength: n, maxLength: n }),
        bfdStatus: fc.array(fc.constantFrom('up', 'up', 'down', 'absent'), { minLength: n, maxLength: n }),
        handshake: fc.array(fc.constantFrom(990, 990, 500, 0, -1), { minLength: n, maxLength: n }),
        ping: fc.array(fc.constantFrom(0, 0, 1), { minLength: n, maxLength: n }),
      }),
      { minLength: n, maxLength: n },
    ),
  }),
);

function observations(w: {
  n: number;
  hosts: Array<{ silent: boolean; router: boolean; bfd: boolean; wgRc: number; bgp: string[]; bfdStatus: string[]; handshake: number[]; ping: number[] }>;
}): HostObservation[] {
  const names = NAMES.slice(0, w.n);
  return w.hosts.flatMap((h, i) => {
    if (h.silent && i > 0) return [];
    const peers = names.filter((_, j) => j !== i);
    const others = names.map((_, j) => j).filter((j) => j !== i);
    return [
      {
        host: names[i]!,
        router: i === 0 || h.router,
        wireguard_address: `${addr(i)}/24`,
        mtu: 1420,
        now: 1000,
        wg_handshakes: others
          .filter((j) => h.handshake[j] !== -1)
          .map((j) => `K${j}=\t${h.handshake[j]}`)
          .join('\n'),
        wg_rc: h.wgRc,
        public_key: `K${i}=`,
        bgp_summary: JSON.stringify({ peers: Object.fromEntries(others.filter((j) => h.bgp[j] !== 'absent').map((j) => [addr(j), { state: h.bgp[j] }])) }),
        bfd_expected: h.bfd,
        bfd_peers: JSON.stringify(others.filter((j) => h.bfdStatus[j] !== 'absent').map((j) => ({ peer: addr(j), status: h.bfdStatus[j] }))),
        pings: peers.map((p, k) => [p, h.ping[others[k]!]!] as [string, number]),
        peers,
        peer_addresses: [],
      },
    ];
  });
}

test('facts and judge agree on every kind of check, and on which fail', () => {
  fc.assert(
    fc.property(world, (w) => {
      const obs = observations(w);
      const expected = NAMES.slice(0, w.n);
      const report = judge(obs, expected);
      const facts = overlayFacts(obs, expected);
      const checks = (kind: string, title: RegExp) => report.checks.filter((c) => c.kind === kind && title.test(c.title));
      const bgp = checks('bgp', / Established on /);
      expect(facts.bgp.length).toBe(bgp.length);
      expect(facts.bgp.filter((b) => !b.up).length).toBe(bgp.filter((c) => !c.ok).length);
      const bfd = checks('bfd', /^BFD /);
      expect(facts.bfd.length).toBe(bfd.length);
      expect(facts.bfd.filter((b) => !b.up).length).toBe(bfd.filter((c) => !c.ok).length);
      const hs = checks('handshake', /^handshake /);
      expect(facts.handshakes.length).toBe(hs.length);
      expect(facts.handshakes.filter((h) => !h.fresh).length).toBe(hs.filter((c) => !c.ok).length);
      // judge does not probe from a host whose WireGuard is down; the facts keep what was seen.
      const up = new Set(obs.filter((o) => o.wg_rc === 0).map((o) => o.host));
      const mtu = checks('mtu', /DF ping/);
      expect(facts.mtu.filter((m) => up.has(m.host)).length).toBe(mtu.length);
      expect(facts.mtu.filter((m) => up.has(m.host) && !m.ok).length).toBe(mtu.filter((c) => !c.ok).length);
      // Every host named first in a failed check is a troubled host.
      const troubled = troubledHosts(facts);
      for (const c of report.checks.filter((x) => !x.ok && x.kind !== 'bgp')) {
        const host = /^(?:handshake |BFD |\d+-byte DF ping |WireGuard up on )?(\S+)/.exec(c.title)![1]!;
        if (NAMES.includes(host)) expect(troubled.has(host)).toBe(true);
      }
      if (report.ok) expect(troubled.size).toBe(0);
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 200) },
  );
});
