import type { Command, CommandIO } from '../command.js';
import { parse } from '../args.js';
import { createEffects } from '../../adapters/effects.js';
import { realExec } from '../../adapters/exec.js';
import { demo, type DemoOptions, type DemoResult } from '../../app/demo.js';
import { labController } from '../../lab/controller.js';
import { realWhich } from '../../lab/exec.js';
import { readLabSource } from '../../lab/lab.js';
import { oneDriver } from '../../lab/one-driver.js';
import { releaseProblem, type Release } from '../../lab/rootfs.js';
import { UsageError } from '../errors.js';
import { summary } from '../output.js';
import { defaultRunDeps } from '../wiring.js';
import { help } from '../help/demo.js';

export const command: Command = {
  help,
  async run(argv, io) {
    const { values } = parse(
      argv,
      {
        file: { type: 'string', short: 'f' },
        lab: { type: 'string' },
        release: { type: 'string' },
        'state-dir': { type: 'string' },
        'cache-dir': { type: 'string' },
        interconnect: { type: 'boolean' },
        migrate: { type: 'boolean' },
        'round-trips': { type: 'string' },
      },
      'demo',
    );
    const problem = values.release === undefined ? undefined : releaseProblem(values.release);
    if (problem) throw new UsageError(problem);
    const roundTrips = values['round-trips'] === undefined ? undefined : Number(values['round-trips']);
    if (values['round-trips'] !== undefined && (!/^\d+$/.test(values['round-trips']) || roundTrips! < 1 || roundTrips! > 50))
      throw new UsageError(`--round-trips "${values['round-trips']}" is not a whole number from 1 to 50: write it like --round-trips 10.`);
    if (roundTrips !== undefined && values.migrate !== true) throw new UsageError('--round-trips counts live migrations: add --migrate.');
    // Before anything is built: a bad ONE_SOURCE is one sentence, exit 2.
    oneDriver(process.env.ONE_SOURCE, { which: realWhich });
    const scenario = values.file === undefined ? undefined : await readLabSource(values.file);
    const r = await runDemo(
      {
        lab: values.lab ?? 'lab',
        release: values.release as Release | undefined,
        stateRoot: values['state-dir'],
        cacheDir: values['cache-dir'],
        scenario,
        interconnect: values.interconnect === true,
        migrate: values.migrate === true,
        roundTrips,
        oneSource: process.env.ONE_SOURCE,
      },
      io,
    );
    return r.ok ? 0 : 1;
  },
};

export async function runDemo(opts: DemoOptions, io: CommandIO): Promise<DemoResult> {
  const say = (s: string) => io.out.write(`${s}\n`);
  const run = defaultRunDeps();
  // The lab's controller side in a namespace of its own: this machine's routes stay as they are.
  const ctl = await labController(opts.lab, true, (l) => say(`    ${l}`));
  return demo(
    { ...opts, controllerNs: ctl.ns },
    {
      exec: realExec,
      lab: ctl.deps,
      deploy: {
        ...run,
        isTTY: false,
        effects: createEffects({ dryRun: false, exec: run.exec }),
        onGenerated: (g, outDir) => io.err.write(summary(g.changes, outDir, false)),
      },
      say,
    },
  );
}
