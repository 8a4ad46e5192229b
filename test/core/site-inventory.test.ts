/**
 * `generate --into`: the overlay merged into a team's one-deploy inventory (core/site-inventory.ts).
 * Their bytes kept (only marked lines added), a second run changes nothing, conflicts refused with
 * one sentence each, hostile strings in their file and ours, and the CLI on disk (mode, dry run,
 * exit 2 with nothing written, a removed host).
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { parseScenario } from '../../src/core/index.js';
import { UsageError } from '../../src/core/errors.js';
import { BLOCK_END, BLOCK_START, LINK_MARK, planInto, type SiteInventory } from '../../src/core/site-inventory.js';
import type { Scenario } from '../../src/core/scenario.js';
import { cli } from '../support/cli.js';

const SEED_SCENARIO = readFileSync('examples/seed-practical.yaml', 'utf8');
/** The seed's own inventory, verbatim: the team's one-deploy inventory. */
const SEED_SITE = readFileSync('test/fixtures/seed-practical/seed-inventory.yml', 'utf8');

function scenario(edit: (d: ReturnType<typeof parseDocument>) => void = () => undefined): Scenario {
  const d = parseDocument(SEED_SCENARIO);
  edit(d);
  return parseScenario(d.toString()).scenario;
}
const site = (text: string, varsFiles: Record<string, string> = {}, ownFiles: string[] = []): SiteInventory => ({
  name: 'hosts.yml',
  text,
  varsFiles,
  ownFiles,
});

/** The lines of `after` edge-wizard added: its block and the marked lines. */
function withoutOurs(after: string): string {
  const start = after.indexOf(BLOCK_START);
  const end = after.indexOf('\n', after.indexOf(BLOCK_END)) + 1;
  const noBlock = start < 0 ? after : after.slice(0, start) + after.slice(end);
  return noBlock
    .split('\n')
    .filter((l) => !l.endsWith(LINK_MARK))
    .join('\n');
}

function refused(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('not refused');
}

describe('the seed: its own inventory, with the overlay merged in', () => {
  const s = scenario();
  const plan = planInto(s, site(SEED_SITE));

  test('their bytes are all kept: removing the marked lines and the block gives the file back byte for byte', () => {
    expect(plan.hostsText).not.toBe(SEED_SITE);
    expect(withoutOurs(plan.hostsText)).toBe(SEED_SITE);
    // The seed's shape: fe1 in frontend, ds, vn and their plain one_pass untouched; no frontend_group.
    const inv = parse(plan.hostsText, { version: '1.1' });
    expect(Object.keys(inv.frontend.hosts)).toEqual(['fe1']);
    expect(inv.all.vars.ds).toEqual({ mode: 'ssh' });
    expect(inv.all.vars.vn['private_evpn-vxlan'].template.IP_LINK_CONF).toBe('nolearning=');
    expect(inv.all.vars.frontend_group).toBeUndefined();
    expect(inv.router.children).toEqual({ edge_wizard_router: {} });
    expect(inv.node.children).toEqual({ edge_wizard_node: {} });
    // Their KVM hosts are theirs; the reflecting ones join router through edge-wizard's group, with no vars.
    expect(inv.edge_wizard_router).toEqual({ hosts: { kvm_london: {}, kvm_ncalifornia: {} } });
    expect(inv.edge_wizard_node).toBeUndefined();
  });

  test('a second run changes no byte, of their file or of ours', () => {
    const again = planInto(
      s,
      site(
        plan.hostsText,
        {},
        plan.files.map((f) => f.path),
      ),
    );
    expect(again.hostsText).toBe(plan.hostsText);
    expect(again.files).toEqual(plan.files);
    expect(again.remove).toEqual([]);
  });

  test("edge-wizard's own files: only the vars their inventory lacks, no one_pass, ds, vn or frontend_group anywhere", () => {
    const vars = parse(plan.files.find((f) => f.path === 'group_vars/all/edge-wizard.yml')!.content, { version: '1.1' });
    expect(vars).toEqual({ evpn_pfxlen: 24, wireguard_subnet: '192.168.0.0/24', evpn_as: 65000, evpn_cluster_id: '10.0.1.87' });
    expect(plan.files.map((f) => f.path).sort()).toEqual([
      'group_vars/all/edge-wizard-wireguard.yml',
      'group_vars/all/edge-wizard.yml',
      'host_vars/ingress/edge-wizard.yml',
      'host_vars/kvm_london/edge-wizard.yml',
      'host_vars/kvm_ncalifornia/edge-wizard.yml',
    ]);
    for (const f of plan.files)
      expect(Object.keys(parse(f.content) ?? {})).not.toEqual(expect.arrayContaining([expect.stringMatching(/^(one_pass|ds|vn|frontend_group)$/)]));
    expect(parse(plan.files.find((f) => f.path === 'host_vars/kvm_london/edge-wizard.yml')!.content)).toMatchObject({
      wireguard_address: '192.168.0.2/24',
      edge_cluster: 'london',
      public_interface: 'enp125s0',
      frr_layer_reflector: true,
    });
  });

  test("their vn entry: kept, and where one-deploy's Update VNETs would set a value back it is said once", () => {
    expect(plan.notes).toEqual([
      expect.stringMatching(/^vn\.private_evpn-vxlan\.template\.IP_LINK_CONF is nolearning= in hosts\.yml, edge-wizard one sets nolearning=,dstport=4789: /),
    ]);
  });
});

