/**
 * interconnect: external EVPN gateways (docs/interconnect.md). The FRR layer the ingress gets,
 * rendered through roles/frr_layer's real templates (Jinja2 as Ansible runs it) for iBGP,
 * eBGP and the unproven l3 mode; what its route-maps let through, judged against the
 * extended-community strings FRR matches; the WireGuard plan of both join modes (one host's
 * AllowedIPs disjoint, the gateway reached from every host and every host from the gateway);
 * addresses kept across regenerations; the snippet for the other side; the bad inputs through
 * `edge-wizard validate`; and that a scenario without interconnect generates what it did.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseScenario } from '../../src/core/index.js';
import { addressesFromHostVars, planFiles } from '../../src/core/plan.js';
import { planMesh, type MeshPlan, type WireguardHostPlan } from '../../src/core/wireguard/mesh.js';
import { notOneOf, otherRtRegex, routeTarget } from '../../src/core/frr/interconnect.js';
import { contains, overlaps, parseCidr4, type Cidr } from '../../src/core/net.js';
import type { Scenario } from '../../src/core/scenario.js';
import { cli } from '../support/cli.js';

const EXAMPLE = readFileSync('examples/interconnect.yaml', 'utf8');
const KEY2 = 'MvJH/VbwmhVEATC1D/HOrr/05wZ5drCl2+p1+hiYZWw=';

/** The parts of the scenario document the tests edit. */
interface Doc {
  bgp: Record<string, unknown>;
  wireguard: Record<string, unknown>;
  networks: Array<Record<string, unknown>>;
  clusters: Array<{ hosts: Array<Record<string, unknown>> }>;
  interconnect: Array<Record<string, unknown>>;
}

/** examples/interconnect.yaml, changed by `edit` (on the parsed document). */
function scenario(edit: (doc: Doc) => void = () => undefined): Scenario {
  const doc = parse(EXAMPLE) as Doc;
  edit(doc);
  return parseScenario(stringify(doc)).scenario;
}

/** Every planned file: path -> content. */
function generated(s: Scenario, previous: Parameters<typeof planFiles>[1] = {}): Record<string, string> {
  return Object.fromEntries(planFiles(s, previous).files.map((f) => [f.path, f.content]));
}

// --- roles/frr_layer's templates, rendered as Ansible's template module does (Jinja2, trim_blocks) ---

const JINJA = spawnSync('python3', ['-c', 'import jinja2']).status === 0;
const withJinja = JINJA ? test : test.skip;
const RENDER = `
import json, sys, jinja2
req = json.load(sys.stdin)
env = jinja2.Environment(loader=jinja2.FileSystemLoader(req['dir']), trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
sys.stdout.write(env.get_template(req['template']).render(**req['vars']))
`;

