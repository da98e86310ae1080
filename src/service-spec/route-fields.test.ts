import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError, ValidationErrors } from '../shared/errors.js';
import { decodeLabels, encodeLabels } from './labels.js';
import { routesOf } from './route-fields.js';
import { validateService } from './validate.js';

const BASE = { name: 'shop', image: 'shop:1', announce: 'auto', port: 8080 };

/** The fields a spec is refused for, in order. */
function refused(input: Record<string, unknown>): string[] {
  try {
    validateService(input, 'services.shop.');
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    return ValidationErrors.flatten(error).map((e) => `${e.field}: ${e.reason}`);
  }
  return [];
}

describe('route and routes in the spec', () => {
  it('takes one route or a list, under either key; routesOf gives them normalized, unique and sorted', () => {
    const one = validateService({ ...BASE, route: 'Shop.Example.com/api/' });
    assert.deepEqual(routesOf(one), [{ hostname: 'shop.example.com', path: '/api' }]);
    const list = validateService({ ...BASE, routes: ['b.example.com', 'a.example.com/x', 'a.example.com'] });
    assert.deepEqual(
      routesOf(list).map((r) => `${r.hostname}${r.path}`),
      ['a.example.com/', 'a.example.com/x', 'b.example.com/'],
    );
    assert.deepEqual(routesOf(validateService(BASE)), []);
  });

  it('refuses bad routes, both keys, twice the same route, a route with nothing to proxy to, strip_prefix without a path', () => {
    assert.match(
      refused({ ...BASE, route: ['ok.example.com', 'x.example.com/a/../b'] })[0] ?? '',
      /^services\.shop\.route\.1: .*\.\./,
    );
    assert.match(
      refused({ ...BASE, route: 'x.example.com/a b' })[0] ?? '',
      /^services\.shop\.route: must be HOST\[\/PATH\]/,
    );
    assert.match(
      refused({ ...BASE, route: 'a.example.com', routes: ['b.example.com'] })[0] ?? '',
      /^services\.shop\.routes: is the same as route/,
    );
    assert.match(
      refused({ ...BASE, route: ['a.example.com/x', 'A.example.com/x/'] })[0] ?? '',
      /names the same route twice/,
    );
    assert.match(
      refused({ name: 'shop', image: 'shop:1', route: 'a.example.com' })[0] ?? '',
      /^services\.shop\.route: needs announce/,
    );
    assert.match(
      refused({ ...BASE, route: 'a.example.com', strip_prefix: true })[0] ?? '',
      /^services\.shop\.strip_prefix: needs a route with a path/,
    );
    assert.deepEqual(
      refused({ name: 'db', image: 'db:1', announce_as: 'container', port: 5432, route: 'db.example.com' }),
      [],
    );
  });

  it('travels in the container labels and back', () => {
    const labels = encodeLabels({
      service: 'shop',
      image: 'shop:1',
      announceAs: 'private',
      routes: ['shop.example.com', 'shop.example.com/api'],
      stripPrefix: true,
    });
    assert.equal(labels['io.rundock.routes'], '["shop.example.com","shop.example.com/api"]');
    assert.equal(labels['io.rundock.strip-prefix'], 'true');
    const back = decodeLabels({ ...labels, 'io.rundock.spec-hash': 'h' });
    assert.deepEqual([back?.routes, back?.stripPrefix], [['shop.example.com', 'shop.example.com/api'], true]);
    const garbled = decodeLabels({ ...labels, 'io.rundock.routes': '["a b"]' });
    assert.equal(garbled?.routes, undefined, 'a label no parser accepts counts as no routes');
  });
});
