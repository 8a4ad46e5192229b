/** validate warns, with the figure, when a scenario is past what bench:fleet measured (issue 25). */
import { FLEET_MEASURED, fleetLimitWarnings } from '../../src/core/fleet-limits.js';
import { validateScenario } from '../../src/core/index.js';

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
const warn = (hosts: number, bgp: Record<string, unknown> = {}) => fleetLimitWarnings(validateScenario(fleet(hosts, bgp)).scenario);
const slow = { bfd: { receive_interval: 1000, transmit_interval: 1000 } };

test('within what was measured to hold: no warning', () => {
  expect(warn(FLEET_MEASURED.bfd.heldUpTo)).toEqual([]);
  expect(warn(FLEET_MEASURED.vteps)).toEqual([]);
  expect(warn(FLEET_MEASURED.vteps, slow)).toEqual([]);
  expect(warn(50, { bfd: { transmit_interval: 100, receive_interval: 100 } })).toEqual([]);
  expect(warn(1000, { bfd: { enabled: false } })).toEqual([]);
});

test('past the measured VTEPs per reflector: one sentence with the figures, the field, and how to measure', () => {
  const { scenario, warnings } = validateScenario(fleet(1500, slow));
  expect(fleetLimitWarnings(scenario)).toEqual([
    {
      field: 'clusters',
      message: `clusters hold 1500 KVM hosts and every route reflector serves each of them, past the 1000 per reflector that bench:fleet measured (converged in ${FLEET_MEASURED.convergedSeconds} s, a withdrawal at every VTEP in ${FLEET_MEASURED.withdrawalSeconds} s, ${FLEET_MEASURED.reflectorMiB} MiB; docs/fleet.md): measure your reflector with \`npm run bench:fleet -- --sizes 1500\` before you rely on it.`,
    },
  ]);
  expect(warnings.map((w) => w.field)).toContain('clusters'); // validate carries it
});

test('past 300 VTEPs per reflector the BFD default is 3 x 500 ms (it held at 1000); 3 x 300 ms written there is a warning with the figures', () => {
  expect(validateScenario(fleet(300)).scenario.bgp.bfd).toEqual({ enabled: true, detect_multiplier: 3, receive_interval: 300, transmit_interval: 300 });
  expect(validateScenario(fleet(301)).scenario.bgp.bfd).toEqual({ enabled: true, detect_multiplier: 3, receive_interval: 500, transmit_interval: 500 });
  expect(validateScenario(fleet(1000, { bfd: { detect_multiplier: 5 } })).scenario.bgp.bfd).toEqual({
    enabled: true,
    detect_multiplier: 5,
    receive_interval: 500,
    transmit_interval: 500,
  });
  expect(warn(1000)).toEqual([]);
  const w = warn(1000, { bfd: { receive_interval: 300, transmit_interval: 300 } });
  expect(w.map((x) => x.field)).toEqual(['bgp.bfd']);
  expect(w[0]!.message).toBe(
    "bgp.bfd (3 x 300/300 ms) held with no lost session up to 300 VTEPs per reflector on bench:fleet's two shared cores, but at 1000 3 x 300 ms lost BGP sessions in both 5-minute runs, and this scenario has 1000: leave bgp.bfd's intervals out (past 300 KVM hosts they default to 500 ms, which held at 1000 with a withdrawal in 1.4 s; docs/fleet.md).",
  );
});

test('BFD faster than any measured profile at fleet size names bgp.bfd', () => {
  const w = warn(150, { bfd: { detect_multiplier: 2 } });
  expect(w.map((x) => x.field)).toEqual(['bgp.bfd']);
  expect(w[0]!.message).toBe(
    'bgp.bfd (2 x 300/300 ms) is faster than any profile bench:fleet measured, and this scenario has 150 VTEPs per reflector: keep 3 x 300 ms or slower (docs/fleet.md).',
  );
});
