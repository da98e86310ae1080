import { PassThrough, Readable, type Writable } from 'node:stream';
import type Docker from 'dockerode';
import { engineError } from './docker-errors.js';

/** Options of `rundock logs`, as the engine takes them. */
export interface LogOptions {
  follow?: boolean | undefined;
  /** Lines from the end; all when absent. */
  tail?: number | undefined;
  /** Unix seconds (fractions allowed, as `1700000000.123456789`) or an RFC 3339 time. */
  since?: number | string | undefined;
  /** Up to this time, in the same forms. */
  until?: number | string | undefined;
  timestamps?: boolean | undefined;
}

/** Streams a container's stdout and stderr to the given writers until the log ends (or forever with follow). */
export async function streamLogs(
  engine: Docker,
  id: string,
  opts: LogOptions,
  out: Writable,
  err: Writable,
): Promise<void> {
  const container = engine.getContainer(id);
  let tty: boolean;
  let stream: NodeJS.ReadableStream;
  try {
    tty = (await container.inspect()).Config.Tty;
    const common = {
      stdout: true,
      stderr: true,
      since: opts.since ?? 0,
      timestamps: opts.timestamps ?? false,
      ...(opts.tail === undefined ? {} : { tail: opts.tail }),
      ...(opts.until === undefined ? {} : { until: opts.until }),
    };
    // Without follow the engine answers with one buffer; a stream of it lets one path handle both.
    stream = opts.follow
      ? await container.logs({ ...common, follow: true })
      : Readable.from([await container.logs({ ...common, follow: false })]);
  } catch (error) {
    throw engineError(`logs of ${id}`, error);
  }
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
    if (tty) stream.pipe(out, { end: false });
    else engine.modem.demuxStream(stream, out, err);
  });
}

/** The last `lines` lines of a container's output (stdout and stderr interleaved), for error messages. */
export async function lastLogLines(engine: Docker, id: string, lines = 20): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  try {
    await streamLogs(engine, id, { tail: lines }, sink, sink);
  } catch {
    return '';
  }
  return Buffer.concat(chunks).toString('utf8').trimEnd();
}
