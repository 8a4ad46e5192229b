/**
 * roles/firewall on each host family, for real but contained: the role runs under
 * ansible-playbook (connection=local) inside a private network namespace and a
 * private /etc (test/families/run-role.sh), on rules files shaped like
 * oneprovision's (OpenNebula/one share/oneprovision/ansible/roles/iptables: its
 * rules.v4.j2 with and without an interface, and /etc/sysconfig/iptables as
 * iptables-save rewrites it on EL). The family is given as facts (extra vars).
 * Every file the role leaves must pass `iptables-restore --test`; a second run
 * changes nothing. firewalld is a fake `firewall-cmd` that keeps its zones in a file.
 * Root only (unshare, iptables); otherwise SKIPPED.
 */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { FAMILIES } from './families.js';

jest.setTimeout(180_000);

const ROOT =
  process.getuid?.() === 0 && spawnSync('unshare', ['--mount', '--net', 'true']).status === 0 && spawnSync('iptables-restore', ['--version']).status === 0;
if (!ROOT) console.warn('SKIPPED: test/families/firewall.system.test.ts needs root, unshare and iptables.');
const rootTest = ROOT ? test : test.skip;

const FIXTURES = resolve('test/families/fixtures');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

type Family = keyof typeof FAMILIES;
const RULES_PATH = { Debian: '/etc/iptables/rules.v4', RedHat: '/etc/sysconfig/iptables', Suse: '/etc/sysconfig/iptables' } as const;

/** A fake firewall-cmd: zones in a state file, every call logged. */
const FAKE_FIREWALL_CMD = `#!/usr/bin/env bash
dir=$(dirname "$0")/../firewalld
mkdir -p "$dir"; touch "$dir/state"
echo "$*" >> "$dir/calls"
perm=runtime zone=public op= val=
for a in "$@"; do
  case "$a" in
    --state) echo running; exit 0 ;;
    --get-default-zone) echo public; exit 0 ;;
    --get-zone-of-interface=enp125s0|--get-zone-of-interface=ens5) echo public; exit 0 ;;
    --get-zone-of-interface=*) echo "no zone" >&2; exit 2 ;;
    --permanent) perm=permanent ;;
    --zone=*) zone=\${a#--zone=} ;;
    --query-*=*|--add-*=*) op=\${a%%=*}; val=\${a#*=} ;;
  esac
done
kind=\${op#--query-}; kind=\${kind#--add-}
line="$perm|$zone|$kind|$val"
case "$op" in
  --query-*) grep -qxF -- "$line" "$dir/state" && { echo yes; exit 0; } || { echo no; exit 1; } ;;
  --add-*) echo "$line" >> "$dir/state"; echo success ;;
esac
`;

interface TaskResult {
  name: string;
  state: 'changed' | 'ok' | 'skipped' | 'failed';
  msg?: string;
}
interface Run {
  rc: number;
  tasks: TaskResult[];
  changed: number;
}
interface RoleResult {
  runs: Run[];
  after?: string;
  live: string;
  testRc?: number;
  testErr?: string;
  firewalld?: { calls: string[]; state: string[] };
}

function parseRun(work: string, n: number): Run {
  const rc = Number(readFileSync(join(work, `run${n}.rc`), 'utf8').trim());
  const text = readFileSync(join(work, `run${n}.json`), 'utf8');
  const json = JSON.parse(text.slice(text.indexOf('{'))) as {
    plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, { changed?: boolean; skipped?: boolean; failed?: boolean; msg?: string }> }> }>;
    stats: Record<string, { changed: number }>;
  };
  const tasks = json.plays.flatMap((p) =>
    p.tasks.map((t) => {
      const h = t.hosts.kvm1 ?? {};
      const state: TaskResult['state'] = h.failed ? 'failed' : h.skipped ? 'skipped' : h.changed ? 'changed' : 'ok';
      return { name: t.task.name.replace(/^firewall : /, ''), state, ...(h.msg ? { msg: h.msg } : {}) };
    }),
  );
  return { rc, tasks, changed: json.stats.kvm1?.changed ?? 0 };
}

