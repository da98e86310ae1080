import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimsFrom, decodeRouteClaim } from '../registry/routes.js';
import { routeRecords } from './announce-routes.js';

describe('routeRecords', () => {
  it("writes one record per routed service on this host, its containers' routes merged, the successor's settings kept", () => {
    const records = routeRecords(
      [
        { labels: { service: 'shop', routes: ['shop.example.com', 'shop.example.com/api'] } },
        {
          labels: { service: 'shop', routes: ['shop.example.com/api', 'shop.example.com/new'], stripPrefix: true },
          successor: true,
        },
        { labels: { service: 'plain' } },
      ],
      'node-back-1',
      's.prod.example.com',
    );
    assert.deepEqual([...records.keys()], ['/rundock/routes/node-back-1/shop']);
    assert.equal(
      records.get('/rundock/routes/node-back-1/shop'),
      '{"service":"shop","host":"node-back-1","domain":"s.prod.example.com","routes":[{"route":"shop.example.com"},{"route":"shop.example.com/api","strip_prefix":true},{"route":"shop.example.com/new","strip_prefix":true}]}',
    );
    const claims = claimsFrom(records);
    assert.deepEqual(claims[0]?.routes[1], { hostname: 'shop.example.com', path: '/api', stripPrefix: true });
  });

  it('leaves out records whose key and value disagree, and values that are not records', () => {
    const value = '{"service":"shop","host":"node-1","domain":"d.example.com","routes":[{"route":"a.example.com"}]}';
    assert.equal(claimsFrom([['/rundock/routes/node-2/shop', value]]).length, 0);
    assert.equal(claimsFrom([['/rundock/routes/node-1/shop', value]]).length, 1);
    assert.equal(decodeRouteClaim('{"service":"shop"}'), undefined);
    assert.equal(decodeRouteClaim(value.replace('a.example.com', 'a.example.com/a b')), undefined);
    assert.equal(decodeRouteClaim('not json'), undefined);
  });
});
