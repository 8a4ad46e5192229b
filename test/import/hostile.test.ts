/** import: inputs checked against a schema before use; each problem one sentence, exit 2, the scenario untouched. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportFormatError, parseAnsibleInventory, parseOneprovision, parseOneprovision7, parseProvision } from '../../src/core/import/provision.js';
import { cli } from '../support/cli.js';

const fixture = (p: string) => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');
const SHOW = JSON.parse(fixture('oneprovision-6/show-7.json'));
const POOL = JSON.parse(fixture('oneprovision-6/onehost-list.json'));
const SHOW7 = JSON.parse(fixture('oneprovision-7/show-5.json'));
const LIST = JSON.parse(fixture('ansible-inventory/list.json'));
const SHOW_FIX = 'save the output of "oneprovision show ID --json" again.';
const HOSTS_FIX = 'save the output of "onehost list --json" again.';

/** `base` with the value at `path` replaced (a deep copy). */
function edit(base: unknown, path: Array<string | number>, value: unknown): string {
  const copy = JSON.parse(JSON.stringify(base));
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]!] = value;
  return JSON.stringify(copy);
}

function sentence(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ImportFormatError);
    return (e as Error).message;
  }
  return 'no error';
}

const BODY = ['DOCUMENT', 'TEMPLATE', 'BODY'];
const INFRA = [...BODY, 'provision', 'infrastructure'];

describe('oneprovision show: one sentence naming the field and the fix', () => {
  test.each([
    [
      'a null host entry',
      edit(SHOW, [...INFRA, 'hosts', 0], null),
      `has DOCUMENT.TEMPLATE.BODY.provision.infrastructure.hosts[0] null where a mapping belongs: ${SHOW_FIX}`,
    ],
    [
      'a host without a name',
      edit(SHOW, [...INFRA, 'hosts', 1], { id: 9 }),
      `has no DOCUMENT.TEMPLATE.BODY.provision.infrastructure.hosts[1].name: ${SHOW_FIX}`,
    ],
    [
      'a host id that is not a number',
      edit(SHOW, [...INFRA, 'hosts', 0, 'id'], 'three'),
      `has DOCUMENT.TEMPLATE.BODY.provision.infrastructure.hosts[0].id "three" where a number belongs: ${SHOW_FIX}`,
    ],
    [
      'hosts as a string',
      edit(SHOW, [...INFRA, 'hosts'], 'x'),
      `has DOCUMENT.TEMPLATE.BODY.provision.infrastructure.hosts "x" where a mapping or a list belongs: ${SHOW_FIX}`,
    ],
    [
      'a null network entry',
      edit(SHOW, [...INFRA, 'networks', 1], null),
      `has DOCUMENT.TEMPLATE.BODY.provision.infrastructure.networks[1] null where a mapping belongs: ${SHOW_FIX}`,
    ],
    ['a BODY that is malformed JSON', edit(SHOW, BODY, '{"name": "london", '), `has a DOCUMENT.TEMPLATE.BODY that is not valid JSON: ${SHOW_FIX}`],
    ['a BODY that is JSON null', edit(SHOW, BODY, 'null'), `has DOCUMENT.TEMPLATE.BODY null where a mapping belongs: ${SHOW_FIX}`],
    ['a null BODY', edit(SHOW, BODY, null), `has DOCUMENT.TEMPLATE.BODY null where a mapping or a string belongs: ${SHOW_FIX}`],
    ['no TEMPLATE', edit(SHOW, ['DOCUMENT', 'TEMPLATE'], undefined), `has no DOCUMENT.TEMPLATE: ${SHOW_FIX}`],
    ['a null DOCUMENT', edit(SHOW, ['DOCUMENT'], null), `has DOCUMENT null where a mapping belongs: ${SHOW_FIX}`],
    ['JSON null', 'null', `holds null where a mapping belongs: ${SHOW_FIX}`],
    ['a list', '[1, 2]', `holds [1,2] where a mapping belongs: ${SHOW_FIX}`],
    ['not JSON', '{"DOCUMENT": ', 'is not JSON: save the output of "oneprovision show ID --json".'],
  ])('%s', (_what, text, message) => {
    expect(sentence(() => parseOneprovision(text))).toBe(message);
  });

  test('a long or hostile value is echoed cut and escaped', () => {
    const m = sentence(() => parseOneprovision(edit(SHOW, [...INFRA, 'hosts', 0, 'id'], `\u001b[2J${'9'.repeat(500)}x`)));
    expect(m).toBe(
      `has DOCUMENT.TEMPLATE.BODY.provision.infrastructure.hosts[0].id "\\x1b[2J${'9'.repeat(52)}…" (505 characters) where a number belongs: ${SHOW_FIX}`,
    );
  });

  test('a provision file over 4 MiB is refused before parsing', () => {
    expect(sentence(() => parseOneprovision(`{"x": "${'a'.repeat(4 * 1024 * 1024)}"}`))).toBe(
      'is larger than 4 MiB, the limit for input files: check that it is the right file.',
    );
  });
});