function runRole(opts: {
  family: Family;
  rules?: string;
  mode: 'open' | 'strict';
  iface?: string;
  firewalld?: boolean;
  runs?: number;
  check?: boolean;
  vars?: Record<string, unknown>;
}): RoleResult {
  const work = mkdtempSync(join(tmpdir(), `ew-fw-${opts.family}-`));
  const facts = FAMILIES[opts.family];
  if (opts.rules !== undefined) writeFileSync(join(work, 'rules'), opts.rules);
  writeFileSync(
    join(work, 'inventory.yml'),
    stringify({
      node: {
        hosts: {
          kvm1: {
            ansible_connection: 'local',
            ansible_python_interpreter: '/usr/bin/python3',
            aws_reject_rule: true,
            public_interface: opts.iface ?? 'enp125s0',
            wireguard_peers: [
              { name: 'kvm2', endpoint: '198.51.100.21:51820' },
              { name: 'ingress', endpoint: '203.0.113.10:51820' },
            ],
            ...opts.vars,
          },
        },
      },
    }),
  );
  writeFileSync(join(work, 'playbook.yml'), '- hosts: node\n  gather_facts: false\n  roles: [firewall]\n');
  if (opts.firewalld) {
    mkdirSync(join(work, 'bin'));
    writeFileSync(join(work, 'bin', 'firewall-cmd'), FAKE_FIREWALL_CMD);
    chmodSync(join(work, 'bin', 'firewall-cmd'), 0o755);
  }
  const runs = opts.runs ?? 2;
  const extra = ['-e', JSON.stringify({ ...facts, firewall_mode: opts.mode }), ...(opts.check ? ['--check', '--diff'] : [])];
  const r = spawnSync('bash', ['test/families/run-role.sh', work, RULES_PATH[facts.ansible_os_family], resolve('roles'), String(runs), ...extra], {
    encoding: 'utf8',
  });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  const read = (f: string) => (existsSync(join(work, f)) ? readFileSync(join(work, f), 'utf8') : undefined);
  const lines = (f: string) => (read(f) ?? '').split('\n').filter(Boolean);
  return {
    runs: Array.from({ length: runs }, (_, i) => parseRun(work, i + 1)),
    after: read('after'),
    live: read('live') ?? '',
    testRc: read('test.rc') === undefined ? undefined : Number(read('test.rc')!.trim()),
    testErr: read('test.err'),
    firewalld: opts.firewalld ? { calls: lines('firewalld/calls'), state: lines('firewalld/state') } : undefined,
  };
}

const state = (run: Run, name: string | RegExp) => run.tasks.find((t) => (typeof name === 'string' ? t.name === name : name.test(t.name)))?.state;
const filterSection = (text: string) => text.slice(text.indexOf('*filter'), text.indexOf('COMMIT', text.indexOf('*filter')));
const STRICT_WG = (iface: string) =>
  `-A INPUT -s 198.51.100.21/32 ${iface ? `-i ${iface} ` : ''}-p udp -m udp --dport 51820 -m comment --comment "edge-wizard wireguard" -j ACCEPT`;
const STRICT_QEMU = '-A INPUT -i wg0 -p tcp -m tcp --dport 49152:49215 -m comment --comment "edge-wizard qemu migration" -j ACCEPT';

function expectConverged(r: RoleResult) {
  expect(r.runs.map((x) => x.rc)).toEqual(r.runs.map(() => 0));
  expect(r.runs.at(-1)!.changed).toBe(0);
  if (r.after !== undefined) expect({ testRc: r.testRc, testErr: r.testErr }).toEqual({ testRc: 0, testErr: '' });
}

