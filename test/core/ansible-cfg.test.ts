/** ansible.cfg names where edge-wizard's roles and one-deploy are (src/core/plan.ts); the hand path that runs it: test/deploy/hand-path.system.test.ts. */
import { readFileSync } from 'node:fs';
import { planFiles } from '../../src/core/plan.js';
import { parseScenario } from '../../src/core/index.js';

const { scenario } = parseScenario(readFileSync('examples/seed-practical.yaml', 'utf8'));
const cfg = (paths: Parameters<typeof planFiles>[2]) => planFiles(scenario!, {}, paths).files.find((f) => f.path === 'ansible.cfg')!.content;

test('roles_path, collections_path and the printed line name the paths given', () => {
  const text = cfg({ roles: '/srv/ew/roles', playbooks: '/srv/ew/playbooks', collections: '/opt/od/ansible_collections' });
  expect(text).toContain('#   ANSIBLE_CONFIG=$PWD/ansible.cfg ansible-playbook -e @.deploy-vars.json /srv/ew/playbooks/site.yml\n');
  expect(text).toContain('\nroles_path = /srv/ew/roles\ncollections_path = /opt/od/ansible_collections\n');
});

test('one-deploy not found: no collections_path, a comment saying so', () => {
  const text = cfg({ roles: '/srv/ew/roles', playbooks: '/srv/ew/playbooks' });
  expect(text).not.toMatch(/^collections_path/m);
  expect(text).toContain('# collections_path: one-deploy was not found');
});

test('a % is written as it is (ansible-core does not interpolate); a path ansible.cfg cannot hold is named in a comment instead', () => {
  expect(cfg({ roles: '/srv/100%/roles', playbooks: '/srv/100%/playbooks' })).toContain('\nroles_path = /srv/100%/roles\n');
  const text = cfg({ roles: '/srv/a:b/roles', playbooks: '/srv/a:b/playbooks', collections: '/opt/$HOME\n/ansible_collections' });
  expect(text).not.toMatch(/^(roles_path|collections_path)/m);
  expect(text).toContain('# roles_path: edge-wizard\'s roles are in "/srv/a:b/roles", which ansible.cfg cannot hold');
  expect(text).toContain('# collections_path: one-deploy is in "/opt/$HOME\\n/ansible_collections", which ansible.cfg cannot hold');
});
