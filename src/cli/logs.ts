import type { Command } from 'commander';
import { RundockError, ValidationError } from '../shared/errors.js';
import { streamLogs } from '../runtime/logs.js';
import { LABEL } from '../spec/labels.js';
import { dockerRuntime } from './context.js';

interface LogsOptions {
  follow?: boolean;
  since?: string;
  tail?: string;
  timestamps?: boolean;
}

export function registerLogs(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('logs <name>')
    .description("print a service's stdout and stderr")
    .option('-f, --follow', 'keep printing new output')
    .option('--since <time>', 'only output since a Unix time, an RFC 3339 time or a duration ago (e.g. 10m)')
    .option('-n, --tail <lines>', 'only the last N lines')
    .option('-t, --timestamps', 'prefix each line with its time')
    .action((name: string, opts: LogsOptions) => run(() => logs(name, opts)));
}

async function logs(name: string, opts: LogsOptions): Promise<number> {
  const docker = dockerRuntime();
  const container = (await docker.list(`${LABEL.service}=${name}`)).find((c) => c.name === name);
  if (!container) throw new RundockError('RUNDOCK_E_NOT_FOUND', `service ${name} is not deployed on this host`);
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0))
    throw new ValidationError('tail', opts.tail, 'must be a whole number of lines');
  const follow = opts.follow ?? false;
  await streamLogs(
    docker.engine,
    container.id,
    { follow, tail, since: since(opts.since), timestamps: opts.timestamps },
    process.stdout,
    process.stderr,
  );
  return 0;
}

/** `--since` as the engine takes it: Unix seconds. Accepts Unix seconds, RFC 3339, or a duration ago. */
export function since(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const ago = /^(\d+)(s|m|h|d)$/.exec(value);
  if (ago)
    return (
      Math.floor(now / 1000) - Number(ago[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[ago[2] as 's' | 'm' | 'h' | 'd']
    );
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new ValidationError('since', value, 'must be Unix seconds, an RFC 3339 time or a duration like 10m');
  return Math.floor(parsed / 1000);
}
