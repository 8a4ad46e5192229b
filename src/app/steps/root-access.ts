import { kvmHosts } from '../../core/scenario.js';
import type { DeployStep } from './types.js';

/** Through the frontend's oneprovision key, let this controller in as root on every KVM host. */
export const rootAccess: DeployStep<'root-access'> = {
  name: 'root-access',
  skippable: true,
  opensHosts: true,
  title: 'Root access on the KVM hosts',
  help: ["through the frontend's oneprovision key, let this controller in", 'as root on every KVM host'],
  playbook: 'root-access.yml',
  hosts: (s) => kvmHosts(s).map((h) => h.name),
  hostTitle: (_s, host) => `Distribute root key to ${host}`,
  // In check mode a host that would first get root access cannot be checked by later steps yet.
  judge(ctx, result) {
    if (!ctx.check) return;
    for (const [host, st] of Object.entries(result.recap)) {
      if (st.changed > 0 && !ctx.failedHosts.has(host)) (ctx.pendingHosts ??= new Map()).set(host, 'root access not granted yet (check mode)');
    }
  },
};
