/**
 * playbooks/library/edge_wizard_files.py under the real ansible-playbook (connection=local,
 * a temporary directory, this user as owner): files written, left alone when equal, put
 * back after a change by hand, removed; a directory made; a line replaced and appended;
 * check mode touching nothing while saying what would change (with the diff); contents
 * with Jinja, shell and quotes written as they are (they come from a lookup, as the roles'
 * templates do); and nothing of a temporary file left behind.
 */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

jest.setTimeout(120_000);

const HAVE = spawnSync('ansible-playbook', ['--version']).status === 0;
if (!HAVE) console.warn('SKIPPED: test/deploy/files-module.system.test.ts needs ansible-playbook (ansible-core).');
const t = HAVE ? test : test.skip;

const HOSTILE = 'a {{ 7 * 6 }} b {% raw %} $(touch /tmp/ew-pwned) `id` "q" \'s\' \\n\nsecond line\n';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ew-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  status: number;
  changed: boolean;
  paths: string[];
  diff: Array<{ before_header?: string; before?: string; after?: string }>;
  msg?: string;
}

/** Runs the module once with these entries (contents read by a file lookup, as the roles' template lookups give them). */
function run(files: Array<Record<string, unknown>>, lines: Array<Record<string, unknown>> = [], flags: string[] = []): Outcome {
  const me = userInfo().username;
  const group = spawnSync('id', ['-gn']).stdout.toString().trim();
  const entries = files.map((f, i) => {
    if (typeof f.content !== 'string') return { owner: me, group, ...f };
    writeFileSync(join(dir, `.src${i}`), f.content);
    return { owner: me, group, ...f, content: `{{ lookup('ansible.builtin.file', '${join(dir, `.src${i}`)}', rstrip=false) }}` };
  });
  const play = [{ hosts: 'localhost', connection: 'local', gather_facts: false, tasks: [{ name: 'files', edge_wizard_files: { files: entries, lines } }] }];
  writeFileSync(join(dir, '.play.yml'), stringify(play));
  const r = spawnSync('ansible-playbook', ['-i', 'localhost,', join(dir, '.play.yml'), ...flags], {
    env: { ...process.env, ANSIBLE_LIBRARY: resolve('playbooks/library'), ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_LOCALHOST_WARNING: 'false' },
  });
  const out = JSON.parse(r.stdout.toString()) as { plays: Array<{ tasks: Array<{ hosts: Record<string, Record<string, unknown>> }> }> };
  const res = out.plays[0]!.tasks[0]!.hosts.localhost!;
  return {
    status: r.status ?? -1,
    changed: Boolean(res.changed),
    paths: (res.changed_paths as string[]) ?? [],
    diff: (res.diff as Outcome['diff']) ?? [],
    msg: res.msg as string | undefined,
  };
}

t('writes, leaves equal files alone, puts back a change made by hand, and removes', () => {
  const a = join(dir, 'a.conf');
  const sub = join(dir, 'sub');
  const b = join(sub, 'b.conf');
  const files = [
    { path: a, content: 'one\n', mode: '0640' },
    { path: sub, state: 'directory', mode: '0750' },
    { path: b, content: HOSTILE, mode: '0600' },
  ];
  const first = run(files);
  expect(first).toMatchObject({ status: 0, changed: true, paths: [a, sub, b] });
  expect(readFileSync(a, 'utf8')).toBe('one\n');
  expect(readFileSync(b, 'utf8')).toBe(HOSTILE);
  expect(existsSync('/tmp/ew-pwned')).toBe(false);
  expect(statSync(a).mode & 0o777).toBe(0o640);
  expect(statSync(sub).mode & 0o777).toBe(0o750);
  expect(statSync(b).mode & 0o777).toBe(0o600);

  expect(run(files)).toMatchObject({ status: 0, changed: false, paths: [] });

  writeFileSync(a, 'changed by hand\n');
  const again = run(files);
  expect(again).toMatchObject({ status: 0, changed: true, paths: [a] });
  expect(readFileSync(a, 'utf8')).toBe('one\n');

  const gone = run([{ path: a, state: 'absent' }]);
  expect(gone).toMatchObject({ status: 0, changed: true, paths: [a] });
  expect(existsSync(a)).toBe(false);
  expect(run([{ path: a, state: 'absent' }])).toMatchObject({ changed: false });
  // No temporary file left beside the files.
  expect(readdirSync(dir).filter((f) => f.startsWith('.edge-wizard.'))).toEqual([]);
  expect(readdirSync(sub).filter((f) => f.startsWith('.edge-wizard.'))).toEqual([]);
});

