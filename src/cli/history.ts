import type { Command } from 'commander';
import { converge } from '../deploy/converge.js';
import type { Generation } from '../deploy/history.js';
import { prepareService } from '../deploy/prepare.js';
import { checkRoutes } from '../deploy/route-conflicts.js';
import type { ContainerEngine } from '../runtime/engine.js';
import { RundockError } from '../shared/errors.js';
import { LABEL } from '../service-spec/labels.js';
import { validateService } from '../service-spec/validate.js';
import { AGENT_HELP, dockerRuntime, type GlobalOptions } from './context.js';
import { deployContext, WAIT_HELP } from './deploy-context.js';
import { describeGap, describeResult, timeoutMs } from './describe.js';
import { historyOf, recordOutcome } from './history-store.js';
import { makeOutput } from './output.js';

export function registerHistory(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('history <name>')
    .description('the generations of a service on this host: image, image ID, spec hash, when, result')
    .action((name: string) => run(() => listHistory(name, program.opts<GlobalOptions>())));
  program
    .command('rollback <name>')
    .description(
      'deploy the previous generation again as enable does: beside the current one with announce auto, else withdrawn first (a fixed host port: requests to this host fail until it serves)',
    )
    .option('--timeout <seconds>', 'how long to wait for running/healthy (default: from the health check)')
    .option('--drain <duration>', 'how long the replaced container finishes requests in flight (default 5s)')
    .option('--agent <addr:port>', AGENT_HELP)
    .option('--dry-run', 'show what would change and change nothing')
    .option('--wait', WAIT_HELP)
    .action((name: string, opts: RollbackOptions) => run(() => rollback(name, opts, program.opts<GlobalOptions>())));
}

async function listHistory(name: string, global: GlobalOptions): Promise<number> {
  validateService({ name, state: 'absent' });
  const generations = historyOf(global).read(name);
  const current = await currentOf(dockerRuntime(), name);
  const isCurrent = (g: Omit<Generation, 'spec'>): boolean => g.container === current?.id && g.result === 'deployed';
  const rows = generations.map(({ spec: _spec, ...g }) => ({ ...g, current: isCurrent(g) }));
  const text = [
    'GEN  DEPLOYED AT               RESULT     IMAGE ID      SPEC HASH     IMAGE',
    ...rows.map(
      (g) =>
        `${`${g.generation}${g.current ? '*' : ''}`.padEnd(4)} ${g.deployed_at.padEnd(25)} ${(g.error ? `${g.result}` : g.result).padEnd(10)} ${short(g.image_id).padEnd(13)} ${short(g.spec_hash).padEnd(13)} ${g.image}${g.rollback_of ? ` (rollback to ${g.rollback_of})` : ''}${g.error ? ` [${g.error}]` : ''}`,
    ),
  ].join('\n');
  makeOutput(global.json ?? false).print(rows.length === 0 ? `${name}: no generations on this host` : text, {
    service: name,
    generations: rows,
  });
  return 0;
}

interface RollbackOptions {
  timeout?: string;
  drain?: string;
  agent?: string;
  dryRun?: boolean;
  wait?: boolean;
}

async function rollback(name: string, o: RollbackOptions, global: GlobalOptions): Promise<number> {
  validateService({ name, state: 'absent' });
  const ctx = await deployContext(o.agent, global, o.dryRun ?? false, {
    wait: o.wait,
    command: `rundock rollback ${name}`,
  });
  await ctx.lock([name]);
  const { docker, history, progress } = ctx;
  const current = await currentOf(docker, name);
  const target = history.previous(name, current && { spec_hash: current.specHash, image_id: current.imageId });
  if (target === undefined) {
    throw new RundockError(
      'RUNDOCK_E_NO_ROLLBACK',
      `${name} has no earlier generation on this host to roll back to (rundock history ${name})`,
      {
        details: { service: name },
      },
    );
  }
  const spec = validateService({ ...target.spec, state: 'enabled', ...(o.drain !== undefined && { drain: o.drain }) });
  // Pinned by ID only when the reference names another image now: otherwise the generation's container exactly.
  const pin = (await docker.imageId(target.image)) === target.image_id ? undefined : target.image_id;
  const prepared = prepareService(spec, ctx.host, timeoutMs(o.timeout), pin);
  await checkRoutes([{ spec }], ctx.agent?.base);
  progress.step(`roll back ${name} to generation ${target.generation} (${target.image}, ${short(target.image_id)})`);
  const result = await converge(docker, prepared, {
    dryRun: o.dryRun,
    reporter: progress,
    handover: ctx.handover,
    onGap: (gap) => ctx.note(describeGap(name, gap, o.dryRun ?? false)),
  });
  const warning = recordOutcome(history, spec, { result, rollbackOf: target.generation });
  const done = o.dryRun ? 'would roll back' : 'rolled back';
  makeOutput(global.json ?? false).print(
    `${describeResult(result)}\n${done} to generation ${target.generation}${warning ? `\n${warning}` : ''}`,
    {
      ...result,
      rolled_back_to: target.generation,
    },
  );
  return 0;
}

/** The service's container now: its ID, spec hash and image ID. */
async function currentOf(
  docker: ContainerEngine,
  name: string,
): Promise<{ id: string; specHash: string; imageId: string } | undefined> {
  const main = (await docker.list(LABEL.service)).find((c) => c.name === name);
  return main && { id: main.id, specHash: main.labels[LABEL.specHash] ?? '', imageId: main.imageId };
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
