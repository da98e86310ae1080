import type { Command } from 'commander';
import { execInContainer } from '../runtime/exec.js';
import { RundockError } from '../shared/errors.js';
import { LABEL } from '../service-spec/labels.js';
import { validateService } from '../service-spec/validate.js';
import { dockerRuntime } from './context.js';

interface ExecFlags {
  interactive?: boolean;
  tty?: boolean;
  user?: string;
  workdir?: string;
  env?: string[];
}

/** Registers `rundock exec NAME -- CMD...`. */
export function registerExec(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('exec <name> <command...>')
    .description("run a command in the service's container")
    .usage('[options] <name> -- <command...>')
    .option('-i, --interactive', 'pass standard input to the command')
    .option('-t, --tty', 'allocate a terminal (with -i, an interactive shell: rundock exec -it NAME -- sh)')
    .option('-u, --user <user>', 'run as this user (name or uid[:gid])')
    .option('-w, --workdir <dir>', 'run in this directory')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', (v: string, p: string[] = []) => [
      ...p,
      v,
    ])
    .action((name: string, command: string[], opts: ExecFlags) => run(() => exec(name, command, opts)));
}

/** Exits with the command's own status, as docker exec does. */
async function exec(name: string, command: string[], opts: ExecFlags): Promise<number> {
  validateService({ name, state: 'absent' });
  const docker = dockerRuntime();
  const container = (await docker.list(`${LABEL.service}=${name}`)).find((c) => c.name === name);
  if (container === undefined)
    throw new RundockError('RUNDOCK_E_NOT_FOUND', `service ${name} is not deployed on this host`, {
      details: { service: name },
    });
  if (container.status !== 'running')
    throw new RundockError(
      'RUNDOCK_E_NOT_RUNNING',
      `service ${name} is not running (its container is ${container.status}); rundock enable ${name} starts it`,
      { details: { service: name, status: container.status } },
    );
  const tty = (opts.tty ?? false) && process.stdout.isTTY === true;
  const raw = tty && (opts.interactive ?? false) && process.stdin.isTTY === true;
  if (raw) process.stdin.setRawMode(true);
  try {
    return await execInContainer(
      docker.engine,
      container.id,
      command,
      { interactive: opts.interactive ?? false, tty, user: opts.user, workdir: opts.workdir, env: opts.env },
      { stdin: process.stdin, out: process.stdout, err: process.stderr },
    );
  } finally {
    if (raw) process.stdin.setRawMode(false);
    if (opts.interactive) process.stdin.pause();
  }
}
