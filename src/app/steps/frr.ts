import { meshHosts } from './hosts.js';
import type { DeployStep } from './types.js';

/** one-deploy's frr.common + frr.evpn through the seed's playbook, unmodified. */
export const frr: DeployStep<'frr'> = {
  name: 'frr',
  skippable: true,
  title: 'FRR EVPN (one-deploy frr.common + frr.evpn)',
  help: ["one-deploy's frr.common + frr.evpn (route reflector on the ingress)"],
  playbook: 'frr-evpn.yml',
  hosts: meshHosts,
  hostTitle: (s, host) => `Configure FRR EVPN on ${host}${s.bgp.reflectors.includes(host) ? ' (route reflector)' : ''}`,
};
