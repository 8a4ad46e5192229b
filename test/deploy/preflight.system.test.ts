/**
 * Preflight's one job (playbooks/preflight.yml) through the real ansible-runner and
 * ansible-playbook, on a hand-written inventory of the seed's names: hosts this machine
 * answers for (connection=local) and an ingress on a closed loopback port. Each case reads
 * the job's events as the preflight subtasks do (inventoryProblem, reachProblem) and shows
 * what the plays did: a failed inventory check contacts no host; an unreachable ingress ends
 * the run before any host's facts are read; otherwise every mesh host is read, in one job.
 * The subtasks' wiring against a fake runner: preflight.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PLAYBOOKS_DIR } from '../../src/adapters/ansible.js';
import { realExec } from '../../src/adapters/exec.js';
import { runnerIdent } from '../../src/adapters/runner.js';
import { runRunnerJob } from '../../src/app/steps/playbook.js';
import { INVENTORY_PLAY, inventoryProblem, REACH_PLAY, reachProblem } from '../../src/app/steps/preflight.js';
import type { DeployContext } from '../../src/app/steps/types.js';
import { parseHostReports } from '../../src/core/families.js';
import { parseScenario } from '../../src/core/index.js';

const hasRunner = spawnSync('ansible-runner', ['--version']).status === 0 && spawnSync('ansible-playbook', ['--version']).status === 0;
const { scenario } = parseScenario(readFileSync('examples/seed-practical.yaml', 'utf8'));
const LOCAL = { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' };
const CLOSED = { ansible_host: '127.0.0.1', ansible_port: 1, ansible_ssh_common_args: '-o ConnectTimeout=3' };
const ADDR: Record<string, string> = { ingress: '192.168.0.1/24', kvm_london: '192.168.0.2/24', kvm_ncalifornia: '192.168.0.3/24' };
const mesh = Object.keys(ADDR);
const meshVars = (h: string) => ({
  ansible_host: '127.0.0.1',
  wireguard_address: ADDR[h],
  wireguard_peers: mesh.filter((p) => p !== h).map((name) => ({ name })),
});

/** Runs preflight.yml as deploy does (runRunnerJob: private data dir, clean environment, job events). */
async function preflightJob(ingress: Record<string, unknown>, extraVars: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'ew-preflight-'));
  const inv = join(dir, 'inv');
  mkdirSync(inv);
  writeFileSync(
    join(inv, 'hosts.yml'),
    stringify({
      all: { vars: { evpn_if: 'wg0', wireguard_interface: 'wg0', frontend_group: 'edge_frontend' } },
      router: { hosts: { ingress: { ...meshVars('ingress'), ...ingress } } },
      edge_frontend: { hosts: { fe1: LOCAL } },
      node: { hosts: { kvm_london: { ...meshVars('kvm_london'), ...LOCAL }, kvm_ncalifornia: { ...meshVars('kvm_ncalifornia'), ...LOCAL } } },
    }),
  );
  writeFileSync(join(inv, 'ansible.cfg'), '[defaults]\ninterpreter_python = auto_silent\nretry_files_enabled = False\n');
  const ctx: DeployContext = {
    scenario,
    inventoryDir: inv,
    check: false,
    results: [],
    failedHosts: new Map(),
    scenarioSource: 'edge-wizard.yaml',
    warnings: [],
  };
  const log: string[] = [];
  const deps = {
    exec: realExec,
    log: { write: (t: string) => void log.push(t) },
    now: Date.now,
    readObservations: async () => [],
    resetDir: async () => undefined,
  };
  const run = {
    outDir: inv,
    ident: runnerIdent(Date.now(), 'preflight'),
    playbook: join(PLAYBOOKS_DIR, 'preflight.yml'),
    inventory: join(inv, 'hosts.yml'),
    extraVars: { ew_reach_hosts: ['ingress', 'fe1'], ...extraVars },
  };
  const o = await runRunnerJob(ctx, deps, run, 'preflight');
  const plays = o.events.filter((e) => e.event === 'playbook_on_play_start').map((e) => e.event_data?.play);
  const hostsContacted = [...new Set(o.events.filter((e) => e.event.startsWith('runner_on_')).map((e) => e.event_data?.host))].sort();
  return { o, plays, hostsContacted, log: log.join('') };
}

describe('preflight.yml through the real ansible-runner', () => {
  if (!hasRunner) {
    test.skip('SKIPPED: ansible-runner or ansible-playbook is not installed (scripts/bootstrap.sh installs them)', () => undefined);
    console.warn('\n!!! SKIPPED: ansible-runner is not installed: preflight.yml was NOT run for real (apt-get install python3-ansible-runner) !!!\n');
    return;
  }
  const planned = { ew_mesh_addresses: ADDR };

  test('a failed inventory check stops the run with its fail_msg before any host is contacted', async () => {
    const { o, plays, hostsContacted } = await preflightJob(LOCAL, { ew_mesh_addresses: { ...ADDR, kvm_london: '192.168.0.9/24' } });
    expect(inventoryProblem(o)).toMatch(
      /^kvm_london: inconsistent WireGuard plan\. .*the planned wireguard_address 192\.168\.0\.9\/24 \(found 192\.168\.0\.2\/24\)/,
    );
    expect(plays).toEqual([INVENTORY_PLAY]);
    expect(hostsContacted).toEqual(['localhost']);
    expect(parseHostReports(o.exec.stdout)).toEqual([]);
  }, 120_000);

  test('an unreachable ingress: the reach sentence; the run ends there, no host facts read', async () => {
    const { o, plays } = await preflightJob(CLOSED, planned);
    expect(inventoryProblem(o)).toBeUndefined();
    expect(reachProblem(o, scenario, 'edge-wizard.yaml')).toBe(
      'ingress is not reachable over SSH: Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port 1: Connection refused — check the address, the user and your SSH key.',
    );
    expect(plays).toEqual([INVENTORY_PLAY, REACH_PLAY]);
    expect(parseHostReports(o.exec.stdout)).toEqual([]);
  }, 120_000);

  test('every check passes in one job: the inventory, the reach, each mesh host read directly', async () => {
    const { o, plays } = await preflightJob(LOCAL, planned);
    expect(o.exec.exitCode).toBe(0);
    expect(inventoryProblem(o)).toBeUndefined();
    expect(reachProblem(o, scenario, 'edge-wizard.yaml')).toBeUndefined();
    expect(plays).toEqual([INVENTORY_PLAY, REACH_PLAY, "Read each mesh host's OS and FRR"]);
    expect(
      parseHostReports(o.exec.stdout)
        .map((r) => `${r.host} ${r.via}`)
        .sort(),
    ).toEqual(['ingress direct', 'kvm_london direct', 'kvm_ncalifornia direct']);
  }, 120_000);
});
