/**
 * A canary password in every form (plain; {env: NAME} under names that look
 * harmless or that Ansible's own settings use; Ansible's `!vault |` and the
 * scenario's {vault: ...}) is searched raw, JSON-escaped, URL-encoded and in
 * base64 in every byte every command prints and every file it writes, runner
 * artifacts included (the fake runner writes `artifacts/<ident>/command` with
 * the environment it was given, as ansible-runner does). Only the files meant
 * to hold it may: the scenario itself and a plain password's hosts.yml, both 0600
 * (and hosts.yml holds a vault's ciphertext, which is what it is for).
 * The scenario file is named without .yaml on purpose: masking goes by the
 * document, not the name.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDeploy } from '../../src/cli/commands/deploy.js';
import { fakeRunner } from '../support/fake-runner.js';
import { cli } from '../support/cli.js';

const SEED = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
const INVENTORY = new URL('../fixtures/ansible-inventory/list.json', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'ew-canary-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CANARY = `Cn4ry-8d1f p@ss/w0rd+"q" 's' #{{ x }}%&=`;
const VAULT_LINES = ['3864636130613135366236626361383832633035613937366431363939636531', '6439336533663666'];

/** Every spelling a leak could take. */
function spellings(secret: string): string[] {
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    encodeURI(secret),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];
}

const FORMS: Array<{ name: string; password: string; env?: Record<string, string>; secrets: string[]; file: string }> = [
  { name: 'plain', password: JSON.stringify(CANARY), secrets: [CANARY], file: 'edge-wizard' },
  {
    name: 'env ANSIBLE_ONE_PW (an Ansible-like name)',
    password: '{ env: ANSIBLE_ONE_PW }',
    env: { ANSIBLE_ONE_PW: CANARY },
    secrets: [CANARY],
    file: 'scenario.txt',
  },
  { name: 'env LC_CANARY (a locale-like name)', password: '{ env: LC_CANARY }', env: { LC_CANARY: CANARY }, secrets: [CANARY], file: 'edge.yml.bak' },
  { name: "Ansible's !vault |", password: `!vault |\n    $ANSIBLE_VAULT;1.1;AES256\n    ${VAULT_LINES.join('\n    ')}`, secrets: VAULT_LINES, file: 'edge' },
  {
    name: '{vault: ...}',
    password: JSON.stringify({ vault: `$ANSIBLE_VAULT;1.1;AES256\n${VAULT_LINES.join('\n')}\n` }),
    secrets: VAULT_LINES,
    file: 'edge.json.txt',
  },
];

/** Every file under `dir`, with its path. */
function files(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ path: p, text: readFileSync(p, 'latin1') });
    }
  };
  walk(dir);
  return out;
}

const recap = 'PLAY RECAP *********\ningress : ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0\n';

describe.each(FORMS)('canary password: $name', ({ name, password, env, secrets, file }) => {
  const vault = password.includes('ANSIBLE_VAULT');
  test('never printed, never written outside the scenario and a 0600 hosts.yml', async () => {
    const dir = join(root, name.replace(/\W+/g, '-'));
    mkdirSync(dir, { recursive: true });
    const scenario = join(dir, file);
    writeFileSync(scenario, SEED.replace(/password: opennebula.*\n/, `password: ${password}\n`), { mode: 0o600 });
    writeFileSync(join(dir, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests controller\n');
    const saved = { ...process.env };
    Object.assign(process.env, env ?? {});
    const printed: string[] = [];
    try {
      const out = join(dir, 'inv');
      const runs = [
        await cli('validate', '-f', scenario),
        await cli('generate', '-f', scenario, '--out', out, '--dry-run'),
        await cli('generate', '-f', scenario, '--out', out),
        await cli('generate', '-f', scenario, '--out', out, '--dry-run'),
        await cli('deploy', '-f', scenario, '--out', out, '--dry-run', '--identity', join(dir, 'id_ed25519')),
        await cli('import', '-f', scenario, '--from', INVENTORY, '--dry-run', '--yes'),
        await cli('validate', '-f', scenario, '--json'),
      ];
      for (const r of runs) {
        expect([0, 2]).toContain(r.code);
        printed.push(r.out, r.err);
      }
      expect(runs.slice(0, 6).map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
      // A deploy whose fake Ansible prints every variable it was given, and the runner's artifacts.
      const chunks: string[] = [];
      const w = { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream;
      const exec = fakeRunner([
        { match: (f, a) => f === 'ansible-playbook' && a[0] === '--version', result: { stdout: 'ansible-playbook [core 2.14.18]\n' } },
        {
          match: (f) => f === 'ansible-playbook',
          result: (_f, args) => ({ stdout: `ok: [ingress] => ${args.filter((a) => a.startsWith('{')).join(' ')}\n${recap}` }),
        },
      ]);
      const r = await runDeploy(
        { file: scenario, out, identity: join(dir, 'id_ed25519'), yes: true, opennebula: false, only: 'wireguard', renderer: 'silent' },
        { out: w, err: w, debug: false },
        {
          exec,
          now: Date.now,
          env: { ...process.env, NODE_ENV: 'test' },
          isTTY: false,
          confirm: async () => true,
          findCollections: () => '/nonexistent/ansible_collections',
        },
      );
      printed.push(chunks.join(''), r.report ?? '');
      for (const c of [...exec.calls, ...exec.runnerCalls]) printed.push(c.args.join(' '), JSON.stringify(c.opts?.env ?? {}));

      const all = printed.join('\n');
      for (const s of secrets)
        for (const sp of spellings(s))
          expect({ where: 'output', spelling: sp, found: all.includes(sp) }).toEqual({ where: 'output', spelling: sp, found: false });
      for (const f of files(dir)) {
        const holds = secrets.some((s) => spellings(s).some((sp) => f.text.includes(Buffer.from(sp).toString('latin1'))));
        if (f.path === join(out, 'hosts.yml') && vault) {
          // A vault's ciphertext is what hosts.yml is for (one_pass: !vault |); it is never printed.
        } else if (f.path === scenario || f.path === join(out, 'hosts.yml')) {
          if (holds) expect({ path: f.path, mode: (statSync(f.path).mode & 0o777).toString(8) }).toEqual({ path: f.path, mode: '600' });
        } else {
          expect({ path: f.path, holds }).toEqual({ path: f.path, holds: false });
        }
      }
    } finally {
      process.env = saved;
    }
  }, 120_000);
});

describe('import keeps a scenario holding a plain password private', () => {
  test.each([
    [0o600, '600'],
    [0o644, '640'],
  ])('a %o scenario with a plain password is written back %s (others lose access); twice in a row', async (before, after) => {
    const dir = join(root, `import-mode-${before.toString(8)}`);
    mkdirSync(dir, { recursive: true });
    const scenario = join(dir, 'edge-wizard.yaml');
    writeFileSync(scenario, SEED.replace(/password: opennebula.*\n/, `password: ${JSON.stringify(CANARY)}\n`));
    chmodSync(scenario, before);
    for (let i = 0; i < 2; i++) {
      const r = await cli('import', '-f', scenario, '--from', INVENTORY, '--yes');
      expect(r.code).toBe(0);
      expect(r.out + r.err).not.toContain(CANARY);
      expect((statSync(scenario).mode & 0o777).toString(8)).toBe(after);
    }
  });
});
