/**
 * FRR on hosts that already have it, against the FRR the pinned one-deploy installs.
 * one-deploy's frr.common installs FRR with `state: present`: a host that already has
 * FRR keeps its version. With FRR's repository (repos_enabled unset or naming `frr`)
 * one-deploy means one series (10.5: it pinned away from 10.6, OpenNebula/one#7589);
 * with `repos_enabled` leaving `frr` out, FRR comes from the distribution and no pin applies.
 */
import type { Scenario } from './scenario.js';
import type { HostReport } from './families.js';

/** The FRR series (`10.5`) in one-deploy's roles/repository/tasks/frr.yml (`deb ... frr-10.5`), or undefined. */
export function pinFromRepositoryTasks(text: string): string | undefined {
  return /^\s*deb .*\bfrr-(\d+\.\d+)\s*$/m.exec(text)?.[1];
}

/** Whether one-deploy adds FRR's repository for this scenario (and so the pin applies). */
export function frrPinApplies(s: Pick<Scenario, 'ansible'>): boolean {
  const repos = s.ansible.repos_enabled;
  return repos === undefined || (repos as string[]).includes('frr');
}

/** `1:10.6.0-0~deb12u1` / `10.5.3-1.el9` -> [10, 6] / [10, 5]. */
function series(version: string): [number, number] | undefined {
  const m = /^(?:\d+:)?(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export interface FrrPinProblems {
  /** Newer than the pin: what one-deploy pinned away from. The deploy stops. */
  errors: string[];
  /** Older than the pin: works, but is not what one-deploy was proven with. */
  warnings: string[];
}

/** One sentence per host whose installed FRR is outside the pinned series, with the fix. */
export function frrOutsidePin(reports: HostReport[], pin: string, source: string): FrrPinProblems {
  const out: FrrPinProblems = { errors: [], warnings: [] };
  const want = series(pin);
  if (!want) return out;
  const keep = `or, to keep the FRR the hosts have, set ansible.repos_enabled: [] in ${source}`;
  for (const r of reports) {
    const have = r.frr ? series(r.frr) : undefined;
    if (!have || (have[0] === want[0] && have[1] === want[1])) continue;
    const newer = have[0] > want[0] || (have[0] === want[0] && have[1] > want[1]);
    if (newer) {
      out.errors.push(
        `${r.host} has FRR ${r.frr}, newer than the FRR ${pin} the pinned one-deploy installs (it pinned away from 10.6 and later, OpenNebula/one#7589) and one-deploy keeps an installed FRR: ` +
          `install FRR ${pin} on ${r.host} (from FRR's frr-${pin} repository: apt-get install --allow-downgrades frr=${pin}.* frr-pythontools=${pin}.*, or dnf downgrade frr-${pin}* frr-pythontools-${pin}*) and deploy again, ${keep}.`,
      );
    } else {
      out.warnings.push(
        `${r.host} has FRR ${r.frr}, older than the FRR ${pin} the pinned one-deploy installs, and one-deploy keeps an installed FRR: ` +
          `upgrade it on ${r.host} to FRR ${pin} (from FRR's frr-${pin} repository, which the frr step adds) to run what one-deploy pins, ${keep}.`,
      );
    }
  }
  return out;
}
