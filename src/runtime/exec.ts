import type { Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { engineError } from './docker-errors.js';

export interface ExecOptions {
  /** Pass standard input to the command. */
  interactive: boolean;
  /** Allocate a terminal (stdout and stderr then arrive as one stream). */
  tty: boolean;
  user?: string | undefined;
  workdir?: string | undefined;
  env?: string[] | undefined;
}

/**
 * Runs `cmd` in a running container through the Engine API (exec create, start, inspect) and resolves to its exit
 * status; its output goes to `out` and `err` as it comes. Nothing passes through a shell but the one `cmd` names.
 */
export async function execInContainer(
  engine: Docker,
  id: string,
  cmd: readonly string[],
  opts: ExecOptions,
  io: { stdin: Readable; out: Writable; err: Writable },
): Promise<number> {
  let exec: Docker.Exec;
  let stream: NodeJS.ReadWriteStream;
  try {
    exec = await engine.getContainer(id).exec({
      Cmd: [...cmd],
      AttachStdin: opts.interactive,
      AttachStdout: true,
      AttachStderr: true,
      Tty: opts.tty,
      ...(opts.user !== undefined && { User: opts.user }),
      ...(opts.workdir !== undefined && { WorkingDir: opts.workdir }),
      ...(opts.env !== undefined && { Env: opts.env }),
    });
    stream = (await exec.start({ hijack: true, stdin: opts.interactive, Tty: opts.tty })) as NodeJS.ReadWriteStream;
  } catch (error) {
    throw engineError(`exec in ${id.slice(0, 12)}`, error);
  }
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
    if (opts.tty) stream.pipe(io.out, { end: false });
    else engine.modem.demuxStream(stream, io.out, io.err);
    if (opts.interactive) io.stdin.pipe(stream);
  });
  if (opts.interactive) io.stdin.unpipe(stream);
  try {
    return (await exec.inspect()).ExitCode ?? 0;
  } catch (error) {
    throw engineError(`inspect exec in ${id.slice(0, 12)}`, error);
  }
}
