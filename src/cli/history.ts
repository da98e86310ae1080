import type { Command } from 'commander';
import { converge, type ServiceResult } from '../deploy/converge.js';
import { agentHandover } from '../deploy/handover.js';
import { History, type Generation } from '../deploy/history.js';
import { prepareService } from '../deploy/prepare.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { loadHostConfig } from '../shared/config.js';
import { RundockError } from '../shared/errors.js';
import { LABEL } from '../spec/labels.js';
import type { ServiceSpec } from '../spec/schema.js';
import { validateService } from '../spec/validate.js';
import { agentAddress, DEFAULT_STATUS_LISTEN, dockerRuntime, hostContext, type GlobalOptions } from './context.js';
import { parseListen } from './listen.js';
import { makeOutput } from './output.js';
import { Progress } from './progress.js';
import { describeResult, timeoutMs } from './state.js';

/** Where generations are kept: RUNDOCK_STATE_DIR, `state_dir` in the config file, or /var/lib/rundock. */
export function historyOf(global: GlobalOptions, env: NodeJS.ProcessEnv = process.env): History {
  return new History(env.RUNDOCK_STATE_DIR ?? loadHostConfig(global.config, env).state_dir ?? '/var/lib/rundock');
}

/**
 * Records what a deploy did as a generation: a changed container (deployed), or a new one that never served and was
 * removed (reverted). Returns a warning when the history cannot be written; the deploy itself stands.
 */
export function recordOutcome(
  history: History,
  spec: Readonly<ServiceSpec>,
  outcome: { result: ServiceResult; rollbackOf?: number } | { error: unknown; specHash?: string | undefined },
): string | undefined {
  if (spec.state === 'absent' || spec.image === undefined) return undefined;
  try {
    if ('result' in outcome) {
      const { result } = outcome;
      if (!result.changed || result.dry_run || result.after === null) return undefined;
      const after = result.after;
      history.record(spec.name, {
        image: spec.image,
        image_id: after.image_id,
        spec_hash: after.spec_hash,
        container: after.id,
        result: 'deployed',
        spec,
        ...(outcome.rollbackOf !== undefined && { rollback_of: outcome.rollbackOf }),
      });
    } else if (outcome.error instanceof RundockError && outcome.error.details.rolled_back !== undefined) {
      const container = typeof outcome.error.details.container === 'string' ? outcome.error.details.container : '';
      history.record(spec.name, {
        image: spec.image,
        image_id: '',
        spec_hash: outcome.specHash ?? '',
        container,
        result: 'reverted',
        error: outcome.error.code,
        spec,
      });
    }
    return undefined;
  } catch (error) {
    return `history not recorded: ${(error as Error).message}`;
  }
}

export function registerHistory(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('history <name>')
    .description('the generations of a service on this host: image, image ID, spec hash, when, result')
    .action((name: string) => run(() => listHistory(name, program.opts<GlobalOptions>())));
  program
    .command('rollback <name>')
    .description('deploy the previous generation again, through the same path as enable (drops no request)')
    .option('--timeout <seconds>', 'how long to wait for running/healthy (default: from the health check)')
    .option('--drain <duration>', 'how long the replaced container finishes requests in flight (default 5s)')
    .option(
      '--agent <addr:port>',
      `the local agent's status address (default ${DEFAULT_STATUS_LISTEN}, or RUNDOCK_AGENT)`,
    )
    .option('--dry-run', 'show what would change and change nothing')
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
}

async function rollback(name: string, o: RollbackOptions, global: GlobalOptions): Promise<number> {
  validateService({ name, state: 'absent' });
  const docker = dockerRuntime();
  const history = historyOf(global);
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
  const prepared = prepareService(spec, hostContext(global), timeoutMs(o.timeout), pin);
  const progress = new Progress(process.stderr, !global.json);
  progress.step(`roll back ${name} to generation ${target.generation} (${target.image}, ${short(target.image_id)})`);
  const result = await converge(docker, prepared, {
    dryRun: o.dryRun,
    reporter: progress,
    handover: () => agentHandover(parseListen('agent', agentAddress(o.agent, global))),
  });
  const warning = recordOutcome(history, spec, { result, rollbackOf: target.generation });
  makeOutput(global.json ?? false).print(
    `${describeResult(result)}\nrolled back to generation ${target.generation}${warning ? `\n${warning}` : ''}`,
    {
      ...result,
      rolled_back_to: target.generation,
    },
  );
  return 0;
}

/** The service's container now: its ID, spec hash and image ID. */
async function currentOf(
  docker: DockerRuntime,
  name: string,
): Promise<{ id: string; specHash: string; imageId: string } | undefined> {
  const main = (await docker.list(LABEL.service)).find((c) => c.name === name);
  return main && { id: main.id, specHash: main.labels[LABEL.specHash] ?? '', imageId: main.imageId };
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
