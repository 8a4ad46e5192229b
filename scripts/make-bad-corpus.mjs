// Writes test/fixtures/bad/*.yaml: the seed example with one mistake each.
// The expected sentence goes in the file's first line (`# expect: ...`) after
// review; this script only creates missing files, never overwrites.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { parseDocument } from 'yaml';

const base = readFileSync('examples/seed-practical.yaml', 'utf8');
const cases = {
  'malformed-host-ip': (d) => d.setIn(['clusters', 0, 'hosts', 0, 'public_ip'], '18.134.246'),
  'duplicate-host-ip': (d) => d.setIn(['clusters', 1, 'hosts', 0, 'public_ip'], '18.134.246.200'),
  'duplicate-host-name': (d) => d.setIn(['clusters', 1, 'hosts', 0, 'name'], 'kvm_london'),
  'duplicate-cluster-name': (d) => d.setIn(['clusters', 1, 'name'], 'london'),
  'bad-host-name': (d) => d.setIn(['clusters', 0, 'hosts', 0, 'name'], 'kvm london'),
  'unknown-key': (d) => d.setIn(['wireguard', 'listen_port'], 51820),
  'missing-ingress': (d) => d.delete('ingress'),
  'no-clusters': (d) => d.set('clusters', []),
  'cluster-without-hosts': (d) => d.setIn(['clusters', 1, 'hosts'], []),
  'wg-overlaps-evpn': (d) => d.setIn(['wireguard', 'subnet'], '172.17.0.0/16'),
  'control-overlaps-wg': (d) => d.set('control_subnet', '192.168.0.0/23'),
  'wg-subnet-host-bits': (d) => d.setIn(['wireguard', 'subnet'], '192.168.0.1/24'),
  'ar-outside-network': (d) => d.setIn(['evpn', 'ar_start'], '172.17.3.1'),
  'ar-too-small': (d) => d.setIn(['evpn', 'ar_size'], 2),
  'ar-past-end': (d) => d.setIn(['evpn', 'ar_size'], 300),
  'gateway-outside': (d) => d.setIn(['evpn', 'gateway'], '10.9.9.1'),
  'gateway-not-first-lease': (d) => d.setIn(['evpn', 'gateway'], '172.17.2.254'),
  'too-many-public-ips': (d) =>
    d.setIn(['clusters', 0, 'public_network', 'ips'], ['203.0.113.10', '203.0.113.11', '203.0.113.12', '203.0.113.13', '203.0.113.14', '203.0.113.15']),
  'vr-cluster-without-ips': (d) => d.setIn(['clusters', 0, 'public_network', 'ips'], []),
  'wg-address-outside-prefix': (d) => d.setIn(['clusters', 0, 'hosts', 0, 'wireguard_address'], '192.168.1.2'),
  'wg-mtu-too-large': (d) => d.setIn(['wireguard', 'mtu'], 1450),
  'guest-mtu-too-large': (d) => d.setIn(['evpn', 'guest_mtu'], 1400),
  'bad-mask': (d) => d.setIn(['evpn', 'network_mask'], '255.0.255.0'),
  'bad-password-form': (d) => d.setIn(['opennebula', 'password'], { file: '/tmp/pass' }),
  'bad-provider': (d) => d.setIn(['clusters', 0, 'provider'], 'azure'),
  'port-out-of-range': (d) => d.setIn(['wireguard', 'port'], 70000),
  'host-ip-in-wg-subnet': (d) => d.setIn(['clusters', 0, 'hosts', 0, 'public_ip'], '192.168.0.77'),
  'yaml-syntax': null,
  'missing-frontend': (d) => d.delete('frontend'),
  'version-not-string': (d) => d.setIn(['opennebula', 'version'], 6.8),
};
for (const [name, mutate] of Object.entries(cases)) {
  const path = `test/fixtures/bad/${name}.yaml`;
  if (existsSync(path)) continue;
  let text;
  if (mutate === null) text = base.replace('  port: 51820\n', '  port: 51820\n   mtu 1420: [\n');
  else {
    const d = parseDocument(base);
    mutate(d);
    text = d.toString();
  }
  writeFileSync(path, `# expect: TODO\n${text}`);
}
