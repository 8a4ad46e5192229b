/**
 * Validation of a scenario: first the JSON Schema (shape, types, formats),
 * then the semantic checks (addresses, subnets, MTU, leases, budgets), one module per section of
 * the scenario in validate/ (listed in validate/index.ts).
 * Every failure is one sentence that names the field and the fix; all are
 * reported at once.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { scenarioSchema } from './schema.js';
import type { Problem } from './errors.js';
import { fieldPath, shown } from './printable.js';
import type { Scenario } from './scenario.js';
import { kvmHosts, meshMembers } from './scenario.js';
import { SECTIONS } from './validate/index.js';
import type { Checks } from './validate/section.js';

// ajv-formats ships CJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

let compiled: ReturnType<Ajv['compile']> | undefined;
function schemaValidator() {
  if (!compiled) {
    // The schema is ours and checked against the meta-schema by a test (test/core/schema.test.ts),
    // so each run skips that check and the code optimizer: about 0.1 s of CPU at every start.
    const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false, code: { optimize: false } });
    addFormats(ajv);
    compiled = ajv.compile(scenarioSchema);
  }
  return compiled;
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

function schemaProblem(e: ErrorObject, data: unknown): Problem | undefined {
  const field = fieldPath(e.instancePath);
  const value = e.instancePath
    .split('/')
    .slice(1)
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), data);
  // .nan, .inf: numbers for YAML, none for us; one sentence whatever rules they break.
  if (typeof value === 'number' && !Number.isFinite(value) && e.keyword !== 'required' && e.keyword !== 'additionalProperties') {
    return { field, message: `${field} is ${shown(value)}, which is not a usable number: write a whole number.` };
  }
  switch (e.keyword) {
    case 'required': {
      const f = fieldPath(e.instancePath, String(e.params.missingProperty));
      return { field: f, message: `${f} is missing: add it to the scenario file.` };
    }
    case 'additionalProperties': {
      const f = fieldPath(e.instancePath, String(e.params.additionalProperty));
      return { field: f, message: `${f} is not a known setting: remove it or check its spelling against schema/edge-wizard.schema.json.` };
    }
    case 'type':
      if (/version$/.test(field)) return { field, message: `${field} is ${shown(value)} but must be a string: write it quoted, like '6.8'.` };
      return {
        field,
        message: `${field} is ${shown(value)} but must be ${e.params.type === 'integer' ? 'a whole number' : e.params.type === 'object' ? 'a mapping' : e.params.type === 'array' ? 'a list' : article(String(e.params.type))}: fix its value.`,
      };
    case 'format':
      return {
        field,
        message: `${field} ${shown(value)} is not a valid ${e.params.format === 'ipv4' ? 'IPv4 address' : e.params.format}: write it like 203.0.113.10.`,
      };
    case 'enum':
      return { field, message: `${field} ${shown(value)} is not one of ${(e.params.allowedValues as unknown[]).join(', ')}: pick one of those.` };
    case 'pattern':
      if (/interface$/.test(field)) {
        return {
          field,
          message: `${field} ${shown(value)} is not a Linux interface name: use 1 to 15 letters, digits, "_", "-" or ".", like ${field.endsWith('public_interface') ? 'eth0' : 'wg0'}.`,
        };
      }
      if (/(?:ssh_user|^ansible\.user|^ansible\.ensure_keys_for\[\d+\])$/.test(field)) {
        return {
          field,
          message: `${field} ${shown(value)} is not a user name: start with a letter or "_" and use at most 32 letters, digits, "_", "-" and ".", like root.`,
        };
      }
      if (field.endsWith('name') || /\.name$|^name$/.test(field)) {
        return { field, message: `${field} ${shown(value)} is not a valid name: start with a letter and use only letters, digits, "_" and "-".` };
      }
      if (/subnet$/.test(field)) return { field, message: `${field} ${shown(value)} is not an IPv4 subnet: write it like 192.168.0.0/24.` };
      if (/version$/.test(field)) return { field, message: `${field} ${shown(value)} is not a version: write it like '6.8' (quoted).` };
      return { field, message: `${field} ${shown(value)} has the wrong form (${e.message}): fix its value.` };
    case 'minimum':
    case 'maximum':
      return { field, message: `${field} is ${shown(value)} but must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${e.params.limit}: change it.` };
    case 'maxLength':
      if (/^interconnect\[\d+\]\.name$/.test(field)) {
        return {
          field,
          message: `${field} is ${String(value).length} characters long but names of interconnect gateways are limited to ${e.params.limit} (they name FRR's BFD profile and route-maps): shorten it.`,
        };
      }
      return {
        field,
        message: `${field} is ${String(value).length} characters long but names are limited to ${e.params.limit} characters (Ansible inventory and DNS labels): shorten it.`,
      };
    case 'minLength':
      return { field, message: `${field} is empty: give it a value or remove it.` };
    case 'oneOf':
      if (/password$/.test(field)) {
        return { field, message: `${field} must be a password, { env: VARIABLE } or { vault: "$ANSIBLE_VAULT;..." }: use one of those forms.` };
      }
      return { field, message: `${field} has the wrong form: see schema/edge-wizard.schema.json.` };
    case 'anyOf':
      return { field, message: `${field} ${shown(value)} is not a valid IP address: write it like 203.0.113.10.` };
    default:
      return { field, message: `${field}: ${e.message ?? 'is invalid'}; fix its value.` };
  }
}

/** Schema check of the raw (parsed, not defaulted) file. */
export function checkSchema(data: unknown): Problem[] {
  const validate = schemaValidator();
  if (validate(data)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const errors = validate.errors ?? [];
  // For a field that failed `format` inside anyOf/oneOf, ajv reports each branch; keep one sentence per field.
  const anyOfAt = new Set(errors.filter((o) => o.keyword === 'anyOf').map((o) => o.instancePath));
  const oneOfAt = new Set(errors.filter((o) => o.keyword === 'oneOf').map((o) => o.instancePath));
  const underOneOf = (path: string) => {
    for (let p = path; ; p = p.slice(0, p.lastIndexOf('/'))) {
      if (oneOfAt.has(p)) return true;
      if (!p) return false;
    }
  };
  for (const e of errors) {
    if (e.keyword === 'format' && anyOfAt.has(e.instancePath)) continue;
    if (e.schemaPath.includes('/oneOf/') && underOneOf(e.instancePath)) continue;
    const p = schemaProblem(e, data);
    if (p && !seen.has(p.message)) {
      seen.add(p.message);
      problems.push(p);
    }
  }
  return problems;
}

export interface SemanticResult {
  errors: Problem[];
  warnings: Problem[];
}

/**
 * Semantic checks of a complete (defaulted) scenario: the sections of validate/index.ts, in order.
 * Every error and warning is collected; a section may stop the rest (a scenario too large to check).
 */
export function checkSemantics(s: Scenario): SemanticResult {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const checks: Checks = {
    s,
    kvms: kvmHosts(s),
    meshNames: new Set(meshMembers(s).map((m) => m.name)),
    err: (field, message) => errors.push({ field, message }),
    warn: (field, message) => warnings.push({ field, message }),
    add: (r) => {
      errors.push(...(r.errors ?? []));
      warnings.push(...(r.warnings ?? []));
    },
    found: { publicIps: new Map(), evpn: [] },
  };
  for (const section of SECTIONS) if (section(checks) === 'stop') break;
  return { errors, warnings };
}
