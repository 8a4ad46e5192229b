/**
 * Drift: what a host holds now against what the last verified deploy left there.
 * verify.yml reads a few digests on each host (its SSH host key, wg0.conf, FRR's
 * files and running config, the INPUT firewall rules); a deploy that ends verified
 * records them in the deploy state; `verify` and the next deploy's `unchanged` step
 * compare. A digest that differs is a hand edit (or a rebuilt host), named with the
 * step that repairs it.
 */

/** The digests verify.yml reads on a host (`key=value` lines). */
export interface HostMarks {
  /** `type base64` of /etc/ssh/ssh_host_ed25519_key.pub: which machine this is. */
  host_key: string;
  wg_conf: string;
  frr_conf: string;
  frr_running: string;
  firewall: string;
  /** oneprovision's AWS REJECT rule is in INPUT. */
  reject_rule: boolean;
}

/** What each digest stands for, and the deploy step that owns (and repairs) it. */
export const MARKS: ReadonlyArray<{ key: Exclude<keyof HostMarks, 'host_key' | 'reject_rule'>; what: string; step: string }> = [
  { key: 'wg_conf', what: 'the WireGuard configuration (wg0.conf)', step: 'wireguard' },
  { key: 'frr_conf', what: "FRR's configuration files", step: 'frr' },
  { key: 'frr_running', what: "FRR's running configuration", step: 'frr-layer' },
  { key: 'firewall', what: 'the INPUT firewall rules', step: 'firewall' },
];

export function parseMarks(text: string | undefined): HostMarks | undefined {
  if (!text) return undefined;
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  if (!kv.has('wg_conf')) return undefined;
  return {
    host_key: kv.get('host_key') ?? '',
    wg_conf: kv.get('wg_conf') ?? '',
    frr_conf: kv.get('frr_conf') ?? '',
    frr_running: kv.get('frr_running') ?? '',
    firewall: kv.get('firewall') ?? '',
    reject_rule: kv.get('reject_rule') === '1',
  };
}

export interface Drift {
  host: string;
  /** The steps that repair it (every step for a rebuilt host). */
  steps: string[];
  detail: string;
}

/**
 * What differs on each host from `recorded` (the last verified deploy's marks). A host
 * the state does not describe, or one not read now, is no drift (verify's other checks
 * name an unreachable host); a different SSH host key is a rebuilt host.
 */
export function findDrift(now: Record<string, HostMarks | undefined>, recorded: Record<string, HostMarks> | undefined): Drift[] {
  if (!recorded) return [];
  const out: Drift[] = [];
  for (const [host, m] of Object.entries(now)) {
    const was = recorded[host];
    if (!m || !was) continue;
    if (was.host_key && m.host_key && was.host_key !== m.host_key) {
      out.push({ host, steps: ['all'], detail: `${host} is not the machine the last deploy configured (its SSH host key differs): rebuilt?` });
      continue;
    }
    for (const k of MARKS) {
      if (was[k.key] === m[k.key]) continue;
      const reject = k.key === 'firewall' && m.reject_rule && !was.reject_rule ? ' (the AWS REJECT rule is back)' : '';
      const gone = m[k.key] === 'absent' ? ' (the file is gone)' : '';
      out.push({ host, steps: [k.step], detail: `${k.what} on ${host} changed since the last deploy${reject}${gone}` });
    }
  }
  return out;
}
