/** playbooks/host-facts.yml, run by the real ansible-playbook against this machine (connection=local) and an unreachable KVM host. The parsing and the preflight step: host-families.test.ts. */
import { expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseHostReports } from '../../src/core/families.js';

test('host-facts.yml on this machine (direct) and an unreachable KVM host (through a frontend that cannot reach it)', () => {
  const work = mkdtempSync(join(tmpdir(), 'ew-host-facts-'));
  writeFileSync(
    join(work, 'inventory.yml'),
    stringify({
      router: { hosts: { ingress: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' } } },
      node: { hosts: { kvm_a: { ansible_host: '127.0.0.1', ansible_port: 1, ansible_ssh_common_args: '-o ConnectTimeout=3' } } },
      edge_frontend: { hosts: { fe1: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' } } },
    }),
  );
  writeFileSync(join(work, 'ansible.cfg'), '[defaults]\nhost_key_checking = False\n');
  const r = spawnSync(
    'ansible-playbook',
    [
      '-i',
      join(work, 'inventory.yml'),
      resolve('playbooks/host-facts.yml'),
      '-e',
      'root_access_frontend=fe1',
      '-e',
      `root_access_oneprovision_key=${join(work, 'no-key')}`,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_CONFIG: join(work, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1' },
    },
  );
  expect(r.status).toBe(0);
  const reports = parseHostReports(r.stdout);
  const os = Object.fromEntries(
    readFileSync('/etc/os-release', 'utf8')
      .split('\n')
      .map((l) => /^([A-Z_]+)=("?)(.*)\2$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[3]!]),
  );
  const dpkg = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', 'frr'], { encoding: 'utf8' }).stdout;
  const frr = /^install ok installed (.+)$/.exec(dpkg)?.[1];
  expect(reports.find((x) => x.host === 'ingress')).toEqual({
    host: 'ingress',
    via: 'direct',
    id: os.ID,
    versionId: os.VERSION_ID,
    pretty: os.PRETTY_NAME,
    ...(frr ? { frr } : {}),
  });
  const kvm = reports.find((x) => x.host === 'kvm_a')!;
  expect(kvm.via).toBe('none');
  expect(kvm.error).toMatch(/port 1: Connection refused/);
}, 120_000);
