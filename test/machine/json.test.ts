/**
 * --json on validate, verify and deploy: stdout holds exactly one JSON document
 * that matches its schema (src/cli/machine.ts, documented in docs/CONTRACTS.md),
 * progress and notes go to stderr, exit codes are those of the text mode.
 */
import { describe, expect, test, beforeEach } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { fakeRunner } from '../support/fake-runner.js';
import { runDeploy, type DeployRunDeps } from '../../src/cli/commands/deploy.js';
import { runVerifyCommand } from '../../src/cli/commands/verify.js';
import { DEPLOY_JSON_SCHEMA, VALIDATE_JSON_SCHEMA, VERIFY_JSON_SCHEMA } from '../../src/cli/machine.js';
import { cli } from '../support/cli.js';
import { ansibleTable, splitIO, type Faults } from './support.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const validators = { validate: ajv.compile(VALIDATE_JSON_SCHEMA), verify: ajv.compile(VERIFY_JSON_SCHEMA), deploy: ajv.compile(DEPLOY_JSON_SCHEMA) };

/** stdout must be one JSON document and nothing else; returns it checked against its schema. */
function document(stdout: string, kind: keyof typeof validators): Record<string, unknown> {
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  expect(stdout.endsWith('}\n')).toBe(true);
  const ok = validators[kind](doc);
  if (!ok) throw new Error(`${kind} JSON does not match its schema: ${ajv.errorsText(validators[kind].errors)}\n${stdout.slice(0, 2000)}`);
  expect(doc.kind).toBe(kind);
  return doc;
}

const SEED = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ew-machine-'));
});

describe('validate --json', () => {
  test('a valid file: valid, its name and counts, no problems; exit 0, nothing on stderr', async () => {
    const r = await cli('validate', '-f', 'examples/seed-practical.yaml', '--json');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(document(r.out, 'validate')).toEqual({
      kind: 'validate',
      version: 1,
      valid: true,
      source: 'examples/seed-practical.yaml',
      scenario: 'seed-practical',
      clusters: 2,
      kvm_hosts: 2,
      problems: [],
      warnings: [],
    });
  });

  test('schema and semantic problems come with their field paths; exit 2', async () => {
    const file = join(dir, 's.yaml');
    writeFileSync(file, SEED.replace('public_ip: 18.144.25.41', 'public_ip: 18.134.246.200').replace('mtu: 1420', 'mtu: 1420\n  colour: blue'));
    const r = await cli('validate', '-f', file, '--json');
    expect(r.code).toBe(2);
    expect(r.err).toBe('');
    const doc = document(r.out, 'validate');
    expect(doc.valid).toBe(false);
    expect(doc.problems).toEqual([{ field: 'wireguard.colour', message: expect.stringContaining('wireguard.colour is not a known setting') }]);
    // Schema problems stop before semantics (as in text mode); fix it and the duplicate address shows with its field.
    writeFileSync(file, SEED.replace('public_ip: 18.144.25.41', 'public_ip: 18.134.246.200'));
    const again = document((await cli('validate', '-f', file, '--json')).out, 'validate');
    expect(again.problems).toEqual([
      { field: 'clusters[1].hosts[0].public_ip', message: expect.stringContaining('is already used by clusters[0].hosts[0].public_ip') },
    ]);
  });

  test('more problems than the text mode shows: every one is in the JSON', async () => {
    const file = join(dir, 'many.yaml');
    const extra = Array.from({ length: 25 }, (_, i) => `  bogus_${i}: 1`).join('\n');
    writeFileSync(file, SEED.replace('mtu: 1420', `mtu: 1420\n${extra}`));
    const text = await cli('validate', '-f', file);
    expect(text.err).toContain('the first 20 shown');
    const doc = document((await cli('validate', '-f', file, '--json')).out, 'validate');
    expect((doc.problems as unknown[]).length).toBe(25);
    expect((doc.problems as Array<{ field: string }>).map((p) => p.field)).toContain('wireguard.bogus_24');
  });

  test('a YAML syntax error is a problem of the whole file (field null)', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: [unclosed\n');
    const r = await cli('validate', '-f', file, '--json');
    expect(r.code).toBe(2);
    const doc = document(r.out, 'validate');
    expect((doc.problems as Array<{ field: unknown }>)[0]!.field).toBeNull();
  });

  test('a file that cannot be read is a usage error: empty stdout, the sentence on stderr, exit 2', async () => {
    const r = await cli('validate', '-f', join(dir, 'nope.yaml'), '--json');
    expect(r).toEqual({ code: 2, out: '', err: expect.stringMatching(/does not exist: check the path given with -f\.\n$/) });
  });
});

