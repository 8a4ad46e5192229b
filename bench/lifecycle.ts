/**
 * `npm run lifecycle`: the fleet changing under the tool, on a lab of its own (root). One
 * lab of the seed's shape, deployed, with a VM per KVM host; then one row per starting
 * state: what was done to the hosts or the scenario, then one plain deploy (as an operator
 * runs it weekly). Per row: the deploy's time, changed tasks per step, the ping loss of two
 * VMs the row does not involve (a 5 Hz ping running through the row), and pass/fail.
 * Figures are printed, never asserted (test/lab/lifecycle.test.ts asserts the outcomes).
 *
 *   npm run lifecycle                         every row (about 30-60 minutes on 2 cores)
 *   npm run lifecycle -- --only drift,rebuild
 *   npm run lifecycle -- --keep               leave the lab up afterwards
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import type { DeployOutcome } from '../src/app/deploy.js';
import { verifyOverlay } from '../src/app/verify.js';
import { UsageError } from '../src/core/errors.js';
import { readPrevious } from '../src/adapters/files.js';
import { addressesFromHostVars } from '../src/core/index.js';
import { controllerNamespace } from '../src/lab/controller.js';
import { labInventoryDir, labPaths } from '../src/lab/files.js';
import { labDown, labUp } from '../src/lab/lab.js';
import { labRebuild } from '../src/lab/rebuild.js';
import { createVms, type VmPlan } from '../src/lab/vms.js';
import { changedSteps, labDeployer } from '../test/support/lab-deploy.js';
import { startPing, type PingCount } from '../test/support/ping-monitor.js';
import { findOneDeploy } from '../src/adapters/ansible.js';

const ROWS = [
  'fresh',
  'unchanged',
  'drift',
  'wg-stopped',
  'wg-key',
  'rebuild',
  'remove-host',
  'add-host',
  'rename-host',
  'interrupted',
  'renumber',
  'lab-again',
] as const;
type RowId = (typeof ROWS)[number];

const { values } = parseArgs({ options: { only: { type: 'string' }, keep: { type: 'boolean' } } });
const only = values.only ? (values.only.split(',').map((s) => s.trim()) as RowId[]) : undefined;
const bad = (only ?? []).filter((r) => !ROWS.includes(r));
if (bad.length) {
  console.error(`--only ${bad.join(',')}: no such row; use ${ROWS.join(', ')}.`);
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('npm run lifecycle needs root (it builds a lab of containers in network namespaces).');
  process.exit(2);
}
if (!findOneDeploy(process.env)) {
  console.error('SKIPPED: one-deploy not found: set ONE_DEPLOY_DIR to an extracted one-deploy.');
  process.exit(2);
}

const name = 'ewcycle';
const ctl = controllerNamespace('ewcycle-ctl');
const stateRoot = mkdtempSync(join(tmpdir(), 'ew-cycle-'));
const paths = labPaths(name, stateRoot);
const outDir = labInventoryDir(paths);
const say = (s: string) => process.stdout.write(`${s}\n`);

interface Row {
  id: RowId;
  what: string;
  seconds?: number;
  changed?: Record<string, number>;
  loss?: PingCount;
  lossPair?: string;
  ok: boolean;
  note: string;
}
const rows: Row[] = [];

const lab = labDeployer(ctl, paths, outDir);
const { deploy, run, scenario, vms } = lab;
const verified = (r: DeployOutcome) => r.ok && Boolean(r.ctx?.verify?.checks.every((c) => c.ok));

/** The lab scenario, edited as YAML (comments kept), written back. */
function editScenario(edit: (doc: ReturnType<typeof parseDocument>) => void): void {
  const doc = parseDocument(readFileSync(paths.scenario, 'utf8'));
  edit(doc);
  writeFileSync(paths.scenario, doc.toString({ lineWidth: 0 }));
}
let removedHost: unknown;
const hostsOf = (doc: ReturnType<typeof parseDocument>, cluster: number) =>
  doc.getIn(['clusters', cluster, 'hosts']) as { items: Array<{ get(k: string): unknown; set(k: string, v: unknown): void }> };

