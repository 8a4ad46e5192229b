/**
 * The lab's VMs as data (no root): one reader of PING_SCRIPT's output for the demo's VMs and the
 * interconnect gateway's host, and the VNET's MTU taken from the VNET template OpenNebula gets
 * (core/inventory.ts vnTemplate), never restated in src/lab.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { parseScenario, vnTemplate } from '../../src/core/index.js';
import { kvmHosts, type Scenario } from '../../src/core/scenario.js';
import { pingFromGateway } from '../../src/lab/gateway.js';
import { parsePingOutput, parsePings, vmPlan, vnetMtu } from '../../src/lab/vms.js';

const seed = readFileSync('examples/seed-practical.yaml', 'utf8');
/** A wg0 address per KVM host, as generate gives them. */
const addresses = (s: Scenario) => Object.fromEntries(kvmHosts(s).map((h, i) => [h.name, `192.168.0.${i + 2}/24`]));

describe("PING_SCRIPT's output, read once", () => {
  // What PING_SCRIPT prints for two targets at MTU 1300: one answers and keeps DF at 1300 (payload
  // 1272) and refuses 1301; the other does not answer.
  const out = [
    'ping 172.17.2.3 ok',
    'ping 172.17.2.4 fail',
    'df 172.17.2.3 1272 ok',
    'df 172.17.2.3 1273 fail',
    'df 172.17.2.4 1272 fail',
    'df 172.17.2.4 1273 fail',
  ].join('\n');

  test('per target: reached, DF at the MTU passes, one byte more is refused', () => {
    expect(parsePings(out, 1300, ['172.17.2.3', '172.17.2.4', '172.17.2.9'])).toEqual([
      { reachable: true, dfAtMtu: true, dfAboveMtuFails: true },
      { reachable: false, dfAtMtu: false, dfAboveMtuFails: true },
      { reachable: false, dfAtMtu: false, dfAboveMtuFails: false },
    ]);
    // The same lines at another MTU are not a DF pass (the payload is the MTU's).
    expect(parsePings(out, 1370, ['172.17.2.3'])[0]!.dfAtMtu).toBe(false);
  });

  test("the demo's VMs and the gateway's host read it the same way", async () => {
    const { scenario } = parseScenario(seed);
    const plan = vmPlan(scenario, addresses(scenario));
    const from = { ...plan[0]!, guestMtu: 1300 };
    const targets = [
      { ...plan[1]!, vmAddress: '172.17.2.3/24' },
      { ...plan[2]!, vmAddress: '172.17.2.4/24' },
    ];
    const vms = parsePingOutput(from, targets, out);
    expect(vms.map((r) => [r.toAddress, r.reachable, r.dfAtMtu, r.mtu])).toEqual([
      ['172.17.2.3', true, true, 1300],
      ['172.17.2.4', false, false, 1300],
    ]);
    const runner = async () => ({ exitCode: 0, stdout: out, stderr: '' });
    expect(await pingFromGateway(runner, 'dcgw', 'ext1', 1300, ['172.17.2.3', '172.17.2.4'], 1)).toEqual({ reached: 1, dfOk: 1 });
  });
});

describe("the VNET's MTU comes from its template", () => {
  test('a scenario with guest_mtu 1300: the plan, the VXLAN device and the VMs use the template MTU 1300', () => {
    const { scenario } = parseScenario(seed.replace('guest_mtu: 1370', 'guest_mtu: 1300'));
    const n = scenario.networks[0]!;
    expect(vnTemplate(scenario, n).MTU).toBe(1300);
    expect(vnetMtu(scenario, n)).toBe(1300);
    const plan = vmPlan(scenario, addresses(scenario));
    expect(plan.length).toBeGreaterThan(1);
    expect(new Set(plan.map((p) => p.guestMtu))).toEqual(new Set([1300]));
  });

  test("src/lab restates no guest MTU (the seed's 1370): it reads the VNET template's", () => {
    const hits = readdirSync('src/lab')
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        readFileSync(`src/lab/${f}`, 'utf8')
          .split('\n')
          .map((l, i) => [`src/lab/${f}:${i + 1}`, l] as const)
          .filter(([, l]) => /\b1370\b/.test(l)),
      );
    expect(hits).toEqual([]);
  });
});