describe('verify --json', () => {
  const deps = (faults: Faults = {}) => ({ exec: fakeRunner(ansibleTable(faults)), now: () => 1_767_225_600_000, env: {} as NodeJS.ProcessEnv });

  async function inventory(): Promise<{ file: string; out: string }> {
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, SEED);
    const out = join(dir, 'inv');
    expect((await cli('generate', '-f', file, '--out', out)).code).toBe(0);
    return { file, out };
  }

  test('all passing: ok, summary, checks and the observed state per host and peer', async () => {
    const { file, out } = await inventory();
    const s = splitIO();
    const r = await runVerifyCommand({ file, out, json: true }, s.io, deps());
    expect(r.report.ok).toBe(true);
    expect(s.err()).toBe('');
    const doc = document(s.out(), 'verify');
    expect(doc).toMatchObject({ ok: true, scenario: 'seed-practical', source: file, inventory: out, stale: [] });
    const summary = doc.summary as { checks: number; failed: number };
    expect(summary.failed).toBe(0);
    const state = doc.state as { bgp: unknown[]; bfd: unknown[]; handshakes: unknown[]; mtu: unknown[]; hosts: unknown[] };
    // 3 reflectors x 2 other hosts; BFD both ways; 3 x 2 handshakes and probes.
    expect(state.bgp).toHaveLength(6);
    expect(state.bgp).toContainEqual({
      host: 'kvm_london',
      reflector: 'ingress',
      address: '192.168.0.2',
      state: 'Established',
      up: true,
      prefixes_received: 2,
    });
    // Every host reflects here (the seed's defaults); reflectors run BFD between them too (roles/frr_layer).
    expect(state.bfd).toHaveLength(6);
    expect(state.bfd).toContainEqual({
      host: 'ingress',
      peer: 'kvm_london',
      address: '192.168.0.2',
      status: 'up',
      up: true,
      detect_multiplier: 3,
      receive_interval_ms: 300,
      transmit_interval_ms: 300,
    });
    expect(state.handshakes).toContainEqual({ host: 'ingress', peer: 'kvm_ncalifornia', age_seconds: 10, fresh: true });
    expect(state.mtu).toContainEqual({ host: 'kvm_ncalifornia', peer: 'kvm_london', mtu: 1420, ok: true, exit_code: 0 });
    expect(state.hosts).toContainEqual({
      host: 'ingress',
      answered: true,
      reflector: true,
      address: '192.168.0.1',
      mtu: 1420,
      wireguard_up: true,
      observed_at: 1000,
    });
  });

  test('failures are in checks and state; a silent host is answered: false; the command exits 1', async () => {
    const { file, out } = await inventory();
    const s = splitIO();
    const faults: Faults = { bgpState: { kvm_ncalifornia: 'Active' }, noHandshake: [['kvm_london', 'ingress']], silent: [] };
    const r = await runVerifyCommand({ file, out, json: true }, s.io, deps(faults));
    expect(r.report.ok).toBe(false);
    const doc = document(s.out(), 'verify');
    expect(doc.ok).toBe(false);
    const failed = (doc.checks as Array<{ ok: boolean; title: string }>).filter((c) => !c.ok).map((c) => c.title);
    expect(failed).toContain('kvm_ncalifornia (192.168.0.3) Established on ingress');
    expect(failed).toContain('handshake kvm_london -> ingress');
    expect((doc.state as { handshakes: unknown[] }).handshakes).toContainEqual({ host: 'kvm_london', peer: 'ingress', age_seconds: null, fresh: false });

    const silent = splitIO();
    await runVerifyCommand({ file, out, json: true }, silent.io, deps({ silent: ['kvm_london'] }));
    const doc2 = document(silent.out(), 'verify');
    expect((doc2.state as { hosts: unknown[] }).hosts).toContainEqual({ host: 'kvm_london', answered: false, reflector: false, address: '' });
  });

  test('a stale inventory is listed in the JSON and noted on stderr, not stdout', async () => {
    const { file, out } = await inventory();
    writeFileSync(file, SEED.replace('port: 51820', 'port: 51821'));
    const s = splitIO();
    await runVerifyCommand({ file, out, json: true }, s.io, deps());
    const doc = document(s.out(), 'verify');
    expect((doc.stale as string[]).length).toBeGreaterThan(0);
    expect(s.err()).toMatch(/^note: the inventory differs/);
  });
});