/** One row: `act` changes the world, then the deploy (or what `act` returns) is judged; a ping between two uninvolved VMs runs through it. */
async function row(
  id: RowId,
  what: string,
  pair: [string, string],
  act: () => Promise<{ r?: DeployOutcome & { seconds: number }; ok?: boolean; note?: string }>,
): Promise<void> {
  if (only && !only.includes(id)) return;
  say(`\n== ${id}: ${what}`);
  const plan = await vms().catch(() => [] as VmPlan[]);
  const [a, b] = [plan.find((p) => p.host === pair[0]), plan.find((p) => p.host === pair[1])];
  const ping = a && b ? await startPing(run(), a.host, a.vmNs, b.vmAddress.split('/')[0]!, `cycle-${id}`).catch(() => undefined) : undefined;
  let out: { r?: DeployOutcome & { seconds: number }; ok?: boolean; note?: string };
  try {
    out = await act();
  } catch (e) {
    out = { ok: false, note: `error: ${(e as Error).message.split('\n')[0]}` };
  }
  const loss = await ping?.stop().catch(() => undefined);
  const ok = out.ok ?? (out.r ? verified(out.r) : false);
  const note =
    out.note ??
    (out.r?.stopped
      ? `stopped: ${out.r.stopped}`
      : (out.r?.tasks?.find((t) => t.title.startsWith('Steps unchanged'))?.title.replace(/^Steps unchanged since the last verified deploy:? ?/, '') ?? ''));
  rows.push({ id, what, seconds: out.r?.seconds, changed: out.r ? changedSteps(out.r) : undefined, loss, lossPair: `${pair[0]}->${pair[1]}`, ok, note });
  say(
    `   ${ok ? 'pass' : 'FAIL'}: ${out.r ? `${out.r.seconds.toFixed(1)} s, changed ${JSON.stringify(changedSteps(out.r))}` : ''}${loss ? `, VMs ${pair[0]}->${pair[1]} lost ${loss.lost}/${loss.sent}` : ''}; ${note}`,
  );
}

