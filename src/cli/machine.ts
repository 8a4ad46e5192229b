/**
 * Machine output: the JSON documents `validate --json`, `verify --json` and
 * `deploy --json` print on stdout (one document, nothing else; progress goes to
 * stderr), and the JSON Schemas that pin them (tests validate every document
 * against its schema; docs/CONTRACTS.md "Machine output" describes them).
 * Field names are snake_case; a new field may appear in a later version, a
 * field is never renamed or removed without bumping `version`.
 */
import type { Effect } from '../adapters/effects.js';
import type { DeployOutcome } from '../app/deploy.js';
import type { VerifyOutcome } from '../app/verify.js';
import type { Problem } from '../core/errors.js';
import type { OverlayFacts } from '../core/observed.js';
import type { Check, VerifyReport } from '../core/verify.js';

export const MACHINE_VERSION = 1;

export interface ProblemJson {
  /** Field path in the scenario file (`clusters[0].hosts[1].public_ip`), or null for a problem of the whole file. */
  field: string | null;
  message: string;
}

export interface ValidateJson {
  kind: 'validate';
  version: 1;
  valid: boolean;
  source: string;
  scenario: string | null;
  clusters: number | null;
  kvm_hosts: number | null;
  problems: ProblemJson[];
  warnings: ProblemJson[];
}

export interface VerifyJson {
  kind: 'verify';
  version: 1;
  ok: boolean;
  scenario: string;
  source: string;
  inventory: string;
  /** Inventory files that differ from what the scenario would generate now. */
  stale: string[];
  summary: { checks: number; passed: number; failed: number };
  checks: Check[];
  /** Sessions to interconnect gateways: reported, not judged (`ok` ignores them). */
  interconnect: Check[];
  /** What was observed, per host and peer (core/observed.ts). */
  state: OverlayFacts;
  log: string | null;
}

export interface DeployStepJson {
  step: string;
  exit_code: number;
  duration_seconds: number;
  changed: number;
  /** PLAY RECAP counters per host. */
  hosts: Record<string, { ok: number; changed: number; unreachable: number; failed: number; skipped: number; rescued: number; ignored: number }>;
  problems: Array<{ host: string; via: string | null; task: string; kind: 'failed' | 'unreachable'; item: string | null; message: string }>;
  /** ansible-runner's artifact directory of the run (job_events/, stdout), or null for a step that is not a playbook. */
  artifacts: string | null;
}

export interface DeployJson {
  kind: 'deploy';
  version: 1;
  ok: boolean;
  scenario: string;
  source: string;
  inventory: string;
  check: boolean;
  dry_run: boolean;
  /** The user answered no at the confirmation: nothing ran. */
  declined: boolean;
  /** Why the run stopped before the end (a preflight or step error), else null. */
  stopped: string | null;
  steps: DeployStepJson[];
  failed_hosts: Array<{ host: string; step: string; task: string; kind: 'failed' | 'unreachable'; message: string }>;
  /** Check mode: hosts that would first get root access (the later steps were not checked on them). */
  pending_hosts: Array<{ host: string; reason: string }>;
  verify: { ok: boolean; summary: { checks: number; passed: number; failed: number }; checks: Check[] } | null;
  /** --dry-run: the files that would change and the commands that would run; else null. */
  planned: { files: Array<{ path: string; action: string }>; commands: Array<{ step: string; argv: string[] }> } | null;
  log: string | null;
}

const problemJson = (p: Problem): ProblemJson => ({ field: p.field || null, message: p.message });

export function validateJson(input: {
  source: string;
  valid: boolean;
  scenario?: { name: string; clusters: number; kvmHosts: number };
  problems: Problem[];
  warnings: Problem[];
}): ValidateJson {
  return {
    kind: 'validate',
    version: MACHINE_VERSION,
    valid: input.valid,
    source: input.source,
    scenario: input.scenario?.name ?? null,
    clusters: input.scenario?.clusters ?? null,
    kvm_hosts: input.scenario?.kvmHosts ?? null,
    problems: input.problems.map(problemJson),
    warnings: input.warnings.map(problemJson),
  };
}

const summaryOf = (r: VerifyReport) => ({ checks: r.checks.length, passed: r.checks.filter((c) => c.ok).length, failed: r.checks.filter((c) => !c.ok).length });
const checkJson = (c: Check): Check => ({ kind: c.kind, title: c.title, ok: c.ok, ...(c.detail !== undefined ? { detail: c.detail } : {}) });

export function verifyJson(r: VerifyOutcome, meta: { scenario: string; source: string; inventory: string }): VerifyJson {
  return {
    kind: 'verify',
    version: MACHINE_VERSION,
    ok: r.report.ok,
    ...meta,
    stale: r.stale,
    summary: summaryOf(r.report),
    checks: r.report.checks.map(checkJson),
    interconnect: (r.report.interconnect ?? []).map(checkJson),
    state: r.facts,
    log: r.logPath ?? null,
  };
}