describe('hosts their file does not have; a host removed from the scenario', () => {
  const extra = (d: ReturnType<typeof parseDocument>) =>
    d.addIn(['clusters', 0, 'hosts'], { name: 'kvm_london2', public_ip: '203.0.113.52', ssh_port: 2222, public_interface: 'enp125s0' });
  test('a new KVM host goes into edge_wizard_node with how to reach it; removing it takes only our part away', () => {
    const first = planInto(scenario(extra), site(SEED_SITE));
    const inv = parse(first.hostsText, { version: '1.1' });
    expect(inv.edge_wizard_node.hosts).toEqual({ kvm_london2: { ansible_host: '203.0.113.52', ansible_user: 'root', ansible_port: 2222 } });
    expect(first.files.map((f) => f.path)).toContain('host_vars/kvm_london2/edge-wizard.yml');
    const own = first.files.map((f) => f.path);
    const second = planInto(scenario(), site(first.hostsText, {}, own));
    expect(second.remove).toEqual(['host_vars/kvm_london2/edge-wizard.yml']);
    expect(second.hostsText).toBe(planInto(scenario(), site(SEED_SITE)).hostsText);
    expect(withoutOurs(second.hostsText)).toBe(SEED_SITE);
  });

  test('a host of theirs dropped from the scenario keeps its entry; its edge-wizard file goes, and a note says one-deploy still runs FRR EVPN there', () => {
    const first = planInto(scenario(), site(SEED_SITE));
    const without = scenario((d) => d.deleteIn(['clusters', 1]));
    const second = planInto(
      without,
      site(
        first.hostsText,
        {},
        first.files.map((f) => f.path),
      ),
    );
    expect(second.remove).toEqual(['host_vars/kvm_ncalifornia/edge-wizard.yml']);
    expect(parse(second.hostsText, { version: '1.1' }).node.hosts.kvm_ncalifornia).toEqual({ ansible_host: '18.144.25.41' });
    expect(second.notes.join('\n')).toMatch(/kvm_ncalifornia is in hosts\.yml's node group but not in the scenario/);
  });

  test('an inventory with only their frontend: the groups are declared in the block', () => {
    const mine = '# ours\nfrontend:\n  hosts:\n    fe1:\n      ansible_host: 10.0.1.87\n';
    const p = planInto(scenario(), site(mine));
    expect(p.hostsText.startsWith(mine)).toBe(true);
    const inv = parse(p.hostsText, { version: '1.1' });
    expect(inv.node).toEqual({ children: { edge_wizard_node: {} } });
    expect(Object.keys(inv.edge_wizard_node.hosts)).toEqual(['kvm_london', 'kvm_ncalifornia']);
    expect(inv.edge_wizard_router.hosts.ingress).toEqual({ ansible_host: '13.58.199.98', ansible_user: 'root' });
    expect(parse(p.files.find((f) => f.path === 'group_vars/all/edge-wizard.yml')!.content).features).toEqual({ evpn: true });
    expect(
      planInto(
        scenario(),
        site(
          p.hostsText,
          {},
          p.files.map((f) => f.path),
        ),
      ).hostsText,
    ).toBe(p.hostsText);
  });
});

describe('hostile strings', () => {
  test('in their file: templates, $(), quotes, block scalars, CRLF-free odd spacing and comments stay byte for byte', () => {
    const theirs = SEED_SITE.replace(
      '    one_pass: opennebula\n',
      [
        `    one_pass: "{{ lookup('pipe', 'id') }}"   # "quoted" 'comment' $(rm -rf /)`,
        '    motd: |',
        '      line one {{ x }}',
        '      $(reboot) `id`',
        "    quote: 'it''s'",
        '    empty:',
        '',
      ].join('\n'),
    ).replace('node:\n  hosts:', 'node:   # their {{ comment }}\n  hosts:');
    const p = planInto(scenario(), site(theirs));
    expect(withoutOurs(p.hostsText)).toBe(theirs);
    expect(
      planInto(
        scenario(),
        site(
          p.hostsText,
          {},
          p.files.map((f) => f.path),
        ),
      ).hostsText,
    ).toBe(p.hostsText);
  });

  test('in ours: a scenario string that looks like a template or a shell reaches Ansible as !unsafe data, the same string', () => {
    const evil = `-o ProxyCommand="ssh -W %h:%p {{ lookup('pipe','id') }} $(id) 'q'"\n-o X=\u2028y`;
    const s = scenario((d) => d.setIn(['ansible', 'ssh_common_args'], evil));
    const p = planInto(s, site(SEED_SITE));
    const text = p.files.find((f) => f.path === 'group_vars/all/edge-wizard.yml')!.content;
    expect(text).toMatch(/^ansible_ssh_common_args: !unsafe /m);
    expect(parse(text, { version: '1.1', customTags: [{ tag: '!unsafe', resolve: (v: string) => v }] }).ansible_ssh_common_args).toBe(evil);
  });
});

describe('conflicts: one sentence each naming the key and the fix, nothing planned', () => {
  const s = scenario();
  const cases: Array<[string, string, Record<string, string> | undefined, RegExp]> = [
    [
      'a var of theirs the overlay needs, different',
      SEED_SITE.replace('evpn_if: wg0', 'evpn_if: wg1'),
      undefined,
      /^hosts\.yml \(all\.vars\): evpn_if is wg1, the scenario needs wg0 \(wireguard\.interface\): set wireguard\.interface in the scenario to match, or change it there\.$/,
    ],
    [
      'the same in their group_vars',
      SEED_SITE,
      { 'group_vars/node.yml': 'evpn_as: 65001\n' },
      /^group_vars\/node\.yml: evpn_as is 65001, the scenario needs 65000 \(bgp\.as\)/,
    ],
    [
      'features.evpn off',
      SEED_SITE.replace('features: { evpn: true }', 'features: { evpn: false, prometheus: true }'),
      undefined,
      /features\.evpn is false: set features: \{ evpn: true \} there/,
    ],
    [
      'a host name that collides: another address',
      SEED_SITE.replace('18.134.246.200', '198.51.100.7'),
      undefined,
      /kvm_london's ansible_host is 198\.51\.100\.7, the scenario says 18\.134\.246\.200: it is another machine of the same name; rename the host in the scenario, or correct the address\./,
    ],
    [
      'a mesh host named like their frontend',
      SEED_SITE.replace('    fe1:\n', '    kvm_london:\n    fe1:\n'),
      undefined,
      /has kvm_london in its frontend group, and the scenario has a mesh host of that name: rename the host in the scenario/,
    ],
    [
      'a group of ours they already use',
      `${SEED_SITE}\nedge_wizard_node:\n  hosts:\n    x:\n`,
      undefined,
      /a group edge_wizard_node outside edge-wizard's block: that name is edge-wizard's; rename your group\./,
    ],
    [
      'their router with a reflector the scenario lacks',
      SEED_SITE.replace('router:\n  hosts:\n', 'router:\n  hosts:\n    rr2:\n      ansible_host: 198.51.100.9\n'),
      undefined,
      /has rr2 in its router group, which the scenario does not have: .*every VTEP's route reflector/,
    ],
    [
      'no frontend of that name',
      SEED_SITE.replace(/fe1/g, 'frontend1'),
      undefined,
      /has no host fe1 in its frontend group: set frontend\.name in the scenario/,
    ],
    [
      'a host var of theirs edge-wizard writes too',
      SEED_SITE.replace('ansible_host: 18.144.25.41', 'ansible_host: 18.144.25.41\n      wireguard_port: 51999'),
      undefined,
      /wireguard_port is set for kvm_ncalifornia, and edge-wizard writes it in host_vars\/kvm_ncalifornia\/edge-wizard\.yml: remove it there\./,
    ],
    [
      "one-deploy's router_group set in the inventory",
      SEED_SITE.replace('    ansible_user: root\n', '    ansible_user: root\n    router_group: rr\n'),
      undefined,
      /^hosts\.yml \(all\.vars\): router_group is rr: one-deploy's plays still target router while its roles read rr, and edge-wizard links its hosts into router; remove router_group there/,
    ],
    [
      'half a block',
      `${SEED_SITE}${BLOCK_START}: x\nedge_wizard_node: {}\n`,
      undefined,
      /has half of edge-wizard's block .*: restore the missing marker line or delete the block/,
    ],
    ['not YAML', `${SEED_SITE}\n  bad: [\n`, undefined, /^hosts\.yml is not valid YAML \(line \d+: .*\): fix it, then run generate --into again\.$/],
    [
      'their node group in flow style',
      SEED_SITE.replace(
        /node:\n {2}hosts:[\s\S]*$/,
        'node: { hosts: { kvm_london: { ansible_host: 18.134.246.200 }, kvm_ncalifornia: { ansible_host: 18.144.25.41 } } }\n',
      ),
      undefined,
      /writes its node group in flow style or as a scalar: write it as a block mapping/,
    ],
  ];
  test.each(cases)('%s', (_what, text, files, message) => {
    const msg = refused(() => planInto(s, site(text, files)));
    expect(msg).toMatch(message);
    for (const line of msg.split('\n')) expect(line).toMatch(/^[^\n]+: [^\n]+\.$/);
  });
});

describe('the CLI on disk', () => {
  async function siteDir(text = SEED_SITE, mode = 0o600): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ew-into-'));
    await writeFile(join(dir, 'hosts.yml'), text);
    await chmod(join(dir, 'hosts.yml'), mode);
    return join(dir, 'hosts.yml');
  }
  async function tree(dir: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (e.isFile())
        out[join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1)] = await readFile(
          join(e.parentPath ?? (e as unknown as { path: string }).path, e.name),
          'utf8',
        );
    }
    return out;
  }

  test('--dry-run shows only our lines of their file and writes nothing; the real run keeps their mode; the second run writes nothing', async () => {
    const hosts = await siteDir();
    const dir = join(hosts, '..');
    const dry = await cli('generate', '-f', 'examples/seed-practical.yaml', '--into', hosts, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`+${BLOCK_START}`);
    expect(dry.out).not.toMatch(/one_pass: |ansible_host: 10.0.1.87/); // no context lines from their file
    expect(dry.out).toMatch(/would write 5 new and 1 changed files, 0 unchanged \(dry run: nothing written\)/);
    expect(await tree(dir)).toEqual({ 'hosts.yml': SEED_SITE });
    const r = await cli('generate', '-f', 'examples/seed-practical.yaml', '--into', hosts);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^note: vn\.private_evpn-vxlan/m);
    expect((await stat(hosts)).mode & 0o777).toBe(0o600);
    const once = await tree(dir);
    const again = await cli('generate', '-f', 'examples/seed-practical.yaml', '--into', hosts);
    expect(again.out).toMatch(/wrote 0 new and 0 changed files, 6 unchanged/);
    expect(await tree(dir)).toEqual(once);
  });

  test('a conflict: exit 2, every sentence, nothing on disk changed (their group_vars and host_vars read too)', async () => {
    const hosts = await siteDir();
    const dir = join(hosts, '..');
    await mkdir(join(dir, 'group_vars'));
    await writeFile(join(dir, 'group_vars', 'router.yml'), 'evpn_if: wg9\n');
    const before = await tree(dir);
    const r = await cli('generate', '-f', 'examples/seed-practical.yaml', '--into', hosts);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/group_vars\/router\.yml: evpn_if is wg9, the scenario needs wg0 \(wireguard\.interface\)/);
    expect(await tree(dir)).toEqual(before);
  });

  test('--into with --out, a missing file, a directory: one sentence, exit 2', async () => {
    const hosts = await siteDir();
    expect((await cli('generate', '--into', hosts, '--out', '/tmp/x')).err).toMatch(/--into and --out go apart/);
    const missing = await cli('generate', '-f', 'examples/seed-practical.yaml', '--into', `${hosts}.nope`);
    expect({ code: missing.code, err: missing.err }).toEqual({
      code: 2,
      err: expect.stringMatching(/no such file: give the hosts file of your one-deploy inventory/),
    });
    const d = await cli('generate', '-f', 'examples/seed-practical.yaml', '--into', join(hosts, '..'));
    expect({ code: d.code, err: d.err }).toEqual({ code: 2, err: expect.stringMatching(/is a directory: give its hosts file/) });
  });
});