describe('deploy --json', () => {
  let scenarioFile: string;
  const deps = (faults: Faults = {}): DeployRunDeps & { exec: ReturnType<typeof fakeRunner> } => ({
    exec: fakeRunner(ansibleTable(faults)),
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    env: { NODE_ENV: 'test' },
    isTTY: false,
    confirm: async () => true,
    findCollections: () => '/opt/one-deploy/ansible_collections',
  });
  beforeEach(() => {
    scenarioFile = join(dir, 'scenario.yaml');
    writeFileSync(scenarioFile, SEED.replace('password: opennebula ', 'password: s3cret-pass '));
    writeFileSync(join(dir, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests controller\n');
  });
  const opts = () => ({ file: scenarioFile, out: join(dir, 'inv'), identity: join(dir, 'id_ed25519'), yes: true, opennebula: false, json: true });

  test('the final report as one document: steps with per-host counters, verify, log; progress on stderr only', async () => {
    const s = splitIO();
    // The simple renderer writes as it would in CI: it must write to stderr, not stdout.
    const r = await runDeploy({ ...opts(), renderer: 'simple' }, s.io, deps());
    expect(r.ok).toBe(true);
    const doc = document(s.out(), 'deploy');
    expect(doc).toMatchObject({
      ok: true,
      scenario: 'seed-practical',
      check: false,
      dry_run: false,
      declined: false,
      stopped: null,
      failed_hosts: [],
      pending_hosts: [],
      planned: null,
    });
    const steps = doc.steps as Array<{ step: string; hosts: Record<string, { changed: number }>; changed: number }>;
    expect(steps.map((x) => x.step)).toEqual(['root-access', 'firewall', 'wireguard', 'frr', 'frr-layer', 'verify']);
    expect(steps.find((x) => x.step === 'root-access')!.hosts.kvm_london!.changed).toBe(1);
    expect((doc.verify as { ok: boolean }).ok).toBe(true);
    expect(doc.log).toBe(r.logPath);
    expect(s.err()).toContain('WireGuard');
    expect(s.out()).not.toContain('s3cret-pass');
  });

  test('a failing verify: ok false, the failed checks in verify', async () => {
    const s = splitIO();
    const r = await runDeploy({ ...opts(), renderer: 'silent' }, s.io, deps({ pingFails: [['ingress', 'kvm_london']] }));
    expect(r.ok).toBe(false);
    const doc = document(s.out(), 'deploy');
    const v = doc.verify as { ok: boolean; summary: { failed: number }; checks: Array<{ ok: boolean; title: string }> };
    expect(v.ok).toBe(false);
    expect(v.checks.filter((c) => !c.ok).map((c) => c.title)).toEqual(['1420-byte DF ping ingress -> kvm_london']);
  });

  test('--dry-run: what would change and run, nothing ran', async () => {
    const s = splitIO();
    const d = deps();
    await runDeploy({ ...opts(), dryRun: true, renderer: 'silent' }, s.io, d);
    expect(d.exec.calls).toHaveLength(0);
    const doc = document(s.out(), 'deploy');
    expect(doc.dry_run).toBe(true);
    const planned = doc.planned as { files: Array<{ path: string; action: string }>; commands: Array<{ step: string; argv: string[] }> };
    expect(planned.files.map((f) => f.path)).toContain('hosts.yml');
    expect(planned.commands.map((c) => c.step)).toEqual(['unchanged', 'root-access', 'firewall', 'wireguard', 'frr', 'frr-layer', 'verify']);
    expect(s.out()).not.toContain('s3cret-pass');
  });
});
