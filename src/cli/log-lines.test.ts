import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { it } from 'node:test';
import { jsonLines } from './log-lines.js';

it('turns timestamped output into one JSON document a line, across chunks, the last line without newline too', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const sink = jsonLines('stderr', out);
  sink.write('2026-11-29T10:00:00.000000001Z first\n2026-11-29T10:00:00.5Z sec');
  sink.write('ond\r\n2026-11-29T10:00:01Z {"already":"json"}');
  await new Promise((resolve) => sink.end(resolve));
  assert.deepEqual(
    text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown),
    [
      { time: '2026-11-29T10:00:00.000000001Z', stream: 'stderr', line: 'first' },
      { time: '2026-11-29T10:00:00.5Z', stream: 'stderr', line: 'second' },
      { time: '2026-11-29T10:00:01Z', stream: 'stderr', line: '{"already":"json"}' },
    ],
  );
});
