import { meshHosts } from './hosts.js';
import type { DeployStep } from './types.js';

/** The planned full mesh: keys made on each host, wg-quick@<interface>. */
export const wireguard: DeployStep<'wireguard'> = {
  name: 'wireguard',
  skippable: true,
  title: 'WireGuard mesh',
  help: ['keys made on each host, the planned mesh, wg-quick@wg0'],
  playbook: 'wireguard.yml',
  hosts: meshHosts,
  hostTitle: (s, host) => `Configure ${s.wireguard.interface} on ${host}`,
};
