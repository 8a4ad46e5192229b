import { mkdtemp, readFile, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { cli } from '../support/cli.js';

const SEED = 'examples/seed-practical.yaml';

async function scenarioWith(edit: (d: ReturnType<typeof parseDocument>) => void): Promise<string> {
  const d = parseDocument(await readFile(SEED, 'utf8'));
  edit(d);
  const dir = await mkdtemp(join(tmpdir(), 'ew-scn-'));
  const file = join(dir, 'edge-wizard.yaml');
  await writeFile(file, d.toString());
  return file;
}

async function snapshot(dir: string): Promise<Record<string, { text: string; mtime: number; mode: number }>> {
  const out: Record<string, { text: string; mtime: number; mode: number }> = {};
  for (const sub of ['', 'host_vars', 'wireguard']) {
    for (const e of await readdir(join(dir, sub), { withFileTypes: true })) {
      if (!e.isFile()) continue;
      const p = join(dir, sub, e.name);
      const st = await stat(p);
      out[join(sub, e.name)] = { text: await readFile(p, 'utf8'), mtime: st.mtimeMs, mode: st.mode & 0o777 };
    }
  }
  return out;
}

test('a second generate changes no byte and touches no file', async () => {
  const out = await mkdtemp(join(tmpdir(), 'ew-regen-'));
  expect((await cli('generate', '-f', SEED, '--out', out)).code).toBe(0);
  const first = await snapshot(out);
  const r = await cli('generate', '-f', SEED, '--out', out);
  expect(r.out).toContain('wrote 0 new and 0 changed files, 9 unchanged');
  expect(await snapshot(out)).toEqual(first);
});

test("the user's own additions to hosts.yml survive regeneration", async () => {
  const out = await mkdtemp(join(tmpdir(), 'ew-user-'));
  await cli('generate', '-f', SEED, '--out', out);
  const path = join(out, 'hosts.yml');
  const text = (await readFile(path, 'utf8'))
    .replace('all:\n  vars:\n', 'all:\n  vars:\n    # my proxy for package downloads\n    http_proxy: http://proxy.example:3128\n')
    .replace('      public_interface: enp125s0\n', '      public_interface: enp125s0\n      my_rack: r12 # keep me\n');
  await writeFile(path, `${text}monitoring:\n  hosts:\n    prom1:\n      ansible_host: 10.0.1.50\n`);
  // Change a managed value too: the MTU.
  const changed = await scenarioWith((d) => {
    d.setIn(['wireguard', 'mtu'], 1400);
    d.setIn(['networks', 0, 'guest_mtu'], 1350);
  });
  expect((await cli('generate', '-f', changed, '--out', out)).code).toBe(0);
  const after = await readFile(path, 'utf8');
  expect(after).toContain('# my proxy for package downloads\n    http_proxy: http://proxy.example:3128');
  expect(after).toContain('my_rack: r12 # keep me');
  expect(after).toContain('monitoring:\n  hosts:\n    prom1:');
  const inv = parse(after, { version: '1.1' });
  expect(inv.all.vars.vn['private_evpn-vxlan'].template.GUEST_MTU).toBe(1350);
  expect(inv.all.vars.vn['private_evpn-vxlan'].template.MTU).toBe(1350);
  // Running again on the merged file is stable.
  const again = await snapshot(out);
  await cli('generate', '-f', changed, '--out', out);
  expect(await snapshot(out)).toEqual(again);
});

test('WireGuard addresses never change when hosts are added before others or removed', async () => {
  const out = await mkdtemp(join(tmpdir(), 'ew-addr-'));
  await cli('generate', '-f', SEED, '--out', out);
  const inserted = await scenarioWith((d) => {
    const hosts = d.getIn(['clusters', 0, 'hosts']) as { items: unknown[] };
    hosts.items.unshift(d.createNode({ name: 'kvm_london2', public_ip: '203.0.113.50' }));
  });
  expect((await cli('generate', '-f', inserted, '--out', out)).code).toBe(0);
  const addr = async (h: string) => parse(await readFile(join(out, 'host_vars', `${h}.yml`), 'utf8')).wireguard_address;
  expect(await addr('ingress')).toBe('192.168.0.1/24');
  expect(await addr('kvm_london')).toBe('192.168.0.2/24');
  expect(await addr('kvm_ncalifornia')).toBe('192.168.0.3/24');
  expect(await addr('kvm_london2')).toBe('192.168.0.4/24');
  const inv = parse(await readFile(join(out, 'hosts.yml'), 'utf8'), { version: '1.1' });
  expect(Object.keys(inv.node.hosts)).toEqual(['kvm_london', 'kvm_ncalifornia', 'kvm_london2']);

  const removed = await scenarioWith((d) => {
    d.deleteIn(['clusters', 0, 'hosts', 0]);
    d.setIn(['clusters', 0, 'hosts', 0], d.createNode({ name: 'kvm_london2', public_ip: '203.0.113.50' }));
  });
  expect((await cli('generate', '-f', removed, '--out', out)).code).toBe(0);
  expect(await addr('kvm_london2')).toBe('192.168.0.4/24');
  expect(await addr('kvm_ncalifornia')).toBe('192.168.0.3/24');
  const inv2 = parse(await readFile(join(out, 'hosts.yml'), 'utf8'), { version: '1.1' });
  expect(Object.keys(inv2.node.hosts).sort()).toEqual(['kvm_london2', 'kvm_ncalifornia']);
});

test('--dry-run prints a diff with secrets masked and writes nothing', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'ew-dry-')), 'inv');
  const r = await cli('generate', '-f', SEED, '--out', out, '--dry-run');
  expect(r.code).toBe(0);
  expect(r.out).toContain('+++ b/hosts.yml');
  // A plain password is left out of hosts.yml (docs/one-deploy.md): neither it nor its key is shown.
  expect(r.out).not.toContain('one_pass:');
  expect(r.out).not.toContain('opennebula\n');
  expect(r.out).toContain('(dry run: nothing written)');
  await expect(stat(out)).rejects.toThrow();
});

test('a password from the environment or a vault keeps the secret out of hosts.yml, which is then 0644', async () => {
  const out = await mkdtemp(join(tmpdir(), 'ew-env-'));
  const env = await scenarioWith((d) => d.setIn(['opennebula', 'password'], d.createNode({ env: 'ONE_PASS' })));
  await cli('generate', '-f', env, '--out', out);
  const text = await readFile(join(out, 'hosts.yml'), 'utf8');
  expect(text).toContain(`one_pass: "{{ lookup('ansible.builtin.env', 'ONE_PASS') }}"`);
  expect((await stat(join(out, 'hosts.yml'))).mode & 0o777).toBe(0o644);

  const out2 = await mkdtemp(join(tmpdir(), 'ew-vault-'));
  const vault = '$ANSIBLE_VAULT;1.1;AES256\n6162636465\n';
  const v = await scenarioWith((d) => d.setIn(['opennebula', 'password'], d.createNode({ vault })));
  await cli('generate', '-f', v, '--out', out2);
  expect(await readFile(join(out2, 'hosts.yml'), 'utf8')).toContain('one_pass: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6162636465\n');
  // And it stays byte-identical on a second run.
  const before = await readFile(join(out2, 'hosts.yml'), 'utf8');
  await cli('generate', '-f', v, '--out', out2);
  expect(await readFile(join(out2, 'hosts.yml'), 'utf8')).toBe(before);
});
