import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { UserFacingError, ValidationFailed } from '../errors.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { budgetProblems, PlanProblems } from '../../core/opennebula/plan.js';
import { createOneClient, httpTransport, OneError, XmlRpcFault, type Transport } from '../../adapters/opennebula/xmlrpc.js';
import { ensureOne } from '../../adapters/opennebula/ensure.js';
import { realExec } from '../../adapters/exec.js';
import { startTunnel, resolvePassword, SecretError, type Spawn, type Exec as SecretExec, type Tunnel } from '../../adapters/opennebula/tunnel.js';

export interface OneDeps {
  env: NodeJS.ProcessEnv;
  spawn: Spawn;
  exec: SecretExec;
  transport: (endpoint: string) => Transport;
}

export async function defaultDeps(): Promise<OneDeps> {
  const { execa } = await import('execa');
  return {
    env: process.env,
    spawn: (file, args) => execa(file, args, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' }) as unknown as ReturnType<Spawn>,
    // The project's one exec adapter; a non-zero exit is an error here.
    exec: async (file, args, opts) => {
      const r = await realExec(file, args, { input: opts?.input, env: opts?.env });
      if (r.exitCode !== 0) throw new Error(`${file} exited ${r.exitCode}`);
      return { stdout: r.stdout };
    },
    transport: (endpoint) => httpTransport(endpoint),
  };
}

export const help = `Usage: edge-wizard one [-f FILE] [--dry-run] [--endpoint URL]

Ensures the OpenNebula side of the scenario through oned's XML-RPC API, by
name and idempotently (nothing is deleted or rewritten; a second run makes no
change):
  - a cluster named after the scenario, holding every KVM host (found by public
    IP, as oneprovision names them, or by inventory name), each cluster's public
    network, the EVPN network and the image and system datastores whose TM_MAD
    matches datastores.mode;
  - the EVPN VXLAN network (same template as the inventory's vn entry) when absent;
  - the Virtual Router: the "Service Virtual Router" appliance exported from the
    marketplace when absent, eth0 on the public network of virtual_router.cluster,
    eth1 on the EVPN network at its GATEWAY, SDNAT on eth0 and eth1, run on a KVM
    host of that cluster. Its public address is printed.

oned is reached through an SSH local forward to the frontend (ProxyJump through
the ingress when frontend.proxy_jump is "ingress"), as oneadmin with
opennebula.password, which is never printed.

Options:
  -f, --file FILE     Scenario file (default: edge-wizard.yaml)
  --dry-run           Read what exists and list the calls that would be made
  --endpoint URL      oned XML-RPC endpoint to use instead of the SSH tunnel,
                      e.g. http://127.0.0.1:2633/RPC2
  -h, --help          Show this help
`;

export async function runOne(argv: string[], io: CommandIO, deps: OneDeps): Promise<number> {
  const { values } = parse(argv, { file: { type: 'string', short: 'f' }, 'dry-run': { type: 'boolean' }, endpoint: { type: 'string' } }, 'one');
  const { scenario, warnings, path } = await loadScenarioFile(values.file);
  for (const w of warnings) io.err.write(`warning: ${w.message}\n`);
  const budget = budgetProblems(scenario);
  if (budget.length) throw new ValidationFailed(budget, path);

  let password: string;
  try {
    password = await resolvePassword(scenario.opennebula.password, { env: deps.env, exec: deps.exec });
  } catch (e) {
    if (e instanceof SecretError) throw new UserFacingError(e.message);
    throw e;
  }

  let tunnel: Tunnel | undefined;
  let endpoint = values.endpoint;
  if (!endpoint) {
    try {
      tunnel = await startTunnel(scenario, { spawn: deps.spawn });
    } catch (e) {
      throw new UserFacingError((e as Error).message);
    }
    endpoint = tunnel.endpoint;
  }
  try {
    const client = createOneClient({ transport: deps.transport(endpoint), user: 'oneadmin', password });
    const dryRun = values['dry-run'] ?? false;
    if (dryRun) io.out.write(`Calls edge-wizard one would make (session string omitted):\n`);
    const r = await ensureOne(client, scenario, { dryRun, log: (l) => io.out.write(dryRun ? `  ${l}\n` : `- ${l}\n`) });
    for (const w of r.plan.warnings) io.err.write(`warning: ${w}\n`);
    if (dryRun) {
      if (!r.plan.steps.length) io.out.write('  (none: OpenNebula already matches the scenario)\n');
      return 0;
    }
    if (!r.done.length) io.out.write('OpenNebula already matches the scenario: nothing to change.\n');
    if (r.vrouter) {
      io.out.write(
        r.vrouter.ip
          ? `Virtual router ${r.plan.vrouterName} (ID ${r.vrouter.id}, VM ${r.vrouter.vm}): public address ${r.vrouter.ip}\n`
          : `Virtual router ${r.plan.vrouterName} (ID ${r.vrouter.id}) has no address yet: check "onevrouter show ${r.vrouter.id}" once its VM is running.\n`,
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof OneError) throw new UserFacingError(`${e.message}; nothing else was attempted after it.`);
    if (e instanceof PlanProblems) throw new UserFacingError(`OpenNebula is not ready for this scenario:\n${e.problems.map((p) => `  - ${p}`).join('\n')}`);
    if (e instanceof XmlRpcFault) throw new UserFacingError(`oned rejected the call: ${e.faultString}.`);
    if (e instanceof Error && /ECONNREFUSED|no answer from oned|HTTP \d+/.test(e.message)) {
      throw new UserFacingError(`Cannot reach oned at ${endpoint} (${e.message.replace(/^connect /, '')}): check --endpoint or frontend.xmlrpc_port.`);
    }
    throw e;
  } finally {
    await tunnel?.stop();
  }
}

export const command: Command = {
  help,
  async run(argv, io) {
    return runOne(argv, io, await defaultDeps());
  },
};
