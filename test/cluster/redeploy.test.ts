import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cluster,
  DOMAIN,
  engine,
  figure,
  httpGet,
  loadThroughFrontends,
  orFalse,
  PRIVATE,
  recap,
  resolveA,
  run,
  SCRIPT,
  waitFor,
  type Host,
} from './cluster.js';
import { BACK, clusterSuite, loadLine } from './checks.js';

/** Redeploys through the playbook (examples/site.yml's service plays: --tags grafana or influxdb) on the reference cluster. */
clusterSuite();

const GRAFANA_HOSTS: Host[] = ['node-back-1', 'node-front-2'];
/** The version each grafana instance serves, asked directly. */
const versions = async (): Promise<string[]> =>
  Promise.all(
    GRAFANA_HOSTS.map(async (h) => /v(\S+)/.exec((await httpGet(PRIVATE[h], '/', undefined, 8087)).body)?.[1] ?? '?'),
  );
const ids = async (): Promise<string[]> =>
  Promise.all(GRAFANA_HOSTS.map(async (h) => (await engine(h).getContainer('grafana').inspect()).Id));
/** `[changed, failed]` of each grafana host in a playbook run's recap. */
const grafanaRecap = (stdout: string): [number?, number?][] =>
  GRAFANA_HOSTS.map((h) => [recap(stdout)[h]?.changed, recap(stdout)[h]?.failed]);

describe('redeploys', () => {
  it('a rolling redeploy of grafana over both hosts (playbook, serial: 1): no request fails through either frontend', async () => {
    const load = loadThroughFrontends();
    await load.more(5);
    const t0 = Date.now();
    const r = await cluster('deploy', '--tags', 'grafana', '-e', 'grafana_version=2');
    const deployMs = Date.now() - t0;
    await load.more(20);
    const report = await load.stop();
    figure(
      `rolling redeploy of grafana (serial: 1, fixed port: withdrawn, drained 1 s, swapped, served again, one host at a time): playbook ${deployMs} ms; ${loadLine(report)}; answered by version ${JSON.stringify(report.byVersion)}`,
    );
    assert.deepEqual(grafanaRecap(r.stdout), [
      [1, 0],
      [1, 0],
    ]);
    assert.deepEqual(await versions(), ['2', '2']);
    assert.equal(report.failures, 0, loadLine(report));
  });

  it('a redeploy whose new version never turns healthy stops at the first host; the old one keeps serving', async () => {
    const before = await ids();
    const load = loadThroughFrontends();
    await load.more(5);
    const r = await run(
      'bash',
      [SCRIPT, 'deploy', '--tags', 'grafana', '-e', 'grafana_version=3', '-e', 'grafana_health_path=/missing'],
      180_000,
    );
    await load.more(20);
    const report = await load.stop();
    figure(
      `redeploy of grafana that never turns healthy: playbook failed on the first host (exit ${r.code}); ${loadLine(report)}; answered by version ${JSON.stringify(report.byVersion)}`,
    );
    assert.notEqual(r.code, 0);
    assert.equal(recap(r.stdout)['node-back-1']?.failed, 1, r.stdout);
    assert.equal(recap(r.stdout)['node-front-2']?.changed ?? 0, 0, 'the second host untouched');
    assert.match(r.stdout, /RUNDOCK_E_UNHEALTHY/);
    assert.deepEqual(await ids(), before, 'the same containers');
    assert.deepEqual(await versions(), ['2', '2']);
    assert.equal(report.failures, 0, loadLine(report));
  });

  it('rundock rollback, one host at a time: back to the previous version, no request fails', async () => {
    const load = loadThroughFrontends();
    await load.more(5);
    for (const h of GRAFANA_HOSTS) {
      const r = await cluster('exec', h, 'rundock', 'rollback', 'grafana', '--json');
      const result = JSON.parse(r.stdout) as { rolled_back_to: number; after: { spec_hash: string } };
      const { generations } = JSON.parse(
        (await cluster('exec', h, 'rundock', 'history', 'grafana', '--json')).stdout,
      ) as {
        generations: { generation: number; spec_hash: string }[];
      };
      // The generation it went back to ran the spec that runs now: on a fresh cluster the playbook's first deploy
      // (1); a suite run again on the same cluster finds a longer history.
      const target = generations.find((g) => g.generation === result.rolled_back_to);
      assert.equal(target?.spec_hash, result.after.spec_hash, r.stdout);
    }
    await load.more(20);
    const report = await load.stop();
    figure(
      `rollback of grafana on both hosts, one after the other: ${loadLine(report)}; answered by version ${JSON.stringify(report.byVersion)}`,
    );
    assert.deepEqual(await versions(), ['1', '1']);
    assert.equal(report.failures, 0, loadLine(report));
    assert.deepEqual(
      grafanaRecap((await cluster('deploy', '--tags', 'grafana')).stdout),
      [
        [0, 0],
        [0, 0],
      ],
      "back to the playbook's own spec",
    );
  });

  it("a redeploy with a new image behind the same tag keeps influxdb's data", async () => {
    const back = engine(BACK);
    const point = `point-${Date.now()}`;
    const influx = back.getContainer('influxdb');
    // An earlier suite may have restarted it (dockerd restarted): an exec into a restarting container is refused.
    await waitFor(
      async () => (await influx.inspect()).State.Health?.Status === 'healthy',
      30_000,
      100,
      'influxdb healthy',
    );
    const exec = await influx.exec({ Cmd: ['sh', '-c', `echo ${point} > /var/lib/influxdb/points.txt`] });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise((r) => (stream.on('end', r), stream.resume()));
    const pointServed = orFalse(
      async () => (await httpGet(PRIVATE[BACK], '/points.txt', undefined, 8086)).body.trim() === point,
    );
    await waitFor(pointServed, 10_000, 50, 'the data point is served');
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
    const r = await cluster('deploy', '--tags', 'influxdb');
    const deployMs = Date.now() - t0;
    assert.deepEqual([recap(r.stdout)[BACK]?.changed, recap(r.stdout)[BACK]?.failed], [1, 0], r.stdout);
    const info = await influx.inspect();
    assert.notEqual(info.Image, oldImage, 'influxdb runs the new image');
    // The play ends once the new container is healthy; a loaded host may take a moment more to answer this client.
    const served = await waitFor(pointServed, 10_000, 50, 'the data point served by the new container').then(
      () => true,
      (error: unknown) => String(error),
    );
    await waitFor(
      async () => Array.isArray(await resolveA(`influxdb.${DOMAIN}`)),
      15_000,
      50,
      'influxdb announced again',
    );
    figure(
      `redeploy of influxdb with a new image ID under the same tag through the playbook: ${deployMs} ms; data point served after it: ${served}`,
    );
    assert.equal(served, true);
    assert.ok(
      (await back.listContainers({ all: true })).some((c) => c.Names.includes('/data.influxdb')),
      'data.influxdb kept',
    );
  });
});
