/**
 * Where FRR comes from: one-deploy's own switch (`repos_enabled`), never `frr_repo`
 * (in one-deploy a registered result whose presence skips FRR's repository and its pin).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseScenario, renderInventory } from '../../src/core/index.js';
import { cli } from '../support/cli.js';

const SEED = readFileSync('examples/seed-practical.yaml', 'utf8');
const withAnsible = (lines: string) => `${SEED.trimEnd()}\nansible:\n${lines}`;
const vars = (text: string) => parse(renderInventory(parseScenario(text).scenario), { version: '1.1' }).all.vars;

test("the seed scenario: no frr_repo, no repos_enabled (one-deploy adds FRR's repository with its pin)", () => {
  expect(SEED).not.toMatch(/^ansible:/m);
  const v = vars(SEED);
  expect(v).not.toHaveProperty('frr_repo');
  expect(v).not.toHaveProperty('repos_enabled');
});

test('repos_enabled: [] is written as one-deploy reads it', () => {
  const text = withAnsible('  repos_enabled: []\n');
  expect(parseScenario(text).warnings).toEqual([]);
  expect(vars(text).repos_enabled).toEqual([]);
  expect(renderInventory(parseScenario(text).scenario)).toMatch(/^ {4}repos_enabled: \[\]$/m);
});

test('repos_enabled: [frr] is passed through', () => {
  expect(vars(withAnsible('  repos_enabled: [frr]\n')).repos_enabled).toEqual(['frr']);
});

test('an old scenario with frr_repo keeps working: read as repos_enabled: [] with one sentence', () => {
  const { scenario, warnings } = parseScenario(withAnsible('  frr_repo: distro\n'));
  expect(warnings.map((w) => [w.field, w.message])).toEqual([
    [
      'ansible.frr_repo',
      "ansible.frr_repo is retired and is read as ansible.repos_enabled: [] (FRR from the distribution): write that instead, or remove both to get one-deploy's pinned FRR 10.5.",
    ],
  ]);
  const v = parse(renderInventory(scenario), { version: '1.1' }).all.vars;
  expect(v.repos_enabled).toEqual([]);
  expect(v).not.toHaveProperty('frr_repo');
});

test('frr_repo next to repos_enabled: ignored, with one sentence', () => {
  const { scenario, warnings } = parseScenario(withAnsible('  frr_repo: distro\n  repos_enabled: [frr]\n'));
  expect(warnings.map((w) => w.message)).toEqual(['ansible.frr_repo is retired and ignored, since ansible.repos_enabled is set: remove it.']);
  expect(scenario.ansible.repos_enabled).toEqual(['frr']);
});

test('an unknown repository is refused with the field and the choices', () => {
  expect(() => parseScenario(withAnsible('  repos_enabled: [frrouting]\n'))).toThrow(
    'ansible.repos_enabled[0] "frrouting" is not one of ceph, frr, grafana, opennebula: pick one of those.',
  );
});

test('regenerating over a hosts.yml written with frr_repo removes it', () => {
  const { scenario } = parseScenario(SEED);
  const old = renderInventory(scenario).replace(/^( {4})evpn_as:/m, '$1frr_repo: distro\n$1evpn_as:');
  expect(parse(old, { version: '1.1' }).all.vars.frr_repo).toBe('distro');
  const merged = parse(renderInventory(scenario, old), { version: '1.1' }).all.vars;
  expect(merged).not.toHaveProperty('frr_repo');
});

test('validate: the warning is printed, exit 0; generate writes repos_enabled: []', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ew-frr-source-'));
  const file = join(dir, 'old.yaml');
  await writeFile(file, withAnsible('  frr_repo: distro\n'));
  const v = await cli('validate', '-f', file);
  expect(v.code).toBe(0);
  expect(`${v.out}${v.err}`).toContain('ansible.frr_repo is retired');
  const g = await cli('generate', '-f', file, '--out', join(dir, 'out'));
  expect(g.code).toBe(0);
  const hosts = await readFile(join(dir, 'out', 'hosts.yml'), 'utf8');
  expect(hosts).not.toContain('frr_repo');
  expect(parse(hosts, { version: '1.1' }).all.vars.repos_enabled).toEqual([]);
});
