import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { realExec } from '../../adapters/exec.js';
import { loadScenarioFile } from '../../adapters/scenario-file.js';
import { defaultOneDeps, ensureOpenNebula, type OneDeps } from '../../app/one.js';
import { vmStateName } from '../../core/opennebula/plan.js';

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
    marketplace when absent (into the image datastore of virtual_router.cluster's
    own provision), eth0 on the public network of virtual_router.cluster, eth1 on
    the EVPN network at its GATEWAY, SDNAT on eth0 and eth1, run on a KVM host of
    that cluster. Its VM is created on hold and released once its image is READY.
    Its public address is printed (the Elastic IP on an elastic network).
Everything oned would refuse half-way (OneGate endpoint, VROUTER template,
datastore space...) is checked before the first change.

oned is reached through an SSH local forward to the frontend (ProxyJump through
the ingress when frontend.proxy_jump is "ingress"), as oneadmin with
opennebula.password, which is never printed.

Options:
  -f, --file FILE     Scenario file (default: edge-wizard.yaml)
  --dry-run           Read what exists and list the calls that would be made
  --endpoint URL      oned XML-RPC endpoint to use instead of the SSH tunnel,
                      e.g. http://127.0.0.1:2633 (path /RPC2 unless given)
  -h, --help          Show this help
`;

export type { OneDeps };

export async function defaultDeps(): Promise<OneDeps> {
  return defaultOneDeps(realExec);
}

export async function runOne(argv: string[], io: CommandIO, deps: OneDeps): Promise<number> {
  const { values } = parse(argv, { file: { type: 'string', short: 'f' }, 'dry-run': { type: 'boolean' }, endpoint: { type: 'string' } }, 'one');
  const { scenario, warnings } = await loadScenarioFile(values.file);
  for (const w of warnings) io.err.write(`warning: ${w.message}\n`);
  const dryRun = values['dry-run'] ?? false;
  if (dryRun) io.out.write(`Calls edge-wizard one would make (session string omitted):\n`);
  const warn = (w: string) => io.err.write(`warning: ${w}\n`);
  const r = await ensureOpenNebula(scenario, { endpoint: values.endpoint, dryRun, warn }, deps, (l) => io.out.write(dryRun ? `  ${l}\n` : `- ${l}\n`));
  if (dryRun) {
    if (!r.plan.steps.length) io.out.write('  (none: OpenNebula already matches the scenario)\n');
    return 0;
  }
  if (!r.done.length) io.out.write('OpenNebula already matches the scenario: nothing to change.\n');
  if (r.vrouter) {
    const v = r.vrouter;
    const vm = v.vm === undefined ? '' : `, VM ${v.vm}${v.state === undefined ? '' : ` ${vmStateName(v.state)}`}`;
    if (v.ip) io.out.write(`Virtual router ${r.plan.vrouterName} (ID ${v.id}${vm}): public address ${v.ip}${v.private_ip ? ` (private ${v.private_ip})` : ''}\n`);
    else if (v.private_ip) io.out.write(`Virtual router ${r.plan.vrouterName} (ID ${v.id}${vm}): eth0 has the private address ${v.private_ip} on an elastic network but no EXTERNAL_IP: check the public network's address ranges ("onevnet show").\n`);
    else io.out.write(`Virtual router ${r.plan.vrouterName} (ID ${v.id}) has no address yet: check "onevrouter show ${v.id}" once its VM is running.\n`);
  }
  return 0;
}

export const command: Command = {
  help,
  async run(argv, io) {
    return runOne(argv, io, await defaultDeps());
  },
};