describe('iptables families: the persisted file per family, open and strict', () => {
  const cases: Array<[Family, string, string, string]> = [
    ['debian12', 'aws-rules.v4', 'enp125s0', '-A INPUT -i enp125s0 -j REJECT --reject-with icmp-host-prohibited'],
    ['debian13', 'aws-rules.v4', 'enp125s0', '-A INPUT -i enp125s0 -j REJECT --reject-with icmp-host-prohibited'],
    ['ubuntu2004', 'no-interface-rules.v4', 'eno1', '-A INPUT  -j REJECT --reject-with icmp-host-prohibited'],
    ['ubuntu2204', 'aws-rules.v4', 'enp125s0', '-A INPUT -i enp125s0 -j REJECT --reject-with icmp-host-prohibited'],
    ['ubuntu2404', 'no-interface-rules.v4', '', '-A INPUT  -j REJECT --reject-with icmp-host-prohibited'],
    ['alma8', 'el-saved-iptables', 'ens5', '-A INPUT -i ens5 -j REJECT --reject-with icmp-host-prohibited'],
    ['alma9', 'el-saved-iptables', 'ens5', '-A INPUT -i ens5 -j REJECT --reject-with icmp-host-prohibited'],
    ['rhel8', 'no-interface-rules.v4', 'ens5', '-A INPUT  -j REJECT --reject-with icmp-host-prohibited'],
    ['rhel9', 'el-saved-iptables', 'ens5', '-A INPUT -i ens5 -j REJECT --reject-with icmp-host-prohibited'],
  ];

  describe.each(cases)('%s, %s, public_interface "%s"', (family, file, iface, reject) => {
    const path = RULES_PATH[FAMILIES[family].ansible_os_family];
    const rejectLive = reject.includes(' -i ')
      ? `-A INPUT -i ${reject.split(' -i ')[1]!.split(' ')[0]} -j REJECT --reject-with icmp-host-prohibited`
      : '-A INPUT -j REJECT --reject-with icmp-host-prohibited';

    rootTest('open: the REJECT rule leaves the live firewall and the file, nothing else changes', () => {
      const before = fixture(file);
      const r = runRole({ family, rules: before, mode: 'open', iface });
      expectConverged(r);
      expect(state(r.runs[0]!, `Persist the firewall in ${path}`)).toBe('changed');
      expect(state(r.runs[0]!, 'Firewall through firewalld')).toBe('skipped');
      expect(r.after).toBe(before.replace(`${reject}\n`, ''));
      expect(r.live).not.toContain('REJECT');
      expect(r.live).toContain('--dport 8472');
    });

    rootTest('strict: ACCEPT rules before the REJECT, live and in the file, which iptables-restore accepts', () => {
      const r = runRole({ family, rules: fixture(file), mode: 'strict', iface });
      expectConverged(r);
      const f = filterSection(r.after!);
      expect(f.indexOf(STRICT_WG(iface))).toBeGreaterThan(0);
      expect(f.indexOf(STRICT_QEMU)).toBeGreaterThan(f.indexOf(STRICT_WG(iface)));
      expect(f.indexOf(reject)).toBeGreaterThan(f.indexOf(STRICT_QEMU));
      expect(r.live).toContain(rejectLive);
      expect(r.live).toContain(STRICT_WG(iface));
      expect(r.live.indexOf(STRICT_WG(iface))).toBeLessThan(r.live.indexOf(rejectLive));
    });
  });
});

describe('strict mode writes a file iptables-restore accepts in every case', () => {
  rootTest('no REJECT line (the old role appended after COMMIT): the rules go before COMMIT', () => {
    const r = runRole({ family: 'debian12', rules: fixture('no-reject-rules.v4'), mode: 'strict' });
    expectConverged(r);
    expect(r.after!.trimEnd().endsWith('COMMIT')).toBe(true);
    expect(filterSection(r.after!)).toContain(STRICT_QEMU);
  });

  rootTest('a file an older edge-wizard broke (rules after COMMIT) is repaired', () => {
    const broken = `${fixture('no-reject-rules.v4')}${STRICT_WG('enp125s0')}\n${STRICT_QEMU}\n`;
    const r = runRole({ family: 'rhel9', rules: broken, mode: 'strict' });
    expectConverged(r);
    expect(r.after!.trimEnd().endsWith('COMMIT')).toBe(true);
    expect(r.after!.split(STRICT_QEMU).length).toBe(2);
  });

  rootTest('a rule of ours after the REJECT moves before it', () => {
    const after = fixture('aws-rules.v4').replace(
      '-j REJECT --reject-with icmp-host-prohibited\n',
      `-j REJECT --reject-with icmp-host-prohibited\n${STRICT_QEMU}\n`,
    );
    const r = runRole({ family: 'ubuntu2204', rules: after, mode: 'strict' });
    expectConverged(r);
    const f = filterSection(r.after!);
    expect(f.split(STRICT_QEMU).length).toBe(2);
    expect(f.indexOf(STRICT_QEMU)).toBeLessThan(f.indexOf('-j REJECT'));
  });

  rootTest('no *filter table, or no file at all: nothing written, the run converges', () => {
    const natOnly = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n';
    const a = runRole({ family: 'alma9', rules: natOnly, mode: 'strict' });
    expectConverged(a);
    expect(a.after).toBe(natOnly);
    const b = runRole({ family: 'debian12', mode: 'strict' });
    expectConverged(b);
    expect(b.after).toBeUndefined();
  });

  rootTest('a file iptables-restore rejects is never written: the task fails and the file stays', () => {
    const bad = fixture('aws-rules.v4').replace(
      ':OUTPUT ACCEPT [0:0]\n-A INPUT -m state',
      ':OUTPUT ACCEPT [0:0]\n-A INPUT -m nosuchmatch --frob\n-A INPUT -m state',
    );
    expect(bad).toContain('nosuchmatch');
    const r = runRole({ family: 'debian12', rules: bad, mode: 'strict', runs: 1 });
    expect(r.runs[0]!.rc).not.toBe(0);
    const t = r.runs[0]!.tasks.find((x) => x.name === 'Persist the firewall in /etc/iptables/rules.v4')!;
    expect(t.state).toBe('failed');
    expect(t.msg).toMatch(/^iptables-restore --test rejects the rules edge-wizard would write to \/etc\/iptables\/rules.v4, which is left as it is: /);
    expect(r.after).toBe(bad);
  });

  rootTest('check mode: reports the change, writes nothing, changes no live rule', () => {
    const before = fixture('el-saved-iptables');
    const r = runRole({ family: 'alma9', rules: before, mode: 'strict', iface: 'ens5', check: true, runs: 1 });
    expect(r.runs[0]!.rc).toBe(0);
    expect(state(r.runs[0]!, 'Persist the firewall in /etc/sysconfig/iptables')).toBe('changed');
    expect(r.after).toBe(before);
    expect(r.live).not.toContain('edge-wizard');
  });
});

