/**
 * A lab driven from a controller network namespace of its own: the lab tests, the
 * benches and the fault suite build their lab from there, so its routes to the lab's
 * clouds never meet another lab's on this machine. Every command of `exec` and
 * `labDeps` goes through `nsenter --net=/run/netns/<ns>`; `open` creates the namespace
 * (idempotent), `close` removes it (safe to repeat).
 */
import { realExec, type Exec } from '../adapters/exec.js';
import { defaultDeps, type LabDeps } from './exec.js';

export interface Controller {
  ns: string;
  /** Runs a program in the namespace, output as it came. */
  exec: Exec;
  /** The lab's deps with `exec` in the namespace (output without its final newline). */
  labDeps: LabDeps;
  open(): Promise<void>;
  close(): Promise<void>;
}

export function controllerNamespace(ns: string, log: (line: string) => void = () => undefined): Controller {
  const exec: Exec = (file, args, o) => realExec('nsenter', [`--net=/run/netns/${ns}`, file, ...args], o);
  return {
    ns,
    exec,
    labDeps: {
      ...defaultDeps(log),
      exec: async (file, args, o) => {
        const r = await exec(file, args, o);
        return { ...r, stdout: r.stdout.replace(/\n$/, ''), stderr: r.stderr.replace(/\n$/, '') };
      },
    },
    async open() {
      const list = await realExec('ip', ['netns', 'list']);
      if (!list.stdout.split('\n').some((l) => l.split(' ')[0] === ns)) await realExec('ip', ['netns', 'add', ns]);
      await realExec('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    },
    async close() {
      await realExec('ip', ['netns', 'del', ns]);
    },
  };
}

/** The namespace the command line drives lab `lab` from. */
export function labControllerNs(lab: string): string {
  return `ew-${lab}-ctl`;
}

/**
 * The command line's controller of lab `lab`: its own namespace (created when `create`),
 * so the lab's routes never enter this machine's main routing table; a lab built before
 * labs had one (no such namespace) is driven from this machine's namespace, as it was built.
 */
export async function labController(
  lab: string,
  create: boolean,
  log: (line: string) => void,
): Promise<{ ns?: string; deps: LabDeps; close(): Promise<void> }> {
  const ns = labControllerNs(lab);
  const exists = (await realExec('ip', ['netns', 'list'])).stdout.split('\n').some((l) => l.split(' ')[0] === ns);
  if (!exists && !create) return { deps: defaultDeps(log), close: async () => undefined };
  const c = controllerNamespace(ns, log);
  await c.open();
  return { ns, deps: c.labDeps, close: () => c.close() };
}
