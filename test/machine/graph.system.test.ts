/** The DOT of `edge-wizard graph`, rendered by the real Graphviz `dot`. The graph itself: graph.test.ts. */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { renderDot, topologyGraph } from '../../src/core/graph.js';
import { parseScenario } from '../../src/core/index.js';
import { fleet } from './support.js';

const hasDot = spawnSync('dot', ['-V']).status === 0;

describe('Graphviz accepts the DOT', () => {
  if (!hasDot) {
    test.skip('SKIPPED: Graphviz `dot` is not installed (apt-get install graphviz; scripts/bootstrap.sh installs it)', () => undefined);
    console.warn('\n!!! SKIPPED: Graphviz `dot` is not installed: the DOT output was NOT checked by Graphviz (apt-get install graphviz) !!!\n');
    return;
  }
  test.each([
    ['the seed', readFileSync('examples/seed-practical.yaml', 'utf8')],
    ['a fleet of 4 x 50', stringify(fleet(4, 50))],
  ])('%s renders to SVG with every host', (_name, text) => {
    const { scenario } = parseScenario(text);
    const dot = renderDot(topologyGraph(scenario));
    const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const svg = r.stdout.replace(/&#45;/g, '-');
    for (const h of scenario.clusters.flatMap((c) => c.hosts)) expect(svg).toContain(`>${h.name}</text>`);
  });
});
