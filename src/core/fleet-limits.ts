/**
 * What `npm run bench:fleet` measured (issue 25, docs/fleet.md): one route reflector, FRR as
 * generated, against simulated VTEPs on a 2-core machine shared with other work. A scenario
 * past it is accepted, with a warning that carries the figure: nothing bigger was measured.
 */
import type { Problem } from './errors.js';
import { kvmHosts, type Scenario } from './scenario.js';

export const FLEET_MEASURED = {
  /** VTEPs (KVM hosts) facing one reflector. */
  vteps: 1000,
  convergedSeconds: 34,
  withdrawalSeconds: 1.2,
  reflectorMiB: 272,
  /** The BFD profile that held with no flap. */
  bfd: { detect_multiplier: 3, interval: 300 },
} as const;

/** Warnings for a scenario past what bench:fleet measured; none within it. */
export function fleetLimitWarnings(s: Scenario): Problem[] {
  const m = FLEET_MEASURED;
  const vteps = kvmHosts(s).length;
  const out: Problem[] = [];
  const figures = `converged in ${m.convergedSeconds} s, a withdrawal at every VTEP in ${m.withdrawalSeconds} s, ${m.reflectorMiB} MiB, no BFD flap at ${m.bfd.detect_multiplier} x ${m.bfd.interval} ms`;
  if (vteps > m.vteps) {
    out.push({
      field: 'clusters',
      message: `clusters hold ${vteps} KVM hosts and every route reflector serves each of them, past the ${m.vteps} per reflector that bench:fleet measured (${figures}; docs/fleet.md): measure your reflector with \`npm run bench:fleet -- --sizes ${vteps}\` before you rely on it.`,
    });
  }
  const b = s.bgp.bfd;
  const faster = b.detect_multiplier < m.bfd.detect_multiplier || b.transmit_interval < m.bfd.interval || b.receive_interval < m.bfd.interval;
  if (b.enabled && faster && vteps > 100) {
    out.push({
      field: 'bgp.bfd',
      message: `bgp.bfd (${b.detect_multiplier} x ${b.transmit_interval}/${b.receive_interval} ms) is faster than the ${m.bfd.detect_multiplier} x ${m.bfd.interval} ms that bench:fleet measured with up to ${m.vteps} VTEPs per reflector, and this scenario has ${vteps}: keep the defaults, or measure yours with \`npm run bench:fleet\` (docs/fleet.md).`,
    });
  }
  return out;
}
