import { aliasesFromText } from '../../src/adapters/ssh-config.js';
import { hostDefaults, inventoryName, mergeSshArgs } from '../../src/core/ssh-hosts.js';
import { checkAnswer, checkField, checkSubnet } from '../../src/core/fields.js';
import { checkSchema } from '../../src/core/validate.js';
import { runInit } from '../../src/cli/commands/init.js';
import { parseScenario } from '../../src/core/index.js';
import { fakeDeps, fakePrompt } from './fake.js';
import { seedAnswers } from './seed-answers.js';

const CONFIG = `
Host *
  ServerAliveInterval 30
  IdentityFile ~/.ssh/common

Host fe
  HostName 10.0.1.87
  User admin
  Port 2222
  ProxyJump root@13.58.199.98

Host kvm-ldn london.example
  HostName 18.134.246.200
  IdentityFile /keys/ldn

Host byname
  HostName kvm.example.com

Host !bad *.internal
`;

describe('ssh config aliases', () => {
  const aliases = aliasesFromText(CONFIG);
  it('lists pickable aliases with what ssh would compute for them', () => {
    expect(aliases.map((a) => a.alias)).toEqual(['fe', 'kvm-ldn', 'london.example', 'byname']);
    expect(aliases[0]).toMatchObject({ hostName: '10.0.1.87', user: 'admin', port: 2222, proxyJump: 'root@13.58.199.98' });
    expect(aliases[1]!.identityFiles).toEqual(expect.arrayContaining(['/keys/ldn', expect.stringMatching(/\.ssh\/common$/)]));
  });
  it('maps an alias to host defaults: literal IPs only, names made inventory-safe', () => {
    expect(hostDefaults(aliases[1]!)).toMatchObject({ name: 'kvm-ldn', public_ip: '18.134.246.200' });
    expect(hostDefaults(aliases[3]!)).toMatchObject({ name: 'byname', hostName: 'kvm.example.com' });
    expect(hostDefaults(aliases[3]!).public_ip).toBeUndefined();
    expect(inventoryName('london.example')).toBe('london_example');
    expect(inventoryName('1host')).toBe('h_1host');
  });
  it('adds -F and IdentityFile options once', () => {
    const a = mergeSshArgs(undefined, { configFile: '/x/ssh config', identityFiles: ['/k/1'] });
    expect(a).toBe("-F '/x/ssh config' -o IdentityFile=/k/1");
    expect(mergeSshArgs(a, { configFile: '/x/ssh config', identityFiles: ['/k/1', '/k/2'] })).toBe(
      "-F '/x/ssh config' -o IdentityFile=/k/1 -o IdentityFile=/k/2",
    );
  });

  it('a session picking aliases fills the frontend (ProxyJump, user, port) and a host from them', async () => {
    const { 'frontend.reach': _r, 'frontend.proxy_jump': _p, 'host.name': _n, ...rest } = seedAnswers;
    const prompt = fakePrompt({ ...rest, 'frontend.ssh_alias': 'fe', 'host.ssh_alias': ['kvm-ldn', ''], 'host.name': [undefined, 'kvm_ncalifornia'] });
    const deps = fakeDeps(prompt, {}, { sshAliases: async () => aliasesFromText(CONFIG) });
    expect(await runInit({ sshConfig: '/home/u/.ssh/config' }, deps)).toBe(0);
    const s = parseScenario(deps.fs.files.get('edge-wizard.yaml')!.content).scenario;
    expect(s.frontend).toMatchObject({ address: '10.0.1.87', ssh_user: 'admin', ssh_port: 2222, proxy_jump: 'root@13.58.199.98' });
    expect(s.clusters[0]!.hosts[0]).toMatchObject({ name: 'kvm-ldn', public_ip: '18.134.246.200' });
    expect(s.ansible.ssh_common_args).toMatch(/^-F \/home\/u\/\.ssh\/config /);
    expect(s.ansible.ssh_common_args).toContain('-o IdentityFile=/keys/ldn');
  });
});

describe('per-field validators say what validate says', () => {
  it.each([
    ['ingress.public_ip', '1.2.3'],
    ['clusters[1].hosts[2].public_ip', 'nope'],
    ['clusters[0].name', '9lives'],
    ['wireguard.port', 70000],
    ['wireguard.mtu', 100],
    ['evpn.dns', '1.1.1'],
    ['opennebula.version', '6'],
  ])('%s = %p', (field, value) => {
    const msg = checkField(field, value);
    expect(msg).toMatch(new RegExp(`^${field.replace(/[[\].]/g, '\\$&')} `));
    // The same sentence appears when the whole file is checked.
    const keys = field.match(/[^.[\]]+/g)!;
    let data: Record<string, unknown> = {};
    let o: Record<string, unknown> = data;
    keys.forEach((k, i) => {
      const last = i === keys.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(keys[i + 1]!);
      o[k] = last ? value : nextIsIndex ? Array.from({ length: Number(keys[i + 1]) + 1 }, () => ({})) : {};
      o = o[k] as Record<string, unknown>;
    });
    expect(checkSchema(data).map((p) => p.message)).toContain(msg);
    data = {};
  });
  it('refuses subnets with host bits and overlapping subnets', () => {
    expect(checkSubnet('wireguard.subnet', '192.168.0.1/24')).toBe(
      'wireguard.subnet 192.168.0.1/24 has host bits set: write the network address, 192.168.0.0/24.',
    );
    expect(checkAnswer({ control_subnet: '10.0.0.0/16' }, 'wireguard.subnet', '10.0.1.0/24')).toMatch(
      /^wireguard\.subnet 10\.0\.1\.0\/24 overlaps control_subnet 10\.0\.0\.0\/16/,
    );
    expect(checkAnswer({}, 'wireguard.subnet', '192.168.10.0/24')).toBeUndefined();
  });
});