async function main(): Promise<void> {
  await ctl.open();
  say(`Lab "${name}" in ${stateRoot} (controller namespace ${ctl.ns})`);
  const up = await labUp({ name, stateRoot }, ctl.labDeps);
  say(`lab up ${up.seconds.toFixed(1)} s`);
  const L1: [string, string] = ['kvm_london1', 'kvm_ncalifornia1'];

  await row('fresh', 'fresh hosts (as oneprovision leaves them): the first deploy', L1, async () => {
    const r = await deploy();
    if (r.ok) await createVms(await vms(), run(), (await scenario()).wireguard.interface);
    return { r };
  });
  await row('unchanged', 'hosts deployed and unchanged: the fast path', L1, async () => {
    const r = await deploy();
    return { r, ok: verified(r) || (r.ok && (r.ctx?.results.length ?? 1) === 0) };
  });
  await row('drift', 'drift by hand: wg0.conf edited (london2), REJECT rule back (ncalifornia2), FRR running config changed (london2)', L1, async () => {
    const r0 = run();
    await r0('kvm_london2', 'echo "# edited by hand" >> /etc/wireguard/wg0.conf', []);
    await r0('kvm_ncalifornia2', 'iptables -A INPUT -i enp125s0 -j REJECT --reject-with icmp-host-prohibited', []);
    await r0('kvm_london2', "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'timers bgp 10 30' -c end", []);
    const v = await verifyOverlay(await scenario(), paths.scenario, outDir, { exec: ctl.exec, now: Date.now, env: { ...process.env } });
    const named = v.report.checks.filter((c) => c.kind === 'drift').length;
    const r = await deploy();
    return {
      r,
      note: `verify named ${named} drifts; deploy: ${
        r.tasks
          ?.find((t) => t.title.startsWith('Steps unchanged'))
          ?.title.split(': ')
          .slice(1)
          .join(': ') ?? ''
      }`,
    };
  });
  await row('wg-stopped', 'wg-quick@wg0 stopped by hand on kvm_london2', L1, async () => {
    await run()('kvm_london2', 'systemctl stop wg-quick@wg0', []);
    return { r: await deploy() };
  });
  await row('wg-key', 'a WireGuard key changed by hand on kvm_london2 (peers still hold its old one)', L1, async () => {
    await run()('kvm_london2', 'umask 077; wg genkey > /etc/wireguard/wg0.key && wg set wg0 private-key /etc/wireguard/wg0.key', []);
    return { r: await deploy() };
  });
  await row('rebuild', 'kvm_london2 rebuilt (fresh disk, new host key), then the command the deploy names', L1, async () => {
    await labRebuild({ name, stateRoot, host: 'kvm_london2' }, ctl.labDeps);
    const stopped = await deploy();
    const hosts = /--accept-new-host-key (\S+)/.exec(stopped.stopped ?? '')?.[1];
    if (!hosts) return { r: stopped, ok: false, note: 'deploy did not stop on the changed host key' };
    const r = await deploy({ acceptNewHostKey: hosts.split(',') });
    await createVms(
      (await vms()).filter((p) => p.host === 'kvm_london2'),
      run(),
      'wg0',
    );
    return {
      r,
      note: `first deploy stopped before any change (${stopped.seconds.toFixed(1)} s, ${stopped.ctx?.results.length ?? 0} steps ran); accepted through the frontend`,
    };
  });
  await row('remove-host', 'kvm_ncalifornia2 removed from the scenario', L1, async () => {
    // Its overlay address before it leaves the inventory: its session on the reflector is looked up by it.
    const wgAddr = addressesFromHostVars((await readPrevious(outDir)).hostVars).kvm_ncalifornia2;
    editScenario((doc) => {
      const hs = hostsOf(doc, 1);
      removedHost = hs.items.find((h) => h.get('name') === 'kvm_ncalifornia2');
      hs.items = hs.items.filter((h) => h.get('name') !== 'kvm_ncalifornia2');
    });
    const r = await deploy();
    const left = await run()('kvm_london1', "wg show wg0 allowed-ips; bridge fdb show | grep -c 'dst ' || true", []);
    const gone = await run()('ingress', "vtysh -c 'show bgp l2vpn evpn summary json'", []);
    return {
      r,
      note: `peers left on kvm_london1: ${left.stdout.split('\n').filter((l) => l.includes('/')).length}; its BGP session on ingress: ${wgAddr === undefined ? 'address not known' : gone.stdout.includes(wgAddr) ? 'still there' : 'gone'}`,
    };
  });
  await row('add-host', 'kvm_ncalifornia2 back in the scenario (a host added)', L1, async () => {
    editScenario((doc) => {
      if (removedHost) (hostsOf(doc, 1).items as unknown[]).push(removedHost);
    });
    return { r: await deploy() };
  });
  await row('rename-host', 'kvm_london2 renamed kvm_london9 in the scenario (same machine)', L1, async () => {
    editScenario((doc) => {
      const h = hostsOf(doc, 0).items.find((x) => x.get('name') === 'kvm_london2');
      h?.set('name', 'kvm_london9');
    });
    return { r: await deploy() };
  });
  await row('interrupted', 'a deploy --full killed (SIGKILL) in its WireGuard step, then a plain deploy', L1, async () => {
    const { spawn } = await import('node:child_process');
    // In the lab's controller namespace, where its hosts are reached (as every other row's deploy).
    const child = spawn(
      'nsenter',
      [
        `--net=/run/netns/${ctl.ns}`,
        process.execPath,
        'bin/edge-wizard.js',
        'deploy',
        '-f',
        paths.scenario,
        '--out',
        outDir,
        '--yes',
        '--no-opennebula',
        '--full',
      ],
      {
        env: { ...process.env, CI: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('WireGuard mesh')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.on('exit', () => resolve());
    });
    const killedIn = child.signalCode === 'SIGKILL';
    const left = existsSync(join(outDir, '.deploy-state.json'))
      ? Object.keys((JSON.parse(readFileSync(join(outDir, '.deploy-state.json'), 'utf8')) as { steps: object }).steps)
      : [];
    const r = await deploy();
    const ran = r.ctx?.results.map((x) => x.step).filter((x) => x !== 'verify') ?? [];
    return {
      r,
      ok: killedIn && verified(r) && ran.length > 0,
      note: `${killedIn ? 'killed in its WireGuard step' : 'NOT killed in a step (it ended by itself)'}; steps left in the state: ${left.join(', ') || 'none'}; the next deploy ran ${ran.join(', ') || 'no step'}`,
    };
  });
  await row('renumber', 'wireguard.subnet changed to 10.77.0.0/24 (renumbering the overlay)', L1, async () => {
    const before = readFileSync(paths.scenario, 'utf8');
    editScenario((doc) => doc.setIn(['wireguard', 'subnet'], '10.77.0.0/24'));
    let note = '';
    try {
      await deploy();
      note = 'deploy accepted it without --renumber';
    } catch (e) {
      note = e instanceof UsageError ? `refused before any change (exit 2): ${e.message}` : `error: ${(e as Error).message}`;
    }
    writeFileSync(paths.scenario, before);
    return { ok: note.startsWith('refused'), note };
  });
  await row('lab-again', 'the lab torn down and built again with the same scenario (lab down, lab up)', ['kvm_london1', 'kvm_ncalifornia1'], async () => {
    await labDown({ name, stateRoot }, ctl.labDeps);
    await labUp({ name, stateRoot }, ctl.labDeps);
    return { r: await deploy() };
  });

  say('\nrow           deploy  changed per step                                   VMs not involved   result  note');
  for (const x of rows) {
    const changed = x.changed
      ? Object.entries(x.changed)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '(no step ran)'
      : '-';
    const loss = x.loss ? `${x.loss.lost}/${x.loss.sent} lost` : '-';
    say(
      `${x.id.padEnd(13)} ${x.seconds !== undefined ? `${x.seconds.toFixed(1).padStart(5)} s` : '      -'}  ${changed.padEnd(50)} ${loss.padEnd(18)} ${x.ok ? 'pass' : 'FAIL'}    ${x.note}`,
    );
  }
  say(`\n${rows.filter((x) => x.ok).length} of ${rows.length} rows converged as expected.`);
}

try {
  await main();
} finally {
  if (!values.keep) {
    await labDown({ name, stateRoot, purge: true }, ctl.labDeps).catch((e) => say(`lab down: ${(e as Error).message}`));
    await ctl.close().catch(() => undefined);
    if (existsSync(stateRoot)) rmSync(stateRoot, { recursive: true, force: true });
  } else {
    say(
      `Lab kept: ssh -F ${paths.sshConfig} <host>; remove it with: npm run lifecycle -- (or edge-wizard lab down --name ${name} --state-dir ${stateRoot} --purge, then ip netns del ${ctl.ns})`,
    );
  }
}
