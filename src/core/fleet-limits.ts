/**
 * What `npm run bench:fleet` measured (issue 25, docs/fleet.md): one route reflector, FRR as
 * generated, against simulated VTEPs on a 2-core machine shared with other work (load average
 * 16-23). A scenario past it is accepted, with a warning that carries the figure. Past the hard
 * limits (MAX_*: what generation can plan; the topologies in wireguard/topologies/ say them) it is refused.
 */
import type { Problem } from './errors.js';
import { kvmHosts, type Scenario } from './scenario.js';

/** KVM hosts in one scenario: every host of a full mesh has every other as a peer (1000 hosts: about 1 s and 120 MiB to generate, `npm run bench`). */
export const MAX_KVM_HOSTS = 1000;

/** KVM hosts in one scenario of wireguard.topology hub, whose output grows with the fleet (see `npm run bench`). */
export const MAX_HUB_KVM_HOSTS = 10000;

/** Hubs of topology hub: they form a full mesh, as large as the largest full mesh (the ingress and MAX_KVM_HOSTS). */
export const MAX_HUBS = MAX_KVM_HOSTS + 1;

export const FLEET_MEASURED = {
  /** VTEPs (KVM hosts) facing one reflector. */
  vteps: 1000,
  convergedSeconds: 20,
  withdrawalSeconds: 1.4,
  reflectorMiB: 512,
  /** The generated BFD profile: no session lost in 5 minutes up to this many VTEPs. */
  bfd: { detect_multiplier: 3, interval: 300, heldUpTo: 300 },
  /** The profile the defaults use past `bfd.heldUpTo` VTEPs: held at `vteps` with no flap, converged and withdrew within target. */
  fleetBfd: { detect_multiplier: 3, interval: 500, convergedSeconds: 20, withdrawalSeconds: 1.4 },
  /** A slower profile that also held at `vteps`, and what it costs a withdrawal. */
  slowBfd: { detect_multiplier: 3, interval: 1000, withdrawalSeconds: 3.2 },
} as const;

/** The default BFD intervals for a fleet of `vteps` VTEPs per reflector (bench:fleet, docs/fleet.md). */
export function defaultBfdInterval(vteps: number): number {
  return vteps > FLEET_MEASURED.bfd.heldUpTo ? FLEET_MEASURED.fleetBfd.interval : FLEET_MEASURED.bfd.interval;
}

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
  const fasterThanFleet = b.detect_multiplier * Math.min(b.transmit_interval, b.receive_interval) < m.fleetBfd.detect_multiplier * m.fleetBfd.interval;
  if (fasterThanDefault) {
    out.push({
      field: 'bgp.bfd',
      message: `bgp.bfd (${b.detect_multiplier} x ${b.transmit_interval}/${b.receive_interval} ms) is faster than any profile bench:fleet measured, and this scenario has ${vteps} VTEPs per reflector: keep ${m.bfd.detect_multiplier} x ${m.bfd.interval} ms or slower (docs/fleet.md).`,
    });
  } else if (vteps > m.bfd.heldUpTo && fasterThanFleet) {
    out.push({
      field: 'bgp.bfd',
      message: `bgp.bfd (${b.detect_multiplier} x ${b.transmit_interval}/${b.receive_interval} ms) held with no lost session up to ${m.bfd.heldUpTo} VTEPs per reflector on bench:fleet's two shared cores, but at ${m.vteps} 3 x ${m.bfd.interval} ms lost BGP sessions in both 5-minute runs, and this scenario has ${vteps}: leave bgp.bfd's intervals out (past ${m.bfd.heldUpTo} KVM hosts they default to ${m.fleetBfd.interval} ms, which held at ${m.vteps} with a withdrawal in ${m.fleetBfd.withdrawalSeconds} s; docs/fleet.md).`,
    });
  }
  return out;
}
