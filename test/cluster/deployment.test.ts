import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cluster, DOMAIN, figure, httpGet, loadThroughFrontends, PRIVATE, PUBLIC, resolveA } from './cluster.js';
import { BACK, clusterSuite, loadLine } from './checks.js';

/** The reference cluster as scripts/cluster.sh deploys it (it must be up), before any fault. */
clusterSuite();

describe('the reference cluster as deployed', () => {
  it('a second run of the playbook changes nothing', async () => {
    await cluster('deploy');
    const r = await cluster('deploy');
    const recap = r.stdout.slice(r.stdout.indexOf('PLAY RECAP'));
    assert.match(recap, /node-back-1\s+: ok=3\s+changed=0/);
    assert.match(recap, /node-front-2\s+: ok=1\s+changed=0/);
  });

  it('DNS answers influxdb, node-back-1.influxdb and the public name www with the live frontends', async () => {
    assert.deepEqual(await resolveA(`influxdb.${DOMAIN}`), [PRIVATE[BACK]]);
    assert.deepEqual(await resolveA(`${BACK}.influxdb.${DOMAIN}`), [PRIVATE[BACK]]);
    assert.deepEqual(await resolveA(`www.${DOMAIN}`), [PUBLIC['node-front-1'], PUBLIC['node-front-2']]);
    assert.equal((await httpGet(PRIVATE[BACK], '/', undefined, 8086)).status, 200, 'influxdb serves its volume');
  });

  it('grafana answers through either frontend on port 80, balanced over both instances', async () => {
    const load = loadThroughFrontends();
    await load.more(40);
    const r = await load.stop();
    figure(`steady state: ${loadLine(r)}; per instance ${JSON.stringify(r.byInstance)}`);
    assert.equal(r.failures, 0);
    assert.ok(
      (r.byInstance['node-back-1'] ?? 0) > 5 && (r.byInstance['node-front-2'] ?? 0) > 5,
      JSON.stringify(r.byInstance),
    );
  });
});
