import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Condition } from './condition.js';

/** A logger that keeps its lines as objects. */
function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines };
}

describe('an expected condition, logged as an outage', () => {
  it('one warning when it starts, one a minute while it lasts, one line when it ends; never a stack', () => {
    const { log, lines } = capture();
    let now = 0;
    const etcd = new Condition(log, 'etcd', 'answering from the last view', () => now);
    for (let i = 0; i < 100; i++) {
      now += 1000;
      etcd.failed(new Error(`connection refused\n    at stack line ${i}`));
    }
    assert.equal(etcd.ok, false);
    assert.deepEqual(
      lines.map((l) => l.msg),
      [
        'etcd unavailable: connection refused; answering from the last view',
        'etcd still unavailable: connection refused',
      ],
    );
    assert.equal(lines[1]?.failures, 61);
    assert.ok(lines.every((l) => !JSON.stringify(l).includes('stack line')));
    assert.deepEqual(etcd.status(), {
      ok: false,
      since: new Date(1000).toISOString(),
      reason: 'connection refused',
      failures: 100,
    });
    assert.equal(etcd.notReady(), 'etcd: connection refused');
    etcd.recovered();
    etcd.recovered();
    assert.equal(lines.length, 3);
    assert.equal(lines[2]?.msg, 'etcd available again');
    assert.equal(lines[2]?.failures, 100);
    assert.equal(lines[2]?.for_ms, 99_000);
    assert.deepEqual(etcd.status(), { ok: true });
    assert.equal(etcd.notReady(), undefined);
  });
});
