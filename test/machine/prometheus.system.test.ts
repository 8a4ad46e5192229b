/** verify --prometheus, read by the real node_exporter's textfile collector (on 127.0.0.1). The format itself: prometheus.test.ts. */
import { describe, expect, test, beforeEach } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeRunner } from '../support/fake-runner.js';
import { runVerifyCommand } from '../../src/cli/commands/verify.js';
import { cli } from '../support/cli.js';
import { ansibleTable, readExposition, splitIO, type Faults } from './support.js';

const SEED = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
let dir: string;
let file: string;
let out: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ew-prom-'));
  file = join(dir, 'scenario.yaml');
  writeFileSync(file, SEED);
  out = join(dir, 'inv');
  expect((await cli('generate', '-f', file, '--out', out)).code).toBe(0);
});

const deps = (faults: Faults = {}) => ({ exec: fakeRunner(ansibleTable(faults)), now: () => 1_767_225_600_000, env: {} as NodeJS.ProcessEnv });

describe("node_exporter's textfile collector reads the file", () => {
  const exporter = ['prometheus-node-exporter', 'node_exporter'].find((b) => spawnSync(b, ['--version']).status === 0);
  if (!exporter) {
    test.skip('SKIPPED: node_exporter is not installed (apt-get install prometheus-node-exporter; scripts/bootstrap.sh installs it)', () => undefined);
    console.warn(
      '\n!!! SKIPPED: node_exporter is not installed: the .prom file was NOT read by the real textfile collector (apt-get install prometheus-node-exporter) !!!\n',
    );
    return;
  }
  test('every edge_wizard_ series comes out of /metrics and the collector reports no error', async () => {
    const textDir = join(dir, 'textfile');
    const prom = join(textDir, 'edge-wizard.prom');
    await runVerifyCommand(
      { file, out, prometheus: prom },
      splitIO().io,
      deps({ bgpState: { kvm_ncalifornia: 'Active' }, noHandshake: [['kvm_london', 'ingress']] }),
    );
    const ours = readExposition(readFileSync(prom, 'utf8'));
    // A free loopback port, then the exporter with only the textfile collector.
    const port = await new Promise<number>((res) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => res(p));
      });
    });
    const child = spawn(
      exporter,
      ['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${textDir}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    try {
      let body = '';
      for (let i = 0; i < 50 && !body; i++) {
        body = await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (r) => r.text(),
          () => '',
        );
        if (!body) await new Promise((r) => setTimeout(r, 100));
      }
      expect(body).toMatch(/^node_textfile_scrape_error 0$/m);
      const scraped = body.split('\n').filter((l) => l.startsWith('edge_wizard_'));
      const count = [...ours.families.values()].reduce((n, f) => n + f.samples.length, 0);
      expect(scraped).toHaveLength(count);
      expect(scraped).toContain('edge_wizard_bgp_session_up{address="192.168.0.3",host="kvm_ncalifornia",reflector="ingress",scenario="seed-practical"} 0');
      expect(scraped).toContain('edge_wizard_wireguard_handshake_age_seconds{host="kvm_london",peer="ingress",scenario="seed-practical"} +Inf');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
