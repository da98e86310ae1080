import type { Command } from 'commander';
import { converge } from '../deploy/converge.js';
import { prepareService } from '../deploy/prepare.js';
import { bareService } from '../service-spec/validate.js';
import { AGENT_HELP, type GlobalOptions } from './context.js';
import { deployContext, WAIT_HELP } from './deploy-context.js';
import { describeGap, describeResult, timeoutMs } from './describe.js';
import { makeOutput } from './output.js';

interface RestartOptions {
  timeout?: string;
  drain?: string;
  agent?: string;
  dryRun?: boolean;
  wait?: boolean;
}

/** Registers `rundock restart NAME`: the container as it is, stopped and started, withdrawn first (plan/restart.ts). */
export function registerRestart(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('restart <name>')
    .description(
      'stop and start the service, withdrawn from every gateway first (requests to this host fail until it serves again)',
    )
    .option(
      '--timeout <seconds>',
      'how long to wait for every gateway to drop it, then for running/healthy, the announcement and each gateway (default: from its health check, at least 30)',
    )
    .option('--drain <duration>', 'how long it finishes requests in flight once every gateway dropped it (default 5s)')
    .option('--agent <addr:port>', AGENT_HELP)
    .option('--dry-run', 'show what would be done and do nothing')
    .option('--wait', WAIT_HELP)
    .action((name: string, opts: RestartOptions) => run(() => restart(name, opts, program.opts<GlobalOptions>())));
}

async function restart(name: string, o: RestartOptions, global: GlobalOptions): Promise<number> {
  const spec = bareService(name, 'enabled', o.drain === undefined ? {} : { drain: o.drain });
  const ctx = await deployContext(o.agent, global, o.dryRun ?? false, {
    wait: o.wait,
    command: `rundock restart ${name}`,
  });
  await ctx.lock([name]);
  const prepared = prepareService(spec, ctx.host, timeoutMs(o.timeout));
  const result = await converge(ctx.docker, prepared, {
    dryRun: o.dryRun,
    reporter: ctx.progress,
    handover: ctx.handover,
    restart: true,
    onGap: (gap) => ctx.note(describeGap(name, gap, o.dryRun ?? false)),
  });
  makeOutput(global.json ?? false).print(describeResult(result), result);
  return 0;
}
