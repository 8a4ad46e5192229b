/** Fleet size (issue 13): the reflectors accept every VTEP; the inventory grows with the fleet, not its square. */
import { mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { cli } from '../support/cli.js';

function fleet(hosts: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const clusters: Array<{ name: string; region: string; public_network: { ips: string[] }; hosts: Array<{ name: string; public_ip: string }> }> = [];
  for (let i = 0; i < hosts; i++) {
    const c = Math.floor(i / 50);
    clusters[c] ??= { name: `c${c}`, region: `r${c}`, public_network: { ips: [`203.0.113.${c + 1}`] }, hosts: [] };
    clusters[c]!.hosts.push({ name: `kvm${i}`, public_ip: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}` });
  }
  return {
    name: `fleet-${hosts}`,
    frontend: { address: '10.0.1.87' },
    ingress: { public_ip: '198.51.100.1' },
    clusters,
    wireguard: { subnet: '10.64.0.0/20' },
    networks: [{ name: 'net', network_address: '172.16.0.0', network_mask: '255.255.240.0', ar_start: '172.16.0.1', gateway: '172.16.0.1', ar_size: 2000 }],
    ...extra,
  };
}

async function du(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? await du(p) : (await stat(p)).size;
  }
  return n;
}

test('150 hosts: every reflector listens for every VTEP; a listen limit below the fleet is refused in one sentence', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ew-fleet-'));
  const file = join(dir, 'f.yaml');
  writeFileSync(file, stringify(fleet(150)));
  const out = join(dir, 'inv');
  expect((await cli('generate', '-f', file, '--out', out)).code).toBe(0);
  const inv = parse(await readFile(join(out, 'hosts.yml'), 'utf8'), { version: '1.1' });
  const reflectors = Object.keys(inv.router.hosts);
  expect(reflectors).toEqual(['ingress', 'kvm0', 'kvm50', 'kvm100']);
  for (const r of reflectors) {
    const hv = parse(await readFile(join(out, 'host_vars', `${r}.yml`), 'utf8'));
    // 151 mesh hosts: 150 others connect to each reflector (FRR's default of 100 would refuse 50).
    expect({ r, limit: hv.frr_layer_listen_limit >= 150 }).toEqual({ r, limit: true });
    // bgpd and bfdd hold a socket per session: frr.service's 1024 fds are raised past two per session.
    expect({ r, nofile: hv.frr_layer_nofile >= 1024 + 2 * 150 }).toEqual({ r, nofile: true });
  }
  writeFileSync(file, stringify(fleet(150, { bgp: { listen_limit: 100 } })));
  const bad = await cli('validate', '-f', file);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('bgp.listen_limit 100 is below the 150 VTEPs that connect to each reflector: raise it to at least 150, or leave it out.');
});

test('1000 hosts write at most 20 MB (the mesh once, in group_vars)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ew-fleet-'));
  const file = join(dir, 'f.yaml');
  writeFileSync(file, stringify(fleet(1000)));
  const out = join(dir, 'inv');
  expect((await cli('generate', '-f', file, '--out', out)).code).toBe(0);
  const bytes = await du(out);
  expect(bytes).toBeLessThanOrEqual(20e6);
  const mesh = parse(await readFile(join(out, 'group_vars/all/wireguard.yml'), 'utf8'));
  expect(mesh.wireguard_mesh).toHaveLength(1001);
  // No per-host previews at this size (each would list 1000 peers).
  await expect(stat(join(out, 'wireguard'))).rejects.toThrow();
}, 60_000);
