/** validate warns, with the figure, when a scenario is past what bench:fleet measured (issue 25). */
import { FLEET_MEASURED, fleetLimitWarnings } from '../../src/core/fleet-limits.js';
import { validateScenario as parseScenario } from '../../src/core/index.js';

function fleet(hosts: number, bgp: Record<string, unknown> = {}) {
  const clusters: Array<{ name: string; region: string; public_network: { ips: string[] }; hosts: Array<{ name: string; public_ip: string }> }> = [];
  for (let i = 0; i < hosts; i++) {
    const c = Math.floor(i / 50);
    clusters[c] ??= { name: `c${c}`, region: `r${c}`, public_network: { ips: [`203.0.113.${(c % 250) + 1}`] }, hosts: [] };
    clusters[c]!.hosts.push({ name: `kvm${i}`, public_ip: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}` });
  }
  return {
    name: 'f',
    frontend: { address: '10.0.1.87' },
    ingress: { public_ip: '198.51.100.1' },
    clusters,
    wireguard: { subnet: '10.64.0.0/18', topology: 'hub' },
    networks: [{ name: 'net', network_address: '172.16.0.0', network_mask: '255.255.0.0', ar_start: '172.16.0.1', gateway: '172.16.0.1', ar_size: 20000 }],
    bgp,
  };
}

test('within what was measured: no warning', () => {
  expect(fleetLimitWarnings(parseScenario(fleet(FLEET_MEASURED.vteps)).scenario)).toEqual([]);
  expect(fleetLimitWarnings(parseScenario(fleet(50, { bfd: { transmit_interval: 100, receive_interval: 100 } })).scenario)).toEqual([]);
});

test('past the measured VTEPs per reflector: one sentence with the figures, the field, and how to measure', () => {
  const { scenario, warnings } = parseScenario(fleet(1500));
  expect(fleetLimitWarnings(scenario)).toEqual([
    {
      field: 'clusters',
      message: `clusters hold 1500 KVM hosts and every route reflector serves each of them, past the ${FLEET_MEASURED.vteps} per reflector that bench:fleet measured (converged in ${FLEET_MEASURED.convergedSeconds} s, a withdrawal at every VTEP in ${FLEET_MEASURED.withdrawalSeconds} s, ${FLEET_MEASURED.reflectorMiB} MiB, no BFD flap at 3 x 300 ms; docs/fleet.md): measure your reflector with \`npm run bench:fleet -- --sizes 1500\` before you rely on it.`,
    },
  ]);
  // validate carries it
  expect(warnings.map((w) => w.field)).toContain('clusters');
});

test('BFD faster than measured at fleet size is a warning naming bgp.bfd', () => {
  const w = fleetLimitWarnings(parseScenario(fleet(300, { bfd: { detect_multiplier: 2 } })).scenario);
  expect(w.map((x) => x.field)).toEqual(['bgp.bfd']);
  expect(w[0]!.message).toMatch(/^bgp\.bfd \(2 x 300\/300 ms\) is faster than the 3 x 300 ms that bench:fleet measured with up to 1000 VTEPs per reflector, and this scenario has 300: keep the defaults/);
  expect(fleetLimitWarnings(parseScenario(fleet(300, { bfd: { enabled: false, detect_multiplier: 2 } })).scenario)).toEqual([]);
});
