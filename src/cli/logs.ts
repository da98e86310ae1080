import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { RundockError, ValidationError } from '../shared/errors.js';
import type { LogOptions } from '../runtime/logs.js';
import { LABEL } from '../service-spec/labels.js';
import { validateService } from '../service-spec/validate.js';
import { dockerRuntime, type GlobalOptions } from './context.js';
import { jsonLines } from './log-lines.js';
import { followService } from './logs-follow.js';

interface LogsOptions {
  follow?: boolean;
  since?: string;
  until?: string;
  tail?: string;
  timestamps?: boolean;
}

export function registerLogs(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('logs <name>')
    .description("print a service's stdout and stderr")
    .option('-f, --follow', 'keep printing new output, across redeploys and restarts, until the service stops')
    .option('--since <time>', 'only output since a Unix time, an RFC 3339 time or a duration ago (e.g. 10m)')
    .option('--until <time>', 'only output before a Unix time, an RFC 3339 time or a duration ago (e.g. 10m)')
    .option('-n, --tail <lines>', 'only the last N lines')
    .option('-t, --timestamps', 'prefix each line with its time')
    .action((name: string, opts: LogsOptions) => run(() => logs(name, opts, program.opts<GlobalOptions>())));
}

async function logs(name: string, opts: LogsOptions, global: GlobalOptions): Promise<number> {
  validateService({ name, state: 'absent' });
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0))
    throw new ValidationError('tail', opts.tail, 'must be a whole number of lines');
  const json = global.json ?? false;
  const options: LogOptions = {
    tail,
    since: time('since', opts.since),
    until: time('until', opts.until),
    // With --json every line carries its time; Docker's stamp is where it comes from.
    timestamps: (opts.timestamps ?? false) || json,
  };
  const docker = dockerRuntime();
  const container = (await docker.list(`${LABEL.service}=${name}`)).find((c) => c.name === name);
  if (!container)
    throw new RundockError('RUNDOCK_E_NOT_FOUND', `service ${name} is not deployed on this host`, {
      details: { service: name },
    });
  const out: Writable = json ? jsonLines('stdout', process.stdout) : process.stdout;
  const err: Writable = json ? jsonLines('stderr', process.stdout) : process.stderr;
  // In JSON lines only the container's lines appear; rundock's own notes stay on a terminal's stderr.
  const note = (text: string): void => {
    if (!json || process.stderr.isTTY) process.stderr.write(`rundock: ${text}\n`);
  };
  if (opts.follow) await followService(docker, name, container, options, { out, err, note });
  else await docker.streamLogs(container.id, options, out, err);
  if (json) await Promise.all([out, err].map((w) => new Promise((resolve) => w.end(resolve))));
  return 0;
}

/**
 * `--since`/`--until` as the engine takes them: Unix seconds. Accepts Unix seconds, RFC 3339, or a duration ago.
 * @param field the option named in errors.
 */
export function time(field: string, value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const ago = /^(\d+)(s|m|h|d)$/.exec(value);
  if (ago)
    return (
      Math.floor(now / 1000) - Number(ago[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[ago[2] as 's' | 'm' | 'h' | 'd']
    );
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new ValidationError(field, value, 'must be Unix seconds, an RFC 3339 time or a duration like 10m');
  return Math.floor(parsed / 1000);
}
