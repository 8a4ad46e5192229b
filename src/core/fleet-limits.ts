/**
 * What `npm run bench:fleet` measured (issue 25, docs/fleet.md): one route reflector, FRR as
 * generated, against simulated VTEPs on a 2-core machine shared with other work (load average
 * 16-23). A scenario past it is accepted, with a warning that carries the figure.
 */
import type { Problem } from './errors.js';
import { kvmHosts, type Scenario } from './scenario.js';

export const FLEET_MEASURED = {
  /** VTEPs (KVM hosts) facing one reflector. */
  vteps: 1000,
  convergedSeconds: 37,
  withdrawalSeconds: 1.2,
  reflectorMiB: 302,
  /** The generated BFD profile: no session lost in 5 minutes up to this many VTEPs. */
  bfd: { detect_multiplier: 3, interval: 300, heldUpTo: 300 },
  /** The slower profile that held at `vteps` with no flap, and what it costs a withdrawal. */
  slowBfd: { detect_multiplier: 3, interval: 1000, withdrawalSeconds: 3.2 },
} as const;

/** Warnings for a scenario past what bench:fleet measured; none within it. */
export function fleetLimitWarnings(s: Scenario): Problem[] {
  const m = FLEET_MEASURED;
  const vteps = kvmHosts(s).length;
  const out: Problem[] = [];
  if (vteps > m.vteps) {
    out.push({
      field: 'clusters',
      message: `clusters hold ${vteps} KVM hosts and every route reflector serves each of them, past the ${m.vteps} per reflector that bench:fleet measured (converged in ${m.convergedSeconds} s, a withdrawal at every VTEP in ${m.withdrawalSeconds} s, ${m.reflectorMiB} MiB; docs/fleet.md): measure your reflector with \`npm run bench:fleet -- --sizes ${vteps}\` before you rely on it.`,
    });
  }
  const b = s.bgp.bfd;
  if (!b.enabled || vteps <= 100) return out;
  const fasterThanDefault = b.detect_multiplier < m.bfd.detect_multiplier || b.transmit_interval < m.bfd.interval || b.receive_interval < m.bfd.interval;
  const fasterThanSlow = b.detect_multiplier * Math.max(b.transmit_interval, b.receive_interval) < m.slowBfd.detect_multiplier * m.slowBfd.interval;
  if (fasterThanDefault) {
    out.push({
      field: 'bgp.bfd',
      message: `bgp.bfd (${b.detect_multiplier} x ${b.transmit_interval}/${b.receive_interval} ms) is faster than any profile bench:fleet measured, and this scenario has ${vteps} VTEPs per reflector: keep ${m.bfd.detect_multiplier} x ${m.bfd.interval} ms or slower (docs/fleet.md).`,
    });
  } else if (vteps > m.bfd.heldUpTo && fasterThanSlow) {
    out.push({
      field: 'bgp.bfd',
      message: `bgp.bfd (${b.detect_multiplier} x ${b.transmit_interval}/${b.receive_interval} ms) held with no lost session up to ${m.bfd.heldUpTo} VTEPs per reflector on bench:fleet's two shared cores, but at ${m.vteps} it lost BGP sessions in one of two 5-minute runs, and this scenario has ${vteps}: on a small or shared reflector set bgp.bfd.receive_interval and transmit_interval to ${m.slowBfd.interval} (held at ${m.vteps} VTEPs, a withdrawal in ${m.slowBfd.withdrawalSeconds} s instead of ${m.withdrawalSeconds} s; docs/fleet.md).`,
    });
  }
  return out;
}
