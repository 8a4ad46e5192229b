/**
 * interconnect, through the real template engine and FRR: the FRR layer the ingress gets,
 * rendered through roles/frr_layer's real templates (Jinja2 in python3, as Ansible runs it) for
 * iBGP, eBGP and the unproven l3 mode; what its route-maps let through, judged against the
 * extended-community strings FRR matches; FRR's own parser on the layer (root, lab rootfs cache);
 * roles/wireguard's wg.conf with the gateway. The pure half is interconnect.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findOneDeploy } from '../../src/adapters/ansible.js';
import { parseScenario } from '../../src/core/index.js';
import { generated, KEY2, scenario } from '../support/interconnect.js';

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
  const r = spawnSync('python3', ['-c', RENDER], {
    input: JSON.stringify({ dir, template, vars: { ansible_managed: 'Ansible managed', ...vars } }),
    encoding: 'utf8',
  });
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

  withJinja("iBGP: our AS, a route-reflector client (it gets every reflector's routes), no multihop, next-hop flags cleared", () => {
    const conf = frrLayer('edge-wizard-interconnect.conf.j2', ibgp);
    expect(conf).toContain(' neighbor 192.168.0.4 remote-as 65000\n');
    expect(conf).toContain('  neighbor 192.168.0.4 route-reflector-client\n  no neighbor 192.168.0.4 attribute-unchanged\n');
    expect(conf).not.toContain('ebgp-multihop');
    expect(conf).toContain('  neighbor 192.168.0.4 activate\n');
    expect(conf).toContain('  neighbor 192.168.0.4 route-map ew-ic-dcgw-in in\n  neighbor 192.168.0.4 route-map ew-ic-dcgw-out out\n');
  });

  withJinja("the gateway's BFD profile goes to bfdd.conf next to the fabric's; bfdd runs for it even with bgp.bfd off", () => {
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

  withJinja("hosts without gateways render the role's files byte for byte as before (no restart on upgrade)", () => {
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
# bgpd and bfdd hold a socket per session: frr.service's LimitNOFILE=1024 is too tight for a
# reflector of 1000 VTEPs (docs/fleet.md). Takes effect at FRR's next start.
[Service]
LimitNOFILE=1228
ExecStartPost=-/usr/bin/vtysh -f /etc/frr/edge-wizard-bgpd.conf
`);
  });

  withJinja('every line can be applied again: a list is made to exist before it is emptied and refilled', () => {
    const conf = frrLayer(
      'edge-wizard-interconnect.conf.j2',
      generated(
        scenario((d) =>
          d.interconnect.push({ name: 'dc2', endpoint: '192.0.2.60', public_key: KEY2, networks: ['tenant-b'], mode: 'l3', l3_vni: 5001, as: 65200 }),
        ),
      ),
    );
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
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', FRR_CHECK, 'frr-check', root, work, ...Object.keys(configs)], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`FRR check failed: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// one-deploy's reflector template (frr.evpn's bgpd_rr.conf.j2), read from the one-deploy this machine has
// (ONE_DEPLOY_DIR, /opt/one-deploy, ...: adapters/ansible.ts findOneDeploy); never copied into this repository.
const ONE_DEPLOY = findOneDeploy();
const RR_TEMPLATES = ONE_DEPLOY && join(ONE_DEPLOY, 'opennebula/deploy/roles/frr/evpn/templates');
const HAS_RR = !!RR_TEMPLATES && existsSync(join(RR_TEMPLATES, 'bgpd_rr.conf.j2'));
if (!HAS_RR) console.warn("SKIPPED: no one-deploy (ONE_DEPLOY_DIR, /opt/one-deploy): FRR is not given one-deploy's reflector config with the layer.");

/**
 * one-deploy's bgpd.conf as frr.evpn renders it on the ingress (its facts: wg0's address and network),
 * ready for the layer's lines to follow in one file: its closing `end` (which would leave config mode
 * before them) becomes `exit`, as where the deploy applies the layer with vtysh after bgpd read the file.
 */
function oneDeployReflector(files: Record<string, string>): string {
  const all = (parse(files['hosts.yml']!, { logLevel: 'error' }) as { all: { vars: Record<string, unknown> } }).all.vars;
  const address = (parse(files['host_vars/ingress.yml']!, { logLevel: 'error' }) as Record<string, string>).frr_layer_update_source!;
  // ansible_wg0.ipv4.network: the address with its host bits cleared (the overlay's prefix, evpn_pfxlen).
  const bits = Number(all.evpn_pfxlen);
  const n = address.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const net = bits === 0 ? 0 : Math.floor(n / 2 ** (32 - bits)) * 2 ** (32 - bits);
  const network = [24, 16, 8, 0].map((sh) => Math.floor(net / 2 ** sh) % 256).join('.');
  const facts = { [`ansible_${String(all.evpn_if)}`]: { ipv4: { address, network } } };
  const vars = { evpn_as: all.evpn_as, evpn_cluster_id: all.evpn_cluster_id, evpn_if: all.evpn_if, evpn_pfxlen: all.evpn_pfxlen, ansible_nodename: 'ingress' };
  return renderTemplate(RR_TEMPLATES!, 'bgpd_rr.conf.j2', { ...vars, ...facts, vars: { ...vars, ...facts } }).replace(/\nend\n?$/, '\nexit\n');
}

const withFrr = JINJA && CAN_MOUNT && FRR_ROOTS.length > 0 && HAS_RR ? test : test.skip;

describe('FRR itself accepts the layer, twice in a row, and the snippet', () => {
  withFrr.each(FRR_ROOTS)('%s', (root) => {
    const files = generated(
      scenario((d) => {
        d.networks[0]!.vni = 200;
        d.interconnect.push({ name: 'ibgpgw', endpoint: '192.0.2.70', public_key: KEY2, join: 'mesh', networks: ['tenant-b', 'private_evpn-vxlan'] });
        d.interconnect.push({
          name: 'l3gw',
          endpoint: '192.0.2.80',
          public_key: '2CKh0pk2fUdOIhmFHLh0sNpYkXy8pXc1JlYRj5fA3Ag=',
          as: 65300,
          mode: 'l3',
          l3_vni: 5001,
          networks: ['tenant-b'],
        });
      }),
    );
    const oneDeploy = oneDeployReflector(files);
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
    ["an allowed RT plus another VNI's, which FRR would import there by its local part", 'RT:65000:100 RT:65100:200 ET:8', 'deny'],
    ["an allowed RT plus another VNI's in IP form", 'RT:65000:100 RT:10.1.1.1:4321 ET:8', 'deny'],
    ["the gateway's own automatic RT (it must export ours)", 'RT:65100:100 ET:8', 'deny'],
    ['no route target', 'ET:8', 'deny'],
    ['nothing at all', '', 'deny'],
  ])('%s: %s -> %s', (_what, display, want) => {
    expect(verdict(conf, 'ew-ic-dcgw-in', display)).toBe(want);
    expect(verdict(conf, 'ew-ic-dcgw-out', display)).toBe(want);
  });
});

describe('mode l3 (unproven: no vrf module here)', () => {
  const s = scenario((d) => Object.assign(d.interconnect[0]!, { mode: 'l3', l3_vni: 5001 }));

  withJinja("the VRF with its L3VNI, type-5 advertisement of the networks' prefixes only, filters over the L3VNI", () => {
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
});

describe('the WireGuard plan', () => {
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
    expect(readFileSync('roles/firewall/defaults/main.yml', 'utf8')).toContain(
      "(wireguard_peers | d([]) + wireguard_external_peers | d([])) | map(attribute='endpoint')",
    );
  });
});
