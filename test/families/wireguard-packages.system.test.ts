/**
 * roles/wireguard's package install per family: the plan (vars/main.yml,
 * wireguard__package_plan) for every family the roles support, read by Ansible
 * itself with each family's facts; and tasks/packages.yml run for real, in check
 * mode, on this machine (Debian 12, real facts): the apt cache update is chosen and
 * nothing is installed or fetched.
 */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { FAMILIES } from './families.js';

jest.setTimeout(300_000);

function playbook(work: string, inventory: unknown, plays: string, args: string[] = []) {
  writeFileSync(join(work, 'inventory.yml'), stringify(inventory));
  writeFileSync(join(work, 'playbook.yml'), plays);
  writeFileSync(join(work, 'ansible.cfg'), '[defaults]\n');
  const r = spawnSync('ansible-playbook', ['-i', join(work, 'inventory.yml'), join(work, 'playbook.yml'), ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      ANSIBLE_CONFIG: join(work, 'ansible.cfg'),
      ANSIBLE_ROLES_PATH: resolve('roles'),
      ANSIBLE_STDOUT_CALLBACK: 'json',
      ANSIBLE_NOCOLOR: '1',
    },
  });
  const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
    plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, Record<string, unknown>> }> }>;
    stats: Record<string, { changed: number; failures: number }>;
  };
  return { status: r.status, json };
}

test('the install plan per family', () => {
  const work = mkdtempSync(join(tmpdir(), 'ew-wg-plan-'));
  const hosts = Object.fromEntries(
    Object.entries(FAMILIES).map(([name, facts]) => [name, { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3', ...facts }]),
  );
  const r = playbook(
    work,
    { all: { hosts } },
    [
      '- hosts: all',
      '  gather_facts: false',
      '  tasks:',
      '    - ansible.builtin.include_vars: { file: "' + resolve('roles/wireguard/vars/main.yml') + '" }',
      '    - ansible.builtin.include_vars: { file: "' + resolve('roles/wireguard/defaults/main.yml') + '" }',
      '    - ansible.builtin.debug: { var: wireguard__package_plan }',
      '',
    ].join('\n'),
  );
  expect(r.status).toBe(0);
  const plan = Object.fromEntries(Object.entries(r.json.plays[0]!.tasks[2]!.hosts).map(([h, v]) => [h, v.wireguard__package_plan]));
  const apt = { apt_update: true, epel: '', packages: ['wireguard-tools'] };
  expect(plan).toEqual({
    debian12: apt,
    debian13: apt,
    ubuntu2004: apt,
    ubuntu2204: apt,
    ubuntu2404: apt,
    alma8: { apt_update: false, epel: 'epel-release', packages: ['wireguard-tools'] },
    alma9: { apt_update: false, epel: '', packages: ['wireguard-tools'] },
    rhel8: { apt_update: false, epel: 'https://dl.fedoraproject.org/pub/epel/epel-release-latest-8.noarch.rpm', packages: ['wireguard-tools'] },
    rhel9: { apt_update: false, epel: '', packages: ['wireguard-tools'] },
    sles15: 'unsupported',
  });
});

const debian12 = spawnSync('sh', ['-c', '. /etc/os-release && [ "$ID" = debian ] && [ "$VERSION_ID" = 12 ] && [ "$(id -u)" = 0 ]']).status === 0;
if (!debian12) console.warn('SKIPPED: tasks/packages.yml in check mode needs root on Debian 12.');
(debian12 ? test : test.skip)('tasks/packages.yml on this Debian 12 machine, check mode: apt cache update first, then wireguard-tools (already there)', () => {
  const work = mkdtempSync(join(tmpdir(), 'ew-wg-pkg-'));
  const r = playbook(
    work,
    { all: { hosts: { here: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' } } } },
    ['- hosts: all', '  gather_facts: true', '  tasks:', '    - ansible.builtin.include_role: { name: wireguard, tasks_from: packages }', ''].join('\n'),
    ['--check'],
  );
  expect(r.status).toBe(0);
  const ran = r.json.plays[0]!.tasks.map((t) => [
    t.task.name.replace(/^wireguard : /, ''),
    t.hosts.here?.skipped ? 'skipped' : t.hosts.here?.failed ? 'failed' : 'ran',
  ]);
  expect(ran).toEqual([
    ['Gathering Facts', 'ran'],
    ['ansible.builtin.include_role : wireguard', 'ran'],
    ['Gather the OS facts the package install depends on', 'skipped'],
    ["Check that the role knows this host's family", 'ran'],
    ['Update the apt cache before the first install', 'ran'],
    ['Enable EPEL for wireguard-tools', 'skipped'],
    ['Install wireguard-tools', 'ran'],
  ]);
  expect(r.json.plays[0]!.tasks.at(-1)!.hosts.here!.changed).toBe(false);
});
