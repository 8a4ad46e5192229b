/**
 * `generate --into` against one-deploy itself: the seed's own inventory (the team's) with the overlay
 * merged in, read by the real ansible-playbook / ansible-inventory and one-deploy's `main` and `site`.
 * No host is touched (--list-hosts --list-tasks, ansible-inventory, ansible -m debug on localhost vars).
 * What it shows: the merge changes which hosts one-deploy's plays run on only where the overlay needs it
 * (the reflecting KVM hosts join `router`), every var one-deploy's FRR roles and edge-wizard's roles read
 * on the overlay's hosts is what the overlay-only inventory gives them (so frr.evpn renders the same
 * bgpd.conf the deploy did), and the delegated tasks resolve as they did before the merge (leader: fe1).
 * Runs against the pinned one-deploy (from the mirror) and this machine's (ONE_DEPLOY_DIR, /opt/one-deploy);
 * SKIPPED loudly without either. The lab proof is bench/into-proof.ts (docs/one-deploy.md).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oneDeployCollections } from '../support/one-deploy-collections.js';
import { cli } from '../support/cli.js';

const collections = oneDeployCollections();
if (!collections.length) {
  console.warn('SKIPPED: no one-deploy (no mirror, no ONE_DEPLOY_DIR, no /opt/one-deploy): generate --into is not checked against one-deploy.');
  test.skip('SKIPPED: no one-deploy', () => undefined);
}

const CONFIG = join(mkdtempSync(join(tmpdir(), 'ew-cfg-')), 'ansible.cfg');
writeFileSync(CONFIG, '[defaults]\n');
const SEED = 'test/fixtures/seed-practical/seed-inventory.yml';
const MESH = ['ingress', 'kvm_london', 'kvm_ncalifornia'];

let merged: string;
let overlay: string;
beforeAll(async () => {
  const site = mkdtempSync(join(tmpdir(), 'ew-into-site-'));
  merged = join(site, 'hosts.yml');
  copyFileSync(SEED, merged);
  const r = await cli('generate', '-f', 'examples/seed-practical.yaml', '--into', merged);
  expect({ code: r.code, err: r.err.replace(/^note: .*\n/gm, '') }).toEqual({ code: 0, err: '' });
  const out = mkdtempSync(join(tmpdir(), 'ew-into-overlay-'));
  expect((await cli('generate', '-f', 'examples/seed-practical.yaml', '--out', out)).code).toBe(0);
  overlay = join(out, 'hosts.yml');
});

const env = (collectionsPath: string) => ({ ...process.env, ANSIBLE_COLLECTIONS_PATH: collectionsPath, ANSIBLE_CONFIG: CONFIG, ANSIBLE_NOCOLOR: '1' });

interface Play {
  n: number;
  pattern: string;
  hosts: string[];
  tasks: string[];
}

function listPlays(collectionsPath: string, inventory: string, playbook: string): Play[] {
  const r = spawnSync('ansible-playbook', ['-i', inventory, playbook, '--list-hosts', '--list-tasks'], { encoding: 'utf8', env: env(collectionsPath) });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
  const res: Play[] = [];
  let cur: Play | undefined;
  let section: 'hosts' | 'tasks' | undefined;
  for (const line of r.stdout.split('\n')) {
    const p = /^ {2}play #(\d+) /.exec(line);
    if (p) {
      res.push((cur = { n: Number(p[1]), pattern: '', hosts: [], tasks: [] }));
      section = undefined;
    } else if (cur && /^ {4}pattern: /.test(line)) cur.pattern = line.trim().slice('pattern: '.length);
    else if (cur && /^ {4}hosts \(\d+\):$/.test(line)) section = 'hosts';
    else if (cur && /^ {4}tasks:$/.test(line)) section = 'tasks';
    else if (cur && section && /^ {6}\S/.test(line)) cur[section].push(line.trim().split('\t')[0]!);
  }
  for (const p of res) p.hosts.sort();
  return res;
}

/** Each host's variables and the groups router and node, as Ansible resolves the inventory (group_vars/host_vars included). */
function inventory(collectionsPath: string, file: string): { hostvars: Record<string, Record<string, unknown>>; groups: Record<string, string[]> } {
  const r = spawnSync('ansible-inventory', ['-i', file, '--list'], { encoding: 'utf8', env: env(collectionsPath) });
  expect(r.status).toBe(0);
  const list = JSON.parse(r.stdout) as Record<string, { hosts?: string[]; children?: string[] }> & {
    _meta: { hostvars: Record<string, Record<string, unknown>> };
  };
  const members = (g: string): string[] => [...(list[g]?.hosts ?? []), ...(list[g]?.children ?? []).flatMap(members)];
  return { hostvars: list._meta.hostvars, groups: { router: [...new Set(members('router'))].sort(), node: [...new Set(members('node'))].sort() } };
}

/** What one-deploy's frr/common + frr/evpn and edge-wizard's roles read on a mesh host. */
const OVERLAY_VARS = /^(evpn_|wireguard_|frr_layer_|features$|edge_cluster$|aws_reject_rule$|public_interface$|ansible_host$)/;

