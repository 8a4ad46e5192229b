import { maxGuestMtu, maxWireguardMtu, pingPayloadForMtu } from '../../src/core/mtu.js';
import { maskFile, maskSecrets, SECRET_MASK, SECRET_PATHS } from '../../src/core/secrets.js';
import { planAddresses } from '../../src/core/wireguard/addresses.js';
import { parseScenario } from '../../src/core/index.js';
import { readFileSync } from 'node:fs';

test('MTU arithmetic of the seed: 1500 underlay, 1420 wg0, 1370 guests', () => {
  expect(maxWireguardMtu(1500, 'ipv6')).toBe(1420);
  expect(maxWireguardMtu(1500, 'ipv4')).toBe(1440);
  expect(maxGuestMtu(1420)).toBe(1370);
  expect(pingPayloadForMtu(1370)).toBe(1342);
});

test('secrets are masked by their place in the YAML, byte for byte elsewhere', () => {
  const inv = 'all:\n  vars:\n    one_pass: opennebula\n    one_version: "6.8"\n    note: opennebula.deploy is the collection\n';
  expect(maskFile('hosts.yml', inv)).toBe(inv.replace('one_pass: opennebula', `one_pass: ${SECRET_MASK}`));
  const vault = 'all:\n  vars:\n    one_pass: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6162\n    one_version: "6.8"\n';
  expect(maskFile('hosts.yml', vault)).toBe(`all:\n  vars:\n    one_pass: !vault ${SECRET_MASK}\n    one_version: "6.8"\n`);
  expect(maskFile('hosts.yml', `all:\n  vars:\n    one_pass: "{{ lookup('ansible.builtin.env', 'X') }}"\n`)).toContain('lookup');
  const scen = 'opennebula:\n  password: "a # b\\nc"      # change me\n';
  expect(maskSecrets(scen, SECRET_PATHS.scenario)).toBe(`opennebula:\n  password: ${SECRET_MASK}      # change me\n`);
  expect(maskSecrets('opennebula:\n  password: {env: ONE_PASS}\n', SECRET_PATHS.scenario)).toContain('ONE_PASS');
  // Not YAML: the password line is masked whole.
  expect(maskSecrets('opennebula:\n  password: x y\n  bad: [\n', SECRET_PATHS.scenario)).toContain(`password: ${SECRET_MASK}`);
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
  expect(warnings.map((w) => w.message)).toEqual([
    'networks[0].guest_mtu 1300 is below the 1370 that wireguard.mtu 1420 allows: raise it unless you need the headroom.',
  ]);
});