describe('firewalld running', () => {
  rootTest("open: WireGuard port in the public interface's zone, migration ports in wg0's (default) zone, runtime and permanent; no iptables", () => {
    const r = runRole({ family: 'alma9', mode: 'open', iface: 'ens5', firewalld: true });
    expectConverged(r);
    expect(state(r.runs[0]!, 'Open WireGuard and the migration ports in firewalld')).toBe('changed');
    expect(state(r.runs[0]!, /^Firewall through iptables/)).toBe('skipped');
    expect(r.firewalld!.state.sort()).toEqual(
      ['51820/udp', '22/tcp', '16509/tcp', '49152-49215/tcp'].flatMap((p) => [`runtime|public|port|${p}`, `permanent|public|port|${p}`]).sort(),
    );
    expect(r.firewalld!.calls).toContain('--zone=public --add-port=51820/udp');
    expect(r.firewalld!.calls).toContain('--permanent --zone=public --add-port=51820/udp');
    expect(r.firewalld!.calls.some((c) => c.includes('--reload'))).toBe(false);
  });

  rootTest('strict: WireGuard only from the peers (rich rules)', () => {
    const r = runRole({ family: 'rhel8', mode: 'strict', iface: 'ens5', firewalld: true });
    expectConverged(r);
    const rich = r.firewalld!.state.filter((l) => l.includes('|rich-rule|'));
    expect(rich.sort()).toEqual(
      ['198.51.100.21', '203.0.113.10']
        .flatMap((a) =>
          ['runtime', 'permanent'].map((p) => `${p}|public|rich-rule|rule family="ipv4" source address="${a}/32" port port="51820" protocol="udp" accept`),
        )
        .sort(),
    );
    expect(r.firewalld!.state).not.toContain('runtime|public|port|51820/udp');
  });

  rootTest('check mode: only queries', () => {
    const r = runRole({ family: 'alma9', mode: 'open', iface: 'ens5', firewalld: true, check: true, runs: 1 });
    expect(r.runs[0]!.rc).toBe(0);
    expect(state(r.runs[0]!, 'Open WireGuard and the migration ports in firewalld')).toBe('changed');
    expect(r.firewalld!.state).toEqual([]);
    expect(r.firewalld!.calls.some((c) => c.includes('--add-'))).toBe(false);
  });

  rootTest('firewall_firewalld: never keeps to iptables', () => {
    const r = runRole({
      family: 'alma9',
      rules: fixture('el-saved-iptables'),
      mode: 'open',
      iface: 'ens5',
      firewalld: true,
      vars: { firewall_firewalld: 'never' },
    });
    expectConverged(r);
    expect(r.firewalld!.calls).toEqual([]);
    expect(r.after).not.toContain('REJECT');
  });
});

describe('families the role does not know', () => {
  rootTest('SLES: one sentence, nothing touched', () => {
    const before = fixture('aws-rules.v4');
    const r = runRole({ family: 'sles15', rules: before, mode: 'open', runs: 1 });
    expect(r.runs[0]!.rc).not.toBe(0);
    const t = r.runs[0]!.tasks.find((x) => x.state === 'failed')!;
    expect(t.name).toBe("Check that the role knows this host's family");
    expect(t.msg).toBe(
      'kvm1 runs SLES 15.6 (Suse family), but the firewall role knows Debian/Ubuntu and AlmaLinux/RHEL hosts only: leave aws_reject_rule false for it and open its firewall by hand.',
    );
    expect(r.after).toBe(before);
  });

  rootTest('aws_reject_rule false: the role does nothing', () => {
    const before = fixture('aws-rules.v4');
    const r = runRole({ family: 'debian12', rules: before, mode: 'open', runs: 1, vars: { aws_reject_rule: false } });
    expect(r.runs[0]!.rc).toBe(0);
    expect(r.runs[0]!.tasks.every((t) => t.state === 'skipped')).toBe(true);
    expect(r.after).toBe(before);
  });
});