function renderTemplate(dir: string, template: string, vars: Record<string, unknown>): string {
  const r = spawnSync('python3', ['-c', RENDER], { input: JSON.stringify({ dir, template, vars: { ansible_managed: 'Ansible managed', ...vars } }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rendering ${template}: ${r.stderr}`);
  return r.stdout;
}

/** A frr_layer template with the role's defaults and a host's generated host_vars. */
function frrLayer(template: string, files: Record<string, string>, host = 'ingress'): string {
  const defaults = parse(readFileSync('roles/frr_layer/defaults/main.yml', 'utf8')) as Record<string, unknown>;
  return renderTemplate('roles/frr_layer/templates', template, { ...defaults, ...(parse(files[`host_vars/${host}.yml`]!) as Record<string, unknown>) });
}

// --- what FRR does with the rendered filters ---

/** bgpd's bgp_regcomp: `_` stands for (^|[,{}() ]|$). */
const frrRegex = (line: string) => new RegExp(line.replace(/_/g, '(^|[,{}() ]|$)'));

/**
 * The verdict of route-map `name` of a rendered interconnect layer on a route whose extended
 * communities FRR displays as `display` ("RT:65000:100 ET:8"): the entries in order, a
 * standard list matching when the route carries one of its RTs, an expanded one when its
 * regex matches the display string, the lists as they are after the file is applied.
 */
function verdict(conf: string, name: string, display: string): 'permit' | 'deny' {
  const lists = new Map<string, Array<(d: string) => boolean>>();
  const add = (name: string, f: (d: string) => boolean) => lists.set(name, [...(lists.get(name) ?? []), f]);
  for (const line of conf.split('\n')) {
    const cleared = /^no bgp extcommunity-list (?:standard|expanded) (\S+)$/.exec(line);
    if (cleared) lists.set(cleared[1]!, []);
    const standard = /^bgp extcommunity-list standard (\S+) permit rt (\S+)$/.exec(line);
    if (standard) add(standard[1]!, (d) => d.split(' ').includes(`RT:${standard[2]}`));
    const expanded = /^bgp extcommunity-list expanded (\S+) permit (\S+)$/.exec(line);
    if (expanded) add(expanded[1]!, (d) => frrRegex(expanded[2]!).test(d));
  }
  const entries = [...conf.matchAll(new RegExp(`^route-map ${name} (permit|deny) (\\d+)\\n((?: .*\\n)*)exit$`, 'gm'))];
  expect(entries.length).toBeGreaterThan(0);
  for (const [, action, , body] of entries) {
    const list = /match extcommunity (\S+)/.exec(body!)?.[1];
    if (list === undefined || (lists.get(list) ?? []).some((f) => f(display))) return action as 'permit' | 'deny';
  }
  return 'deny';
}

describe('the FRR layer of the ingress', () => {
  const ebgp = generated(scenario());
  const ibgp = generated(scenario((d) => delete d.interconnect[0]!.as));

  withJinja('eBGP: the session, BFD, EVPN with next hops unchanged, route-maps both ways, lists made exact', () => {
    expect(frrLayer('edge-wizard-interconnect.conf.j2', ebgp)).toBe(`! Ansible managed
! edge-wizard's sessions to external EVPN gateways (interconnect, docs/interconnect.md),
! applied by vtysh after every start of frr.service (systemd drop-in) and when it changes.
! Every value comes from host_vars (frr_layer_interconnect); every line is idempotent: a
! list is made to exist, emptied and refilled, so re-applying leaves it exact. A gateway
! removed from the scenario also leaves bfdd.conf, which restarts FRR: its session is gone.
!
! dcgw: only the route targets of 100 cross, both ways.
bgp extcommunity-list standard ew-ic-dcgw-rt permit rt 65000:100
no bgp extcommunity-list standard ew-ic-dcgw-rt
bgp extcommunity-list standard ew-ic-dcgw-rt permit rt 65000:100
bgp extcommunity-list expanded ew-ic-dcgw-other permit _RT:[0-9.]+:([02-9][0-9]*|1([1-9][0-9]*|0([1-9][0-9]*|0[0-9][0-9]*)?)?)_
no bgp extcommunity-list expanded ew-ic-dcgw-other
bgp extcommunity-list expanded ew-ic-dcgw-other permit _RT:[0-9.]+:([02-9][0-9]*|1([1-9][0-9]*|0([1-9][0-9]*|0[0-9][0-9]*)?)?)_
route-map ew-ic-dcgw-in deny 10
 match extcommunity ew-ic-dcgw-other
exit
route-map ew-ic-dcgw-in permit 20
 match extcommunity ew-ic-dcgw-rt
exit
route-map ew-ic-dcgw-in deny 30
exit
route-map ew-ic-dcgw-out deny 10
 match extcommunity ew-ic-dcgw-other
exit
route-map ew-ic-dcgw-out permit 20
 match extcommunity ew-ic-dcgw-rt
exit
route-map ew-ic-dcgw-out deny 30
exit
!
router bgp 65000
 neighbor 192.168.0.4 remote-as 65100
 neighbor 192.168.0.4 description edge-wizard interconnect dcgw (192.0.2.50, eBGP AS 65100, l2)
 neighbor 192.168.0.4 update-source 192.168.0.1
 neighbor 192.168.0.4 timers connect 1
 neighbor 192.168.0.4 ebgp-multihop 2
 neighbor 192.168.0.4 bfd
 neighbor 192.168.0.4 bfd profile ew-ic-dcgw
 address-family l2vpn evpn
  neighbor 192.168.0.4 activate
  neighbor 192.168.0.4 attribute-unchanged next-hop
  neighbor 192.168.0.4 route-map ew-ic-dcgw-in in
  neighbor 192.168.0.4 route-map ew-ic-dcgw-out out
 exit-address-family
exit
`);
  });

  withJinja('iBGP: our AS, a route-reflector client (it gets every reflector\'s routes), no multihop, next-hop flags cleared', () => {
    const conf = frrLayer('edge-wizard-interconnect.conf.j2', ibgp);
    expect(conf).toContain(' neighbor 192.168.0.4 remote-as 65000\n');
    expect(conf).toContain('  neighbor 192.168.0.4 route-reflector-client\n  no neighbor 192.168.0.4 attribute-unchanged\n');
    expect(conf).not.toContain('ebgp-multihop');
    expect(conf).toContain('  neighbor 192.168.0.4 activate\n');
    expect(conf).toContain('  neighbor 192.168.0.4 route-map ew-ic-dcgw-in in\n  neighbor 192.168.0.4 route-map ew-ic-dcgw-out out\n');
  });

  withJinja('the gateway\'s BFD profile goes to bfdd.conf next to the fabric\'s; bfdd runs for it even with bgp.bfd off', () => {
    expect(frrLayer('bfdd.conf.j2', ebgp)).toBe(`! Ansible managed
! BFD profile of edge-wizard's FRR layer (one-deploy never writes this file).
!
bfd
 profile edge-wizard
  detect-multiplier 3
  receive-interval 300
  transmit-interval 300
 exit
 !
 profile ew-ic-dcgw
  detect-multiplier 5
  receive-interval 300
  transmit-interval 300
 exit
 !
exit
!
`);
    const off = generated(scenario((d) => (d.bgp.bfd = { enabled: false })));
    expect(frrLayer('bfdd.conf.j2', off)).toContain('bfd\n profile ew-ic-dcgw\n  detect-multiplier 5\n');
    expect(frrLayer('bfdd.conf.j2', off)).not.toContain('profile edge-wizard\n');
    const tasks = readFileSync('roles/frr_layer/tasks/main.yml', 'utf8');
    expect(tasks).toContain(`line: "bfdd={{ 'yes' if frr_layer_bfd.enabled or frr_layer_interconnect else 'no' }}"`);
  });

  withJinja('a chosen BFD profile reaches bfdd.conf as written', () => {
    const files = generated(scenario((d) => (d.interconnect[0]!.bfd = { detect_multiplier: 10, receive_interval: 500, transmit_interval: 500 })));
    expect(frrLayer('bfdd.conf.j2', files)).toContain(' profile ew-ic-dcgw\n  detect-multiplier 10\n  receive-interval 500\n  transmit-interval 500\n');
  });

  withJinja('the drop-in re-applies the interconnect file after the layer on every FRR start, on the ingress only', () => {
    expect(frrLayer('frr-layer.service.conf.j2', ebgp)).toContain(
      'ExecStartPost=-/usr/bin/vtysh -f /etc/frr/edge-wizard-bgpd.conf\nExecStartPost=-/usr/bin/vtysh -f /etc/frr/edge-wizard-interconnect.conf\n',
    );
    expect(frrLayer('frr-layer.service.conf.j2', ebgp, 'kvm_london')).not.toContain('interconnect');
    expect(ebgp['host_vars/kvm_london.yml']).not.toContain('frr_layer_interconnect');
  });

  withJinja('hosts without gateways render the role\'s files byte for byte as before (no restart on upgrade)', () => {
    const seed = generated(parseScenario(readFileSync('examples/seed-practical.yaml', 'utf8')).scenario);
    expect(frrLayer('bfdd.conf.j2', seed)).toBe(`! Ansible managed
! BFD profile of edge-wizard's FRR layer (one-deploy never writes this file).
!
bfd
 profile edge-wizard
  detect-multiplier 3
  receive-interval 300
  transmit-interval 300
 exit
 !
exit
!
`);
    expect(frrLayer('frr-layer.service.conf.j2', seed)).toBe(`# Ansible managed
# Re-applies edge-wizard's FRR layer after every start of FRR, including the
# restart one-deploy's frr.evpn does when it re-renders bgpd.conf.
# A failing line does not fail FRR's start ("-"): edge-wizard verify reports what is missing.
[Service]
ExecStartPost=-/usr/bin/vtysh -f /etc/frr/edge-wizard-bgpd.conf
`);
  });

  withJinja('every line can be applied again: a list is made to exist before it is emptied and refilled', () => {
    const conf = frrLayer('edge-wizard-interconnect.conf.j2', generated(scenario((d) => d.interconnect.push({ name: 'dc2', endpoint: '192.0.2.60', public_key: KEY2, networks: ['tenant-b'], mode: 'l3', l3_vni: 5001, as: 65200 }))));
    const lines = conf.split('\n');
    lines.forEach((line, i) => {
      const m = /^no (bgp extcommunity-list (?:standard|expanded) \S+|ip prefix-list \S+)$/.exec(line);
      if (m) expect({ line, before: lines.slice(0, i).some((l) => l.startsWith(`${m[1]} `)) }).toEqual({ line, before: true });
    });
    // Nothing but `no` forms of what was made above, or of flags that are off.
    expect(lines.filter((l) => /^\s*no /.test(l))).toEqual([
      'no bgp extcommunity-list standard ew-ic-dcgw-rt',
      'no bgp extcommunity-list expanded ew-ic-dcgw-other',
      'no bgp extcommunity-list standard ew-ic-dc2-rt',
      'no bgp extcommunity-list expanded ew-ic-dc2-other',
      'no ip prefix-list ew-ic-dc2-prefixes',
    ]);
  });
});

/**
 * FRR's own parser, when this machine has it: the lab's cached root filesystems
 * (src/lab/rootfs.ts, /var/cache/edge-wizard/rootfs-<hash>: Debian 12's FRR 8.4, Debian 13's
 * 10.3), read through an overlay in a private mount namespace (root only). Each daemon runs
 * in config-check mode (-C) on the lines vtysh would send it; what it prints is a line it
 * refused.
 */
const FRR_ROOTS = (() => {
  try {
    return readdirSync('/var/cache/edge-wizard')
      .map((d) => join('/var/cache/edge-wizard', d))
      .filter((d) => existsSync(join(d, 'usr/lib/frr/bgpd')) && existsSync(join(d, 'usr/sbin/chroot')));
  } catch {
    return [];
  }
})();
const CAN_MOUNT = process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0;
const FRR_CHECK = `set -e
root=$1 work=$2; shift 2
mkdir -p "$work/up" "$work/work" "$work/merged"
mount -t overlay overlay -o "lowerdir=$root,upperdir=$work/up,workdir=$work/work" "$work/merged"
mount -t tmpfs tmpfs "$work/merged/run"
mkdir -p "$work/merged/run/frr" "$work/merged/cfg"
chroot "$work/merged" chown frr:frr /run/frr
cp "$work"/*.conf "$work/merged/cfg/"
for f in "$@"; do chroot "$work/merged" "/usr/lib/frr/\${f%%-*}" -C -f "/cfg/$f" 2>&1 | grep -v 'MPLS support' | sed "s|^|$f: |" || true; done
`;

/** What FRR's daemons in `root` refuse of `configs` (file name `<daemon>-<what>.conf` -> text). */
function frrRefuses(root: string, configs: Record<string, string>): string[] {
  const work = mkdtempSync(join(tmpdir(), 'ew-ic-frr-'));
  try {
    for (const [name, text] of Object.entries(configs)) writeFileSync(join(work, name), text);
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', FRR_CHECK, 'frr-check', root, work, ...Object.keys(configs)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`FRR check failed: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const withFrr = JINJA && CAN_MOUNT && FRR_ROOTS.length > 0 ? test : test.skip;

describe('FRR itself accepts the layer, twice in a row, and the snippet', () => {
  withFrr.each(FRR_ROOTS)('%s', (root) => {
    const files = generated(
      scenario((d) => {
        d.networks[0]!.vni = 200;
        d.interconnect.push({ name: 'ibgpgw', endpoint: '192.0.2.70', public_key: KEY2, join: 'mesh', networks: ['tenant-b', 'private_evpn-vxlan'] });
        d.interconnect.push({ name: 'l3gw', endpoint: '192.0.2.80', public_key: '2CKh0pk2fUdOIhmFHLh0sNpYkXy8pXc1JlYRj5fA3Ag=', as: 65300, mode: 'l3', l3_vni: 5001, networks: ['tenant-b'] });
      }),
    );
    // one-deploy's reflector config (frr.evpn's bgpd_rr.conf.j2) as it renders on the ingress.
    const oneDeploy = `router bgp 65000
  bgp router-id 192.168.0.1
  bgp cluster-id 10.0.1.87
  no bgp default ipv4-unicast
  neighbor fabric peer-group
  neighbor fabric remote-as 65000
  neighbor fabric capability extended-nexthop
  neighbor fabric update-source 192.168.0.1
  bgp listen range 192.168.0.0/24 peer-group fabric
  address-family l2vpn evpn
    neighbor fabric activate
    neighbor fabric route-reflector-client
    advertise-all-vni
  exit-address-family
exit
`;
    const layer = frrLayer('edge-wizard-bgpd.conf.j2', files);
    const ic = frrLayer('edge-wizard-interconnect.conf.j2', files);
    // The VRF's `vni` is zebra's (and `vrf` too, on FRR 8.4): vtysh sends those lines to zebra, not bgpd.
    const zebraOnly = (line: string) => /No such command on config line \d+: (vrf ewvrf5001| {1,2}vni 5001|exit-vrf)$/.test(line);
    const configs: Record<string, string> = { 'bgpd-ingress.conf': oneDeploy + layer + ic + ic, 'bfdd-ingress.conf': frrLayer('bfdd.conf.j2', files) };
    for (const name of ['dcgw', 'ibgpgw', 'l3gw']) {
      const md = files[`interconnect/${name}.md`]!;
      const block = md.slice(md.indexOf('## FRR')).split('\n```\n')[1]!;
      const at = block.indexOf('\nbfd\n');
      configs[`bgpd-${name}.conf`] = block.slice(0, at + 1);
      configs[`bfdd-${name}.conf`] = block.slice(at + 1);
    }
    expect(frrRefuses(root, configs).filter((l) => !zebraOnly(l))).toEqual([]);
  });
});

describe('the route-target filters', () => {
  const files = generated(scenario((d) => (d.networks[0]!.vni = 200)));
  const conf = JINJA ? frrLayer('edge-wizard-interconnect.conf.j2', files) : '';

  withJinja.each([
    ['the extended network (tenant-b, VNI 100)', 'RT:65000:100 ET:8', 'permit'],
    ['the same with MAC mobility and a router MAC', 'RT:65000:100 ET:8 MM:0, sticky MAC Rmac:02:00:00:00:00:01', 'permit'],
    ['a network not extended, fixed VNI 200', 'RT:65000:200 ET:8', 'deny'],
    ['a network not extended, its automatic VNI unknown here', 'RT:65000:4321 ET:8', 'deny'],
    ['VNIs that share digits with 100', 'RT:65000:1000 ET:8', 'deny'],
    ['VNIs that share digits with 100 (shorter)', 'RT:65000:10 ET:8', 'deny'],
    ['an allowed RT plus another VNI\'s, which FRR would import there by its local part', 'RT:65000:100 RT:65100:200 ET:8', 'deny'],
    ['an allowed RT plus another VNI\'s in IP form', 'RT:65000:100 RT:10.1.1.1:4321 ET:8', 'deny'],
    ['the gateway\'s own automatic RT (it must export ours)', 'RT:65100:100 ET:8', 'deny'],
    ['no route target', 'ET:8', 'deny'],
    ['nothing at all', '', 'deny'],
  ])('%s: %s -> %s', (_what, display, want) => {
    expect(verdict(conf, 'ew-ic-dcgw-in', display)).toBe(want);
    expect(verdict(conf, 'ew-ic-dcgw-out', display)).toBe(want);
  });

  test('notOneOf matches every number but the given ones', () => {
    for (const set of [['100'], ['100', '200', '1001'], ['1', '2', '3', '4', '5', '6', '7', '8', '9'], ['10', '100', '1000'], ['16777215']]) {
      const re = new RegExp(`^${notOneOf(set)}$`);
      for (let n = 0; n < 3000; n++) expect({ set, n, match: re.test(String(n)) }).toEqual({ set, n, match: !set.includes(String(n)) });
      for (const w of set) expect(re.test(w)).toBe(false);
      expect(re.test('16777216')).toBe(true);
      expect(re.test('')).toBe(false);
    }
    expect(otherRtRegex([100])).toBe('_RT:[0-9.]+:([02-9][0-9]*|1([1-9][0-9]*|0([1-9][0-9]*|0[0-9][0-9]*)?)?)_');
  });

  test('the route target is the one FRR derives: the AS\'s low 16 bits, then the VNI', () => {
    expect(routeTarget(65000, 100)).toBe('65000:100');
    expect(routeTarget(4200000042, 100)).toBe(`${4200000042 % 65536}:100`);
    const s = scenario((d) => {
      d.bgp.as = 4200000042;
      d.interconnect[0]!.as = 4200000099;
    });
    expect(generated(s)['host_vars/ingress.yml']).toContain(`route_targets:\n      - "${4200000042 % 65536}:100"\n`);
  });
});

describe('mode l3 (unproven: no vrf module here)', () => {
  const s = scenario((d) => Object.assign(d.interconnect[0]!, { mode: 'l3', l3_vni: 5001 }));

  withJinja('the VRF with its L3VNI, type-5 advertisement of the networks\' prefixes only, filters over the L3VNI', () => {
    const conf = frrLayer('edge-wizard-interconnect.conf.j2', generated(s));
    expect(conf).toContain(`ip prefix-list ew-ic-dcgw-prefixes seq 5 permit 172.18.0.0/24
no ip prefix-list ew-ic-dcgw-prefixes
ip prefix-list ew-ic-dcgw-prefixes seq 5 permit 172.18.0.0/24
route-map ew-ic-dcgw-connected permit 10
 match ip address prefix-list ew-ic-dcgw-prefixes
exit
route-map ew-ic-dcgw-connected deny 20
exit
vrf ewvrf5001
 vni 5001
exit-vrf
router bgp 65000 vrf ewvrf5001
 bgp router-id 192.168.0.1
 address-family ipv4 unicast
  redistribute connected route-map ew-ic-dcgw-connected
 exit-address-family
 address-family l2vpn evpn
  advertise ipv4 unicast
 exit-address-family
exit
`);
    expect(conf).toContain('bgp extcommunity-list standard ew-ic-dcgw-rt permit rt 65000:5001\n');
    // The L2 network's own routes (type-2/3, RT 65000:100) do not cross in l3 mode.
    expect(verdict(conf, 'ew-ic-dcgw-out', 'RT:65000:100 ET:8')).toBe('deny');
    expect(verdict(conf, 'ew-ic-dcgw-out', 'RT:65000:5001 ET:8 Rmac:02:00:00:00:00:01')).toBe('permit');
  });

  test('validate says it is unproven, and refuses an L3VNI that a network uses', () => {
    expect(parseScenario(EXAMPLE).warnings).toEqual([]);
    const doc = parse(EXAMPLE);
    Object.assign(doc.interconnect[0], { mode: 'l3', l3_vni: 5001 });
    expect(parseScenario(stringify(doc)).warnings.map((w) => w.message)).toEqual([
      'interconnect[0].mode l3 (EVPN type-5 in a VRF) is unproven: edge-wizard writes its FRR lines but neither makes the kernel VRF on the ingress nor tests it; read docs/interconnect.md before you deploy it.',
    ]);
    doc.interconnect[0].l3_vni = 100;
    expect(() => parseScenario(stringify(doc))).toThrow('interconnect[0].l3_vni 100 is already the vni of networks[1]: give the VRF a VNI of its own.');
    doc.interconnect[0].mode = 'l2';
    expect(() => parseScenario(stringify(doc))).toThrow('interconnect[0].l3_vni is set but interconnect[0].mode is l2: remove l3_vni, or set mode: l3.');
  });
});

// --- WireGuard ---

const prefixes = (allowed: string): Cidr[] => allowed.split(/,\s*/).map((x) => parseCidr4(x)!);

/** Every peer of a host, the gateways included, as [name, prefixes, external]. */
function peersOf(h: WireguardHostPlan): Array<{ name: string; nets: Cidr[]; external: boolean }> {
  return [...h.peers.map((p) => ({ name: p.name, nets: prefixes(p.allowed_ips), external: false })), ...(h.external ?? []).map((p) => ({ name: p.name, nets: prefixes(p.allowed_ips), external: true }))];
}

/** The peer WireGuard sends `ip` to (longest prefix: cryptokey routing), or undefined. */
function route(h: WireguardHostPlan, ip: string) {
  let best: { name: string; external: boolean; len: number } | undefined;
  for (const p of peersOf(h)) for (const c of p.nets) if (contains(c, ip) && (!best || c.prefix > best.len)) best = { name: p.name, external: p.external, len: c.prefix };
  return best;
}

/** Hosts a packet from `from` to `ip` crosses until a host owns it or a gateway takes it; each relay must forward. */
function walk(m: MeshPlan, from: string, ip: string): string[] {
  const byName = new Map(m.hosts.map((h) => [h.name, h]));
  const path = [from];
  let at = byName.get(from)!;
  for (let hop = 0; hop < 5; hop++) {
    if (at.ip === ip) return path;
    if (hop > 0) expect({ relay: at.name, forwards: at.place === 'hub' || at.forward === true }).toEqual({ relay: at.name, forwards: true });
    const next = route(at, ip);
    if (!next) return [...path, 'unreachable'];
    path.push(next.name);
    if (next.external) return path;
    at = byName.get(next.name)!;
  }
  return [...path, 'loop'];
}

/** The gateway's own peers, as the snippet writes them: the ingress with the subnet, or every host with its /32. */
function gatewayRoute(m: MeshPlan, join: 'ingress' | 'mesh', ip: string): string {
  if (join === 'ingress') return m.hosts.find((h) => h.role === 'ingress')!.name;
  return m.hosts.find((h) => h.ip === ip)!.name;
}

function expectSound(m: MeshPlan, join: 'ingress' | 'mesh'): void {
  const gw = m.gateways![0]!;
  for (const h of m.hosts) {
    // No two peers of one host overlap: WireGuard sends each address to one peer.
    const all = peersOf(h).flatMap((p) => p.nets.map((c) => ({ peer: p.name, c })));
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        if (all[i]!.peer !== all[j]!.peer) expect({ host: h.name, a: all[i]!.peer, b: all[j]!.peer, overlap: overlaps(all[i]!.c, all[j]!.c) }).toMatchObject({ overlap: false });
      }
    }
    // The gateway's VTEP from every host, and back.
    const there = walk(m, h.name, gw.address);
    expect({ host: h.name, last: there[there.length - 1] }).toEqual({ host: h.name, last: gw.name });
    const first = gatewayRoute(m, join, h.ip);
    const back = walk(m, first, h.ip);
    expect({ host: h.name, last: back[back.length - 1] }).toEqual({ host: h.name, last: h.name });
  }
}

describe('the WireGuard plan', () => {
  test('join ingress (the default): only the ingress peers with the gateway, forwards, and carries its /32 for everyone', () => {
    const m = planMesh(scenario());
    expectSound(m, 'ingress');
    const ingress = m.hosts.find((h) => h.role === 'ingress')!;
    expect(ingress.external).toEqual([
      { name: 'dcgw', address: '192.168.0.4', public_key: '9aRihXvmjmmTIs+hpr8iX/dCSL8OYWB91sWZxXnp8i4=', endpoint: '192.0.2.50:51820', allowed_ips: '192.168.0.4/32', persistent_keepalive: 25 },
    ]);
    expect(ingress.forward).toBe(true);
    for (const h of m.hosts.filter((x) => x.role === 'kvm')) {
      expect(h.external).toBeUndefined();
      expect(h.peers.find((p) => p.name === 'ingress')).toMatchObject({ allowed_ips: '192.168.0.1/32, 192.168.0.4/32', address: '192.168.0.1' });
      expect(walk(m, h.name, '192.168.0.4')).toEqual([h.name, 'ingress', 'dcgw']);
    }
  });

  test('join mesh: every host peers with the gateway directly; the ingress does not forward for it', () => {
    const m = planMesh(scenario((d) => (d.interconnect[0]!.join = 'mesh')));
    expectSound(m, 'mesh');
    for (const h of m.hosts) {
      expect(h.external?.map((p) => p.name)).toEqual(['dcgw']);
      expect(h.forward).toBeUndefined();
      expect(walk(m, h.name, '192.168.0.4')).toEqual([h.name, 'dcgw']);
    }
  });

  test('topology hub, join ingress: the ingress hub carries the gateway, spokes reach it through their hub', () => {
    const m = planMesh(
      scenario((d) => {
        d.wireguard.topology = 'hub';
        d.clusters[0]!.hosts.push({ name: 'kvm_london2', public_ip: '18.134.246.201' });
        d.clusters[1]!.hosts.push({ name: 'kvm_ncalifornia2', public_ip: '18.144.25.42' });
      }),
    );
    expectSound(m, 'ingress');
    expect(walk(m, 'kvm_london2', m.gateways![0]!.address)).toEqual(['kvm_london2', 'kvm_london', 'ingress', 'dcgw']);
  });

  test('two gateways, one of each join', () => {
    const m = planMesh(scenario((d) => d.interconnect.push({ name: 'dc2', endpoint: '192.0.2.60', public_key: KEY2, join: 'mesh', networks: ['tenant-b'] })));
    expectSound(m, 'ingress');
    expect(m.hosts.find((h) => h.name === 'ingress')!.external!.map((p) => p.name)).toEqual(['dcgw', 'dc2']);
    expect(m.hosts.find((h) => h.name === 'kvm_london')!.external!.map((p) => p.name)).toEqual(['dc2']);
  });

  test('the gateway\'s address is kept across regenerations, like a host\'s; a pinned one wins', () => {
    const first = generated(scenario());
    const hostVars = Object.fromEntries(Object.entries(first).filter(([p]) => p.startsWith('host_vars/')).map(([p, t]) => [p.slice('host_vars/'.length, -4), t]));
    const previous = addressesFromHostVars(hostVars);
    expect(previous['interconnect/dcgw']).toBe('192.168.0.4');
    const grown = scenario((d) => d.clusters[0]!.hosts.push({ name: 'kvm_london2', public_ip: '18.134.246.201' }));
    expect(planMesh(grown, previous).gateways![0]!.address).toBe('192.168.0.4');
    expect(planMesh(grown, previous).hosts.find((h) => h.name === 'kvm_london2')!.ip).toBe('192.168.0.5');
    // Without the previous plan the gateway would have moved: the kept address is what keeps it.
    expect(planMesh(grown).gateways![0]!.address).toBe('192.168.0.5');
    const pinned = scenario((d) => (d.interconnect[0]!.wireguard_address = '192.168.0.250'));
    expect(planMesh(pinned, previous).gateways![0]!.address).toBe('192.168.0.250');
  });

  withJinja('roles/wireguard writes the gateway as a peer with its given key', () => {
    const files = generated(scenario());
    const hv = parse(files['host_vars/ingress.yml']!) as Record<string, unknown>;
    const conf = renderTemplate('roles/wireguard/templates', 'wg.conf.j2', {
      ...hv,
      wireguard_peers: [],
      hostvars: {},
      ansible_play_hosts: [],
      inventory_hostname: 'ingress',
      wireguard__key_file: '/etc/wireguard/wg0.key',
      wireguard__host_address: '192.168.0.1/32',
      wireguard_subnet: '192.168.0.0/24',
      wireguard_vxlan_keep: '/usr/local/lib/edge-wizard/vxlan-keep',
    });
    expect(conf).toContain(`
# dcgw (interconnect gateway: not an inventory host, its key comes from the scenario)
[Peer]
PublicKey = 9aRihXvmjmmTIs+hpr8iX/dCSL8OYWB91sWZxXnp8i4=
AllowedIPs = 192.168.0.4/32
Endpoint = 192.0.2.50:51820
PersistentKeepalive = 25
`);
    expect(hv.wireguard_forward).toBe(true);
    expect(readFileSync('roles/firewall/defaults/main.yml', 'utf8')).toContain('(wireguard_peers | d([]) + wireguard_external_peers | d([])) | map(attribute=\'endpoint\')');
  });
});

describe('the snippet for the gateway\'s operator', () => {
  test('join ingress, eBGP: one WireGuard peer with our subnet, the neighbor, BFD, the vni and route-target lines, no secret', () => {
    const text = generated(scenario())['interconnect/dcgw.md']!;
    expect(text).toContain(`[Interface]
# Your private key; its public key is the one we were given: 9aRihXvmjmmTIs+hpr8iX/dCSL8OYWB91sWZxXnp8i4=
PrivateKey = <your private key>
Address = 192.168.0.4/32
ListenPort = 51820
MTU = 1420
PostUp = ip -4 route replace 192.168.0.0/24 dev %i

# ingress (edge-wizard scenario "interconnect"): its public key is made on it at deploy, see "Our public keys"
[Peer]
PublicKey = <ingress public key>
AllowedIPs = 192.168.0.0/24
Endpoint = 13.58.199.98:51820
PersistentKeepalive = 25
`);
    expect(text.match(/^\[Peer\]$/gm)).toHaveLength(1);
    for (const line of [
      'router bgp 65100',
      ' neighbor 192.168.0.1 remote-as 65000',
      ' neighbor 192.168.0.1 update-source 192.168.0.4',
      ' neighbor 192.168.0.1 ebgp-multihop 2',
      ' neighbor 192.168.0.1 passive',
      ' neighbor 192.168.0.1 bfd profile ew-ic-dcgw',
      '  neighbor 192.168.0.1 activate',
      '  neighbor 192.168.0.1 attribute-unchanged next-hop',
      '  vni 100\n   route-target import 65000:100\n   route-target export 65000:100\n  exit-vni',
      ' profile ew-ic-dcgw\n  detect-multiplier 5\n  receive-interval 300\n  transmit-interval 300',
      'ip link add vxlan100 type vxlan id 100 local 192.168.0.4 dstport 4789 nolearning',
      'their MTU is at most 1370',
      '`wg show wg0 public-key` on the ingress',
      'Allow UDP 51820 in from our ingress, 13.58.199.98.',
    ]) {
      expect(text).toContain(line);
    }
    // Not the network that is not extended, and nothing secret: no key material but the gateway's own public key, no password.
    expect(text).not.toContain('private_evpn-vxlan');
    expect(text).not.toMatch(/PrivateKey = (?!<your private key>)/);
    expect(text).not.toContain('opennebula');
    expect(planFiles(scenario()).files.find((f) => f.path === 'interconnect/dcgw.md')!.mode).toBe(0o644);
  });

  test('join mesh, iBGP: a WireGuard peer per host with its /32; no multihop, no next-hop flag', () => {
    const text = generated(scenario((d) => Object.assign(d.interconnect[0]!, { join: 'mesh', as: undefined })))['interconnect/dcgw.md']!;
    expect(text.match(/^\[Peer\]$/gm)).toHaveLength(3);
    for (const [ip, endpoint] of [
      ['192.168.0.1', '13.58.199.98:51820'],
      ['192.168.0.2', '18.134.246.200:51820'],
      ['192.168.0.3', '18.144.25.41:51820'],
    ]) {
      expect(text).toContain(`AllowedIPs = ${ip}/32\nEndpoint = ${endpoint}\n`);
    }
    expect(text).toContain('router bgp 65000\n neighbor 192.168.0.1 remote-as 65000\n');
    expect(text).not.toContain('ebgp-multihop');
    expect(text).not.toContain('attribute-unchanged');
  });
});

describe('validate', () => {
  const DIR = 'test/fixtures/bad';
  const cases = readdirSync(DIR).filter((f) => f.startsWith('interconnect-') && f.endsWith('.yaml')).sort();

  test('the bad-input corpus covers the interconnect refusals', () => {
    expect(cases).toEqual([
      'interconnect-address-outside.yaml',
      'interconnect-address-taken.yaml',
      'interconnect-bad-public-key.yaml',
      'interconnect-bfd-out-of-range.yaml',
      'interconnect-duplicate-name.yaml',
      'interconnect-ebgp-own-as.yaml',
      'interconnect-endpoint-private.yaml',
      'interconnect-ibgp-other-as.yaml',
      'interconnect-join-mesh-hub.yaml',
      'interconnect-l3-without-vni.yaml',
      'interconnect-network-without-vni.yaml',
      'interconnect-unknown-network.yaml',
    ]);
  });

  test.each(cases)('%s: one sentence per problem, exit 2', async (file) => {
    const want = readFileSync(join(DIR, file), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('# expect: '))
      .map((l) => l.slice('# expect: '.length));
    const r = await cli('validate', '-f', join(DIR, file));
    expect(r.code).toBe(2);
    expect(r.err.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4))).toEqual(want);
  });

  test('examples/interconnect.yaml is valid, and a hub topology that leaves the ingress out is refused', async () => {
    const r = await cli('validate', '-f', 'examples/interconnect.yaml');
    expect(r.code).toBe(0);
    const doc = parse(EXAMPLE);
    doc.wireguard.topology = 'hub';
    doc.wireguard.hubs = ['kvm_london'];
    expect(() => parseScenario(stringify(doc))).toThrow(
      "wireguard.hubs leaves out ingress, the ingress, which holds the interconnect gateways' sessions and WireGuard peers: add it to wireguard.hubs (a spoke reaches every address through its hub, the gateways' too).",
    );
  });
});

describe('without interconnect', () => {
  test('the scenario generates the same files as before: no gateway, no new variable, no snippet', () => {
    const plain = readFileSync('examples/two-networks.yaml', 'utf8');
    const files = generated(parseScenario(plain).scenario);
    const withEmpty = generated(parseScenario(`${plain}\ninterconnect: []\n`).scenario);
    expect(withEmpty).toEqual(files);
    expect(Object.keys(files).some((p) => p.startsWith('interconnect/'))).toBe(false);
    for (const [path, text] of Object.entries(files)) {
      expect({ path, found: /wireguard_external_peers|wireguard_forward|frr_layer_interconnect|, 192\.168/.test(text) }).toEqual({ path, found: false });
    }
  });
});
