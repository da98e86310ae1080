import type { Command } from 'commander';
import { converge, type ServiceResult } from '../deploy/converge.js';
import { prepareService, type PreparedService } from '../deploy/prepare.js';
import { checkRoutes } from '../deploy/route-conflicts.js';
import type { ContainerEngine } from '../runtime/engine.js';
import { RundockError } from '../shared/errors.js';
import { LABEL } from '../service-spec/labels.js';
import { bareService } from '../service-spec/validate.js';
import { AGENT_HELP, type GlobalOptions } from './context.js';
import { deployContext, WAIT_HELP } from './deploy-context.js';
import { describeGap, describeResult } from './describe.js';
import { recordOutcome } from './history-store.js';
import { makeOutput } from './output.js';
import { prepareAll, readServicesFile } from './services-file.js';

interface ApplyOptions {
  dryRun?: boolean;
  prune?: boolean;
  agent?: string;
  wait?: boolean;
}

export function registerApply(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('apply <file>')
    .description(
      'put every service of a YAML file (- for standard input) into its state, in file order (all are validated first)',
    )
    .option('--dry-run', 'show the plan (and which fields differ) and change nothing')
    .option('--prune', "remove this host's rundock services that the file does not mention, after the file's")
    .option('--agent <addr:port>', AGENT_HELP)
    .option('--wait', WAIT_HELP)
    .action((file: string, opts: ApplyOptions) => run(() => apply(file, opts, program.opts<GlobalOptions>())));
}

async function apply(file: string, opts: ApplyOptions, global: GlobalOptions): Promise<number> {
  const dryRun = opts.dryRun ?? false;
  const entries = readServicesFile(file);
  const ctx = await deployContext(opts.agent, global, dryRun, { wait: opts.wait, command: `rundock apply ${file}` });
  const prepared = prepareAll(entries, ctx.host);
  await checkRoutes(
    prepared.map((p, i) => ({ spec: p.spec, where: entries[i]?.where })),
    ctx.agent?.base,
  );
  const mentioned = new Set(prepared.map((p) => p.spec.name));
  // Those --prune removes are deployed too: locked with the file's, all at once (in one order: no two applies wait
  // on each other).
  const pruning = opts.prune ? await unmentionedServices(ctx.docker, mentioned) : [];
  await ctx.lock([...mentioned, ...pruning]);
  const unmentioned = opts.prune ? pruning : await unmentionedServices(ctx.docker, mentioned);
  if (unmentioned.length > 0 && !opts.prune && !global.json) {
    process.stderr.write(
      `rundock: ${unmentioned.length === 1 ? 'service' : 'services'} ${unmentioned.join(', ')} on this host ${unmentioned.length === 1 ? 'is' : 'are'} not in ${file}: left as ${unmentioned.length === 1 ? 'it is' : 'they are'} (--prune removes them)\n`,
    );
  }
  const pruned = opts.prune ? unmentioned.map((name) => prepareService(bareService(name, 'absent'), ctx.host)) : [];
  const results: ServiceResult[] = [];
  for (const p of [...prepared, ...pruned]) results.push(await applyOne(p, ctx, dryRun, results));
  const changed = results.some((r) => r.changed);
  makeOutput(global.json ?? false).print(results.map(describeResult).join('\n'), {
    changed,
    dry_run: dryRun,
    services: results,
    unmentioned: opts.prune ? [] : unmentioned,
    pruned: opts.prune ? unmentioned : [],
  });
  return 0;
}

/** Applies one service; a failure says which, and what the services before it did. */
async function applyOne(
  p: PreparedService,
  ctx: Awaited<ReturnType<typeof deployContext>>,
  dryRun: boolean,
  before: readonly ServiceResult[],
): Promise<ServiceResult> {
  try {
    const result = await converge(ctx.docker, p, {
      dryRun,
      reporter: ctx.progress,
      onPull: ctx.progress.pull(p.spec.image ?? ''),
      handover: ctx.handover,
      onGap: (gap) => ctx.note(describeGap(p.spec.name, gap, dryRun)),
    });
    recordOutcome(ctx.history, p.spec, { result });
    return result;
  } catch (error) {
    recordOutcome(ctx.history, p.spec, { error, specHash: p.desired?.hash });
    if (error instanceof RundockError) {
      const changed = error.details.changed === true || before.some((r) => r.changed);
      Object.assign(error.details, { service: p.spec.name, services: before, changed });
    }
    throw error;
  }
}

/** The services rundock runs on this host (by their containers' labels) that are not in `mentioned`, sorted. */
async function unmentionedServices(docker: ContainerEngine, mentioned: ReadonlySet<string>): Promise<string[]> {
  const containers = await docker.list(LABEL.service);
  const services = containers.filter((c) => c.name === c.labels[LABEL.service]).map((c) => c.name);
  return [...new Set(services)].filter((name) => !mentioned.has(name)).sort();
}