describe.each(collections)('one-deploy %s with the merged inventory', (_what, collectionsPath) => {
  test('main (pre + site): the same plays and tasks as with their inventory alone; only router gains the reflecting KVM hosts', () => {
    const before = listPlays(collectionsPath, SEED, 'opennebula.deploy.main');
    const after = listPlays(collectionsPath, merged, 'opennebula.deploy.main');
    expect(after.map((p) => [p.n, p.pattern, p.tasks])).toEqual(before.map((p) => [p.n, p.pattern, p.tasks]));
    const changed = after.filter((p, i) => p.hosts.join() !== before[i]!.hosts.join()).map((p) => ({ pattern: p.pattern, hosts: p.hosts }));
    expect(changed.length).toBeGreaterThanOrEqual(1);
    for (const c of changed) expect(c).toEqual({ pattern: "['router']", hosts: MESH });
    // Their frontend is still theirs: every frontend play has fe1, as before the merge.
    const fe = after.filter((p) => p.pattern === "['frontend']");
    expect(fe.length).toBeGreaterThanOrEqual(2);
    for (const p of fe) expect(p.hosts).toEqual(['fe1']);
  });

  test('every var the FRR roles and ours read on the mesh hosts is what the overlay-only inventory gives (one bgpd.conf, not two)', () => {
    const a = inventory(collectionsPath, overlay);
    const b = inventory(collectionsPath, merged);
    expect(b.groups).toEqual(a.groups);
    for (const h of MESH) {
      const pick = (v: Record<string, unknown>) => Object.fromEntries(Object.entries(v).filter(([k]) => OVERLAY_VARS.test(k)));
      expect({ h, vars: pick(b.hostvars[h]!) }).toEqual({ h, vars: pick(a.hostvars[h]!) });
    }
    // Their own vars are theirs: ds, vn and their plain one_pass reach one-deploy as before; ours add none of them.
    expect(b.hostvars.fe1).toMatchObject({ ds: { mode: 'ssh' }, one_pass: 'opennebula' });
    expect(b.hostvars.fe1!.frontend_group).toBeUndefined();
  });

  test("what one-deploy would still change on the overlay's hosts, as docs/one-deploy.md says: its own pre.yml helpers, from their inventory, not from the merge", () => {
    const ps = listPlays(collectionsPath, merged, 'opennebula.deploy.main');
    const on = (host: string) => new Set(ps.filter((p) => p.hosts.includes(host)).flatMap((p) => p.tasks));
    // Seen changing in check mode on the lab (bench/into-proof.ts): python3-ruamel.yaml installed on every host; one-deploy's
    // logrotate and rsyslog configs on the KVM hosts and fe1 (rsyslog restarted); root's key pair made on fe1 (ensure_keys_for).
    for (const h of ['kvm_london', 'kvm_ncalifornia']) {
      for (const t of ['opennebula.deploy.helper/python3 : Install python3 packages', 'opennebula.deploy.kvm : Add this KVM Node to OpenNebula'])
        expect({ h, t, listed: on(h).has(t) }).toEqual({ h, t, listed: true });
    }
    // helper/logs is a dynamic include_role (not listed by --list-tasks): its tasks, read from the role files.
    const roles = join(
      collectionsPath.endsWith('ansible_collections') ? collectionsPath : join(collectionsPath, 'ansible_collections'),
      'opennebula/deploy/roles',
    );
    expect(readFileSync(join(roles, 'helper/logs/logrotate/tasks/main.yml'), 'utf8')).toContain('name: Render logrotate configs');
    expect(readFileSync(join(roles, 'helper/logs/rsyslog/tasks/main.yml'), 'utf8')).toContain('name: Render rsyslog configs');
    expect(readFileSync(join(roles, 'helper/python3/defaults/main.yml'), 'utf8')).toContain('python3-ruamel.yaml');
    expect(on('ingress').has('opennebula.deploy.helper/python3 : Install python3 packages')).toBe(true);
    expect(on('fe1').has('opennebula.deploy.helper/keys : Create id_rsa/.pub keypairs')).toBe(true);
    // Their vn entry reaches oned through the frontend play's network/frontend role ("Update VNETs"): the note generate --into prints.
    expect(on('fe1').has('opennebula.deploy.network/frontend : Update VNETs')).toBe(true);
  });

  test("the delegated tasks resolve as before the merge: leader is fe1, their frontend, and the KVM hosts' onehost name is their ansible_host", () => {
    const node = (ps: Play[]) => ps.filter((p) => p.pattern === "['node']").map((p) => [p.hosts, p.tasks]);
    expect(node(listPlays(collectionsPath, merged, 'opennebula.deploy.site'))).toEqual(node(listPlays(collectionsPath, SEED, 'opennebula.deploy.site')));
    const r = spawnSync(
      'ansible',
      [
        '-i',
        merged,
        'kvm_london',
        '-m',
        'ansible.builtin.debug',
        '-a',
        JSON.stringify({ msg: "{{ one_vip | d(groups[frontend_group | d('frontend')] | first) }} {{ ansible_host }}" }),
      ],
      { encoding: 'utf8', env: env(collectionsPath) },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/"msg": "fe1 18\.134\.246\.200"/);
  });
});
