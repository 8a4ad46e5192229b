/** The WireGuard topologies' registry is the one list of topologies: the schema's enum and description follow it. */
import { expect, test } from '@jest/globals';
import { scenarioSchema } from '../../src/core/schema.js';
import { topology, TOPOLOGY_NAMES } from '../../src/core/wireguard/topologies/index.js';

test('each registry key names its own module, and the schema takes exactly those names', () => {
  for (const name of TOPOLOGY_NAMES) expect(topology(name)?.name).toBe(name);
  const wg = scenarioSchema.properties.wireguard.properties.topology;
  expect(wg.enum).toEqual(TOPOLOGY_NAMES);
  for (const name of TOPOLOGY_NAMES) expect(wg.description).toContain(`${name}: ${topology(name)!.description}`);
  expect(topology('constructor')).toBeUndefined();
});