describe('onehost list (--hosts)', () => {
  test.each([
    [
      'a null host',
      edit(POOL, ['HOST_POOL', 'HOST', 1], null),
      `is fine, but the --hosts file has HOST_POOL.HOST[1] null where a mapping belongs: ${HOSTS_FIX}`,
    ],
    [
      'a NAME that is a number',
      edit(POOL, ['HOST_POOL', 'HOST', 0, 'NAME'], 18),
      `is fine, but the --hosts file has HOST_POOL.HOST[0].NAME 18 where a string belongs: ${HOSTS_FIX}`,
    ],
    [
      'a null TEMPLATE',
      edit(POOL, ['HOST_POOL', 'HOST', 0, 'TEMPLATE'], null),
      `is fine, but the --hosts file has HOST_POOL.HOST[0].TEMPLATE null where a mapping belongs: ${HOSTS_FIX}`,
    ],
    ['a null pool', '{"HOST_POOL": null}', `is fine, but the --hosts file has HOST_POOL null where a mapping belongs: ${HOSTS_FIX}`],
    ['no pool', '{}', `is fine, but the --hosts file has no HOST_POOL at the top level: ${HOSTS_FIX}`],
    ['not JSON', 'HOST_POOL', 'is fine, but the --hosts file is not JSON: save the output of "onehost list --json".'],
  ])('%s', (_what, hosts, message) => {
    expect(sentence(() => parseOneprovision(JSON.stringify(SHOW), hosts))).toBe(message);
  });

  test('one host as an object rather than a list still reads', () => {
    const one = JSON.stringify({ HOST_POOL: { HOST: POOL.HOST_POOL.HOST[0] } });
    expect(parseOneprovision(JSON.stringify(SHOW), one).hosts).toEqual([{ public_ip: '18.134.246.200', one_id: 3 }]);
  });
});

