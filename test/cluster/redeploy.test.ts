import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cluster, DOMAIN, engine, figure, httpGet, PRIVATE, resolveA, waitFor } from './cluster.js';
import { BACK, clusterSuite } from './checks.js';

/** Redeploys through the playbook on the reference cluster. */
clusterSuite();

describe('redeploys', () => {
  it("a redeploy with a new image behind the same tag keeps influxdb's data", async () => {
    const back = engine(BACK);
    const point = `point-${Date.now()}`;
    const influx = back.getContainer('influxdb');
    const exec = await influx.exec({ Cmd: ['sh', '-c', `echo ${point} > /www/points.txt`] });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise((r) => (stream.on('end', r), stream.resume()));
    await waitFor(
      'the data point is served',
      async () => (await httpGet(PRIVATE[BACK], '/points.txt', undefined, 8086)).body.trim() === point,
      5000,
      50,
    );
    const oldImage = (await influx.inspect()).Image;
    // A new image under the same tag: the old one plus a version file.
    const builder = await back.createContainer({
      Image: 'rundock-cluster/influxdb:latest',
      Cmd: ['sh', '-c', `echo v-${point} > /version`],
      HostConfig: { NetworkMode: 'host' },
    });
    await builder.start();
    await builder.wait();
    await builder.commit({ repo: 'rundock-cluster/influxdb', tag: 'latest' });
    await builder.remove();
    const t0 = Date.now();
    const r = await cluster('deploy');
    const deployMs = Date.now() - t0;
    assert.match(r.stdout.slice(r.stdout.indexOf('PLAY RECAP')), /node-back-1\s+: ok=3\s+changed=1/);
    const info = await influx.inspect();
    assert.notEqual(info.Image, oldImage, 'influxdb runs the new image');
    const served = await httpGet(PRIVATE[BACK], '/points.txt', undefined, 8086);
    await waitFor(
      'influxdb announced again',
      async () => Array.isArray(await resolveA(`influxdb.${DOMAIN}`)),
      15_000,
      50,
    );
    figure(
      `redeploy of influxdb with a new image ID under the same tag through the playbook: ${deployMs} ms; data point served after it: ${served.body.trim() === point}`,
    );
    assert.equal(served.status, 200);
    assert.equal(served.body.trim(), point);
    assert.ok(
      (await back.listContainers({ all: true })).some((c) => c.Names.includes('/data.influxdb')),
      'data.influxdb kept',
    );
  });
});
