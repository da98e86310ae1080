import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteClaim } from '../registry/routes.js';
import { ValidationError, ValidationErrors } from '../shared/errors.js';
import { validateService } from '../service-spec/validate.js';
import { refuseRouteConflicts } from './route-conflicts.js';

const CLAIMS: RouteClaim[] = [
  {
    service: 'shop-api',
    host: 'node-back-1',
    domain: 's.example.com',
    routes: [{ hostname: 'shop.example.com', path: '/api', stripPrefix: false }],
  },
];
const spec = (name: string, route: string | string[], state = 'enabled'): ReturnType<typeof validateService> =>
  validateService({ name, image: 'x:1', announce: 'auto', port: 80, route, state });

function messages(run: Parameters<typeof refuseRouteConflicts>[0]): string[] {
  try {
    refuseRouteConflicts(run, CLAIMS);
    return [];
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.code, 'RUNDOCK_E_ROUTE_CONFLICT');
    return ValidationErrors.flatten(error).map((e) => e.message);
  }
}

describe('refuseRouteConflicts', () => {
  it("refuses another service's route in one line naming it and its host", () => {
    assert.deepEqual(messages([{ spec: spec('shop', ['shop.example.com', 'shop.example.com/api/']) }]), [
      'route: is served by service shop-api (on node-back-1); remove the route there first (got "shop.example.com/api")',
    ]);
  });

  it('lets a service keep its own routes, other paths and wildcards through; disable and absent need no check', () => {
    assert.deepEqual(messages([{ spec: spec('shop-api', 'shop.example.com/api') }]), []);
    assert.deepEqual(
      messages([{ spec: spec('shop', ['shop.example.com', 'shop.example.com/apis', '*.example.com']) }]),
      [],
    );
    assert.deepEqual(messages([{ spec: spec('shop', 'shop.example.com/api', 'disabled') }]), []);
  });

  it('refuses two services of one run claiming one route, named by their place in the file', () => {
    const run = [
      { spec: spec('a', 'x.example.com'), where: 'services.a.' },
      { spec: spec('b', 'x.example.com'), where: 'services.b.' },
    ];
    assert.deepEqual(messages(run), [
      'services.b.route: is served by service a (in this run); remove the route there first (got "x.example.com")',
    ]);
  });
});