describe('oneprovision show (OpenNebula 7.2+)', () => {
  const FIX = 'save the output of "oneprovision show ID --json" (OpenNebula 7.2 or later) again.';
  const OBJ = ['TEMPLATE', 'PROVISION_BODY', 'one_objects'];
  test.each([
    ['a null host entry', edit(SHOW7, [...OBJ, 'hosts', 0], null), `has TEMPLATE.PROVISION_BODY.one_objects.hosts[0] null where a mapping belongs: ${FIX}`],
    ['a host without a name', edit(SHOW7, [...OBJ, 'hosts', 1], { id: 9 }), `has no TEMPLATE.PROVISION_BODY.one_objects.hosts[1].name: ${FIX}`],
    [
      'a host id that is not a number',
      edit(SHOW7, [...OBJ, 'hosts', 0, 'id'], 'three'),
      `has TEMPLATE.PROVISION_BODY.one_objects.hosts[0].id "three" where a number belongs: ${FIX}`,
    ],
    [
      'hosts as a mapping',
      edit(SHOW7, [...OBJ, 'hosts'], { a: 1 }),
      `has TEMPLATE.PROVISION_BODY.one_objects.hosts {"a":1} where a list or nothing belongs: ${FIX}`,
    ],
    ['no one_objects', edit(SHOW7, [...OBJ], undefined), `has no TEMPLATE.PROVISION_BODY.one_objects: ${FIX}`],
    [
      'a network template that is a string',
      edit(SHOW7, [...OBJ, 'networks', 1, 'template'], 'elastic'),
      `has TEMPLATE.PROVISION_BODY.one_objects.networks[1].template "elastic" where a mapping or nothing belongs: ${FIX}`,
    ],
    ['a null PROVISION_BODY', edit(SHOW7, ['TEMPLATE', 'PROVISION_BODY'], null), `has TEMPLATE.PROVISION_BODY null where a mapping belongs: ${FIX}`],
    ['no ID', edit(SHOW7, ['ID'], undefined), `has no ID at the top level: ${FIX}`],
    [
      'no host yet (a provision still APPLYING)',
      edit(SHOW7, [...OBJ, 'hosts'], null),
      'lists no host named by an IP address under TEMPLATE.PROVISION_BODY.one_objects.hosts for provision 5: run it again once the provision is RUNNING.',
    ],
    [
      'the API form with a bad host',
      JSON.stringify({ DOCUMENT: JSON.parse(edit(SHOW7, [...OBJ, 'hosts', 0, 'name'], 7)) }),
      `has DOCUMENT.TEMPLATE.PROVISION_BODY.one_objects.hosts[0].name 7 where a string belongs: ${FIX}`,
    ],
  ])('%s', (_what, text, message) => {
    expect(sentence(() => parseOneprovision7(text))).toBe(message);
  });
});

describe('ansible-inventory --list', () => {
  const FIX = 'save the output of "ansible-inventory -i inventory.yaml --list" in the provision\'s ansible directory again.';
  test.each([
    ['node hosts as a mapping', edit(LIST, ['node', 'hosts'], { n1: {} }), `has node.hosts {"n1":{}} where a list belongs: ${FIX}`],
    ['a host name that is a number', edit(LIST, ['node', 'hosts', 0], 1), `has node.hosts[0] 1 where a string belongs: ${FIX}`],
    [
      'host variables that are a list',
      edit(LIST, ['_meta', 'hostvars', 'n2'], ['18.135.1.7']),
      `has _meta.hostvars.n2 ["18.135.1.7"] where a mapping or nothing belongs: ${FIX}`,
    ],
    [
      'ansible_host a list',
      edit(LIST, ['_meta', 'hostvars', 'n1', 'ansible_host'], [1]),
      `has _meta.hostvars.n1.ansible_host [1] where a string belongs: ${FIX}`,
    ],
    ['no node group', edit(LIST, ['node'], undefined), `has no host with an IP address as ansible_host in the "node" group: ${FIX}`],
    [
      'a scalar',
      '"just text"',
      'is JSON of no kind edge-wizard imports: pass "oneprovision show ID --json" (with --hosts "onehost list --json" on OpenNebula 6.x) or "ansible-inventory -i inventory.yaml --list" of a OneForm provision.',
    ],
    ['not JSON', '{"_meta": ', `is not JSON: ${FIX}`],
  ])('%s', (_what, text, message) => {
    expect(sentence(() => (_what === 'a scalar' ? parseProvision(text) : parseAnsibleInventory(text)))).toBe(message);
  });

  test.each([
    [
      'hosts as a list',
      'all:\n  children:\n    node:\n      hosts: [n1, n2]\n',
      `has all.children.node.hosts ["n1","n2"] where a mapping or nothing belongs: ${FIX}`,
    ],
    [
      'a host that is a string',
      'all:\n  children:\n    node:\n      hosts:\n        n1: 18.134.246.200\n',
      `has all.children.node.hosts.n1 "18.134.246.200" where a mapping or nothing belongs: ${FIX}`,
    ],
    ['a child group that is a list', 'all:\n  children:\n    node: [n1]\n', `has all.children.node ["n1"] where a mapping or nothing belongs: ${FIX}`],
    [
      'vn a list',
      'all:\n  vars:\n    vn: [a]\n  children:\n    node:\n      hosts:\n        n1: { ansible_host: 18.134.246.200 }\n',
      `has all.vars.vn ["a"] where a mapping or nothing belongs: ${FIX}`,
    ],
    [
      'broken YAML',
      'all: [\n',
      `is not YAML edge-wizard can read (Line 2: Flow sequence in block collection must be sufficiently indented and end with a ]; fix the YAML syntax there): ${FIX}`,
    ],
    [
      'an alias bomb',
      `all:\n  vars:\n    a: &a [x,x,x,x,x,x,x,x,x]\n${Array.from({ length: 9 }, (_, k) => `    ${'bcdefghij'[k]}: &${'bcdefghij'[k]} [${Array(9).fill(`*${'abcdefghij'[k]}`).join(',')}]`).join('\n')}\n`,
      `is not YAML edge-wizard can read (Line 7: aliases expand the file by more than 10000 values (at *d); write the values out instead): ${FIX}`,
    ],
  ])('--yaml: %s', (_what, text, message) => {
    expect(sentence(() => parseAnsibleInventory(text))).toBe(message);
  });

  test('a YAML inventory that is not ansible-inventory output (the old hand-written hosts.yml): which output to pass', () => {
    expect(sentence(() => parseProvision('node:\n  hosts:\n    n1: { ansible_host: 18.134.246.200 }\n'))).toBe(
      'is not JSON, nor the YAML of "ansible-inventory --list --yaml": pass "oneprovision show ID --json" (with --hosts "onehost list --json" on OpenNebula 6.x) or "ansible-inventory -i inventory.yaml --list" of a OneForm provision.',
    );
  });

  test('--hosts with a format that lists its own hosts', () => {
    expect(sentence(() => parseProvision(JSON.stringify(LIST), { hostsText: JSON.stringify(POOL) }))).toBe(
      'is ansible-inventory output, which lists its hosts itself: drop --hosts (it is for OpenNebula 6.x "onehost list --json").',
    );
  });
});

