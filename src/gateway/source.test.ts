import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordKey } from '../registry/path.js';
import { snapshotFromRecords } from './snapshot.js';
import { RecordView } from './source.js';

const DOMAIN = 's.prod.example.com';
const key = (service: string, host: string): string => recordKey(DOMAIN, service, host);
const value = (port: number): string => JSON.stringify({ host: '10.0.0.5', port });

describe('RecordView', () => {
  it('gives the snapshot snapshotFromRecords gives for the same records, after any sequence of changes', () => {
    const view = new RecordView(DOMAIN, () => undefined);
    const records = new Map<string, string>();
    const apply = (k: string, v: string | undefined): void => {
      if (v === undefined) {
        records.delete(k);
        view.delete(k);
      } else {
        records.set(k, v);
        view.put(k, v);
      }
    };
    view.replaceAll([[key('web', 'h1'), value(80)]]);
    records.set(key('web', 'h1'), value(80));
    let seed = 7;
    const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 500; i++) {
      const k = key(`svc-${next(5)}`, `h${next(4)}`);
      const roll = next(10);
      apply(k, roll < 3 ? undefined : roll === 3 ? '{"host":"10.0.0.5"}' : value(1000 + next(3)));
      const expected = snapshotFromRecords(DOMAIN, records.entries());
      assert.deepEqual(view.snapshot(), expected.snapshot, `after change ${i}`);
      assert.deepEqual(
        view
          .skipped()
          .map((s) => s.key)
          .sort(),
        expected.skipped.map((s) => s.key).sort(),
      );
    }
  });

  it("keeps every other service's instances array as it was when one record changes", () => {
    const view = new RecordView(DOMAIN, () => undefined);
    view.replaceAll([
      [key('api', 'h1'), value(80)],
      [key('web', 'h1'), value(81)],
      [key('web', 'h2'), value(82)],
    ]);
    const before = view.snapshot();
    view.delete(key('api', 'h1'));
    view.put(key('db', 'h1'), value(5432));
    const after = view.snapshot();
    assert.equal(after.services.get('web'), before.services.get('web'), 'the same array: its text is reused');
    assert.deepEqual([...after.services.keys()], ['db', 'web']);
    view.put(key('web', 'h2'), value(83));
    assert.notEqual(view.snapshot().services.get('web'), after.services.get('web'));
    assert.equal(view.snapshot().services.get('db'), after.services.get('db'));
  });

  it('reports a change only when a record changed', () => {
    let changes = 0;
    const view = new RecordView(DOMAIN, () => changes++);
    view.replaceAll([[key('web', 'h1'), value(80)]]);
    view.put(key('web', 'h1'), value(80));
    view.delete(key('web', 'h2'));
    assert.equal(changes, 1);
    view.put(key('web', 'h1'), value(81));
    view.delete(key('web', 'h1'));
    assert.equal(changes, 3);
    assert.equal(view.size, 0);
  });
});
