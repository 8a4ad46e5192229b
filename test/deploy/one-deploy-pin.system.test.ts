/**
 * one-deploy pinned: collections/requirements.yml and one-deploy.pin.json agree
 * with each other and with one-deploy's history; an ansible-galaxy install of the
 * requirements is recognised as the pin by preflight, anything else is named with
 * the roles that differ; collections/install.sh fails soft and loudly.
 * The history comes from a local mirror of OpenNebula/one-deploy (ONE_DEPLOY_MIRROR,
 * default /work/.mirror/OpenNebula+one-deploy/repo); without it those tests say SKIPPED.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, appendFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { comparePin, PINNED_ROLES, readInstalled, readPin, REQUIREMENTS_FILE } from '../../src/adapters/one-deploy.js';
import { collectionVersionLine } from '../../src/app/steps/preflight.js';

const MIRROR = process.env.ONE_DEPLOY_MIRROR ?? '/work/.mirror/OpenNebula+one-deploy/repo';
const haveMirror = existsSync(MIRROR) && spawnSync('git', ['--git-dir', MIRROR, 'rev-parse', '--verify', 'HEAD']).status === 0;
const withMirror = haveMirror ? test : test.skip;
if (!haveMirror) console.warn(`SKIPPED: no one-deploy mirror at ${MIRROR} (set ONE_DEPLOY_MIRROR): the pin is not checked against one-deploy's history.`);

const git = (...args: string[]) => execFileSync('git', ['--git-dir', MIRROR, ...args], { encoding: 'utf8' }).trim();

/** one-deploy at `rev`, extracted as a collections dir (it holds ansible_collections/opennebula/deploy -> ../../). */
function extract(rev: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ew-one-deploy-${rev.slice(0, 12)}-`));
  execFileSync('sh', ['-c', 'git --git-dir "$1" archive "$2" | tar -x -C "$3"', 'sh', MIRROR, rev, dir]);
  return dir;
}

const pin = readPin();

test('requirements.yml pins a git commit, and the pin file names the same source and commit', () => {
  expect(pin.commit).toMatch(/^[0-9a-f]{40}$/);
  expect(Object.keys(pin.roles).sort()).toEqual([...PINNED_ROLES].sort());
  expect(readFileSync(REQUIREMENTS_FILE, 'utf8')).toContain(`version: ${pin.commit}`);
});

withMirror('the pinned commit is the tag the pin names', () => {
  expect(git('rev-parse', `${pin.tag}^{commit}`)).toBe(pin.commit);
});

withMirror('the digests are those of the pinned commit', () => {
  const installed = readInstalled(extract(pin.commit))!;
  expect(installed.version).toBe('0.0.0'); // why the version alone cannot tell releases apart
  expect(installed.roles).toEqual(pin.roles);
});

withMirror("the FRR roles of the pin are byte-identical to the lab's one-deploy (master 38f3937)", () => {
  const lab = readInstalled(extract('38f3937'))!;
  for (const r of ['helper/facts', 'frr/common', 'frr/evpn']) expect({ r, d: lab.roles[r] }).toEqual({ r, d: pin.roles[r] });
  // What differs is outside the FRR path: the Front-end features and Ceph group names (common), Ceph's repository.
  expect(comparePin(lab, pin)).toEqual({ pinned: false, differing: ['common', 'repository'] });
});

withMirror(
  'ansible-galaxy installs requirements.yml (source replaced by the mirror) and preflight recognises the pin',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ew-galaxy-'));
    const req = join(dir, 'requirements.yml');
    writeFileSync(req, readFileSync(REQUIREMENTS_FILE, 'utf8').replace(pin.source, `file://${MIRROR}`));
    // --no-deps: one-deploy's own dependencies come from Galaxy, out of reach here.
    const r = spawnSync('ansible-galaxy', ['collection', 'install', '-r', req, '-p', join(dir, 'c'), '--no-deps'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const line = collectionVersionLine(join(dir, 'c', 'ansible_collections'));
    expect(line.title).toBe(
      `opennebula.deploy 0.0.0 (MANIFEST.json) in ${join(dir, 'c', 'ansible_collections', 'opennebula', 'deploy')}: the pinned ${pin.tag} (${pin.commit.slice(0, 7)})`,
    );
    expect(line.warning).toBeUndefined();
  },
  120_000,
);

withMirror('a collection whose roles differ gets a warning naming them and the install command', () => {
  const dir = extract(pin.commit);
  appendFileSync(join(dir, 'roles', 'frr', 'common', 'tasks', 'main.yml'), '# changed\n');
  const line = collectionVersionLine(dir);
  expect(line.title).toContain(`WARNING, not the pinned ${pin.tag}`);
  expect(line.warning).toBe(
    `opennebula.deploy in ${join(dir, 'ansible_collections', 'opennebula', 'deploy')} is not the pinned ${pin.tag} (${pin.commit.slice(0, 7)}): its role frr/common differ; ` +
      'edge-wizard was proven with the pin: install it with `ansible-galaxy collection install -r collections/requirements.yml` and set ONE_DEPLOY_DIR=~/.ansible/collections, unless you mean to run this one.',
  );
});

test('no collection under the path: the version is unknown, no crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ew-empty-'));
  expect(collectionVersionLine(dir).title).toBe(`opennebula.deploy in ${dir}: version unknown (no roles directory)`);
});

