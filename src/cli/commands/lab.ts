/**
 * `edge-wizard lab up|down|status`: a lab of the seed's topology, or of a
 * scenario (`up -f`), on this machine (root), in network namespaces the command creates and removes;
 * `lab reboot|cut|heal HOST` fail one of its hosts (lab/faults.ts).
 */
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import type { LabDeps } from '../../lab/exec.js';
import { labController } from '../../lab/controller.js';
import { DEFAULT_STATE_ROOT, labPaths } from '../../lab/files.js';
import { labRebuild, renderRebuild } from '../../lab/rebuild.js';
import { labDown, labStatus, labUp, readLabSource, renderStatus, renderUp, context, type LabOptions } from '../../lab/lab.js';
import { releaseProblem, type Release } from '../../lab/rootfs.js';
import { labCut, labHeal, labHost, labReboot, renderCut, renderHeal, renderReboot } from '../../lab/faults.js';
import { help } from '../help/lab.js';

type LabAction = 'up' | 'down' | 'status' | 'reboot' | 'cut' | 'heal' | 'rebuild';
const HOST_ACTIONS: readonly string[] = ['reboot', 'cut', 'heal', 'rebuild'];

export function parseLabArgs(argv: string[]): { action: LabAction; host?: string; opts: LabOptions & { purge: boolean; json: boolean; file?: string } } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        file: { type: 'string', short: 'f' },
        'state-dir': { type: 'string' },
        'cache-dir': { type: 'string' },
        release: { type: 'string' },
        purge: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    const msg = (e as Error).message;
    const opt = msg.match(/option '([^']+)'/i)?.[1];
    throw new UsageError(
      opt
        ? `Unknown or incomplete option "${opt}": run "edge-wizard lab --help" for the options.`
        : `${msg.split('.')[0]}: run "edge-wizard lab --help" for the options.`,
    );
  }
  const [action, ...rest] = parsed.positionals;
  if (action !== 'up' && action !== 'down' && action !== 'status' && action !== 'reboot' && action !== 'cut' && action !== 'heal' && action !== 'rebuild') {
    throw new UsageError(
      action === undefined
        ? 'Say what to do with the lab: "edge-wizard lab up", "down" or "status" (or reboot, cut, heal or rebuild HOST).'
        : `Unknown lab action "${action}": use up, down or status, or reboot, cut, heal or rebuild HOST.`,
    );
  }
  const name = parsed.values.name ?? 'lab';
  let host: string | undefined;
  let extra = rest;
  if (HOST_ACTIONS.includes(action)) {
    host = rest[0];
    extra = rest.slice(1);
    if (host === undefined)
      throw new UsageError(`Say which host to ${action}: "edge-wizard lab ${action} HOST" (run "edge-wizard lab --help" for the host names).`);
    labHost(context({ name, stateRoot: parsed.values['state-dir'] }).t, host);
  }
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}": run "edge-wizard lab --help" for the usage.`);
  if (parsed.values.purge && action !== 'down') throw new UsageError('--purge only goes with "lab down".');
  if (parsed.values.file !== undefined && action !== 'up')
    throw new UsageError('-f only goes with "lab up" (the other actions act on the lab as it was built).');
  const release = parsed.values.release;
  if (release !== undefined) {
    if (action !== 'up') throw new UsageError('--release only goes with "lab up".');
    const problem = releaseProblem(release);
    if (problem) throw new UsageError(problem);
  }
  return {
    action,
    host,
    opts: {
      name,
      stateRoot: parsed.values['state-dir'],
      cacheDir: parsed.values['cache-dir'],
      release: release as Release | undefined,
      purge: parsed.values.purge ?? false,
      json: parsed.values.json ?? false,
      file: parsed.values.file,
    },
  };
}

/**
 * `lab ...` as typed. Without `deps` (the command line) the lab is driven from a network
 * namespace of its own (lab/controller.ts labController): the lab's routes, whose fake
 * internet may cover real addresses (this machine's package mirror), never reach the
 * host's routing table; the lab's ssh config reaches the hosts through that namespace.
 */
export async function runLab(argv: string[], out: NodeJS.WritableStream, given?: LabDeps, log: (line: string) => void = () => undefined): Promise<number> {
  const { action, host, opts } = parseLabArgs(argv);
  const ctl = given ? undefined : await labController(opts.name, action === 'up', log);
  const deps = given ?? ctl!.deps;
  if (action === 'up' && ctl?.ns) opts.controllerNs = ctl.ns;
  try {
    return await runLabAction(action, host, opts, out, deps);
  } finally {
    if (action === 'down' && ctl) await ctl.close();
  }
}

async function runLabAction(
  action: LabAction,
  host: string | undefined,
  opts: ReturnType<typeof parseLabArgs>['opts'],
  out: NodeJS.WritableStream,
  deps: LabDeps,
): Promise<number> {
  if (host !== undefined) {
    const o = { ...opts, host };
    if (action === 'rebuild') out.write(renderRebuild(await labRebuild(o, deps), o, labPaths(opts.name, opts.stateRoot ?? DEFAULT_STATE_ROOT).scenario));
    else if (action === 'cut') out.write(renderCut(await labCut(o, deps), o));
    else if (action === 'heal') out.write(renderHeal(await labHeal(o, deps)));
    else out.write(renderReboot(await labReboot(o, deps)));
    return 0;
  }
  if (action === 'up') {
    const scenario = opts.file === undefined ? undefined : await readLabSource(opts.file);
    const r = await labUp({ ...opts, scenario }, deps);
    out.write(renderUp(r.t, r));
    return 0;
  }
  if (action === 'down') {
    await labDown(opts, deps);
    return 0;
  }
  const s = await labStatus(opts, deps);
  out.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : renderStatus(s));
  return s.up ? 0 : 1;
}

export const command: Command = {
  help,
  run: (argv, io) => runLab(argv, io.out, undefined, (line) => io.err.write(`${line}\n`)),
};
