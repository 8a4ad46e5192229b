import { kvmHosts, type Scenario } from '../../core/scenario.js';

/** The ingress and every KVM host, in scenario order: the WireGuard mesh and the EVPN speakers. */
export function meshHosts(s: Scenario): string[] {
  return [s.ingress.name, ...kvmHosts(s).map((h) => h.name)];
}
