import type { ScenarioInput } from '../../src/core/scenario.js';

/** A scenario of clusters c0, c1, ... of the given sizes (hosts c<i>h<j>). */
export function hubInput(sizes: number[], wireguard: Record<string, unknown> = { topology: 'hub' }): ScenarioInput {
  let n = 0;
  return {
    name: 'hub-test',
    frontend: { address: '10.0.1.87' },
    ingress: { public_ip: '203.0.113.1' },
    clusters: sizes.map((size, ci) => ({
      name: `c${ci}`,
      public_network: { ips: [`198.19.${Math.floor(ci / 250)}.${(ci % 250) + 1}`] },
      hosts: Array.from({ length: size }, (_, hi) => {
        n++;
        return { name: `c${ci}h${hi}`, public_ip: `198.18.${Math.floor(n / 250)}.${(n % 250) + 1}` };
      }),
    })),
    wireguard: { subnet: '192.168.0.0/22', ...wireguard },
    networks: [{ name: 'evpn', network_address: '172.16.0.0', network_mask: '255.255.248.0', ar_start: '172.16.0.1', gateway: '172.16.0.1', ar_size: 2000 }],
  } as ScenarioInput;
}
