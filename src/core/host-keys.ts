/**
 * SSH host keys of the scenario's hosts. A host rebuilt under the same name and
 * address (oneprovision re-created it, `lab rebuild`) shows a new key: deploy never
 * accepts it silently. Preflight (playbooks/host-facts.yml) names each host whose
 * key changed or is unknown and stops; `deploy --accept-new-host-key HOST` reads the
 * new key through the frontend (playbooks/host-keys.yml, as oneprovision's hosts are
 * reached) and records it for this controller and for the frontend's inner hop.
 */
import type { Scenario } from './scenario.js';
import { kvmHosts } from './scenario.js';

export type HostKeyProblem = { host: string; kind: 'changed' | 'unknown' };

/** What an ssh error says of the host key: changed (ssh's banner), unknown (verification failed without it), or nothing. The strings are ssh's; host-facts.yml tests the same ones in Jinja. */
export function hostKeyKind(sshError: string): HostKeyProblem['kind'] | undefined {
  if (sshError.includes('REMOTE HOST IDENTIFICATION HAS CHANGED')) return 'changed';
  if (sshError.includes('Host key verification failed') || sshError.includes('No ED25519 host key is known')) return 'unknown';
  return undefined;
}

/** `EW_HOSTKEY|host|changed|unknown` lines of host-facts.yml. */
export function parseHostKeyProblems(output: string): HostKeyProblem[] {
  const out = new Map<string, HostKeyProblem>();
  for (const m of output.matchAll(/EW_HOSTKEY\|([^|"\n]+)\|(changed|unknown)/g)) out.set(m[1]!, { host: m[1]!, kind: m[2] as HostKeyProblem['kind'] });
  return [...out.values()];
}

/** One sentence per host, with the exact command that accepts its new key. */
export function hostKeyMessage(problems: HostKeyProblem[], s: Scenario, source: string): string {
  const names = problems.map((p) => p.host);
  const command = `edge-wizard deploy -f ${source} --accept-new-host-key ${names.join(',')}`;
  const what = problems
    .map((p) =>
      p.kind === 'changed'
        ? `${p.host}'s SSH host key changed since this controller last saw it (rebuilt?)`
        : `${p.host}'s SSH host key is not known to this controller`,
    )
    .join('; ');
  return `${what}: nothing was changed on any host; if ${names.length > 1 ? 'they were' : 'it was'} rebuilt, accept the new key, read through the frontend ${s.frontend.name}, with: ${command}`;
}

/** The address and port a host is reached on (its SSH target), for the hosts deploy reaches directly. */
export function sshTarget(s: Scenario, name: string): { name: string; address: string; port: number } | undefined {
  if (name === s.ingress.name) return { name, address: s.ingress.public_ip, port: s.ingress.ssh_port };
  const h = kvmHosts(s).find((k) => k.name === name);
  return h ? { name, address: h.public_ip, port: h.ssh_port } : undefined;
}

/** How known_hosts names a target: `addr`, or `[addr]:port` off port 22. */
export function knownHostsName(t: { address: string; port: number }): string {
  return t.port === 22 ? t.address : `[${t.address}]:${t.port}`;
}

/** `EW_SCANNED|host|<known_hosts line>` lines of host-keys.yml -> host -> `type base64`. */
export function parseScanned(output: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of output.matchAll(/EW_SCANNED\|([^|"\n]+)\|\S+ (ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) ([A-Za-z0-9+/=]+)/g))
    out.set(m[1]!, `${m[2]} ${m[3]}`);
  return out;
}