describe('collections/install.sh', () => {
  const run = (env: NodeJS.ProcessEnv, wrap: string[] = []) => {
    const argv = [...wrap, 'bash', 'collections/install.sh'];
    return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  };

  test('ONE_DEPLOY_DIR set but empty: nothing installed, a loud message, exit 0', () => {
    const home = mkdtempSync(join(tmpdir(), 'ew-home-'));
    const r = run({ HOME: home, ONE_DEPLOY_DIR: join(home, 'none') });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`one-deploy is NOT installed: ONE_DEPLOY_DIR=${join(home, 'none')} holds no opennebula.deploy`);
    expect(existsSync(join(home, '.ansible'))).toBe(false);
  });

  test('ONE_DEPLOY_DIR holding one-deploy: found, nothing fetched', () => {
    const home = mkdtempSync(join(tmpdir(), 'ew-home-'));
    const od = join(home, 'od', 'roles', 'frr', 'evpn');
    mkdirSync(od, { recursive: true });
    const r = run({ HOME: home, ONE_DEPLOY_DIR: join(home, 'od') });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`one-deploy found at ONE_DEPLOY_DIR=${join(home, 'od')}`);
  });

  const root = process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0;
  if (!root) console.warn('SKIPPED: collections/install.sh without /opt/one-deploy needs root (unshare --mount).');
  (root ? test : test.skip)('no ONE_DEPLOY_DIR, no /opt/one-deploy, no route to the source: fails soft and loudly', () => {
    const home = mkdtempSync(join(tmpdir(), 'ew-home-'));
    // /opt hidden in a private mount namespace; GIT_CONFIG_* sends the source to an address that refuses.
    const r = spawnSync('unshare', ['--mount', 'sh', '-c', 'mount -t tmpfs none /opt && exec bash collections/install.sh'], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: home,
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'url.http://127.0.0.1:9/.insteadOf',
        GIT_CONFIG_VALUE_0: 'https://github.com/',
      },
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`one-deploy is NOT installed: /opt/one-deploy is absent and ${pin.source} cannot be reached from here.`);
    expect(r.stderr).toContain('ansible-galaxy collection install -r collections/requirements.yml');
    expect(existsSync(join(home, '.ansible'))).toBe(false);
  });
});

test('package files ship the pin', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] };
  expect(pkg.files).toContain('collections');
  expect(existsSync('collections/install.sh')).toBe(true);
});
