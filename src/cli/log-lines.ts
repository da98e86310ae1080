import { Writable } from 'node:stream';

/** One line of a container's output, as `rundock logs --json` prints it (docs/cli.md). */
export interface LogLine {
  /** RFC 3339 with nanoseconds, as Docker stamped it. */
  time: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/**
 * A writable for one stream of a container's output, with Docker's timestamps on: each complete line becomes one JSON
 * document on `out` (JSON lines). A last line without its newline is written at the end.
 */
export function jsonLines(stream: LogLine['stream'], out: NodeJS.WritableStream): Writable {
  let pending = '';
  const emit = (text: string): void => {
    const space = text.indexOf(' ');
    const stamped = space > 0 && /^\d{4}-\d\d-\d\dT/.test(text);
    const entry: LogLine = {
      time: stamped ? text.slice(0, space) : '',
      stream,
      line: stamped ? text.slice(space + 1) : text,
    };
    out.write(`${JSON.stringify(entry)}\n`);
  };
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) emit(line.replace(/\r$/, ''));
      done();
    },
    final(done) {
      if (pending !== '') emit(pending);
      pending = '';
      done();
    },
  });
}
