/**
 * edge-wizard graph: the seed's picture (golden files), every host of a large
 * fleet with the mesh drawn cluster to cluster, failures of the last verify
 * marked, and (when Graphviz is installed) `dot` accepts the DOT.
 */
import { describe, expect, test, beforeEach } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { HOST_MESH_LIMIT, renderDot, renderMermaid, topologyGraph, tunnels } from '../../src/core/graph.js';
import { parseScenario } from '../../src/core/index.js';
import { cli } from '../support/cli.js';
import { fleet, writeObservations } from './support.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ew-graph-'));
});

describe('graph of the seed', () => {
  test('Mermaid and DOT as in the golden files', async () => {
    const m = await cli('graph', '-f', 'examples/seed-practical.yaml');
    expect(m.code).toBe(0);
    expect(m.err).toBe('');
    expect(m.out).toBe(fixture('seed-practical.mmd'));
    const d = await cli('graph', '-f', 'examples/seed-practical.yaml', '--format', 'dot');
    expect(d.out).toBe(fixture('seed-practical.dot'));
  });

  test('usage errors: exit 2, one sentence', async () => {
    expect(await cli('graph', '-f', 'examples/seed-practical.yaml', '--format', 'png')).toEqual({
      code: 2,
      out: '',
      err: 'edge-wizard: --format png is not a format: use mermaid or dot.\n',
    });
    expect((await cli('graph', '-f', 'examples/seed-practical.yaml', '--mesh', 'star')).code).toBe(2);
    expect((await cli('graph', '-f', 'examples/seed-practical.yaml', '--out', dir)).code).toBe(2);
  });
});

describe('a large fleet', () => {
  const { scenario } = parseScenario(stringify(fleet(4, 50)));

  test('every host is drawn, the mesh cluster to cluster: edges grow with the clusters, not the hosts', () => {
    const g = topologyGraph(scenario);
    expect(1 + 200).toBeGreaterThan(HOST_MESH_LIMIT);
    const wg = g.edges.filter((e) => e.kind === 'wireguard');
    // 5 sites (the ingress and 4 clusters): 10 pairs instead of 201*200/2 tunnels.
    expect(wg).toHaveLength(10);
    expect(wg.find((e) => e.from === 'm_c0' && e.to === 'm_c1')!.label).toBe('2500 tunnels');
    expect(wg.find((e) => e.from === 'h_ingress')!.label).toBe('50 tunnels');
    for (const text of [renderMermaid(g), renderDot(g)]) {
      for (const c of scenario.clusters) for (const h of c.hosts) expect(text).toContain(h.name);
      expect(text).toContain('ingress');
      expect(text).toContain(scenario.frontend.name);
    }
    expect(renderMermaid(g).split('\n').length).toBeLessThan(300);
  });

  test('--mesh hosts draws every tunnel; --mesh clusters on the seed draws sites', () => {
    const small = parseScenario(stringify(fleet(2, 3))).scenario;
    expect(topologyGraph(small, { mesh: 'hosts' }).edges.filter((e) => e.kind === 'wireguard')).toHaveLength((7 * 6) / 2);
    expect(topologyGraph(small, { mesh: 'clusters' }).edges.filter((e) => e.kind === 'wireguard')).toHaveLength(3);
  });

  test('topology hub: only the planned tunnels, hub to hub and spoke to its home hub', () => {
    const input = fleet(3, 3);
    const hub = parseScenario(stringify({ ...input, wireguard: { ...input.wireguard, topology: 'hub' } })).scenario;
    const wg = topologyGraph(hub, { mesh: 'hosts' }).edges.filter((e) => e.kind === 'wireguard');
    // Hubs: the ingress and kvm-c-0 of each cluster (4, so 6 pairs); 6 spokes, one tunnel each.
    expect(wg).toHaveLength(6 + 6);
    expect(wg.filter((e) => e.to === 'h_kvm_2d_1_2d_2').map((e) => e.from)).toEqual(['h_kvm_2d_1_2d_0']);
    expect(tunnels(hub)).toHaveLength(12);
    const sites = topologyGraph(hub, { mesh: 'clusters' });
    // The ingress to each cluster's hub, and hub to hub between clusters: one tunnel each.
    expect(sites.edges.filter((e) => e.kind === 'wireguard').map((e) => e.label)).toEqual(Array(6).fill('1 tunnel'));
    expect(renderMermaid(sites)).toContain('WireGuard hub topology (hubs: ingress, kvm-0-0, kvm-1-0, kvm-2-0)');
  });

  test('names that are keywords or hold "-" become safe ids', () => {
    const s = parseScenario(
      stringify({ ...fleet(1, 1), clusters: [{ ...fleet(1, 1).clusters[0], name: 'end', hosts: [{ name: 'end', public_ip: '198.18.0.1' }] }] }),
    ).scenario;
    const m = renderMermaid(topologyGraph(s));
    expect(m).toContain('h_end["end<br/>198.18.0.1<br/>route reflector"]'.replace('["', '(["').replace('"]', '"])'));
    expect(m).toMatch(/subgraph c_end\[/);
    expect(renderDot(topologyGraph(parseScenario(stringify(fleet(1, 1))).scenario))).toContain('h_kvm_2d_0_2d_0 [');
  });
});

describe('graph --verify', () => {
  async function inventory(): Promise<{ file: string; out: string }> {
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, readFileSync('examples/seed-practical.yaml', 'utf8'));
    const out = join(dir, 'inv');
    expect((await cli('generate', '-f', file, '--out', out)).code).toBe(0);
    return { file, out };
  }

  test('marks the hosts, tunnels and sessions that failed in the last verify', async () => {
    const { file, out } = await inventory();
    writeObservations(join(out, '.verify'), { bgpState: { kvm_ncalifornia: 'Active' }, noHandshake: [['kvm_london', 'ingress']] });
    const r = await cli('graph', '-f', file, '--verify', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^%% last verify: 4 of \d+ checks failed \(bgp 2, handshake 1, bfd 1\)|^%% last verify: \d+ of \d+ checks failed/m);
    expect(r.out).toContain('class h_kvm_london,h_kvm_ncalifornia failed');
    expect(r.out).toContain('FAILED: BGP Active on ingress; BGP Active on kvm_london');
    expect(r.out).toContain('h_ingress ===|"WireGuard FAILED"| h_kvm_london');
    expect(r.out).toContain('h_kvm_ncalifornia -.->|"BGP Active"| h_ingress');
    expect(r.out).toMatch(/linkStyle \d+(,\d+)* stroke:#c00/);
    const d = await cli('graph', '-f', file, '--verify', '--out', out, '--format', 'dot');
    expect(d.out).toContain('h_kvm_ncalifornia -- h_ingress [style=dashed, dir=forward, label="BGP Active", color="#cc0000", fontcolor="#990000"];');
  });

  test('all passed: nothing marked, the note says so', async () => {
    const { file, out } = await inventory();
    writeObservations(join(out, '.verify'));
    const r = await cli('graph', '-f', file, '--verify', '--out', out);
    expect(r.out).toMatch(/^%% last verify: all \d+ checks passed$/m);
    expect(r.out).not.toContain(' failed\n');
    expect(r.out).not.toContain('linkStyle');
  });

  test('no verify results yet: one sentence, exit 1', async () => {
    const { file, out } = await inventory();
    const r = await cli('graph', '-f', file, '--verify', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`edge-wizard: There are no verify results in ${out}/.verify: run "edge-wizard verify" (or deploy) first, or pass --out DIR.\n`);
  });
});
