// The built binary, as a user runs it (npm test builds dist/ first).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { commands } from '../../src/cli/main.js';

const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/edge-wizard.js', ...args], { env: { ...process.env, CI: 'true' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

test('--help lists every command and exits 0', async () => {
  const r = await run('--help');
  expect(r.code).toBe(0);
  for (const name of Object.keys(commands)) expect(r.stdout).toContain(`  ${name}`);
});

test('--version names our version, ansible-core and the one-deploy pin (and whether it is found)', async () => {
  const r = await run('--version');
  expect(r.code).toBe(0);
  const [ours, ansible, pin, ...rest] = r.stdout.trim().split('\n');
  expect(ours).toMatch(/^edge-wizard \d+\.\d+\.\d+$/);
  expect(ansible).toMatch(/^ansible-core (\d+\.\d+\.\d+|not found)/);
  expect(pin).toMatch(/^one-deploy pin release-[\d.]+ \([0-9a-f]{7}\): (found in |not found|.* is another release)/);
  expect(rest).toEqual([]);
});

test('help CMD prints CMD --help; help of an unknown command is a usage error', async () => {
  const a = await run('help', 'generate');
  const b = await run('generate', '--help');
  expect(a).toEqual({ code: 0, stdout: b.stdout, stderr: '' });
  expect((await run('help')).stdout).toContain('Commands:');
  const c = await run('help', 'frobnicate');
  expect(c.code).toBe(2);
  expect(c.stderr).toBe('edge-wizard: Unknown command "frobnicate": run "edge-wizard --help" to list the commands.\n');
});

test('completion: bash and zsh scripts, anything else is a usage error', async () => {
  expect((await run('completion', 'bash')).stdout).toContain('complete -F _edge_wizard edge-wizard');
  expect((await run('completion', 'zsh')).stdout).toContain('compdef _edge_wizard edge-wizard');
  const r = await run('completion', 'fish');
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('edge-wizard: completion needs a shell, bash or zsh ("edge-wizard completion bash"), not "fish".\n');
});

test.each(Object.keys(commands))('edge-wizard %s --help exits 0 with a usage line', async (name) => {
  const r = await run(name, '--help');
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(/^Usage: edge-wizard/);
});

test('an unknown command or flag is a usage error, exit 2, one sentence', async () => {
  const a = await run('frobnicate');
  expect(a.code).toBe(2);
  expect(a.stderr).toBe('edge-wizard: Unknown command "frobnicate": run "edge-wizard --help" to list the commands.\n');
  const b = await run('generate', '--colour');
  expect(b.code).toBe(2);
  expect(b.stderr).toMatch(/^edge-wizard: Unknown option '--colour': run "edge-wizard generate --help" for the options\.\n$/);
});

test('a missing scenario file is named, exit 2', async () => {
  const r = await run('validate', '-f', '/nonexistent/edge-wizard.yaml');
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('edge-wizard: The scenario file /nonexistent/edge-wizard.yaml does not exist: check the path given with -f.\n');
});

test('a full non-interactive generate of the bundled example', async () => {
  const out = await mkdtemp(join(tmpdir(), 'ew-bin-'));
  const r = await run('generate', '-f', 'examples/seed-practical.yaml', '--out', out);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`${out}: wrote 9 new and 0 changed files, 0 unchanged\n`);
  expect((await readdir(out)).sort()).toEqual(['ansible.cfg', 'group_vars', 'host_vars', 'hosts.yml', 'wireguard']);
});

test('edge-wizard one against the stand-in oned, as a user runs it: creates, then changes nothing', async () => {
  const { FakeOned } = await import('../support/fake-oned.js');
  const oned = new FakeOned(undefined, 'oneadmin:opennebula');
  const endpoint = await oned.start();
  try {
    const first = await run('one', '-f', 'examples/seed-practical.yaml', '--endpoint', endpoint);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Virtual router .* public address 203\.0\.113\.10/);
    expect(first.stdout + first.stderr).not.toContain('oneadmin:opennebula');
    const writes = oned.writeCalls.length;
    expect(writes).toBeGreaterThan(0);
    const second = await run('one', '-f', 'examples/seed-practical.yaml', '--endpoint', endpoint);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('nothing to change');
    expect(oned.writeCalls.length).toBe(writes);
  } finally {
    await oned.stop();
  }
});
