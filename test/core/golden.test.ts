import { mkdir, mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../src/adapters/ansible.js';
import { cli } from '../support/cli.js';

const EXPECTED = 'test/fixtures/seed-practical/expected';

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/** Every key and value of `want` is in `have` (extra keys in `have` are fine). */
function expectSuperset(have: unknown, want: unknown, path = ''): void {
  if (want && typeof want === 'object' && !Array.isArray(want)) {
    expect(have).toBeInstanceOf(Object);
    for (const [k, v] of Object.entries(want)) expectSuperset((have as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    expect({ path, value: have }).toEqual({ path, value: want });
  }
}

/** ansible.cfg holds where edge-wizard and one-deploy are on this machine: the golden file names them <edge-wizard> and <one-deploy>. */
let oneDeploy: string;
const machineFree = (f: string, text: string) =>
  f === 'ansible.cfg' ? text.split(PACKAGE_ROOT).join('<edge-wizard>').split(oneDeploy).join('<one-deploy>') : text;

describe('seed practical scenario', () => {
  let out: string;
  const saved = process.env.ONE_DEPLOY_DIR;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'ew-golden-'));
    // A one-deploy as findOneDeploy recognises one, so that the file does not depend on this machine's.
    oneDeploy = await mkdtemp(join(tmpdir(), 'ew-golden-one-deploy-'));
    await mkdir(join(oneDeploy, 'ansible_collections/opennebula/deploy/roles/frr/evpn'), { recursive: true });
    process.env.ONE_DEPLOY_DIR = oneDeploy;
    const r = await cli('generate', '-f', 'examples/seed-practical.yaml', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.ONE_DEPLOY_DIR;
    else process.env.ONE_DEPLOY_DIR = saved;
  });

  test('generates exactly the golden files', async () => {
    const files = await listFiles(out);
    expect(files).toEqual(await listFiles(EXPECTED));
    for (const f of files) {
      expect({ f, text: machineFree(f, await readFile(join(out, f), 'utf8')) }).toEqual({ f, text: await readFile(join(EXPECTED, f), 'utf8') });
    }
  });

  test('hosts.yml holds every key and value of the seed inventory, but for the three deliberate removals and the VXLAN port', async () => {
    const seed = parse(await readFile('test/fixtures/seed-practical/seed-inventory.yml', 'utf8'));
    const generated = parse(await readFile(join(out, 'hosts.yml'), 'utf8'), { version: '1.1' });
    // Safe next to one-deploy's other playbooks (README, "What the inventory is for"): the frontend is in
    // edge_frontend (named by frontend_group), not one-deploy's `frontend`, and there is no `ds`.
    expect(generated.frontend).toBeUndefined();
    expect(generated.all.vars.ds).toBeUndefined();
    expect(seed.all.vars.ds).toEqual({ mode: 'ssh' });
    const { frontend, ...seedRest } = seed;
    // And no plain one_pass: nothing edge-wizard runs reads it, one-deploy's frontend roles would (docs/one-deploy.md).
    expect(generated.all.vars.one_pass).toBeUndefined();
    expect(seed.all.vars.one_pass).toBe('opennebula');
    const { ds: _ds, one_pass: _pass, ...seedVars } = seed.all.vars;
    // And the IANA VXLAN port, which the seed's nolearning= alone leaves to the kernel (8472; docs/lab.md).
    expect(seedVars.vn['private_evpn-vxlan'].template.IP_LINK_CONF).toBe('nolearning=');
    seedVars.vn['private_evpn-vxlan'].template.IP_LINK_CONF = 'nolearning=,dstport=4789';
    expectSuperset(generated, { ...seedRest, all: { ...seed.all, vars: seedVars }, [generated.all.vars.frontend_group]: frontend });
  });

  test('the deliberate additions are there', async () => {
    const inv = parse(await readFile(join(out, 'hosts.yml'), 'utf8'), { version: '1.1' });
    const tpl = inv.all.vars.vn['private_evpn-vxlan'].template;
    expect(tpl.MTU).toBe(1370);
    expect(tpl.VXLAN_TEP).toBe('local_ip');
    expect(tpl.IP_LINK_CONF).toBe('nolearning=,dstport=4789');
    expect(tpl.AUTOMATIC_VLAN_ID).toBe('YES'); // a string, not YAML 1.1's boolean
    expect(inv.all.vars.evpn_cluster_id).toBe('10.0.1.87');
    expect(inv.all.vars.one_version).toBe('6.8');
    expect(inv.all.vars.frontend_group).toBe('edge_frontend');
    expect(Object.keys(inv.edge_frontend.hosts)).toEqual(['fe1']);
  });

  test('the WireGuard plan matches the seed example configs', async () => {
    const ingress = parse(await readFile(join(out, 'host_vars/ingress.yml'), 'utf8'));
    expect(ingress.wireguard_address).toBe('192.168.0.1/24');
    expect(ingress.wireguard_peers).toBeUndefined(); // the mesh is written once, in group_vars
    const mesh = parse(await readFile(join(out, 'group_vars/all/wireguard.yml'), 'utf8'));
    expect(mesh.wireguard_peers).toBe("{{ wireguard_mesh | rejectattr('name', 'equalto', inventory_hostname) | list }}");
    expect(mesh.wireguard_mesh).toEqual([
      { name: 'ingress', endpoint: '13.58.199.98:51820', allowed_ips: '192.168.0.1/32', persistent_keepalive: 25 },
      { name: 'kvm_london', endpoint: '18.134.246.200:51820', allowed_ips: '192.168.0.2/32', persistent_keepalive: 25 },
      { name: 'kvm_ncalifornia', endpoint: '18.144.25.41:51820', allowed_ips: '192.168.0.3/32', persistent_keepalive: 25 },
    ]);
    const conf = await readFile(join(out, 'wireguard/kvm_ncalifornia.conf'), 'utf8');
    // The seed writes Address = 192.168.0.3/24; deliberately a /32 and a route to the same subnet here, so that
    // FRR's BFD sessions are multi-hop and outlive a wg0 restart (docs/resilience.md).
    expect(conf).toContain('Address = 192.168.0.3/32\nListenPort = 51820\nMTU = 1420');
    expect(conf).toContain('PostUp = ip -4 route replace 192.168.0.0/24 dev %i');
    expect(conf).toContain('AllowedIPs = 192.168.0.1/32\nEndpoint = 13.58.199.98:51820');
    expect(conf).toContain('AllowedIPs = 192.168.0.2/32\nEndpoint = 18.134.246.200:51820');
  });

  test('hosts.yml of a scenario with a plain password is 0600 (though it leaves the password out), the rest 0644', async () => {
    expect((await stat(join(out, 'hosts.yml'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(out, 'host_vars/ingress.yml'))).mode & 0o777).toBe(0o644);
  });

  test('the shipped playbook is the seed playbook, its roles named as one-deploy names them', async () => {
    // opennebula.deploy.frr.common (the seed) is frr/common under the play's collections list (ours, as in
    // one-deploy's site.yml): the FQCN form loops on ansible-core 2.14 (playbooks/frr-evpn.yml).
    type Play = { name: string; hosts: string; gather_facts?: boolean; collections?: string[]; roles?: { role: string }[] };
    const fqcn = (p: Play): Play => ({
      name: p.name,
      hosts: p.hosts,
      ...(p.gather_facts === undefined ? {} : { gather_facts: p.gather_facts }),
      ...(p.roles ? { roles: p.roles.map((r) => ({ role: p.collections ? `${p.collections[0]}.${r.role.replace('/', '.')}` : r.role })) } : {}),
    });
    const seed = parse(await readFile('test/fixtures/seed-practical/seed-playbook.yml', 'utf8')) as Play[];
    const ours = parse(await readFile('playbooks/frr-evpn.yml', 'utf8')) as Play[];
    expect(ours.map(fqcn)).toEqual(seed);
    expect(ours[1]!.collections).toEqual(['opennebula.deploy']);
  });
});
