/**
 * Shared by the machine-output tests: a fake Ansible (exec table) whose
 * verify.yml writes the observations a real run would, on a seed-like mesh,
 * with knobs to make sessions, handshakes and probes fail.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeExecRow } from '../../src/adapters/exec.js';
import { preflightOutput } from '../support/fake-runner.js';

export const KVM = ['kvm_london', 'kvm_ncalifornia'];
export const MESH = ['ingress', ...KVM];
export const ADDR: Record<string, string> = { ingress: '192.168.0.1', kvm_london: '192.168.0.2', kvm_ncalifornia: '192.168.0.3' };
const KEYS: Record<string, string> = { ingress: 'KI=', kvm_london: 'KL=', kvm_ncalifornia: 'KN=' };

export interface Faults {
  /** host -> its session state on every reflector (default Established). */
  bgpState?: Record<string, string>;
  /** [host, peer] whose handshake never happened. */
  noHandshake?: Array<[string, string]>;
  /** [host, peer] whose DF probe fails. */
  pingFails?: Array<[string, string]>;
  /** hosts that answer nothing. */
  silent?: string[];
  /** [host, peer] BFD status other than up. */
  bfdDown?: Array<[string, string, string]>;
  /** Hosts that are VTEPs only (not in the router group); by default every host reflects. */
  vteps?: string[];
}

/** The observations verify.yml would leave in `dir` (every mesh host a reflector, BFD on: the seed's defaults). */
export function writeObservations(dir: string, f: Faults = {}): void {
  mkdirSync(dir, { recursive: true });
  for (const h of MESH.filter((x) => !f.silent?.includes(x))) {
    const peers = MESH.filter((p) => p !== h);
    const never = (p: string) => f.noHandshake?.some(([a, b]) => a === h && b === p);
    const bfd = peers.map((p) => ({
      peer: ADDR[p],
      status: f.bfdDown?.find(([a, b]) => a === h && b === p)?.[2] ?? 'up',
      'detect-multiplier': 3,
      'receive-interval': 300,
      'transmit-interval': 300,
    }));
    writeFileSync(
      join(dir, `${h}.json`),
      JSON.stringify({
        host: h,
        router: !f.vteps?.includes(h),
        wireguard_address: `${ADDR[h]}/24`,
        mtu: 1420,
        now: 1000,
        wg_handshakes: peers.map((p) => `${KEYS[p]}\t${never(p) ? 0 : 990}`).join('\n'),
        wg_rc: 0,
        public_key: KEYS[h],
        bgp_summary: JSON.stringify({ peers: Object.fromEntries(peers.map((p) => [`*${ADDR[p]}`, { state: f.bgpState?.[p] ?? 'Established', pfxRcd: 2 }])) }),
        bfd_expected: true,
        bfd_peers: JSON.stringify(bfd),
        pings: peers.map((p) => [p, f.pingFails?.some(([a, b]) => a === h && b === p) ? 1 : 0]),
        peers,
        peer_addresses: peers.map((p) => `${ADDR[p]}/32`),
      }),
    );
  }
}

/** Every extra-vars JSON object on an ansible-playbook command line, merged. */
export function extraVarsOf(args: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  args.forEach((a, i) => {
    if (args[i - 1] === '-e' && a.startsWith('{')) Object.assign(out, JSON.parse(a) as Record<string, unknown>);
  });
  return out;
}

const recap = (hosts: string[], changed = 0) =>
  `PLAY RECAP *********\n${hosts.map((h) => `${h.padEnd(27)}: ok=3    changed=${changed}    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0`).join('\n')}\n`;

/** ansible-playbook runs answered from a table: every playbook succeeds; verify.yml leaves `faults`' observations. */
export function ansibleTable(faults: Faults = {}): FakeExecRow[] {
  const isPlaybook = (name: string) => (file: string, args: readonly string[]) => file === 'ansible-playbook' && args[args.length - 1]!.endsWith(`/${name}`);
  return [
    { match: (f, a) => f === 'ansible-playbook' && a[0] === '--version', result: { stdout: 'ansible-playbook [core 2.14.18]\n' } },
    {
      match: isPlaybook('verify.yml'),
      result: (_f, args) => {
        writeObservations(String(extraVarsOf(args).ew_verify_dir), faults);
        return { stdout: recap(MESH) };
      },
    },
    { match: isPlaybook('preflight.yml'), result: { stdout: preflightOutput() } },
    { match: isPlaybook('root-access.yml'), result: { stdout: recap(KVM, 1) } },
    { match: (f, a) => f === 'ansible-playbook' && a[a.length - 1]!.endsWith('.yml'), result: { stdout: recap([...MESH, 'fe1'], 1) } },
  ];
}