t('a line: replaced where the regexp matches, appended where it does not, a missing file skipped when asked', () => {
  const daemons = join(dir, 'daemons');
  writeFileSync(daemons, 'bgpd=yes\nbfdd=no\nzebra_options="-A 127.0.0.1"\n');
  const line = [{ path: daemons, regexp: '^bfdd=', line: 'bfdd=yes' }];
  expect(run([], line)).toMatchObject({ status: 0, changed: true, paths: [daemons] });
  expect(readFileSync(daemons, 'utf8')).toBe('bgpd=yes\nbfdd=yes\nzebra_options="-A 127.0.0.1"\n');
  expect(run([], line)).toMatchObject({ changed: false });
  expect(run([], [{ path: daemons, regexp: '^pathd=', line: 'pathd=no' }])).toMatchObject({ changed: true });
  expect(readFileSync(daemons, 'utf8')).toBe('bgpd=yes\nbfdd=yes\nzebra_options="-A 127.0.0.1"\npathd=no\n');
  expect(run([], [{ path: join(dir, 'none'), regexp: '^x=', line: 'x=1', missing: 'skip' }])).toMatchObject({ status: 0, changed: false });
  const missing = run([], [{ path: join(dir, 'none'), regexp: '^x=', line: 'x=1' }]);
  expect(missing.status).not.toBe(0);
  expect(missing.msg).toContain('does not exist');
});

t('check mode changes nothing and says what would change, with the diff', () => {
  const a = join(dir, 'a.conf');
  writeFileSync(a, 'old\n');
  const r = run(
    [
      { path: a, content: 'new\n' },
      { path: join(dir, 'd'), state: 'directory' },
    ],
    [],
    ['--check', '--diff'],
  );
  expect(r).toMatchObject({ status: 0, changed: true, paths: [a, join(dir, 'd')] });
  expect(r.diff[0]).toMatchObject({ before_header: a, before: 'old\n', after: 'new\n' });
  expect(readFileSync(a, 'utf8')).toBe('old\n');
  expect(existsSync(join(dir, 'd'))).toBe(false);
});

t('a mode changed by hand: put back, and --diff says from what to what; a directory gets its missing parents; a removal shows what went', () => {
  const a = join(dir, 'a.conf');
  const files = [{ path: a, content: 'x\n', mode: '0600' }];
  run(files);
  chmodSync(a, 0o644);
  const r = run(files, [], ['--diff']);
  expect(r).toMatchObject({ changed: true, paths: [a] });
  expect(r.diff[0]).toMatchObject({ before: expect.stringContaining('mode 0644'), after: expect.stringContaining('mode 0600') });
  expect(statSync(a).mode & 0o777).toBe(0o600);
  const deep = join(dir, 'p', 'q', 'r');
  expect(run([{ path: deep, state: 'directory', mode: '0700' }])).toMatchObject({ status: 0, changed: true });
  expect(statSync(deep).mode & 0o777).toBe(0o700);
  const gone = run([{ path: a, state: 'absent' }], [], ['--diff']);
  expect(gone.diff[0]).toMatchObject({ before: 'x\n', after: '' });
});

t('bad entries fail with a sentence naming the path', () => {
  expect(run([{ path: 'relative.conf', content: 'x' }]).msg).toMatch(/absolute path/);
  expect(run([{ path: join(dir, 'x'), content: 'x', mode: 'rw' }]).msg).toMatch(/mode 'rw' is not an octal number/);
  expect(run([{ path: join(dir, 'no-dir', 'x'), content: 'x' }]).msg).toMatch(/its directory does not exist/);
  expect(run([{ path: join(dir, 'x'), content: 'x', owner: 'no-such-user-ew' }]).msg).toMatch(/no such user or group/);
});
