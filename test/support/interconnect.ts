/** examples/interconnect.yaml and its edits, shared by the interconnect suites (test/core/interconnect*.test.ts). */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { parseScenario } from '../../src/core/index.js';
import { planFiles } from '../../src/core/plan.js';
import type { Scenario } from '../../src/core/scenario.js';

export const EXAMPLE = readFileSync('examples/interconnect.yaml', 'utf8');
export const KEY2 = 'MvJH/VbwmhVEATC1D/HOrr/05wZ5drCl2+p1+hiYZWw=';

/** The parts of the scenario document the tests edit. */
export interface Doc {
  bgp: Record<string, unknown>;
  wireguard: Record<string, unknown>;
  networks: Array<Record<string, unknown>>;
  clusters: Array<{ hosts: Array<Record<string, unknown>> }>;
  interconnect: Array<Record<string, unknown>>;
}

/** examples/interconnect.yaml, changed by `edit` (on the parsed document). */
export function scenario(edit: (doc: Doc) => void = () => undefined): Scenario {
  const doc = parse(EXAMPLE) as Doc;
  edit(doc);
  return parseScenario(stringify(doc)).scenario;
}

/** Every planned file: path -> content. */
export function generated(s: Scenario, previous: Parameters<typeof planFiles>[1] = {}): Record<string, string> {
  return Object.fromEntries(planFiles(s, previous).files.map((f) => [f.path, f.content]));
}
