/**
 * Scenario strings are data, never code, proven with the real Ansible: hostile
 * strings (Jinja expressions, statements and comments, shell, quotes, newlines,
 * YAML indicators) in every free-form field that reaches Ansible go through
 * generate and a deploy (fake runner), then are read back by the real
 * `ansible-inventory --list`, the real `ansible -m debug` with the deploy's
 * extra-vars files, and a real ansible-runner run of a debug playbook: each
 * value comes back byte for byte and no command runs (the sentinel files of
 * their `lookup('pipe', 'touch ...')` never appear). The fields that must not
 * hold such strings (user names, --restrict-from, proxy_jump) refuse them with
 * one sentence, exit 2.
 *
 * SKIPPED loudly when ansible-core is not installed.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { runDeploy } from '../../src/cli/commands/deploy.js';
import { realExec } from '../../src/adapters/exec.js';
import { runnerArgv, runnerEnv, writeRunnerFiles, type RunnerRun } from '../../src/adapters/runner.js';
import { fakeRunner } from '../support/fake-runner.js';
import { cli } from '../support/cli.js';

const SEED = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
const root = mkdtempSync(join(tmpdir(), 'ew-ansible-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
/** No ansible.cfg of this machine or of the cwd. */
writeFileSync(join(root, 'empty.cfg'), '[defaults]\n');

const which = (p: string) => spawnSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).stdout.trim();
const ANSIBLE = which('ansible-inventory') && which('ansible');
const RUNNER = which('ansible-runner');
if (!ANSIBLE)
  console.warn('\n*** SKIPPED: test/hostile/ansible-data.test.ts needs ansible-core (ansible-inventory, ansible): install it (scripts/bootstrap.sh) ***\n');

/** A command that leaves a file behind if Ansible ever runs it. */
const touch = (n: number) => `touch ${join(root, `pwned-${n}`)}`;
const sentinels = () => readdirSync(root).filter((f) => f.startsWith('pwned-'));

