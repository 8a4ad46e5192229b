/** The pure core: parse, validate, plan. No fs, exec, prompts or task lists here. */
import { parseDocument } from 'yaml';
import { applyDefaults } from './defaults.js';
import { ValidationFailed, type Problem } from './errors.js';
import type { Scenario, ScenarioInput } from './scenario.js';
import { checkSchema, checkSemantics } from './validate.js';

export * from './scenario.js';
export { applyDefaults, DEFAULTS } from './defaults.js';
export { ValidationFailed, type Problem } from './errors.js';
export { checkSchema, checkSemantics, MAX_PUBLIC_IPS } from './validate.js';
export { planFiles, addressesFromHostVars, type PlannedFile, type Previous } from './plan.js';
export { planMesh, type MeshPlan } from './wireguard/mesh.js';
export { inventoryData, renderInventory, vnTemplate, proxyJumpSpec } from './inventory.js';

export interface ParsedScenario {
  scenario: Scenario;
  warnings: Problem[];
}

/** Raw YAML text -> plain data, or every YAML syntax error as a problem. */
export function parseYaml(text: string, source = 'scenario file'): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    throw new ValidationFailed(
      doc.errors.map((e) => `${source} line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}; fix the YAML syntax there.`),
      source,
    );
  }
  return doc.toJS();
}

/** Validates raw data (schema, then semantics) and returns the complete scenario. */
export function validateScenario(data: unknown, source?: string): ParsedScenario {
  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) {
    throw new ValidationFailed(['the scenario file is empty or not a mapping: start from examples/seed-practical.yaml.'], source);
  }
  const schemaProblems = checkSchema(data);
  if (schemaProblems.length) throw new ValidationFailed(schemaProblems.map((p) => p.message), source);
  const scenario = applyDefaults(data as ScenarioInput);
  const { errors, warnings } = checkSemantics(scenario);
  if (errors.length) throw new ValidationFailed(errors.map((p) => p.message), source);
  return { scenario, warnings };
}

export function parseScenario(text: string, source?: string): ParsedScenario {
  return validateScenario(parseYaml(text, source), source);
}