const NESTED = `all:
  vars:
    evpn_if: wg0
    features: { evpn: true }
  children:
    router:
      hosts:
        ingress: { ansible_host: 13.58.199.98 }
    frontend:
      hosts:
        fe1:
          ansible_host: 10.0.1.87
    node:
      hosts:
        kvm_london:
          ansible_host: 18.134.246.200
        kvm_ncalifornia:
          ansible_host: 18.144.25.41
`;

describe('the shapes a one-deploy inventory comes in', () => {
  const s = scenario();
  const again = (text: string, files: string[]) => planInto(s, site(text, {}, files)).hostsText;
  test.each([
    ['groups under all.children', NESTED],
    ['CRLF line endings', SEED_SITE.replace(/\n/g, '\r\n')],
    ['a document end marker', `${SEED_SITE}...\n`],
    ['node: with nothing under it', SEED_SITE.replace(/node:\n {2}hosts:\n[\s\S]*$/, 'node:\n')],
  ])('%s: only marked lines added, the second run the same', (_what, text) => {
    const p = planInto(s, site(text));
    expect(withoutOurs(p.hostsText.replace(/\r\n/g, '\n'))).toBe(text.replace(/\r\n/g, '\n'));
    if (text.includes('\r\n')) expect(p.hostsText.replace(/\r\n/g, '')).not.toContain('\n');
    expect(
      again(
        p.hostsText,
        p.files.map((f) => f.path),
      ),
    ).toBe(p.hostsText);
    const inv = parse(p.hostsText, { version: '1.1' });
    const node = inv.node ?? inv.all.children?.node;
    expect(node.children).toEqual({ edge_wizard_node: {} });
  });
});