describe('edge-wizard import on hostile inputs: exit 2, one sentence, scenario untouched', () => {
  const seed = readFileSync('examples/seed-practical.yaml', 'utf8');
  test.each([
    ['show.json', edit(SHOW, [...INFRA, 'hosts', 0], null), undefined],
    ['show.json', edit(SHOW, BODY, '{not json'), undefined],
    ['show.json', JSON.stringify(SHOW), edit(POOL, ['HOST_POOL', 'HOST', 0], null)],
    ['show7.json', edit(SHOW7, ['TEMPLATE', 'PROVISION_BODY', 'one_objects', 'hosts', 0], null), undefined],
    ['inventory.json', edit(LIST, ['node', 'hosts'], 'n1'), undefined],
    ['inventory.yml', 'all:\n  children:\n    node:\n      hosts: [a]\n', undefined],
    ['hosts.yml', 'node:\n  hosts:\n    n1: { ansible_host: 18.134.246.200 }\n', undefined],
  ])('%s', async (name, from, hosts) => {
    const dir = mkdtempSync(join(tmpdir(), 'ew-import-bad-'));
    const file = join(dir, 'edge-wizard.yaml');
    writeFileSync(file, seed);
    writeFileSync(join(dir, name), from);
    const argv = ['import', '-f', file, '--from', join(dir, name), '--yes'];
    if (hosts !== undefined) {
      writeFileSync(join(dir, 'hosts.json'), hosts);
      argv.push('--hosts', join(dir, 'hosts.json'));
    }
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^edge-wizard: --from ${join(dir, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} [^\\n]+: [^\\n]+\\.\\n$`));
    expect(r.err).not.toMatch(/TypeError|at Object\.|--debug/);
    expect(readFileSync(file, 'utf8')).toBe(seed);
  });
});
