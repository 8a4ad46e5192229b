import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import YAML from 'yaml';
import { applyDefaults } from '../../src/core/defaults.js';
import { runOne, type OneDeps } from '../../src/cli/commands/one.js';
import { httpTransport } from '../../src/adapters/opennebula/xmlrpc.js';
import { tunnelArgv, startTunnel, resolvePassword, type Spawn } from '../../src/adapters/opennebula/tunnel.js';
import { announce, startOned, type OnedBackend } from '../support/oned.js';
import { FakeOned, standInEstate } from '../support/fake-oned.js';
import { LAB_HOSTS } from '../support/estate.js';

const seedText = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (b: Buffer) => (o += b.toString()));
  err.on('data', (b: Buffer) => (e += b.toString()));
  return { io: { out, err, debug: false }, text: () => ({ out: o, err: e }) };
}

const deps = (over: Partial<OneDeps> = {}): OneDeps => ({
  env: {},
  spawn: () => {
    throw new Error('no tunnel in this test');
  },
  exec: async () => {
    throw new Error('no exec in this test');
  },
  transport: (e) => httpTransport(e),
  ...over,
});

describe(`edge-wizard one (command) against ${announce('test/opennebula/command.test.ts') === 'real' ? 'a REAL oned' : 'the STAND-IN oned'}`, () => {
  let oned: OnedBackend;
  let endpoint: string;
  let file: string;
  let text: string;
  beforeAll(async () => {
    oned = await startOned();
    endpoint = oned.endpoint;
  }, 240_000);
  afterAll(() => oned?.stop(), 60_000);
  beforeEach(() => {
    file = join(mkdtempSync(join(tmpdir(), 'ew-one-')), 'edge-wizard.yaml');
    // oned's hosts are named by the lab's documentation addresses (test/support/estate.ts).
    text = seedText
      .replace('18.134.246.200', LAB_HOSTS.london)
      .replace('18.144.25.41', LAB_HOSTS.ncalifornia)
      .replace('password: opennebula', `password: ${oned.password}`);
    writeFileSync(file, text);
  });

  test('--dry-run lists the calls and makes no write call', async () => {
    const t = io();
    expect(await runOne(['-f', file, '--endpoint', endpoint, '--dry-run'], t.io, deps())).toBe(0);
    expect(oned.writeCalls).toEqual([]);
    expect(t.text().out).toContain('one.vn.allocate(');
    expect(t.text().out).not.toContain(oned.password);
  }, 60_000);

  test('public-IP budget: refused with exit 2 before any call', async () => {
    const doc = YAML.parseDocument(text);
    doc.setIn(['clusters', 0, 'public_network', 'ips'], ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5', '203.0.113.6']);
    writeFileSync(file, doc.toString());
    const before = oned.calls.length;
    await expect(runOne(['-f', file, '--endpoint', endpoint], io().io, deps())).rejects.toMatchObject({ exitCode: 2 });
    expect(oned.calls.length).toBe(before);
  });

  test("an oned error exits 1 with oned's message, nothing attempted after it", async () => {
    // Injected by the recording proxy in front of oned: oned itself is never asked.
    oned.failures.set('one.cluster.allocate', { message: '[one.cluster.allocate] Not authorized to perform CREATE CLUSTER.', code: 0x0200 });
    await expect(runOne(['-f', file, '--endpoint', endpoint], io().io, deps())).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringContaining('Not authorized to perform CREATE CLUSTER'),
    });
    expect(oned.writeCalls.map((c) => c.method)).toEqual(['one.cluster.allocate']);
  }, 60_000);

  test('creates everything, prints the VR public address, never the password; a second run changes nothing', async () => {
    const t = io();
    expect(await runOne(['-f', file, '--endpoint', endpoint], t.io, deps())).toBe(0);
    const { out, err } = t.text();
    expect(out).toContain('- Create cluster seed-practical');
    expect(out).toMatch(/public address 203\.0\.113\.10 \(private 10\.0\.113\.10\)/);
    expect(err).toMatch(/OneGate/);
    expect(out + err).not.toContain(oned.password);
    const writes = oned.writeCalls.length;
    const t2 = io();
    expect(await runOne(['-f', file, '--endpoint', endpoint], t2.io, deps())).toBe(0);
    expect(t2.text().out).toContain('nothing to change');
    expect(oned.writeCalls.length).toBe(writes);
  }, 240_000);
});

