/** The end-of-session summary: clusters, hosts, WireGuard addresses, MTU, what will be created. Never a secret. */
import { planMesh, proxyJumpSpec, type Scenario, type Secret } from '../../core/index.js';

export function secretShown(s: Secret): string {
  if (typeof s === 'string') return '(set, plain text: the file is 0600)';
  return 'env' in s ? `from $${s.env}` : '(Ansible Vault string)';
}

export function summary(s: Scenario, file: string, outDir: string, previousAddresses: Record<string, string> = {}): string {
  const mesh = planMesh(s, previousAddresses);
  const wg = new Map(mesh.hosts.map((h) => [h.name, h.address]));
  const lines = [
    `Scenario "${s.name}" (${file})`,
    `  OpenNebula ${s.opennebula.version}, oneadmin password ${secretShown(s.opennebula.password)}`,
    `  Ingress    ${s.ingress.name}  ${s.ingress.public_ip}  wg ${wg.get(s.ingress.name)}  (route reflector)`,
    `  Frontend   ${s.frontend.name}  ${s.frontend.address}  ${proxyJumpSpec(s) ? `via ProxyJump ${proxyJumpSpec(s)}` : 'reached directly'}`,
  ];
  for (const c of s.clusters) {
    lines.push(
      `  Cluster ${c.name} (${c.provider}${c.region ? `, ${c.region}` : ''}), public network ${c.public_network.name}: ${c.public_network.ips.join(', ') || '(no IPs)'}`,
    );
    for (const h of c.hosts) {
      const extra = [
        h.ssh_user !== 'root' || h.ssh_port !== 22 ? `ssh ${h.ssh_user}@:${h.ssh_port}` : '',
        h.aws_reject_rule ? `REJECT rule removed on ${h.public_interface}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(`    ${h.name.padEnd(18)} ${h.public_ip.padEnd(16)} wg ${wg.get(h.name)}${extra ? `  ${extra}` : ''}`);
    }
  }
  lines.push(
    `  WireGuard  ${s.wireguard.interface} ${s.wireguard.subnet} port ${s.wireguard.port}, MTU ${s.wireguard.mtu}`,
    ...s.networks.map(
      (n) =>
        `  EVPN       ${n.name} ${n.network_address}/${n.network_mask}, ${n.ar_size} leases from ${n.ar_start}, guest MTU ${n.guest_mtu}${n.vni === undefined ? '' : `, VNI ${n.vni}`}`,
    ),
    `  Virtual Router ${s.virtual_router.enabled ? `on cluster ${s.virtual_router.cluster}${s.virtual_router.sdnat ? ', SDNAT' : ''}` : 'not created'}`,
    `  ${s.ansible.ssh_common_args ? `SSH options for Ansible: ${s.ansible.ssh_common_args}` : 'SSH: as configured per host'}`,
    `Generating will write ${outDir}/: hosts.yml, ansible.cfg, group_vars/, host_vars/ and wireguard/ for ${mesh.hosts.length} hosts.`,
  );
  return lines.join('\n') + '\n';
}
