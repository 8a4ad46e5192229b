/**
 * The real binary in a real terminal (tmux): a hub scenario with two networks built
 * from a blank start through the advanced settings; then `import --from-frontend`
 * that deletes one cluster (after the confirmation) and adds another. The frontend
 * is a fake `ssh` on PATH answering each read-only command with the real formats
 * (test/import/frontend-fakes.ts); the real SSH path is proven by
 * test/lab/from-frontend.test.ts. Needs `npx tsc -p tsconfig.json` first.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../src/core/index.js';
import { frontend6 } from '../import/frontend-fakes.js';
import { BIN, hasTmux, terminal } from './tmux-driver.js';

const maybe = hasTmux ? describe : describe.skip;
if (!hasTmux) console.warn('tmux-advanced SKIPPED: needs tmux and a build (npx tsc -p tsconfig.json)');

const cli = (dir: string, ...args: string[]) => spawnSync('node', [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: dir } });

maybe('advanced settings and the frontend, in a real terminal (tmux)', () => {
  const t = terminal(`ew-adv-${process.pid}`);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ew-adv-'));
  });
  afterAll(() => {
    t.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Ctrl-C at a prompt: nothing written, exit 130', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ew-ctrlc-'));
    try {
      t.start(empty, `node ${BIN} init`);
      await t.waitFor((x) => x.includes('Scenario name'), 'the first question');
      spawnSync('tmux', ['send-keys', '-t', t.session, 'C-c']);
      const text = await t.end();
      expect(text).toContain('Aborted, nothing written.');
      expect(text).toContain('EXIT=130');
      expect(spawnSync('ls', ['-A', empty], { encoding: 'utf8' }).stdout).toBe('');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60000);

  it('a hub scenario with two networks from a blank start', async () => {
    t.start(dir, `node ${BIN} init`);
    await t.answer('Scenario name', 'hub-two');
    await t.answer('OpenNebula version', null);
    await t.answer('where should it come from?', null, { select: true }); // an environment variable
    await t.answer('Environment variable holding the oneadmin password', null);
    await t.answer('Ingress host name', null);
    await t.answer('Public IP of the ingress', '203.0.113.5');
    await t.answer('SSH user on the ingress', null);
    await t.answer('SSH port of the ingress', null);
    await t.answer('OpenNebula frontend host name', null);
    await t.answer('Frontend address', '10.0.1.87');
    await t.answer('Control subnet', null);
    await t.answer('How does Ansible reach the frontend?', null, { select: true });
    for (const [name, ips, hosts] of [
      ['london', '203.0.113.10', ['203.0.113.21', '203.0.113.22']],
      ['tokyo', '198.51.100.10', ['198.51.100.21']],
    ] as const) {
      await t.answer('Edge clusters', name === 'london' ? null : '1', { select: true });
      await t.answer('Edge cluster name', name);
      await t.answer('Provider', null);
      await t.answer('Region', null);
      await t.answer('Name of its public network', null);
      await t.answer('Its public IPs', ips);
      for (const ip of hosts) {
        await t.answer('KVM hosts of this cluster', '1', { select: true }); // Add
        await t.answer('KVM host name', null);
        await t.answer('Public IP of', ip);
        await t.answer('SSH user', null);
        await t.answer('SSH port', null);
        await t.answer("Remove oneprovision's AWS REJECT rule", null);
        await t.answer('Its public interface', null);
      }
      await t.answer('KVM hosts of this cluster', String(1 + hosts.length * 2 + 1), { select: true }); // Done
    }
    await t.answer('Edge clusters', null); // Done
    await t.answer('WireGuard subnet', null);
    await t.answer('WireGuard port', null);
    await t.answer('WireGuard MTU', null);
    for (const q of ['EVPN virtual network name', 'EVPN network', 'First lease', 'Number of leases', 'Gateway', 'DNS', 'Guest MTU']) await t.answer(q, null);
    await t.answer('Create the Virtual Router', null);
    await t.answer('Enable SDNAT', null);
    await t.answer('Which cluster gives it its public IP?', null);
    await t.answer('Advanced settings', 'y');
    await t.answer('Advanced settings', '1', { select: true }); // topology
    await t.answer('WireGuard topology', '2', { select: true }); // hub
    await t.answer('Hubs, comma separated', null);
    await t.answer('Advanced settings', '2', { select: true }); // networks
    await t.answer('EVPN networks', '1', { select: true }); // Add
    await t.answer('EVPN virtual network name', 'tenant-b');
    for (const q of ['EVPN network', 'First lease', 'Number of leases', 'Gateway', 'DNS', 'Guest MTU']) await t.answer(q, null);
    await t.answer('VNI (VXLAN ID) of this network', '2', { select: true }); // fixed
    await t.answer('VNI (1-16777215', null);
    await t.answer('EVPN networks', '6', { select: true }); // Done
    await t.answer('Advanced settings', '5', { select: true }); // Done
    await t.answer('Write edge-wizard.yaml?', null);
    await t.answer('Generate the inventory', null);
    await t.answer('Deploy now', null);
    const text = await t.end();
    expect(text).toContain('EXIT=0');
    expect(text).toContain('VMs on different networks do not reach each other');
    const s = parseScenario(readFileSync(join(dir, 'edge-wizard.yaml'), 'utf8')).scenario;
    expect(s.wireguard.topology).toBe('hub');
    expect(s.wireguard.hubs).toEqual(['ingress', 'kvm_london', 'kvm_tokyo']);
    expect(s.networks.map((n) => [n.name, n.network_address, n.vni])).toEqual([
      ['private_evpn-vxlan', '172.17.2.0', undefined],
      ['tenant-b', '172.17.3.0', 200],
    ]);
    expect(cli(dir, 'validate').status).toBe(0);
    expect(readFileSync(join(dir, 'inventories/hub-two/host_vars/kvm_london.yml'), 'utf8')).toContain('wireguard_forward: true');
  }, 120000);

  it('import --from-frontend: one cluster deleted after confirmation, another added, then no deploy', async () => {
    const bin = join(dir, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    // The frontend: london keeps its two hosts, tokyo has no provision any more, osaka is new.
    const outputs = frontend6([
      {
        id: 7,
        name: 'london',
        hosts: [
          { id: 3, ip: '203.0.113.21' },
          { id: 4, ip: '203.0.113.22' },
        ],
      },
      { id: 12, name: 'osaka', hosts: [{ id: 20, ip: '198.18.0.21' }] },
    ]);
    writeFileSync(join(dir, 'frontend.json'), JSON.stringify(outputs));
    writeFileSync(
      join(bin, 'ssh'),
      `#!${process.execPath}
// A fake ssh: answers the read-only commands of the remote script from frontend.json, with its end markers.
const out = JSON.parse(require('fs').readFileSync(${JSON.stringify(join(dir, 'frontend.json'))}, 'utf8'));
require('fs').appendFileSync(${JSON.stringify(join(dir, 'ssh.log'))}, JSON.stringify(process.argv.slice(2)) + '\\n');
const script = process.argv[process.argv.length - 1];
for (const m of script.matchAll(/then ([a-z]+ (?:list|show [0-9]+) --json); elif/g)) process.stdout.write((out[m[1]] ?? '') + '\\n\\n__edge_wizard_end__ ' + (m[1] in out ? 0 : 127) + '\\n');
`,
    );
    chmodSync(join(bin, 'ssh'), 0o755);
    const before = readFileSync(join(dir, 'edge-wizard.yaml'), 'utf8');
    t.start(dir, `node ${BIN} import --from-frontend`, `PATH=${bin}:${process.env.PATH}`);
    await t.answer('Remove cluster tokyo and host kvm_tokyo (198.51.100.21)', 'y');
    await t.answer('Apply these changes to edge-wizard.yaml?', null);
    await t.answer('Deploy now', null);
    const text = await t.end();
    expect(text).toContain('EXIT=0');
    expect(text).toContain('+ cluster osaka (provision 12 "osaka", new; provider aws)');
    expect(text).toContain('- cluster tokyo: no provision on the frontend holds it (hosts kvm_tokyo 198.51.100.21)');
    expect(text).toContain('= cluster london (provision 7 "london"): 2 host(s), unchanged');
    const after = readFileSync(join(dir, 'edge-wizard.yaml'), 'utf8');
    expect(after).not.toBe(before);
    const s = parseScenario(after).scenario;
    expect(s.clusters.map((c) => [c.name, c.hosts.map((h) => `${h.name} ${h.public_ip}`)])).toEqual([
      ['london', ['kvm_london 203.0.113.21', 'kvm_london2 203.0.113.22']],
      ['osaka', ['kvm_osaka_1 198.18.0.21']],
    ]);
    // The hub list followed the removal; the scenario still validates and generates.
    expect(s.wireguard.hubs).toEqual(['ingress', 'kvm_london']);
    expect(cli(dir, 'validate').status).toBe(0);
    expect(cli(dir, 'generate').status).toBe(0);
    expect(readFileSync(join(dir, 'ssh.log'), 'utf8').trim().split('\n')).toHaveLength(2);
  }, 60000);
});
