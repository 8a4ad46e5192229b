/**
 * Pure renderers of the lab's files: per-host /etc/hosts and iptables rules,
 * the controller's ssh config and known_hosts, and the lab's scenario file.
 */
import { stringify } from 'yaml';
import type { ScenarioInput } from '../core/scenario.js';
import { KVM_ALLOWED, type LabHost, type LabTopology } from './topology.js';
import { DEFAULT_CACHE_DIR, DEFAULT_STATE_ROOT } from './constants.js';

/** Where a lab keeps its files; see docs/lab.md. */
export interface LabPaths {
  dir: string;
  state: string;
  scenario: string;
  sshDir: string;
  key: string;
  sshConfig: string;
  knownHosts: string;
  hostsDir: string;
  /** ssh ControlPath sockets of Ansible runs against this lab. */
  controlDir: string;
}

export { DEFAULT_CACHE_DIR, DEFAULT_STATE_ROOT };

export function labPaths(lab: string, root = DEFAULT_STATE_ROOT): LabPaths {
  const dir = `${root}/${lab}`;
  return {
    dir,
    state: `${dir}/state.json`,
    scenario: `${dir}/scenario.yaml`,
    sshDir: `${dir}/ssh`,
    key: `${dir}/ssh/id_ed25519`,
    sshConfig: `${dir}/ssh/config`,
    knownHosts: `${dir}/ssh/known_hosts`,
    hostsDir: `${dir}/hosts`,
    controlDir: `${dir}/ssh/cp`,
  };
}

/** Where `demo` (and the lab's printed commands) keep the lab's inventory. */
export function labInventoryDir(paths: LabPaths): string {
  return `${paths.dir}/inventory`;
}

export function hostDir(paths: LabPaths, host: LabHost): string {
  return `${paths.hostsDir}/${host.name}`;
}

const ip = (cidr: string): string => cidr.split('/')[0]!;

/** /etc/hosts of one host: itself plus every lab host by its first address. */
export function renderEtcHosts(t: LabTopology, self: LabHost): string {
  const lines = ['127.0.0.1\tlocalhost', `127.0.1.1\t${self.hostname}`, '::1\tlocalhost ip6-localhost ip6-loopback', ''];
  for (const h of t.hosts) {
    if (h === self) continue;
    lines.push(`${ip(h.interfaces[0]!.address)}\t${h.hostname}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The rules oneprovision's iptables role leaves on an AWS KVM host, bound to
 * the public interface: established and ICMP allowed, then the provision's
 * services, then REJECT with icmp-host-prohibited.
 */
export function renderRulesV4(pubif: string): string {
  const allow = KVM_ALLOWED.map((s) => `-A INPUT -i ${pubif} -p ${s.protocol} -m state --state NEW -m ${s.protocol} --dport ${s.port} -j ACCEPT`);
  return [
    '# Firewall of an AWS KVM host as oneprovision leaves it (edge-wizard lab)',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
    '-A INPUT -p icmp -j ACCEPT',
    '-A INPUT -i lo -j ACCEPT',
    ...allow,
    `-A INPUT -i ${pubif} -j REJECT --reject-with icmp-host-prohibited`,
    'COMMIT',
    '',
  ].join('\n');
}

/** The ssh config for `ssh -F`: an alias per host, the frontend through the ingress. */
export function renderSshConfig(t: LabTopology, paths: LabPaths, controllerNs?: string): string {
  const ingress = t.hosts.find((h) => h.role === 'ingress')!;
  const out = [`# edge-wizard lab "${t.lab}": ssh -F ${paths.sshConfig} <host>`, ''];
  for (const h of t.hosts) {
    out.push(`Host ${h.name} ${h.sshAddress}`, `  HostName ${h.sshAddress}`);
    if (h.role === 'frontend') out.push(`  ProxyJump root@${ingress.sshAddress}`);
    // The lab's routes live in the controller's namespace only: connections enter it.
    else if (controllerNs) out.push(`  ProxyCommand nsenter --net=/run/netns/${controllerNs} nc %h %p`);
    out.push('');
  }
  out.push(
    'Host *',
    '  User root',
    `  IdentityFile ${paths.key}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${paths.knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '  ConnectTimeout 5',
    '  LogLevel ERROR',
    '',
  );
  return out.join('\n');
}

/** known_hosts lines: `<address>,<name> <type> <key>` for every host. */
export function renderKnownHosts(t: LabTopology, hostKeys: Record<string, string>): string {
  return t.hosts
    .map((h) => {
      const key = hostKeys[h.name];
      if (!key) throw new Error(`No host key for ${h.name}`);
      const names = [...new Set([h.sshAddress, ...h.interfaces.map((i) => ip(i.address)), h.name, h.hostname])];
      return `${names.join(',')} ${key.trim().split(/\s+/).slice(0, 2).join(' ')}`;
    })
    .join('\n')
    .concat('\n');
}

/**
 * The lab's scenario (its scenario.yaml, what deploy and verify read): the topology's copy
 * of the source scenario (topology.ts labTopology: the source's names and overlay settings,
 * the lab's addresses and access) plus the ssh options of where this lab keeps its files.
 */
export function labScenario(t: LabTopology, paths: LabPaths): ScenarioInput {
  return {
    ...structuredClone(t.scenario),
    ansible: {
      ...structuredClone(t.scenario.ansible),
      // A lab-specific ControlPath: Ansible's shared ~/.ansible/cp would reuse a master
      // connection to the same address opened for another lab (or a real host).
      ssh_common_args: `-F ${paths.sshConfig} -o ControlPath=${paths.controlDir}/%C`,
    },
  };
}

export function renderScenario(t: LabTopology, paths: LabPaths, source?: string): string {
  const header = [
    `# Scenario of the edge-wizard lab "${t.lab}", written by \`edge-wizard lab up\`.`,
    ...(source ? [`# Built from ${JSON.stringify(source).slice(1, -1)}: its names, WireGuard, networks and BGP; the addresses and access are the lab's.`] : []),
    '# The hosts are systemd-nspawn containers in network namespaces on this machine;',
    `# reach them with: ssh -F ${paths.sshConfig} <host name>`,
    '# repos_enabled: [] because the lab has no route out: one-deploy adds no package repository',
    "# and FRR comes from the distribution (production hosts get one-deploy's pinned FRR 10.5).",
    '',
  ].join('\n');
  return header + stringify(labScenario(t, paths), { lineWidth: 0 });
}
