/**
 * The oneadmin password never reaches any output or log, in any of its forms
 * (plain, {env}, {vault}), whatever it contains (spaces, #, quotes, a newline),
 * and no ordinary word is masked in its place, even when the password is the
 * word "opennebula" that appears in many messages.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { fakeExec } from '../../src/adapters/exec.js';
import { runDeploy } from '../../src/cli/commands/deploy.js';
import { runOne } from '../../src/cli/commands/one.js';
import { defaultOneDeps } from '../../src/app/one.js';
import { realExec } from '../../src/adapters/exec.js';
import { FakeOned } from '../support/fake-oned.js';
import { fakeRunner } from '../support/fake-runner.js';
import { cli } from '../support/cli.js';

const SEED = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
const INVENTORY = new URL('../fixtures/ansible-inventory/list.json', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'ew-secrets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every form and shape of password; `needles` are the strings that must never be printed. */
const CASES: Array<{ name: string; password: unknown; env?: Record<string, string>; needles: string[] }> = [
  { name: 'plain with spaces, # and quotes', password: `p@ss w0rd #1 "dq" 'sq'`, needles: [`p@ss w0rd #1 "dq" 'sq'`, 'w0rd #1'] },
  { name: 'plain with a newline', password: 'first-line\nsecond-line-s3cr', needles: ['first-line', 'second-line-s3cr'] },
  { name: 'plain, an inline comment after several spaces', password: 'Hunter2-inline', needles: ['Hunter2-inline'] },
  {
    name: 'from the environment',
    password: { env: 'EW_TEST_ONE_PASS' },
    env: { EW_TEST_ONE_PASS: 'env-s3cret value' },
    needles: ['env-s3cret value', 'env-s3cret'],
  },
  {
    name: 'an Ansible Vault string',
    password: { vault: '$ANSIBLE_VAULT;1.1;AES256\n6231336539666234306139346433616338376437376461363365363430623138\n3839386532646635\n' },
    needles: ['6231336539666234306139346433616338376437376461363365363430623138', '3839386532646635'],
  },
];

function scenarioText(password: unknown, name: string): string {
  const doc = parseDocument(SEED);
  doc.setIn(['opennebula', 'password'], password);
  let text = doc.toString();
  // The seed writes the password with a comment after several spaces: keep that shape.
  if (name.includes('inline comment')) text = text.replace(/password: Hunter2-inline\n/, 'password: Hunter2-inline      # change me\n');
  return text;
}

/** Every file under a directory, except those meant to hold the secret (hosts.yml holds a plain password, 0600). */
function logs(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== 'hosts.yml') out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out.join('\n');
}

const recap = (hosts: string[]) =>
  `PLAY RECAP *********\n${hosts.map((h) => `${h.padEnd(27)}: ok=3    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0`).join('\n')}\n`;

