/**
 * The hand path works as printed: the generated ansible.cfg names edge-wizard's roles and
 * one-deploy's collection, so `ANSIBLE_CONFIG=$PWD/ansible.cfg ansible-playbook
 * <edge-wizard>/playbooks/site.yml` (the line ansible.cfg prints) passes --syntax-check and
 * lists the FRR layer's tasks, with no ANSIBLE_* variable from edge-wizard's environment and
 * from any directory. `deploy --dry-run`'s printed environment runs each printed playbook too.
 * Real ansible-playbook against one-deploy from ONE_DEPLOY_DIR (default /opt/one-deploy);
 * SKIPPED when it is absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { cli } from '../support/cli.js';

const ONE_DEPLOY = process.env.ONE_DEPLOY_DIR ?? '/opt/one-deploy';
const present = existsSync(join(ONE_DEPLOY, 'ansible_collections/opennebula/deploy/roles/frr/evpn'));
if (!present) console.warn(`SKIPPED: no one-deploy in ${ONE_DEPLOY} (set ONE_DEPLOY_DIR): the hand path through ansible.cfg is not run.`);
const maybe = present ? describe : describe.skip;

/** This process's environment without anything that points Ansible somewhere (only what the printed line sets counts). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_') && k !== 'ONE_DEPLOY_DIR'));
  return { ...env, ANSIBLE_NOCOLOR: '1', ...extra };
}

function playbook(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync('ansible-playbook', args, { cwd, env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

maybe('the hand path (one-deploy from ' + ONE_DEPLOY + ')', () => {
  let out: string;
  const saved = process.env.ONE_DEPLOY_DIR;
  beforeAll(async () => {
    process.env.ONE_DEPLOY_DIR = ONE_DEPLOY;
    out = mkdtempSync(join(tmpdir(), 'ew-hand-'));
    const r = await cli('generate', '-f', 'examples/seed-practical.yaml', '--out', out);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.ONE_DEPLOY_DIR;
    else process.env.ONE_DEPLOY_DIR = saved;
  });

  /** The command ansible.cfg prints, taken from the file itself. */
  function printedSite(): string {
    const m = /^# {3}ANSIBLE_CONFIG=\$PWD\/ansible\.cfg ansible-playbook -e @\.deploy-vars\.json (\S+)$/m.exec(readFileSync(join(out, 'ansible.cfg'), 'utf8'));
    expect(m).not.toBeNull();
    return m![1]!;
  }

  test('ansible.cfg names the roles and the collection it was generated with', () => {
    const cfg = readFileSync(join(out, 'ansible.cfg'), 'utf8');
    expect(cfg).toMatch(/^roles_path = \/\S+\/roles$/m);
    expect(cfg).toContain(`collections_path = ${join(ONE_DEPLOY, 'ansible_collections')}\n`);
  });

  test('as printed, from the inventory directory: --syntax-check passes and --list-tasks has the FRR layer', () => {
    const env = cleanEnv({ ANSIBLE_CONFIG: join(out, 'ansible.cfg') });
    const syntax = playbook([printedSite(), '--syntax-check'], out, env);
    expect({ status: syntax.status, stderr: syntax.stderr }).toEqual({ status: 0, stderr: '' });
    const list = playbook([printedSite(), '--list-tasks'], out, env);
    expect(list.status).toBe(0);
    const tasks = list.stdout.split('\n').filter((l) => /^\s+frr_layer : /.test(l));
    expect(tasks.length).toBeGreaterThan(0);
    // one-deploy's roles resolve through collections_path.
    expect(list.stdout).toMatch(/^\s+opennebula\.deploy\.frr\/evpn : /m);
  });

  test('from another directory with the same ANSIBLE_CONFIG, the paths still hold', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'ew-hand-cwd-'));
    const r = playbook([printedSite(), '--syntax-check'], elsewhere, cleanEnv({ ANSIBLE_CONFIG: join(out, 'ansible.cfg') }));
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test("without ansible.cfg's paths (the old file) the same line fails: the test can tell", () => {
    const bare = mkdtempSync(join(tmpdir(), 'ew-hand-bare-'));
    execFileSync('sh', ['-c', 'grep -v "^roles_path\\|^collections_path" "$1" > "$2"', 'sh', join(out, 'ansible.cfg'), join(bare, 'ansible.cfg')]);
    execFileSync('cp', [join(out, 'hosts.yml'), bare]);
    const r = playbook([printedSite(), '--syntax-check'], bare, cleanEnv({ ANSIBLE_CONFIG: join(bare, 'ansible.cfg') }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/role '\w+' was not found/);
  });

  test('deploy --dry-run: each printed playbook passes --syntax-check with the printed environment', async () => {
    const key = mkdtempSync(join(tmpdir(), 'ew-hand-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(key, 'id')]);
    const r = await cli('deploy', '-f', 'examples/seed-practical.yaml', '--out', out, '--dry-run', '--identity', join(key, 'id'));
    expect(r.code).toBe(0);
    const envLine = /^Would run \(env (.*)\):$/m.exec(r.out);
    expect(envLine).not.toBeNull();
    const env = Object.fromEntries(envLine![1]!.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    expect(Object.keys(env)).toEqual(['ANSIBLE_CONFIG', 'ANSIBLE_ROLES_PATH', 'ANSIBLE_COLLECTIONS_PATH']);
    const runs = [...r.out.matchAll(/^ {2}[\w-]+: ansible-runner run .* --inventory (\S+) .* -p (\S+)$/gm)];
    expect(runs.map((m) => m[2]!.split('/').pop())).toEqual(expect.arrayContaining(['root-access.yml', 'wireguard.yml', 'frr-evpn.yml', 'frr-layer.yml']));
    for (const [, inventory, book] of runs) {
      const s = playbook(['-i', inventory!, book!, '--syntax-check'], tmpdir(), cleanEnv(env));
      expect({ book, status: s.status, stderr: s.stderr }).toEqual({ book, status: 0, stderr: '' });
    }
  }, 120_000);
});
