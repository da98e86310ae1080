import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { UiHub } from './hub.js';
import type { UiState } from './model.js';
import { backRecord, DOMAIN, entries } from './records-fixture.js';

const AT = new Date('2026-11-29T10:00:00.000Z');
const log = pino({ level: 'silent' });
const DNS_PREFIX = '/skydns/com/example/prod/s/';

function hub(): { hub: UiHub; published: UiState[] } {
  const published: UiState[] = [];
  // settleMs so large that only flush() publishes: the test decides when.
  const h = new UiHub({ domain: DOMAIN, log, settleMs: 60_000, now: () => AT });
  h.subscribe((json) => published.push(JSON.parse(json) as UiState));
  return { hub: h, published };
}

describe('UiHub', () => {
  it('the first complete load is the baseline: no events; later changes make them, coalesced per flush', () => {
    const { hub: h, published } = hub();
    const dns = h.sink(DNS_PREFIX);
    const own = h.sink('/rundock/');
    dns.replaceAll(entries());
    own.replaceAll(entries());
    h.setFeed('watching');
    h.flush();
    assert.equal(published.length, 1);
    assert.deepEqual(published[0]?.events, []);
    assert.equal(published[0]?.model.hosts[0]?.services.length, 2);
    // The agent's transaction: host record rewritten and DNS record deleted, seen as two watch events.
    own.put('/rundock/hosts/node-back-1', JSON.stringify(backRecord([{ announced: false, reason: 'not running' }])));
    dns.delete(`${DNS_PREFIX}grafana/node-back-1`);
    h.flush();
    assert.equal(published.length, 2);
    assert.deepEqual(published[1]?.events, [
      { at: AT.toISOString(), kind: 'withdrawn', host: 'node-back-1', service: 'grafana', detail: 'not running' },
    ]);
    assert.deepEqual(published[1]?.model.hosts[0]?.services[0]?.dnsNames, []);
    h.flush();
    assert.equal(published.length, 2, 'an unchanged state is not sent again');
    h.close();
  });

  it('no events before the feed has loaded; a sink replaces only its own prefix', () => {
    const { hub: h, published } = hub();
    h.sink(DNS_PREFIX).replaceAll(entries());
    h.flush();
    h.sink('/rundock/').replaceAll(entries());
    h.flush();
    assert.deepEqual(
      published.map((s) => [s.feed, s.events.length, s.model.hosts.length]),
      [
        ['loading', 0, 0],
        ['loading', 0, 2],
      ],
    );
    h.sink('/rundock/').replaceAll([]);
    h.flush();
    const last = published.at(-1);
    assert.equal(last?.model.hosts.length, 0);
    assert.equal(last?.model.otherRecords.length, 3, 'the DNS records stay: another sink owns them');
    h.close();
  });
});
