import { describe, expect, test } from '@jest/globals';
import { findOneDeploy, parseAnsibleVersion, versionAtLeast, ansibleEnv } from '../../src/adapters/ansible.js';
import { problemsFromEvents, recapFromEvents, runnerArgv, type JobEvent } from '../../src/adapters/runner.js';
import { chooseRenderer } from '../../src/app/deploy.js';
import { selectSteps } from '../../src/app/steps/index.js';
import { eventsFromText } from '../support/fake-runner.js';

const OUTPUT = `
PLAY [Distribute the controller's key to the KVM hosts (via the frontend)] *****

TASK [root_access : Add the controller's key to root's authorized_keys] ********
changed: [kvm_london -> fe1]
fatal: [kvm_ncalifornia -> fe1]: FAILED! => {"changed": false, "cmd": ["ssh"], "msg": "non-zero return code", "rc": 255, "stderr": "ssh: connect to host 198.51.100.21 port 22: No route to host", "stdout": ""}

TASK [Reach kvm_london as root] *************************************************
fatal: [kvm_other]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh: Connection timed out", "unreachable": true}
failed: [kvm_x] (item=ingress) => {"ansible_loop_var": "item", "changed": false, "msg": "assertion failed"}
fatal: [kvm_y]: FAILED! => {"changed": false, "msg": "ignored one"}
...ignoring

PLAY RECAP *********************************************************************
kvm_london                 : ok=3    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
kvm_ncalifornia            : ok=1    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
kvm_other                  : ok=0    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0
`;

// What the fake runner (test/support/fake-runner.ts) makes of a table's default-callback text,
// read back by the runner path (adapters/runner.ts) as a deploy step reads the real runner's events.
const EVENTS = eventsFromText(OUTPUT) as unknown as JobEvent[];

describe('ansible adapter', () => {
  test("the PLAY RECAP per host, through the fake runner's job events", () => {
    const r = recapFromEvents(EVENTS);
    expect(r.kvm_london).toMatchObject({ ok: 3, changed: 1, failed: 0 });
    expect(r.kvm_ncalifornia).toMatchObject({ failed: 1 });
    expect(r.kvm_other).toMatchObject({ unreachable: 1 });
  });

  test("names host, task, delegate and cause of every failure, skipping ignored ones, through the fake runner's job events", () => {
    const p = problemsFromEvents(EVENTS);
    expect(p).toHaveLength(3);
    expect(p[0]).toMatchObject({
      host: 'kvm_ncalifornia',
      via: 'fe1',
      kind: 'failed',
      task: "root_access : Add the controller's key to root's authorized_keys",
    });
    expect(p[0]!.message).toContain('No route to host');
    expect(p[1]).toMatchObject({ host: 'kvm_other', kind: 'unreachable' });
    expect(p[1]!.message).toContain('Connection timed out');
    expect(p[2]).toMatchObject({ host: 'kvm_x', item: 'ingress', message: 'assertion failed' });
  });

  test('builds argv as an array, never a shell string: a hostile limit or playbook path stays one argument', () => {
    const argv = runnerArgv({
      outDir: '/i',
      ident: 'x',
      playbook: '/p/word list; rm -rf ~.yml',
      inventory: '/i/hosts.yml',
      extraVars: {},
      limit: 'all,!kvm_b $(id)',
    });
    expect(argv).toContain('all,!kvm_b $(id)');
    expect(argv.at(-1)).toBe('/p/word list; rm -rf ~.yml');
    expect(argv.every((a) => typeof a === 'string')).toBe(true);
  });

  test('environment points at ansible.cfg, roles and the collection', () => {
    const env = ansibleEnv({ inventoryDir: '/inv', collectionsPath: '/opt/one-deploy/ansible_collections' });
    expect(env.ANSIBLE_CONFIG).toBe('/inv/ansible.cfg');
    expect(env.ANSIBLE_ROLES_PATH).toMatch(/roles$/);
    expect(env.ANSIBLE_COLLECTIONS_PATH).toBe('/opt/one-deploy/ansible_collections');
  });

  test('ansible-core version', () => {
    expect(parseAnsibleVersion('ansible-playbook [core 2.14.18]\n  config file = None')).toBe('2.14.18');
    expect(versionAtLeast('2.14.18', '2.14.0')).toBe(true);
    expect(versionAtLeast('2.13.9', '2.14.0')).toBe(false);
  });

  test('finds one-deploy through ONE_DEPLOY_DIR first', () => {
    const have = new Set([
      '/x/one-deploy/ansible_collections/opennebula/deploy/roles/frr/evpn',
      '/opt/one-deploy/ansible_collections/opennebula/deploy/roles/frr/evpn',
    ]);
    expect(findOneDeploy({ ONE_DEPLOY_DIR: '/x/one-deploy' }, (p) => have.has(p))).toBe('/x/one-deploy/ansible_collections');
    expect(findOneDeploy({}, (p) => have.has(p))).toBe('/opt/one-deploy/ansible_collections');
    expect(findOneDeploy({}, () => false)).toBeUndefined();
  });

  test('steps: --from, --only, preflight always first', () => {
    expect(selectSteps({})).toEqual(['preflight', 'unchanged', 'root-access', 'firewall', 'wireguard', 'frr', 'frr-layer', 'verify', 'opennebula']);
    expect(selectSteps({ from: 'wireguard' })).toEqual(['preflight', 'wireguard', 'frr', 'frr-layer', 'verify', 'opennebula']);
    expect(selectSteps({ only: 'frr' })).toEqual(['preflight', 'frr']);
    expect(() => selectSteps({ only: 'nope' })).toThrow(/not a step/);
  });

  test('renderer: silent in tests, simple in CI or without a TTY, default at a terminal', () => {
    expect(chooseRenderer({ test: true, isTTY: true })).toBe('silent');
    expect(chooseRenderer({ ci: true, isTTY: true })).toBe('simple');
    expect(chooseRenderer({ isTTY: false })).toBe('simple');
    expect(chooseRenderer({ isTTY: true })).toBe('default');
  });
});
