import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { parse } from '../args.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { findOneDeploy } from '../../adapters/ansible.js';
import { formatReport } from '../../core/verify.js';
import { defaultOutDir, generate } from './generate.js';
import { defaultRunDeps, fileLog, readObservations, resetDir, secretsOf, type DeployRunDeps } from './deploy.js';
import { runVerify, type DeployContext } from '../tasks/deploy.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const command: Command = {
  help: `Usage: edge-wizard verify -f FILE [--out DIR]

Checks the overlay on every host, read-only:
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
    const r = await runVerifyCommand({ file: values.file, out: values.out }, io.out);
    return r ? 0 : 1;
  },
};

export async function runVerifyCommand(opts: { file?: string; out?: string }, out: NodeJS.WritableStream, deps: DeployRunDeps = defaultRunDeps()): Promise<boolean> {
  const { scenario } = await loadScenarioFile(opts.file);
  const outDir = resolve(opts.out ?? defaultOutDir(scenario));
  await generate(scenario, outDir);
  mkdirSync(join(outDir, 'logs'), { recursive: true, mode: 0o700 });
  const log = fileLog(join(outDir, 'logs', `verify-${new Date(deps.now()).toISOString().replace(/[:.]/g, '-')}.log`), secretsOf(scenario, deps.env));
  const ctx: DeployContext = {
    scenario,
    inventoryDir: outDir,
    collectionsPath: findOneDeploy(deps.env),
    check: false,
    results: [],
    failedHosts: new Map(),
  };
  const report = await runVerify(ctx, { exec: deps.exec, log, now: deps.now, readObservations, resetDir });
  out.write(`${formatReport(report)}\n${report.ok ? 'verify: all checks passed' : `verify: ${report.checks.filter((c) => !c.ok).length} of ${report.checks.length} checks failed`}\nlog: ${log.path}\n`);
  return report.ok;
}
