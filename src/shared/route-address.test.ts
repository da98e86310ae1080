import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from './errors.js';
import { compareRoutes, formatRoute, isWildcard, parseRoute } from './route-address.js';

describe('parseRoute', () => {
  it('takes HOST or HOST/PATH: host lowercased, trailing slash dropped, wildcard allowed', () => {
    assert.deepEqual(parseRoute('Shop.Example.com'), { hostname: 'shop.example.com', path: '/' });
    assert.deepEqual(parseRoute('shop.example.com/'), { hostname: 'shop.example.com', path: '/' });
    assert.deepEqual(parseRoute('shop.example.com/api/v1/'), { hostname: 'shop.example.com', path: '/api/v1' });
    assert.deepEqual(parseRoute('*.example.com/x%20y'), { hostname: '*.example.com', path: '/x%20y' });
    assert.equal(isWildcard('*.example.com'), true);
  });

  it('refuses what could break nginx text or escape a path, naming the field and the value', () => {
    const bad = [
      'localhost',
      'shop.example.com/a/../b',
      'shop.example.com/./b',
      'shop.example.com/a b',
      'shop.example.com/a;b',
      'shop.example.com/a{b',
      "shop.example.com/a'b",
      'shop.example.com//a',
      'shop_x.example.com',
      '*.*.example.com',
      'a.*.example.com',
      '',
    ];
    for (const text of bad) {
      assert.throws(
        () => parseRoute(text, 'services.web.route'),
        (error: unknown) =>
          error instanceof ValidationError && error.field === 'services.web.route' && error.value === text,
        text,
      );
    }
  });

  it('formats back and sorts by hostname then path', () => {
    const routes = ['b.example.com', 'a.example.com/z', 'a.example.com'].map((r) => parseRoute(r));
    assert.deepEqual(routes.sort(compareRoutes).map(formatRoute), [
      'a.example.com',
      'a.example.com/z',
      'b.example.com',
    ]);
  });
});
