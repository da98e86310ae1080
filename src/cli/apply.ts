import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { converge, type ServiceResult } from '../deploy/converge.js';
import { prepareService, type HostContext, type PreparedService } from '../deploy/prepare.js';
import { RundockError, ValidationError } from '../shared/errors.js';
import { validateService } from '../spec/validate.js';
import { agentHandover } from '../deploy/handover.js';
import { agentAddress, DEFAULT_STATUS_LISTEN, dockerRuntime, hostContext, type GlobalOptions } from './context.js';
import { historyOf, recordOutcome } from './history.js';
import { parseListen } from './listen.js';
import { makeOutput } from './output.js';
import { Progress } from './progress.js';
import { describeResult } from './state.js';

export function registerApply(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('apply <file>')
    .description(
      'put every service of a YAML file (- for standard input) into its state, in file order (all are validated first)',
    )
    .option('--dry-run', 'show the plan and change nothing')
    .option(
      '--agent <addr:port>',
      `the local agent's status address (default ${DEFAULT_STATUS_LISTEN}, or RUNDOCK_AGENT)`,
    )
    .action((file: string, opts: { dryRun?: boolean; agent?: string }) =>
      run(() => apply(file, opts, program.opts<GlobalOptions>())),
    );
}

/**
 * Reads `services:` (a list of specs, or a map from name to spec) from a YAML file. Every entry is validated and
 * prepared before the first one is applied, so one bad entry changes nothing.
 */
export function readServicesFile(file: string): unknown[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (error) {
    throw new RundockError('RUNDOCK_E_CONFIG', `${file} cannot be read as YAML: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new ValidationError(file, doc, 'must be a mapping with a services key', 'RUNDOCK_E_CONFIG');
  const { services, ...rest } = doc as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined)
    throw new ValidationError(extra, rest[extra], 'is not a known top-level key (only services)', 'RUNDOCK_E_CONFIG');
  if (Array.isArray(services)) return services;
  if (services !== null && typeof services === 'object') {
    return Object.entries(services).map(([name, spec]) => ({ name, ...(spec as object) }));
  }
  throw new ValidationError('services', services, 'must be a list or a mapping of services', 'RUNDOCK_E_CONFIG');
}

/** Validates and prepares one service of the file; every error names the field with its place in the file. */
function prepareAt(raw: unknown, where: string, host: HostContext): PreparedService {
  const spec = validateService(raw, where);
  try {
    return prepareService(spec, host);
  } catch (error) {
    throw error instanceof ValidationError && !error.field.startsWith(where) ? error.within(where) : error;
  }
}

async function apply(file: string, opts: { dryRun?: boolean; agent?: string }, global: GlobalOptions): Promise<number> {
  const dryRun = opts.dryRun ?? false;
  const host = hostContext(global);
  const prepared = readServicesFile(file).map((raw, i) => prepareAt(raw, `services[${i}].`, host));
  const names = new Set<string>();
  for (const [i, p] of prepared.entries()) {
    if (names.has(p.spec.name))
      throw new ValidationError(`services[${i}].name`, p.spec.name, 'appears twice in the file');
    names.add(p.spec.name);
  }
  const docker = dockerRuntime();
  const progress = new Progress(process.stderr, !global.json);
  let agent: ReturnType<typeof agentHandover> | undefined;
  const handover = (): ReturnType<typeof agentHandover> =>
    (agent ??= agentHandover(parseListen('agent', agentAddress(opts.agent, global))));
  const results: ServiceResult[] = [];
  const history = historyOf(global);
  for (const p of prepared) {
    try {
      const result = await converge(docker, p, {
        dryRun,
        reporter: progress,
        onPull: progress.pull(p.spec.image ?? ''),
        handover,
      });
      recordOutcome(history, p.spec, { result });
      results.push(result);
    } catch (error) {
      recordOutcome(history, p.spec, { error, specHash: p.desired?.hash });
      if (error instanceof RundockError) {
        const changed = error.details.changed === true || results.some((r) => r.changed);
        Object.assign(error.details, { service: p.spec.name, services: results, changed });
      }
      throw error;
    }
  }
  const changed = results.some((r) => r.changed);
  makeOutput(global.json ?? false).print(results.map(describeResult).join('\n'), {
    changed,
    dry_run: dryRun,
    services: results,
  });
  return 0;
}
