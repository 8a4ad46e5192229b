import { kvmHosts } from '../../core/scenario.js';
import type { DeployStep } from './types.js';

/** oneprovision's AWS REJECT rule removed (or, strict, only the mesh ports opened before it). */
export const firewall: DeployStep<'firewall'> = {
  name: 'firewall',
  skippable: true,
  title: 'Firewall on the KVM hosts',
  help: ["remove oneprovision's AWS REJECT rule (or, with", '--firewall strict, open only the mesh ports before it)'],
  playbook: 'firewall.yml',
  hosts: (s) => kvmHosts(s).map((h) => h.name),
  hostTitle(s, host) {
    const h = kvmHosts(s).find((k) => k.name === host);
    if (!h?.aws_reject_rule) return `Leave the firewall of ${host} as it is`;
    return `Remove the AWS REJECT rule on ${host} (${h.public_interface})`;
  },
};
