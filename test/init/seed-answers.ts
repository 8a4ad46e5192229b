import type { Answers } from './fake.js';

/** The answers that build the seed's practical scenario from nothing (Enter everywhere else). */
export const seedAnswers: Answers = {
  name: 'seed-practical',
  'opennebula.password_kind': 'plain',
  'opennebula.password': 'opennebula',
  'ingress.public_ip': '13.58.199.98',
  'frontend.address': '10.0.1.87',
  'frontend.reach': 'custom',
  'frontend.proxy_jump': 'root@ec2-13-58-199-98.us-east-2.compute.amazonaws.com',
  'clusters.action': ['add', 'add', 'done'],
  'cluster.name': ['london', 'ncalifornia'],
  'cluster.region': ['eu-west-2', 'us-west-1'],
  'cluster.public_network.ips': ['203.0.113.10, 203.0.113.11', '198.51.100.10'],
  'hosts.action': ['add', 'done', 'add', 'done'],
  'host.name': ['kvm_london', 'kvm_ncalifornia'],
  'host.public_ip': ['18.134.246.200', '18.144.25.41'],
  'host.public_interface': ['enp125s0', 'enp125s0'],
  generate: false,
};
