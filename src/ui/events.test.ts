import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostRecord } from '../registry/host-record.js';
import { diffEvents } from './events.js';
import { pageModel } from './page-model.js';
import { clusterView } from './records.js';
import { backRecord, DOMAIN, entries, frontRecord, GRAFANA_ID } from './records-fixture.js';

const AT = '2026-11-29T10:00:00.000Z';
const model = (back?: HostRecord): ReturnType<typeof pageModel> =>
  pageModel(DOMAIN, clusterView(DOMAIN, back ? entries(back) : entries()));
const event = (kind: string, service: string, detail: string, host = 'node-back-1'): object => ({
  at: AT,
  kind,
  host,
  service,
  detail,
});

describe('diffEvents', () => {
  it('has nothing to say about the first view, nor about an unchanged one', () => {
    assert.deepEqual(diffEvents(undefined, model(), AT), []);
    assert.deepEqual(diffEvents(model(), model(), AT), []);
  });

  it('a killed container: withdrawn, with the agent reason', () => {
    // Docker reports a stopped container with a health check as unhealthy: that is no separate news.
    const killed = backRecord([
      { state: 'stopped', health: 'unhealthy', announced: false, reason: 'not running', address: undefined },
    ]);
    assert.deepEqual(diffEvents(model(), model(killed), AT), [event('withdrawn', 'grafana', 'not running')]);
  });

  it('a container turning unhealthy, then withdrawn, then back: unhealthy + withdrawn, announced', () => {
    const sick = backRecord([
      { health: 'unhealthy', announced: false, reason: 'health check: unhealthy', address: undefined },
    ]);
    assert.deepEqual(diffEvents(model(), model(sick), AT), [
      event('unhealthy', 'grafana', 'health check: unhealthy'),
      event('withdrawn', 'grafana', 'health check: unhealthy'),
    ]);
    assert.deepEqual(diffEvents(model(sick), model(), AT), [event('announced', 'grafana', 'at 10.0.0.5:8087')]);
  });

  it('a restart by its policy', () => {
    const restarted = backRecord([{ restarts: 2 }]);
    assert.deepEqual(diffEvents(model(), model(restarted), AT), [event('restarted', 'grafana', '2 restarts')]);
  });

  it('a redeploy that replaces the container at once: old withdrawn, new announced, redeployed', () => {
    const redeployed = backRecord([{ container: `ffff${GRAFANA_ID.slice(4)}`, image: 'grafana:v2' }]);
    assert.deepEqual(diffEvents(model(), model(redeployed), AT), [
      event('withdrawn', 'grafana', 'container replaced'),
      event('announced', 'grafana', 'at 10.0.0.5:8087'),
      event('redeployed', 'grafana', 'grafana:local -> grafana:v2 (container 9c1d0e6f3b2a -> ffff0e6f3b2a)'),
    ]);
  });

  it('an overlapping redeploy, step by step: successor announced, old withdrawn, then it takes over', () => {
    const newId = `ffff${GRAFANA_ID.slice(4)}`;
    const withSuccessor = (oldAnnounced: boolean): HostRecord => {
      const back = backRecord([oldAnnounced ? {} : { announced: false, reason: 'draining', address: undefined }]);
      const old = back.services[0];
      assert.ok(old);
      const next = { ...old, container: newId, announced: true, address: '10.0.0.5:31000', successor: true as const };
      back.services.splice(1, 0, { ...next, reason: 'running and healthy' });
      return back;
    };
    const steps = [model(), model(withSuccessor(true)), model(withSuccessor(false))];
    const done = backRecord([{ container: newId, address: '10.0.0.5:31000' }]);
    steps.push(model(done));
    const seen = steps.slice(1).map((m, i) => diffEvents(steps[i], m, AT));
    assert.deepEqual(seen, [
      [event('announced', 'grafana', 'at 10.0.0.5:31000 (the new container of a redeploy)')],
      [event('withdrawn', 'grafana', 'draining')],
      [event('redeployed', 'grafana', '(container 9c1d0e6f3b2a -> ffff0e6f3b2a)')],
    ]);
  });

  it('a service that appears announced, one removed, and a host gone', () => {
    const one = backRecord();
    const onlyInflux: HostRecord = { ...one, services: one.services.slice(1) };
    assert.deepEqual(diffEvents(model(onlyInflux), model(), AT), [event('announced', 'grafana', 'at 10.0.0.5:8087')]);
    assert.deepEqual(diffEvents(model(), model(onlyInflux), AT), [event('withdrawn', 'grafana', 'service removed')]);
    const backGone = pageModel(
      DOMAIN,
      clusterView(DOMAIN, [['/rundock/hosts/node-front-1', JSON.stringify(frontRecord)]]),
    );
    assert.deepEqual(diffEvents(model(), backGone, AT), [
      event('withdrawn', 'grafana', 'host gone (agent stopped or its lease expired)'),
      event('withdrawn', 'influxdb', 'host gone (agent stopped or its lease expired)'),
    ]);
  });

  it('an announced instance whose address changes is announced again at the new one', () => {
    const moved = backRecord([{ address: '10.0.0.6:8087' }]);
    assert.deepEqual(diffEvents(model(), model(moved), AT), [
      event('announced', 'grafana', 'at 10.0.0.6:8087 (was 10.0.0.5:8087)'),
    ]);
  });
});
