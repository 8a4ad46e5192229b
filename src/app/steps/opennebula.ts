import type { ListrTask } from 'listr2';
import type { DeployContext, DeployStep, StepDeps } from './types.js';

/** The OpenNebula objects, through the same use case as `edge-wizard one`, with the scenario in memory. */
export const opennebula: DeployStep<'opennebula'> = {
  name: 'opennebula',
  title: 'Ensure the OpenNebula cluster, EVPN network and Virtual Router',
  help: ['the cluster, the EVPN network and the Virtual Router in oned', '(as "edge-wizard one"; --no-opennebula skips it)'],
  enabled: (ctx) => ctx.opennebula !== false,
  // The same work as this command line.
  dryRun: (ctx) => ['edge-wizard', 'one', '-f', ctx.scenarioSource, ...(ctx.oneEndpoint ? ['--endpoint', ctx.oneEndpoint] : [])].join(' '),
  task: (deps: StepDeps): ListrTask<DeployContext> =>
    ({
      title: opennebula.title,
      enabled: (ctx: DeployContext) => ctx.opennebula !== false,
      task: async (ctx: DeployContext, task: { output: string }) => {
        deps.log.write(`\n=== opennebula${ctx.oneEndpoint ? ` (endpoint ${ctx.oneEndpoint})` : ''}${ctx.check ? ' (check: calls listed, none made)' : ''}\n`);
        const say = (line: string) => {
          deps.log.write(`${line}\n`);
          task.output = line;
        };
        const started = deps.now();
        let exitCode = 1;
        try {
          if (!deps.one) throw new Error('this command has no OpenNebula step');
          await deps.one(ctx.scenario, { endpoint: ctx.oneEndpoint, dryRun: ctx.check }, say);
          exitCode = 0;
        } catch (e) {
          deps.log.write(`${(e as Error).message}\n`);
          throw new Error(`OpenNebula step: ${(e as Error).message}`);
        } finally {
          ctx.results.push({ step: 'opennebula', exitCode, recap: {}, problems: [], durationMs: deps.now() - started });
        }
      },
      rendererOptions: { persistentOutput: true },
    }) as ListrTask<DeployContext>,
};
