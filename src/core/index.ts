/** The pure core: parse, validate, plan. No fs, exec, prompts or task lists here. */
import { applyDefaults } from './defaults.js';
import { ValidationFailed, validationFailed, type Problem } from './errors.js';
import type { Scenario, ScenarioInput } from './scenario.js';
import { checkSchema, checkSemantics } from './validate.js';
import { readYaml } from './yaml.js';

export * from './scenario.js';
export { ValidationFailed, type Problem } from './errors.js';
export { decodeInput, MAX_INPUT_BYTES } from './yaml.js';
export { planFiles, addressesFromHostVars } from './plan.js';
export { planMesh, homeHubs, precheckPeerVars } from './wireguard/mesh.js';
export { renderInventory, vnTemplate, proxyJumpSpec } from './inventory.js';

export interface ParsedScenario {
  scenario: Scenario;
  warnings: Problem[];
}

/** Raw YAML text -> plain data within the bounds (core/yaml.ts), or every problem as one sentence. */
export function parseYaml(text: string, source = 'scenario file'): unknown {
  return readYaml(text, source);
}

/** Validates raw data (schema, then semantics) and returns the complete scenario. */
export function validateScenario(data: unknown, source?: string): ParsedScenario {
  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) {
    throw new ValidationFailed(['the scenario file is empty or not a mapping: start from examples/seed-practical.yaml.'], source);
  }
  const schemaProblems = checkSchema(data);
  if (schemaProblems.length) throw validationFailed(schemaProblems, source);
  const scenario = applyDefaults(data as ScenarioInput);
  const { errors, warnings } = checkSemantics(scenario);
  if (errors.length) throw validationFailed(errors, source);
  return { scenario, warnings };
}

export function parseScenario(text: string, source?: string): ParsedScenario {
  return validateScenario(parseYaml(text, source), source);
}
