/** playbooks/precheck.yml (real ansible-playbook, controller only) on a generated hub inventory, as deploy runs it. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { applyDefaults } from '../../src/core/defaults.js';
import { planMesh, precheckPeerVars } from '../../src/core/wireguard/mesh.js';
import { cli } from '../support/cli.js';
import { hubInput as input } from '../support/hub.js';

const ANSIBLE = spawnSync('ansible-playbook', ['--version']).status === 0;
(ANSIBLE ? test : test.skip)(
  'precheck.yml accepts the hub plan and names a spoke whose peer was changed',
  async () => {
    const out = await mkdtemp(join(tmpdir(), 'ew-hub-pre-'));
    const i = input([3, 2]);
    const dir = await mkdtemp(join(tmpdir(), 'ew-hub-'));
    await writeFile(join(dir, 's.yaml'), stringify(i));
    expect((await cli('generate', '-f', join(dir, 's.yaml'), '--out', out)).code).toBe(0);
    const m = planMesh(applyDefaults(i));
    const vars = join(dir, 'vars.json');
    await writeFile(vars, JSON.stringify({ ew_mesh_addresses: Object.fromEntries(m.hosts.map((h) => [h.name, h.address])), ...precheckPeerVars(m) }));
    const run = () =>
      spawnSync('ansible-playbook', ['-i', join(out, 'hosts.yml'), '-e', `@${vars}`, 'playbooks/precheck.yml'], {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_ROLES_PATH: 'roles', ANSIBLE_NOCOLOR: '1' },
      });
    const ok = run();
    expect({ rc: ok.status, out: ok.status === 0 ? '' : ok.stdout }).toEqual({ rc: 0, out: '' });
    const spoke = join(out, 'host_vars', 'c0h1.yml');
    await writeFile(spoke, (await readFile(spoke, 'utf8')).replace('  - name: c0h0\n', '  - name: c1h0\n'));
    const bad = run();
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain('c0h1: inconsistent WireGuard plan');
    expect(bad.stdout).toContain('one peer per planned peer (c0h0; found c1h0)');
  },
  60_000,
);