describe.each(CASES)('password $name', ({ name, password, env, needles }) => {
  const dir = join(root, name.replace(/\W+/g, '-'));
  const file = join(dir, 'edge-wizard.yaml');
  let saved: NodeJS.ProcessEnv;
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, scenarioText(password, name), { mode: 0o600 });
    writeFileSync(join(dir, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests controller\n');
    saved = { ...process.env };
    Object.assign(process.env, env ?? {});
  });
  afterAll(() => {
    process.env = saved;
  });
  const clean = (text: string) => {
    for (const n of needles) expect(text).not.toContain(n);
  };

  test('validate, generate, generate --dry-run, deploy --dry-run, import --dry-run, init --dry-run', async () => {
    const out = join(dir, 'inv');
    const runs = [
      await cli('validate', '-f', file),
      await cli('generate', '-f', file, '--out', out, '--dry-run'),
      await cli('generate', '-f', file, '--out', out),
      await cli('generate', '-f', file, '--out', out, '--dry-run'),
      await cli('deploy', '-f', file, '--out', out, '--dry-run', '--identity', join(dir, 'id_ed25519')),
      await cli('import', '-f', file, '--from', INVENTORY, '--dry-run', '--yes'),
      await cli('init', '-f', file, '--yes', '--dry-run', '--no-generate'),
    ];
    for (const r of runs) {
      expect(r.code).toBe(0);
      clean(r.out + r.err);
    }
    // What was shown still says where the secret is, and ordinary words are intact.
    // A plain password is left out of hosts.yml (nothing edge-wizard runs reads it: docs/one-deploy.md).
    if (typeof password === 'string') expect(runs[1]!.out).not.toContain('one_pass:');
    else
      expect(runs[1]!.out).toContain(
        typeof password === 'object' && 'env' in (password as object) ? "lookup('ansible.builtin.env', 'EW_TEST_ONE_PASS')" : 'one_pass: ',
      );
    expect(runs[4]!.out).not.toContain('<secret>.deploy');
    // A plain password makes hosts.yml 0600; the other files hold none.
    if (typeof password === 'string') expect(statSync(join(out, 'hosts.yml')).mode & 0o777).toBe(0o600);
    clean(logs(out));
  });

  test('a validation error elsewhere in the file never echoes the password', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, scenarioText(password, name).replace('port: 51820', 'port: 70000'));
    const r = await cli('validate', '-f', bad);
    expect(r.code).toBe(2);
    clean(r.out + r.err);
  });

  test('a full deploy (fake Ansible that prints one_pass, as a leaky task would) and its log', async () => {
    const chunks: string[] = [];
    const w = { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream;
    const exec = fakeRunner([
      { match: (f, a) => f === 'ansible-playbook' && a[0] === '--version', result: { stdout: 'ansible-playbook [core 2.14.18]\n' } },
      {
        match: (f) => f === 'ansible-playbook',
        result: (_f, args) => {
          // Ansible prints the one_pass it was given (extra vars win over the inventory).
          const given = args.flatMap((a) => (a.startsWith('{') ? [(JSON.parse(a) as { one_pass?: string }).one_pass] : [])).find((v) => v !== undefined);
          return { stdout: `ok: [ingress] => {"one_pass": ${JSON.stringify(given)}}\n${recap(['ingress', 'kvm_london', 'kvm_ncalifornia', 'fe1'])}` };
        },
      },
    ]);
    const r = await runDeploy(
      { file, out: join(dir, 'inv-deploy'), identity: join(dir, 'id_ed25519'), yes: true, opennebula: false, only: 'wireguard', renderer: 'silent' },
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
    clean(chunks.join(''));
    clean(readFileSync(r.logPath!, 'utf8'));
    expect(readFileSync(r.logPath!, 'utf8')).toContain('(withheld by edge-wizard)');
    for (const c of [...exec.calls, ...exec.runnerCalls]) clean(c.args.join(' '));
    // ansible-runner's private data dirs: extra vars, job events, stdout, the command and its environment.
    clean(logs(join(dir, 'inv-deploy', 'runner')));
  });
});

describe('the OpenNebula step', () => {
  test('one --dry-run and one against the stand-in: the session string is never printed', async () => {
    const password = `p@ss w0rd #1 "dq"`;
    const oned = new FakeOned(undefined, `oneadmin:${password}`);
    const endpoint = await oned.start();
    try {
      const dir = join(root, 'one');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'edge-wizard.yaml');
      writeFileSync(file, scenarioText(password, 'one'));
      const chunks: string[] = [];
      const w = { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream;
      const deps = await defaultOneDeps(realExec);
      expect(await runOne(['-f', file, '--endpoint', endpoint, '--dry-run'], { out: w, err: w, debug: false }, deps)).toBe(0);
      expect(await runOne(['-f', file, '--endpoint', endpoint], { out: w, err: w, debug: false }, deps)).toBe(0);
      expect(chunks.join('')).not.toContain(password);
      expect(chunks.join('')).not.toContain('w0rd');
    } finally {
      await oned.stop();
    }
  });

  test('the default password "opennebula" masks no ordinary word', async () => {
    const r = await cli(
      'deploy',
      '-f',
      new URL('../../examples/seed-practical.yaml', import.meta.url).pathname,
      '--out',
      join(root, 'inv-word'),
      '--dry-run',
      '--identity',
      '/nonexistent/key',
    );
    expect(r.out + r.err).not.toContain('<secret>.');
    expect(r.out + r.err).not.toContain('<redacted>');
    // A preflight failure names the collection in full (it once read "The <redacted>.deploy collection").
    const chunks: string[] = [];
    const w = { write: (t: string) => (chunks.push(String(t)), true) } as unknown as NodeJS.WritableStream;
    const exec = fakeExec([{ match: (f, a) => f === 'ansible-playbook' && a[0] === '--version', result: { stdout: 'ansible-playbook [core 2.14.18]\n' } }]);
    const d = await runDeploy(
      {
        file: new URL('../../examples/seed-practical.yaml', import.meta.url).pathname,
        out: join(root, 'inv-word2'),
        identity: '/nonexistent/key',
        yes: true,
        from: 'firewall',
        renderer: 'silent',
      },
      { out: w, err: w, debug: false },
      { exec, now: Date.now, env: { NODE_ENV: 'test' }, isTTY: false, confirm: async () => true, findCollections: () => undefined },
    );
    expect(d.ok).toBe(false);
    expect(chunks.join('')).toContain('The opennebula.deploy collection (one-deploy) was not found');
  });
});
