import { meshHosts } from './hosts.js';
import type { DeployStep } from './types.js';

/** BFD, connect timers, listen limit and reflector-to-reflector sessions on top of one-deploy's FRR config. */
export const frrLayer: DeployStep<'frr-layer'> = {
  name: 'frr-layer',
  skippable: true,
  title: 'FRR layer: BFD, fast reconnects, reflector sessions',
  help: ['BFD on every EVPN session, connect-retry, listen limit and', "reflector-to-reflector sessions, layered on one-deploy's config"],
  playbook: 'frr-layer.yml',
  hosts: meshHosts,
  hostTitle: (s, host) => `Layer BFD and timers on FRR of ${host}${s.bgp.reflectors.includes(host) ? ' (route reflector)' : ''}`,
  // Hosts whose FRR running config drifted (the unchanged step's probe saw it): restarted to their files.
  extraVars: (ctx) =>
    ctx.drift?.some((d) => d.steps.includes('frr-layer'))
      ? { ew_repair_frr_hosts: [...new Set(ctx.drift.filter((d) => d.steps.includes('frr-layer')).map((d) => d.host))] }
      : {},
};