export function deployJson(r: DeployOutcome, meta: { scenario: string; source: string; check: boolean; dryRun: boolean; record?: Effect[] }): DeployJson {
  const ctx = r.ctx;
  const steps = (ctx?.results ?? []).map((s): DeployStepJson => ({
    step: s.step,
    exit_code: s.exitCode,
    duration_seconds: Math.round(s.durationMs) / 1000,
    changed: Object.values(s.recap).reduce((n, h) => n + h.changed, 0),
    hosts: s.recap,
    problems: s.problems.map((p) => ({ host: p.host, via: p.via ?? null, task: p.task, kind: p.kind, item: p.item ?? null, message: p.message })),
    artifacts: s.artifacts ?? null,
  }));
  const planned = meta.dryRun
    ? {
        files: (meta.record ?? []).flatMap((e) =>
          e.kind === 'file' && e.change.action !== 'unchanged' ? [{ path: e.change.path, action: e.change.action }] : [],
        ),
        commands: (meta.record ?? []).flatMap((e) => (e.kind === 'run' ? [{ step: e.label, argv: [e.file, ...e.args] }] : [])),
      }
    : null;
  return {
    kind: 'deploy',
    version: MACHINE_VERSION,
    ok: r.ok,
    scenario: meta.scenario,
    source: meta.source,
    inventory: r.outDir,
    check: meta.check,
    dry_run: meta.dryRun,
    declined: Boolean(r.declined),
    stopped: r.stopped ?? null,
    steps,
    failed_hosts: [...(ctx?.failedHosts ?? new Map()).entries()].map(([host, f]) => ({
      host,
      step: f.step,
      task: f.problem.task,
      kind: f.problem.kind,
      message: f.problem.message,
    })),
    pending_hosts: [...(ctx?.pendingHosts ?? new Map()).entries()].map(([host, reason]) => ({ host, reason })),
    verify: ctx?.verify ? { ok: ctx.verify.ok, summary: summaryOf(ctx.verify), checks: ctx.verify.checks.map(checkJson) } : null,
    planned,
    log: r.logPath ?? null,
  };
}

/** One JSON document and a newline: what stdout holds in --json mode. */
export function jsonLine(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ---- JSON Schemas (draft 2020-12 subset ajv checks); additionalProperties false pins every field.

const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const bool = { type: 'boolean' } as const;
const nullable = (s: object) => ({ anyOf: [s, { type: 'null' }] });
const obj = (properties: Record<string, unknown>, optional: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  properties,
});

const problemSchema = obj({ field: nullable(str), message: str });
const checkSchema = obj({ kind: { enum: ['bgp', 'bfd', 'handshake', 'mtu', 'drift'] }, title: str, ok: bool, detail: str }, ['detail']);
const summarySchema = obj({ checks: int, passed: int, failed: int });
const hostStats = obj({ ok: int, changed: int, unreachable: int, failed: int, skipped: int, rescued: int, ignored: int });

export const VALIDATE_JSON_SCHEMA = obj({
  kind: { const: 'validate' },
  version: { const: 1 },
  valid: bool,
  source: str,
  scenario: nullable(str),
  clusters: nullable(int),
  kvm_hosts: nullable(int),
  problems: { type: 'array', items: problemSchema },
  warnings: { type: 'array', items: problemSchema },
});

export const OVERLAY_STATE_SCHEMA = obj({
  hosts: {
    type: 'array',
    items: obj({ host: str, answered: bool, reflector: bool, address: str, mtu: int, wireguard_up: bool, observed_at: int }, [
      'mtu',
      'wireguard_up',
      'observed_at',
    ]),
  },
  bgp: { type: 'array', items: obj({ host: str, reflector: str, address: str, state: str, up: bool, prefixes_received: int }, ['prefixes_received']) },
  bfd: {
    type: 'array',
    items: obj({ host: str, peer: str, address: str, status: str, up: bool, detect_multiplier: int, receive_interval_ms: int, transmit_interval_ms: int }, [
      'detect_multiplier',
      'receive_interval_ms',
      'transmit_interval_ms',
    ]),
  },
  handshakes: { type: 'array', items: obj({ host: str, peer: str, age_seconds: nullable(int), fresh: bool }) },
  mtu: { type: 'array', items: obj({ host: str, peer: str, mtu: int, ok: bool, exit_code: { type: 'integer' } }) },
});

export const VERIFY_JSON_SCHEMA = obj({
  kind: { const: 'verify' },
  version: { const: 1 },
  ok: bool,
  scenario: str,
  source: str,
  inventory: str,
  stale: { type: 'array', items: str },
  summary: summarySchema,
  checks: { type: 'array', items: checkSchema },
  interconnect: { type: 'array', items: checkSchema },
  state: OVERLAY_STATE_SCHEMA,
  log: nullable(str),
});

export const DEPLOY_JSON_SCHEMA = obj({
  kind: { const: 'deploy' },
  version: { const: 1 },
  ok: bool,
  scenario: str,
  source: str,
  inventory: str,
  check: bool,
  dry_run: bool,
  declined: bool,
  stopped: nullable(str),
  steps: {
    type: 'array',
    items: obj({
      step: str,
      exit_code: { type: 'integer' },
      duration_seconds: { type: 'number', minimum: 0 },
      changed: int,
      hosts: { type: 'object', additionalProperties: hostStats },
      problems: {
        type: 'array',
        items: obj({ host: str, via: nullable(str), task: str, kind: { enum: ['failed', 'unreachable'] }, item: nullable(str), message: str }),
      },
      artifacts: nullable(str),
    }),
  },
  failed_hosts: { type: 'array', items: obj({ host: str, step: str, task: str, kind: { enum: ['failed', 'unreachable'] }, message: str }) },
  pending_hosts: { type: 'array', items: obj({ host: str, reason: str }) },
  verify: nullable(obj({ ok: bool, summary: summarySchema, checks: { type: 'array', items: checkSchema } })),
  planned: nullable(
    obj({
      files: { type: 'array', items: obj({ path: str, action: { enum: ['create', 'update', 'chmod'] } }) },
      commands: { type: 'array', items: obj({ step: str, argv: { type: 'array', items: str, minItems: 1 } }) },
    }),
  ),
  log: nullable(str),
});
