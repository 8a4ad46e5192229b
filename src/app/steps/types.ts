/**
 * What a deploy step is: one object with a fixed interface. The list of steps
 * (steps/index.ts) is the only place that knows their order; `--from/--only`,
 * the task titles, `deploy --help` and the final report all derive from it.
 */
import type { ListrTask } from 'listr2';
import type { Exec } from '../../adapters/exec.js';
import type { HostProblem, Recap } from '../../adapters/ansible.js';
import type { Drift } from '../../core/drift.js';
import type { Scenario } from '../../core/scenario.js';
import type { HostObservation, VerifyReport } from '../../core/verify.js';
import type { OneResult } from '../one.js';

/** Step names: derived from STEPS (steps/index.ts), in their order there. */
export type { StepName } from './index.js';
import type { StepName } from './index.js';

export interface RunLog {
  /** Appends a chunk of the run's log (which never holds a secret: see core/secrets.ts). */
  write(text: string): void;
  path?: string;
}

/** What the steps need from the outside world (tests pass fakes). */
export interface StepDeps {
  exec: Exec;
  log: RunLog;
  now: () => number;
  /** Reads the per-host JSON files verify.yml leaves in a directory. */
  readObservations: (dir: string) => Promise<HostObservation[]>;
  /** Empties/creates a directory (for verify results). */
  resetDir: (dir: string) => Promise<void>;
  /** Waits between verify's collections while it settles (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Show the current Ansible task under the step (interactive renderer only). */
  progress?: boolean;
  /** The OpenNebula use case, called with the scenario in memory; lines go to `say`. */
  one?: (scenario: Scenario, opts: { endpoint?: string; dryRun: boolean }, say: (line: string) => void) => Promise<OneResult>;
}

export interface StepResult {
  step: StepName;
  exitCode: number;
  recap: Recap;
  problems: HostProblem[];
  durationMs: number;
  argv?: string[];
  /** ansible-runner's artifact directory of the run (job_events/, stdout, rc, status). */
  artifacts?: string;
}

export interface DeployContext {
  scenario: Scenario;
  inventoryDir: string;
  collectionsPath?: string;
  check: boolean;
  /** JSON file of non-secret extra vars for every playbook. */
  extraVarsFile?: string;
  results: StepResult[];
  /** Hosts that failed or were unreachable in an earlier step: left out of later steps. */
  failedHosts: Map<string, { step: StepName; problem: HostProblem }>;
  /** Check mode: KVM hosts that would first get root access, so later steps cannot be checked on them yet. */
  pendingHosts?: Map<string, string>;
  verify?: VerifyReport;
  /** How long verify keeps collecting while checks fail (deploy --settle; 0: one snapshot). */
  settleMs?: number;
  ansibleVersion?: string;
  /** Run the OpenNebula step (off with --no-opennebula, e.g. on the lab, which has no oned). */
  opennebula?: boolean;
  /** oned XML-RPC endpoint instead of the SSH tunnel. */
  oneEndpoint?: string;
  /** Where the scenario came from (titles, logs). */
  scenarioSource: string;
  warnings: string[];
  /** The steps this deploy runs (from STEPS, --from/--only). */
  stepNames?: StepName[];
  /** The same steps as objects (the unchanged step reads their playbooks and vars from them). */
  steps?: readonly DeployStep[];
  /** --full: run every step even when its inputs are unchanged. */
  full?: boolean;
  /** --accept-new-host-key: hosts whose new SSH host key preflight reads through the frontend and accepts. */
  acceptHostKeys?: Array<{ name: string; address: string; port: number }>;
  /** What the unchanged step's probe found changed by hand on the hosts (core/drift.ts): the steps that own it repair it. */
  drift?: Drift[];
  /** Steps left out because their inputs are unchanged and the overlay verified (steps/unchanged.ts). */
  unchanged?: { steps: Set<StepName>; since: string };
}

/** The ansible-runner call of a step (steps/playbook.ts stepCommand; also what --dry-run prints). */
export interface StepCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

export interface DeployStep<N extends string = StepName> {
  /** Its name (`--from/--only`, titles, the report); STEPS in steps/index.ts is the one list of them. */
  name: N;
  /**
   * What it leaves is what a verified overlay stands for: the unchanged step may skip it when
   * its inputs are those of the last verified deploy (steps/unchanged.ts).
   */
  skippable?: boolean;
  /** Read-only checks that guard every other step: always run first (with --from and --only too), never listed as a change, stop the deploy when they fail. */
  guard?: boolean;
  /** It is what lets this controller into hosts pending access (root access): it never leaves them out, and it needs the controller's public key. */
  opensHosts?: boolean;
  /** Task title, e.g. "WireGuard mesh". */
  title: string;
  /** Lines for `deploy --help` (the first is the summary). */
  help: string[];
  /** playbooks/<file> the step runs, if it is a playbook step. */
  playbook?: string;
  /** The hosts the step reports on, in scenario order. */
  hosts?(s: Scenario): string[];
  /** The per-host subtask title ("Distribute root key to kvm_london"). */
  hostTitle?(s: Scenario, host: string): string;
  /** In check mode: run with --check --diff (default), or skip with this reason. */
  checkMode?: 'check' | { skip: string };
  /** Extra `-e key=value` pairs for its playbook. */
  extraVars?(ctx: DeployContext): Record<string, unknown>;
  /** After the playbook: how its result changes the context beyond failed hosts. */
  judge?(ctx: DeployContext, result: StepResult): void;
  /** A step that is not a plain playbook run builds its own task. */
  task?(deps: StepDeps): ListrTask<DeployContext>;
  /** Whether it runs at all in this deploy (e.g. --no-opennebula). */
  enabled?(ctx: DeployContext): boolean;
  /** What --dry-run lists instead of running it (default: its playbook command). */
  dryRun?(ctx: DeployContext): string;
}