describe('tunnel and credentials', () => {
  const s = applyDefaults({ ...YAML.parse(seedText), frontend: { address: '10.0.1.87', proxy_jump: 'ingress' } });

  test('ssh argv: local forward to oned through the ingress', () => {
    expect(tunnelArgv(s, 40000)).toEqual([
      '-N',
      '-o',
      'ExitOnForwardFailure=yes',
      '-o',
      'BatchMode=yes',
      '-L',
      '127.0.0.1:40000:127.0.0.1:2633',
      '-p',
      '22',
      '-J',
      'root@13.58.199.98',
      'root@10.0.1.87',
    ]);
  });

  test('startTunnel waits for the forward, stop() kills ssh', async () => {
    const seen: string[][] = [];
    let server: net.Server | undefined;
    const spawn: Spawn = (file, args) => {
      seen.push([file, ...args]);
      const port = Number(args[args.indexOf('-L') + 1]!.split(':')[1]);
      let done: (v: unknown) => void = () => {};
      const p = new Promise((r) => (done = r)) as ReturnType<Spawn>;
      setTimeout(() => {
        server = net.createServer().listen(port, '127.0.0.1');
      }, 300);
      (p as { kill: (s?: string) => boolean }).kill = () => {
        server?.close();
        done(undefined);
        return true;
      };
      return p;
    };
    const t = await startTunnel(s, { spawn });
    expect(seen[0]![0]).toBe('ssh');
    expect(t.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/RPC2$/);
    await t.stop();
  });

  test('password from the environment, and a clear message when missing or vaulted without a vault password', async () => {
    const exec = async () => ({ stdout: 'from-vault\n' });
    expect(await resolvePassword({ env: 'ONE_PASS' }, { env: { ONE_PASS: 'x' }, exec })).toBe('x');
    await expect(resolvePassword({ env: 'ONE_PASS' }, { env: {}, exec })).rejects.toThrow(/export ONE_PASS/);
    await expect(resolvePassword({ vault: '$ANSIBLE_VAULT;1.1;AES256\n3031' }, { env: {}, exec })).rejects.toThrow(/ANSIBLE_VAULT_PASSWORD_FILE/);
    expect(await resolvePassword({ vault: '$ANSIBLE_VAULT;1.1;AES256\n3031' }, { env: { ANSIBLE_VAULT_PASSWORD_FILE: '/x' }, exec })).toBe('from-vault');
  });
});

describe('--endpoint (issue 21): https, plain-http warned, empty or not a URL refused before anything', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ew-one-ep-'));
  const file = join(dir, 'edge-wizard.yaml');
  writeFileSync(file, seedText.replace('password: opennebula', 'password: s3cret'));
  const spawned: string[][] = [];
  const noTunnel = (): OneDeps =>
    deps({
      spawn: ((f: string, a: string[]) => {
        spawned.push([f, ...a]);
        throw new Error('no tunnel in this test');
      }) as never,
    });

  test.each([
    ['', /^--endpoint is empty: give oned's XML-RPC URL .*, or leave --endpoint out to reach oned through the SSH tunnel\.$/],
    ['   ', /^--endpoint is empty/],
    ['not a url', /^--endpoint "not a url" is not a URL: write it like http:\/\/127\.0\.0\.1:2633 or https:\/\/one\.example\.com\/RPC2\.$/],
    ['ftp://127.0.0.1:2633', /^--endpoint "ftp:\/\/127\.0\.0\.1:2633" uses ftp, but oned's XML-RPC is reached over http:\/\/ or https:\/\//],
    ['http://oneadmin:pw@127.0.0.1:2633', /^--endpoint carries a user name or password: leave them out/],
  ])('--endpoint %j: one sentence, exit 2, no tunnel, before the scenario is read', async (value, sentence) => {
    for (const f of [file, join(dir, 'missing.yaml')]) {
      const t = io();
      const err = (await runOne(['-f', f, '--endpoint', value], t.io, noTunnel()).catch((e: unknown) => e)) as { exitCode: number; message: string };
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(sentence);
      expect(err.message).not.toContain('\n');
      expect(err.message).not.toContain('pw@');
    }
    expect(spawned).toEqual([]);
  });

  test('a plain-http endpoint off this machine is warned about (the password in clear); loopback is not', async () => {
    const oned = new FakeOned(standInEstate(), 'oneadmin:s3cret');
    const local = await oned.start();
    try {
      // The address a user would type, routed to the stand-in by the injected transport (nothing leaves this machine).
      const t = io();
      expect(
        await runOne(['-f', file, '--endpoint', 'http://198.51.100.7:2633/RPC2', '--dry-run'], t.io, deps({ transport: () => httpTransport(local) })),
      ).toBe(0);
      expect(t.text().err).toMatch(
        /^warning: oned is reached at http:\/\/198\.51\.100\.7:2633 over plain http: every call carries oneadmin's password in clear across the network; use an https:\/\/ endpoint/m,
      );
      expect(t.text().out + t.text().err).not.toContain('s3cret');
      const u = io();
      expect(await runOne(['-f', file, '--endpoint', local, '--dry-run'], u.io, deps())).toBe(0);
      expect(u.text().err).not.toMatch(/plain http/);
    } finally {
      await oned.stop();
    }
  });
});