/** Accepted fields: hostile, and still valid for their field. */
const SSH_ARGS = `-o SetEnv=A={{lookup('pipe','${touch(1)}')}} -o "SetEnv=B={% set x = lookup('pipe','${touch(2)}') %}" -o SetEnv=C={#`;
const KEY_PATH = `/k/{{ lookup('pipe','${touch(3)}') }}/$(${touch(4)})/\`id\`/"q'/#}/{%raw%}`;
const PASSWORD = `pw{{ lookup('pipe','${touch(5)}') }}{% endraw %}{#\n"' : - [x] &a *a !t`;
const KEY_COMMENT = `{{ lookup('pipe','${touch(6)}') }} {% for x in y %}"`;
const PUBKEY = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsFakeKeyForTestsFakeKeyFo ${KEY_COMMENT}`;
const RESTRICT = '203.0.113.0/24,2001:db8::7';

function scenario(edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(SEED);
  edit(doc);
  return doc.toString();
}

/** ansible-inventory --list prints unsafe values as {"__ansible_unsafe": "..."}: the string itself. */
function unwrap(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrap);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.__ansible_unsafe === 'string') return o.__ansible_unsafe;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrap(x)]));
  }
  return v;
}

describe('hostile strings reach the real Ansible as data', () => {
  const dir = join(root, 'accepted');
  const file = join(dir, 'edge-wizard.yaml');
  const out = join(dir, 'inv');
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      file,
      scenario((d) => {
        d.setIn(['opennebula', 'password'], PASSWORD);
        d.setIn(['frontend', 'oneprovision_key'], KEY_PATH);
        d.setIn(['ansible'], d.createNode({ ssh_common_args: SSH_ARGS }));
        d.setIn(['clusters', 0, 'region'], `{{ lookup('pipe','${touch(7)}') }}`);
        d.setIn(['clusters', 0, 'public_network', 'name'], `{% raw %}{{ lookup('pipe','${touch(8)}') }}`);
      }),
      { mode: 0o600 },
    );
    writeFileSync(join(dir, 'id_ed25519.pub'), `${PUBKEY}\n`);
  });

  test('generate twice (exit 0, same bytes), a deploy with a fake runner, then ansible-inventory, ansible -m debug and ansible-runner read every value back literally', async () => {
    const g1 = await cli('generate', '-f', file, '--out', out);
    expect(g1.code).toBe(0);
    const first = readFileSync(join(out, 'hosts.yml'), 'utf8');
    expect((await cli('generate', '-f', file, '--out', out)).code).toBe(0);
    expect(readFileSync(join(out, 'hosts.yml'), 'utf8')).toBe(first);
    expect(first).toContain('!unsafe');

    const exec = fakeRunner([
      { match: (f, a) => f === 'ansible-playbook' && a[0] === '--version', result: { stdout: 'ansible-playbook [core 2.14.18]\n' } },
      { match: (f) => f === 'ansible-playbook', result: { stdout: 'PLAY RECAP *********\n' } },
    ]);
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    await runDeploy(
      { file, out, identity: join(dir, 'id_ed25519'), restrictFrom: RESTRICT, yes: true, opennebula: false, only: 'root-access', renderer: 'silent' },
      { out: sink, err: sink, debug: false },
      {
        exec,
        now: Date.now,
        env: { ...process.env, NODE_ENV: 'test' },
        isTTY: false,
        confirm: async () => true,
        findCollections: () => '/nonexistent/ansible_collections',
      },
    );
    const deployVars = join(out, '.deploy-vars.json');
    expect(existsSync(deployVars)).toBe(true);
    const runs = readdirSync(join(out, 'runner'));
    const runnerVars = join(out, 'runner', runs[runs.length - 1]!, 'env', 'extravars');
    expect(existsSync(runnerVars)).toBe(true);
    if (!ANSIBLE) return;

    // The real ansible-inventory: every value as written in the scenario.
    const listed = unwrap(JSON.parse(execFileSync('ansible-inventory', ['-i', join(out, 'hosts.yml'), '--list'], { encoding: 'utf8', cwd: dir }))) as {
      _meta: { hostvars: Record<string, Record<string, unknown>> };
    };
    const fe = listed._meta.hostvars.fe1!;
    // A plain password never reaches the inventory (nothing edge-wizard runs reads it: docs/one-deploy.md).
    expect(fe.one_pass).toBeUndefined();
    expect(fe.ansible_ssh_common_args).toBe(`${SSH_ARGS} -o ProxyJump=root@ec2-13-58-199-98.us-east-2.compute.amazonaws.com`);
    expect(listed._meta.hostvars.kvm_london!.ansible_ssh_common_args).toBe(SSH_ARGS);

    // The real `ansible -m debug`: the values templated as a task would use them, with both extra-vars files.
    const msg = '{{ [one_pass, ansible_ssh_common_args, root_access_oneprovision_key, root_access_public_key, root_access_from] }}';
    const debug = spawnSync(
      'ansible',
      ['fe1', '-i', join(out, 'hosts.yml'), '-e', `@${deployVars}`, '-e', `@${runnerVars}`, '-m', 'ansible.builtin.debug', '-a', `msg=${msg}`],
      {
        encoding: 'utf8',
        cwd: dir,
        env: { ...process.env, ANSIBLE_LOAD_CALLBACK_PLUGINS: '1', ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_CONFIG: join(root, 'empty.cfg') },
      },
    );
    expect(debug.status).toBe(0);
    const shown = JSON.parse(debug.stdout).plays[0].tasks[0].hosts.fe1.msg as string[];
    // one_pass is withheld by the runner's extra vars, exactly as every deploy run gets it.
    expect(shown).toEqual(['(withheld by edge-wizard)', fe.ansible_ssh_common_args, KEY_PATH, PUBKEY, RESTRICT]);
    // And without the runner's extra vars there is no one_pass at all: the inventory does not hold it.
    const pw = spawnSync('ansible', ['fe1', '-i', join(out, 'hosts.yml'), '-m', 'ansible.builtin.debug', '-a', 'var=one_pass'], {
      encoding: 'utf8',
      cwd: dir,
      env: { ...process.env, ANSIBLE_LOAD_CALLBACK_PLUGINS: '1', ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_CONFIG: join(root, 'empty.cfg') },
    });
    expect(JSON.parse(pw.stdout).plays[0].tasks[0].hosts.fe1.one_pass).toBe('VARIABLE IS NOT DEFINED!');
    expect(readFileSync(join(out, 'hosts.yml'), 'utf8')).not.toContain(PASSWORD);
    expect(sentinels()).toEqual([]);
  }, 120_000);

  test('a real ansible-runner run of a debug playbook: the values in its job events are literal, and the {env: NAME} variable is not in artifacts/*/command', async () => {
    if (!ANSIBLE || !RUNNER) {
      console.warn(
        '\n*** SKIPPED: the ansible-runner part of test/hostile/ansible-data.test.ts needs ansible-runner (apt-get install python3-ansible-runner) ***\n',
      );
      return;
    }
    const canary = 'Canary-env-value-5f1e';
    const playbook = join(dir, 'debug.yml');
    writeFileSync(
      playbook,
      '- hosts: fe1\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug:\n        msg: "{{ [ansible_ssh_common_args, root_access_oneprovision_key, root_access_public_key] }}"\n',
    );
    const run: RunnerRun = {
      outDir: dir,
      ident: 'hostile-debug',
      playbook,
      inventory: join(out, 'hosts.yml'),
      extraVars: JSON.parse(readFileSync(join(out, '.deploy-vars.json'), 'utf8')) as Record<string, unknown>,
    };
    await writeRunnerFiles(run);
    const env = runnerEnv({ ...process.env, ANSIBLE_ONE_PW: canary }, { ANSIBLE_CONFIG: join(root, 'empty.cfg') }, ['ANSIBLE_ONE_PW']);
    const r = await realExec('ansible-runner', runnerArgv(run), { env, cleanEnv: true });
    expect(r.exitCode).toBe(0);
    const art = join(dir, 'runner', 'hostile-debug', 'artifacts', 'hostile-debug');
    const events = readdirSync(join(art, 'job_events')).map(
      (f) => JSON.parse(readFileSync(join(art, 'job_events', f), 'utf8')) as { event: string; event_data?: { res?: { msg?: unknown } } },
    );
    const ok = events.find((e) => e.event === 'runner_on_ok');
    expect(ok?.event_data?.res?.msg).toEqual([`${SSH_ARGS} -o ProxyJump=root@ec2-13-58-199-98.us-east-2.compute.amazonaws.com`, KEY_PATH, PUBKEY]);
    expect(readFileSync(join(art, 'command'), 'utf8')).not.toContain(canary);
    expect(sentinels()).toEqual([]);
  }, 120_000);
});

describe('fields that name users, hosts or addresses refuse such strings: one sentence, exit 2, nothing written', () => {
  const cases: Array<[string, (d: ReturnType<typeof parseDocument>) => void, RegExp]> = [
    ['ssh_user ""', (d) => d.setIn(['clusters', 0, 'hosts', 0, 'ssh_user'], ''), /clusters\[0\]\.hosts\[0\]\.ssh_user "" is not a user name/],
    ['ssh_user "ro ot"', (d) => d.setIn(['ingress', 'ssh_user'], 'ro ot'), /ingress\.ssh_user "ro ot" is not a user name/],
    [
      'ssh_user -oProxyCommand',
      (d) => d.setIn(['frontend', 'ssh_user'], `-oProxyCommand=${touch(9)}`),
      /frontend\.ssh_user "-oProxyCommand=.*" is not a user name/,
    ],
    [
      'ssh_user template',
      (d) => d.setIn(['clusters', 1, 'hosts', 0, 'ssh_user'], `{{ lookup('pipe','${touch(10)}') }}`),
      /clusters\[1\]\.hosts\[0\]\.ssh_user .* is not a user name/,
    ],
    [
      'ansible.user template',
      (d) => d.setIn(['ansible'], d.createNode({ user: `{{ lookup('pipe','${touch(11)}') }}` })),
      /ansible\.user .* is not a user name/,
    ],
    [
      'ensure_keys_for newline',
      (d) => d.setIn(['ansible'], d.createNode({ ensure_keys_for: ['root', 'a\nb'] })),
      /ansible\.ensure_keys_for\[1\] "a\\x0ab" is not a user name/,
    ],
    [
      'proxy_jump option',
      (d) => d.setIn(['frontend', 'proxy_jump'], '-oProxyCommand@host'),
      /frontend\.proxy_jump .* is not "ingress", "none" or user@host\[:port\]/,
    ],
  ];
  test.each(cases)('%s', async (name, edit, sentence) => {
    const dir = join(root, `refused-${name.replace(/\W+/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'edge-wizard.yaml');
    writeFileSync(file, scenario(edit));
    const out = join(dir, 'inv');
    const r = await cli('generate', '-f', file, '--out', out);
    expect(r.code).toBe(2);
    const problems = r.err.split('\n').filter((l) => l.startsWith('  - '));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(sentence);
    expect(problems[0]).toMatch(/: start with a letter or "_" .*like root\.$|: use one of those forms\.$/);
    expect(existsSync(out)).toBe(false);
    expect(sentinels()).toEqual([]);
  });

  test.each([['10.0.0.1",command="touch /tmp/x'], ['10.0.0.1 no-pty'], ['*.example.com'], ['!10.0.0.1'], ['10.0.0.1/8'], [''], ['fe80::1%eth0']])(
    '--restrict-from %j',
    async (value) => {
      const dir = join(root, 'restrict');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'edge-wizard.yaml');
      writeFileSync(file, SEED);
      writeFileSync(join(dir, 'id_ed25519.pub'), `${PUBKEY}\n`);
      const out = join(dir, `inv-${Buffer.from(value).toString('hex').slice(0, 16)}`);
      const r = await cli(
        'deploy',
        '-f',
        file,
        '--out',
        out,
        '--identity',
        join(dir, 'id_ed25519'),
        '--restrict-from',
        value,
        '--only',
        'root-access',
        '--dry-run',
      );
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^(edge-wizard: )?--restrict-from .*: give addresses or CIDRs separated by commas, like 203\.0\.113\.10,198\.51\.100\.0\/24\.\n$/);
      expect(existsSync(out)).toBe(false);
    },
  );
});
