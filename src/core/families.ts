/**
 * Host families: which operating systems edge-wizard's roles (firewall, wireguard,
 * root_access, frr_layer) support, and what a host reported about itself
 * (playbooks/host-facts.yml: /etc/os-release and FRR's package version).
 */

export interface HostReport {
  host: string;
  /** How the host was read: directly, through the frontend, or not at all. */
  via: 'direct' | 'frontend' | 'none';
  /** /etc/os-release ID, VERSION_ID and PRETTY_NAME. */
  id?: string;
  versionId?: string;
  pretty?: string;
  /** FRR's package version, or undefined when FRR is not installed. */
  frr?: string;
  error?: string;
}

export interface SupportedRelease {
  /** /etc/os-release ID. */
  id: string;
  name: string;
  family: 'Debian' | 'RedHat';
  /** Major versions (VERSION_ID up to the first dot, or the whole of it for Ubuntu). */
  versions: string[];
}

/** The families the roles support (README, "Host families"). */
export const SUPPORTED: SupportedRelease[] = [
  { id: 'debian', name: 'Debian', family: 'Debian', versions: ['12', '13'] },
  { id: 'ubuntu', name: 'Ubuntu', family: 'Debian', versions: ['20.04', '22.04', '24.04'] },
  { id: 'almalinux', name: 'AlmaLinux', family: 'RedHat', versions: ['8', '9'] },
  { id: 'rhel', name: 'RHEL', family: 'RedHat', versions: ['8', '9'] },
];

export const SUPPORTED_TEXT = 'Debian 12/13, Ubuntu 20.04/22.04/24.04 and AlmaLinux/RHEL 8/9';

const FAMILY_OF_LIKE: Record<string, 'Debian' | 'RedHat'> = { debian: 'Debian', ubuntu: 'Debian', rhel: 'RedHat', fedora: 'RedHat', centos: 'RedHat' };

/** The release as the support list names it, or undefined when it is not supported. */
export function supportedRelease(r: Pick<HostReport, 'id' | 'versionId'>): SupportedRelease | undefined {
  const rel = SUPPORTED.find((s) => s.id === r.id);
  if (!rel || !r.versionId) return undefined;
  const v = rel.id === 'ubuntu' ? r.versionId : r.versionId.split('.')[0]!;
  return rel.versions.includes(v) ? rel : undefined;
}

/** The family a host belongs to, from its ID (and ID_LIKE when given). */
export function familyOf(id: string | undefined, idLike = ''): string {
  if (!id) return 'unknown';
  const s = SUPPORTED.find((x) => x.id === id);
  if (s) return s.family;
  for (const l of [id, ...idLike.split(/\s+/)]) if (FAMILY_OF_LIKE[l]) return FAMILY_OF_LIKE[l]!;
  return id === 'sles' || id.startsWith('opensuse') ? 'Suse' : 'unknown';
}

/** `EW_HOST|name|via|ID|VERSION_ID|ID_LIKE|PRETTY_NAME|frr|error` lines of host-facts.yml, last one per host. */
export function parseHostReports(output: string): Array<HostReport & { idLike?: string }> {
  const byHost = new Map<string, HostReport & { idLike?: string }>();
  for (const m of output.matchAll(/EW_HOST\|([^|"\n]*)\|([^|"\n]*)\|([^|"\n]*)\|([^|"\n]*)\|([^|"\n]*)\|([^|"\n]*)\|([^|"\n]*)\|([^"\n]*)/g)) {
    const [, host, via, id, versionId, idLike, pretty, frr, error] = m.map((x) => (x ?? '').trim());
    byHost.set(host!, {
      host: host!,
      via: via === 'direct' || via === 'frontend' ? via : 'none',
      ...(id ? { id } : {}),
      ...(versionId ? { versionId } : {}),
      ...(idLike ? { idLike } : {}),
      ...(pretty ? { pretty } : {}),
      ...(frr && frr !== 'none' ? { frr } : {}),
      ...(error ? { error } : {}),
    });
  }
  return [...byHost.values()];
}

/** One line per host for the preflight report. */
export function describeHost(r: HostReport & { idLike?: string }): string {
  if (r.via === 'none') return `${r.host}: not read${r.error ? ` (${r.error})` : ''}`;
  const os = r.pretty ?? `${r.id ?? '?'} ${r.versionId ?? ''}`.trim();
  const via = r.via === 'frontend' ? ', read through the frontend' : '';
  return `${r.host}: ${os} (${familyOf(r.id, r.idLike)} family), FRR ${r.frr ?? 'not installed (one-deploy installs it)'}${via}`;
}

/** One sentence per host whose release the roles do not support. */
export function unsupportedHosts(reports: Array<HostReport & { idLike?: string }>): string[] {
  return reports
    .filter((r) => r.via !== 'none' && !supportedRelease(r))
    .map(
      (r) =>
        `${r.host} runs ${r.pretty ?? `${r.id ?? 'an unknown system'} ${r.versionId ?? ''}`.trim()} (${familyOf(r.id, r.idLike)} family), which edge-wizard's roles do not support: use ${SUPPORTED_TEXT} for the ingress and the KVM hosts.`,
    );
}