/** A CommandIO whose out and err are kept apart. */
export function splitIO() {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (arr: string[]) => ({ write: (s: string | Uint8Array) => (arr.push(String(s)), true) }) as unknown as NodeJS.WritableStream;
  return { io: { out: sink(out), err: sink(err), debug: false }, out: () => out.join(''), err: () => err.join('') };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * The text format, read strictly: `# HELP name text`, `# TYPE name type`, samples
 * `name{l="v",...} value` with no timestamp (the textfile collector refuses them).
 * Throws on anything the format or the collector would refuse.
 */
export function readExposition(text: string): { families: Map<string, { help: string; type: string; samples: Sample[] }> } {
  if (!text.endsWith('\n')) throw new Error('the last line must end with a line feed');
  const families = new Map<string, { help: string; type: string; samples: Sample[] }>();
  const closed = new Set<string>();
  let current: string | undefined;
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1} (${line})`;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, what, name, rest] = meta as unknown as [string, string, string, string];
      if (closed.has(name)) throw new Error(`${where}: ${name} appears again after other families`);
      const fam = families.get(name) ?? { help: '', type: '', samples: [] };
      if (fam.samples.length) throw new Error(`${where}: ${what} after the samples of ${name}`);
      if (what === 'HELP') {
        if (fam.help) throw new Error(`${where}: second HELP`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`${where}: bad escape in HELP`);
        fam.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      } else {
        if (fam.type) throw new Error(`${where}: second TYPE`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`${where}: unknown type`);
        fam.type = rest;
      }
      if (current && current !== name) closed.add(current);
      current = name;
      families.set(name, fam);
      continue;
    }
    if (line.startsWith('#') || line === '') throw new Error(`${where}: unexpected comment or blank line`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample (or it carries a timestamp)`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    if (name !== current) throw new Error(`${where}: ${name} is not the family being written (${current}), or has no HELP/TYPE`);
    const labels: Record<string, string> = {};
    if (labelText) {
      let rest = labelText.slice(1, -1);
      while (rest.length) {
        const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/.exec(rest);
        if (!l) throw new Error(`${where}: bad label at ${rest}`);
        if (l[1]! in labels) throw new Error(`${where}: label ${l[1]} twice`);
        labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_x, c: string) => (c === 'n' ? '\n' : c));
        rest = rest.slice(l[0].length);
      }
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : valueText === 'NaN' ? NaN : Number(valueText);
    if (!/^([+-]Inf|NaN|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/.test(valueText)) throw new Error(`${where}: bad value`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: the same series twice`);
    seen.add(key);
    const fam = families.get(name)!;
    if (!fam.help || !fam.type) throw new Error(`${where}: samples before HELP and TYPE`);
    fam.samples.push({ name, labels, value });
  }
  return { families };
}

/** A scenario of `clusters` clusters of `perCluster` KVM hosts each (graph tests). */
export function fleet(clusters: number, perCluster: number, extra: (c: number, i: number) => Record<string, unknown> = () => ({})) {
  return {
    name: `fleet-${clusters}x${perCluster}`,
    frontend: { address: '10.0.1.87' },
    ingress: { public_ip: '198.51.100.1' },
    clusters: Array.from({ length: clusters }, (_, c) => ({
      name: `c${c}`,
      provider: 'aws',
      region: `r${c}`,
      public_network: { ips: [`203.0.113.${c + 1}`] },
      hosts: Array.from({ length: perCluster }, (_x, i) => ({ name: `kvm-${c}-${i}`, public_ip: `198.18.${c}.${i + 1}`, ...extra(c, i) })),
    })),
    wireguard: { subnet: '192.168.0.0/21' },
    evpn: { network_address: '172.16.0.0', network_mask: '255.255.240.0', ar_start: '172.16.0.1', gateway: '172.16.0.1', ar_size: 1000 },
  };
}
