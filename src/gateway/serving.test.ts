import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayRenderOptions } from './options.js';
import { planUpstreams, type UpstreamPlan } from './upstream-plan.js';
import { ServingLists } from './serving.js';
import type { UpstreamInstance } from './snapshot.js';

const options = gatewayRenderOptions({ domain: 's.prod.example.com' });
const plans = (services: Record<string, readonly UpstreamInstance[]>): UpstreamPlan[] =>
  planUpstreams({ services: new Map(Object.entries(services)) }, options);
const web: UpstreamInstance[] = [
  { instance: 'h1', address: '10.0.0.5', port: 80 },
  { instance: 'h2', address: 'fd00::6', port: 80 },
];
const api: UpstreamInstance[] = [{ instance: 'h1', address: '10.0.0.5', port: 8080 }];

describe('ServingLists', () => {
  it("lists each service's servers, then nothing while they stay the same, whatever the arrays", () => {
    const lists = new ServingLists();
    assert.deepEqual(lists.changed(plans({ api, web })), {
      api: ['10.0.0.5:8080'],
      web: ['10.0.0.5:80', '[fd00::6]:80'],
    });
    assert.equal(lists.changed(plans({ api, web })), undefined);
    assert.equal(lists.changed(plans({ api: [...api], web: web.map((i) => ({ ...i })) })), undefined, 'same content');
  });

  it('lists them again when a server, or a service, comes or goes', () => {
    const lists = new ServingLists();
    lists.changed(plans({ api, web }));
    assert.deepEqual(lists.changed(plans({ api, web: web.slice(0, 1) }))?.web, ['10.0.0.5:80']);
    assert.deepEqual(Object.keys(lists.changed(plans({ web: web.slice(0, 1) })) ?? {}), ['web']);
    assert.deepEqual(Object.keys(lists.changed(plans({ api, web: web.slice(0, 1) })) ?? {}), ['api', 'web']);
  });
});
