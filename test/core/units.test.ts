import { maxGuestMtu, maxWireguardMtu, pingPayloadForMtu } from '../../src/core/mtu.js';
import { redact } from '../../src/core/redact.js';
import { planAddresses } from '../../src/core/wireguard/addresses.js';
import { parseScenario } from '../../src/core/index.js';
import { readFileSync } from 'node:fs';

test('MTU arithmetic of the seed: 1500 underlay, 1420 wg0, 1370 guests', () => {
  expect(maxWireguardMtu(1500, 'ipv6')).toBe(1420);
  expect(maxWireguardMtu(1500, 'ipv4')).toBe(1440);
  expect(maxGuestMtu(1420)).toBe(1370);
  expect(pingPayloadForMtu(1370)).toBe(1342);
});

test('redact hides one_pass, private keys and vault blocks', () => {
  const text = 'one_pass: opennebula\n+    one_pass: secret2\nPrivateKey = abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG=\nx: $ANSIBLE_VAULT;1.1;AES256\n  6162\n';
  const r = redact(text);
  expect(r).not.toMatch(/opennebula|secret2|abcdefg|6162/);
  expect(redact(`one_pass: "{{ lookup('ansible.builtin.env', 'X') }}"`)).toContain('lookup');
});

test('address planning: pinned first, then previous, then next free', () => {
  const { scenario } = parseScenario(readFileSync('examples/seed-practical.yaml', 'utf8'));
  scenario.clusters[1]!.hosts[0]!.wireguard_address = '192.168.0.2';
  expect(planAddresses(scenario, { kvm_london: '192.168.0.2', ingress: '192.168.0.9' })).toEqual({
    ingress: '192.168.0.9',
    kvm_london: '192.168.0.1',
    kvm_ncalifornia: '192.168.0.2',
  });
});

test('warnings: an MTU that wastes bytes is accepted with a warning', () => {
  const text = readFileSync('examples/seed-practical.yaml', 'utf8').replace('guest_mtu: 1370', 'guest_mtu: 1300');
  const { warnings } = parseScenario(text);
  expect(warnings.map((w) => w.message)).toEqual(['evpn.guest_mtu 1300 is below the 1370 that wireguard.mtu 1420 allows: raise it unless you need the headroom.']);
});
