import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { parse } from '../args.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { defaultOutDir } from '../../app/generate.js';
import { verifyOverlay, type VerifyDeps } from '../../app/verify.js';
import { realExec } from '../../adapters/exec.js';
import { formatReport } from '../../core/verify.js';

export const command: Command = {
  help: `Usage: edge-wizard verify -f FILE [--out DIR]

Checks the overlay on every host, read-only, with the inventory already in DIR
(it is never rewritten; a note says when it no longer matches the scenario):
  - every VTEP (KVM host) is Established on the route reflector
    (vtysh -c 'show bgp l2vpn evpn summary json' on the ingress)
  - every WireGuard handshake is fresh (wg show wg0 latest-handshakes)
  - a don't-fragment ping at the WireGuard MTU passes on every pair
    (ping -M do -s <mtu-28> over wg0)
Exit 0 when everything passes, 1 otherwise.

Options:
  -f, --file FILE   Scenario file (default: edge-wizard.yaml)
  -o, --out DIR     Inventory directory (default: inventories/<scenario name>)
  -h, --help        Show this help
`,
  async run(argv, io) {
    const { values } = parse(argv, { file: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' } }, 'verify');
    const { scenario, path } = await loadScenarioFile(values.file);
    const deps: VerifyDeps = { exec: realExec, now: Date.now, env: process.env };
    const r = await verifyOverlay(scenario, path, resolve(values.out ?? defaultOutDir(scenario)), deps);
    if (r.stale.length) io.err.write(`note: the inventory differs from ${path} in ${r.stale.length} file(s) (${r.stale.slice(0, 3).join(', ')}${r.stale.length > 3 ? ', ...' : ''}): run "edge-wizard deploy" to apply the scenario.\n`);
    const bad = r.report.checks.filter((c) => !c.ok).length;
    io.out.write(`${formatReport(r.report)}\n${r.report.ok ? 'verify: all checks passed' : `verify: ${bad} of ${r.report.checks.length} checks failed`}\nlog: ${r.logPath}\n`);
    return r.report.ok ? 0 : 1;
  },
};
