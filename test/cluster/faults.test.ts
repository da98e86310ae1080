import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  cluster,
  DOMAIN,
  engine,
  etcdHealthy,
  etcdKeys,
  etcdLeader,
  etcdWatch,
  EXPECTED_KEYS,
  figure,
  figures,
  FRONTENDS,
  GRAFANA_HOST_HEADER,
  HOSTS,
  httpGet,
  LEASE_TTL_MS,
  loadThroughFrontends,
  marks,
  nginxGrafanaServers,
  PRIVATE,
  PUBLIC,
  resolveA,
  run,
  SKYDNS,
  sleep,
  waitClusterSettled,
  waitFor,
  type Host,
  type LoadReport,
} from './cluster.js';

/**
 * The reference cluster end to end (scripts/cluster.sh up must have run): what the deployment looks like, then one
 * fault at a time, each bounded in time, measured, and undone before the next test starts.
 */
const BACK = 'node-back-1';
const GRAFANA_BACK = `${PRIVATE[BACK]}:8087`;
const backGrafanaGone = async (): Promise<boolean> => (await resolveA(`${BACK}.grafana.${DOMAIN}`)) === 'NXDOMAIN';
const backGrafanaBack = async (): Promise<boolean> => Array.isArray(await resolveA(`${BACK}.grafana.${DOMAIN}`));
const notInNginx = (server: string) => async (): Promise<boolean> =>
  (await Promise.all(FRONTENDS.map(nginxGrafanaServers))).every((servers) => !servers.includes(server));
const inNginx = (server: string) => async (): Promise<boolean> =>
  (await Promise.all(FRONTENDS.map(nginxGrafanaServers))).every((servers) => servers.includes(server));
const loadLine = (r: LoadReport): string =>
  `${r.requests} requests through nginx, ${r.failures} failed${
    r.failures > 0
      ? ` (${r.failed
          .slice(0, 3)
          .map((f) => `${f.frontend} +${f.at}ms: ${f.error}`)
          .join('; ')})`
      : ''
  }, slowest ${r.maxMs} ms`;
const keysOf = async (host: Host): Promise<string[]> =>
  ((await etcdKeys()) ?? []).filter((k) => k.endsWith(`/${host}`));

before(async () => {
  await waitClusterSettled(60_000);
});

after(() => {
  process.stderr.write(
    `\n== measured on the reference cluster (lease TTL ${LEASE_TTL_MS / 1000} s) ==\n${figures.map((f) => `- ${f}`).join('\n')}\n`,
  );
});

describe('the reference cluster as deployed', () => {
  it('a second run of the playbook changes nothing', async () => {
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
    await sleep(1500);
    const r = await load.stop();
    figure(`steady state: ${loadLine(r)}; per instance ${JSON.stringify(r.byInstance)}`);
    assert.equal(r.failures, 0);
    assert.ok(
      (r.byInstance['node-back-1'] ?? 0) > 5 && (r.byInstance['node-front-2'] ?? 0) > 5,
      JSON.stringify(r.byInstance),
    );
  });
});

describe('faults', () => {
  it('docker kill: withdrawn from DNS and nginx within 1 s; Docker counts it as a manual stop; re-announced once started and healthy', async () => {
    const load = loadThroughFrontends();
    await sleep(300);
    const t0 = Date.now();
    await engine(BACK).getContainer('grafana').kill();
    try {
      const [dnsMs, nginxMs] = await Promise.all([
        waitFor('withdrawn from DNS', backGrafanaGone, 3000, 10),
        waitFor('withdrawn from nginx', notInNginx(GRAFANA_BACK), 3000, 10),
      ]);
      await sleep(3000);
      const restarted = (await marks(BACK, ['grafana'])).grafana?.running === true;
      const r = await load.stop();
      figure(
        `docker kill grafana: gone from DNS after ${dnsMs} ms, from both nginx upstreams after ${nginxMs} ms; restarted by policy within 3 s: ${restarted} (Docker treats docker kill as a manual stop); ${loadLine(r)}`,
      );
      assert.ok(dnsMs <= 1000 && nginxMs <= 1000, `dns ${dnsMs} ms, nginx ${nginxMs} ms`);
      assert.equal(r.failures, 0);
    } finally {
      await load.stop();
      const t1 = Date.now();
      await engine(BACK)
        .getContainer('grafana')
        .start()
        .catch(() => undefined);
      const back = await waitFor(
        're-announced',
        async () => (await backGrafanaBack()) && (await inNginx(GRAFANA_BACK)()),
        20_000,
        50,
      );
      figure(
        `docker start after the kill: re-announced (DNS and nginx) ${back} ms after the start (health check every 1 s, --stable-after 2s); total fault ${Date.now() - t0} ms`,
      );
      void t1;
    }
  });

  it('a crashed container (its process SIGKILLed): withdrawn within 1 s, restarted by its policy, re-announced once healthy', async () => {
    const before = (await marks(BACK, ['grafana'])).grafana;
    assert.ok(before?.running);
    const pid = (await engine(BACK).getContainer('grafana').inspect()).State.Pid;
    const load = loadThroughFrontends();
    await sleep(300);
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    try {
      const [dnsMs, nginxMs] = await Promise.all([
        waitFor('withdrawn from DNS', backGrafanaGone, 3000, 10),
        waitFor('withdrawn from nginx', notInNginx(GRAFANA_BACK), 3000, 10),
      ]);
      const restartedMs = await waitFor(
        'restarted by policy',
        async () => (await marks(BACK, ['grafana'])).grafana?.restartCount === before.restartCount + 1,
        10_000,
        50,
      );
      const backMs = await waitFor(
        're-announced',
        async () => (await backGrafanaBack()) && (await inNginx(GRAFANA_BACK)()),
        20_000,
        50,
      );
      await sleep(500);
      const r = await load.stop();
      figure(
        `crash (SIGKILL of grafana's process): gone from DNS after ${dnsMs} ms, from nginx after ${nginxMs} ms; restarted by policy ${restartedMs} ms after the kill; re-announced ${backMs} ms after the restart; ${loadLine(r)}`,
      );
      assert.ok(dnsMs <= 1000 && nginxMs <= 1000, `dns ${dnsMs} ms, nginx ${nginxMs} ms`);
      assert.equal(r.failures, 0, loadLine(r));
    } finally {
      await load.stop();
    }
  });

  it('a crash-looping service is never announced', async () => {
    const name = 'crashy';
    const watch = etcdWatch(`${SKYDNS}/${name}/`);
    const spec = [
      '--image',
      'rundock-test/busybox:latest',
      '--announce',
      '8099',
      '--args',
      '--network host',
      '--cmd',
      `sh -c 'httpd -f -p 8099 -h /www & sleep 1; exit 1'`,
      '--timeout',
      '5',
    ];
    try {
      await cluster(
        'exec',
        'node-front-2',
        process.execPath,
        process.env.RUNDOCK_CLUSTER_BIN ?? new URL('../../bin/rundock.js', import.meta.url).pathname,
        'enable',
        name,
        ...spec,
      ).catch(() => undefined);
      let answered = 0;
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        if (Array.isArray(await resolveA(`${name}.${DOMAIN}`))) answered++;
        await sleep(100);
      }
      const events = await watch.stop();
      const restarts = (await engine('node-front-2').getContainer(name).inspect()).RestartCount;
      figure(
        `crash loop (up 1 s, then exit 1; ${restarts} restarts in 10 s): ${events.length} etcd events under ${name}/, ${answered} DNS answers`,
      );
      assert.ok(restarts >= 2, `restarted ${restarts} times`);
      assert.equal(events.length, 0, events.join('\n'));
      assert.equal(answered, 0);
    } finally {
      await watch.stop();
      await engine('node-front-2')
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  it('agent SIGKILLed: containers keep serving and are not restarted; records back after the agent restarts', async () => {
    const names = ['influxdb', 'grafana'];
    const before = await marks(BACK, names);
    const t0 = Date.now();
    await cluster('kill', 'agent', BACK);
    let direct = 0;
    let directFailures = 0;
    try {
      // The records outlive the agent by the lease TTL, then go.
      const goneMs = await waitFor(
        'records expire with the lease',
        async () => {
          for (const port of [8086, 8087]) {
            direct++;
            await httpGet(PRIVATE[BACK], '/', undefined, port).then(
              (r) => void (r.status !== 200 && directFailures++),
              () => void directFailures++,
            );
          }
          return (await keysOf(BACK)).length === 0;
        },
        LEASE_TTL_MS + 5000,
        100,
      );
      const t1 = Date.now();
      await cluster('start', 'agent', BACK);
      const backMs = await waitFor('records back', async () => (await keysOf(BACK)).length === 2, 15_000, 50);
      const after = await marks(BACK, names);
      figure(
        `agent SIGKILL on ${BACK}: records expired ${goneMs} ms after the kill (lease ${LEASE_TTL_MS / 1000} s); back ${backMs} ms after the agent was started again (${Date.now() - t1} ms incl. its start); ${direct} direct requests to the containers meanwhile, ${directFailures} failed; containers restarted: ${names.filter((n) => after[n]?.startedAt !== before[n]?.startedAt || after[n]?.restartCount !== before[n]?.restartCount).length}`,
      );
      assert.equal(directFailures, 0);
      for (const n of names) assert.deepEqual(after[n], before[n], `${n} untouched`);
    } finally {
      await cluster('start', 'agent', BACK);
      void t0;
    }
  });

  it('one etcd member (the leader) stopped: no effect on records, DNS or nginx', async () => {
    const leader = await etcdLeader();
    const load = loadThroughFrontends();
    await cluster('stop', 'etcd', leader);
    let missing = 0;
    let polls = 0;
    let dnsFailures = 0;
    try {
      const until = Date.now() + 2 * LEASE_TTL_MS;
      while (Date.now() < until) {
        const keys = (await etcdKeys()) ?? [];
        polls++;
        if (!EXPECTED_KEYS.every((k) => keys.includes(k))) missing++;
        if (!Array.isArray(await resolveA(`influxdb.${DOMAIN}`))) dnsFailures++;
        await sleep(200);
      }
      const r = await load.stop();
      figure(
        `etcd leader (${leader}) stopped for ${(2 * LEASE_TTL_MS) / 1000} s: ${missing} of ${polls} polls missed a record, ${dnsFailures} DNS failures; ${loadLine(r)}`,
      );
      assert.equal(missing, 0);
      assert.equal(dnsFailures, 0);
      assert.equal(r.failures, 0);
    } finally {
      await load.stop();
      await cluster('start', 'etcd', leader);
      await waitFor('etcd healthy again', () => etcdHealthy(), 30_000, 200);
    }
  });

  it('all of etcd stopped: DNS answers from its view, containers keep running; all re-announced within 5 s of its return', async () => {
    const before = Object.fromEntries(
      await Promise.all(
        HOSTS.map(
          async (h) =>
            [
              h,
              await marks(h, h === BACK ? ['influxdb', 'grafana'] : h === 'node-front-2' ? ['grafana'] : []),
            ] as const,
        ),
      ),
    );
    const load = loadThroughFrontends();
    await Promise.all(HOSTS.map((h) => cluster('stop', 'etcd', h)));
    let dnsAnswers = 0;
    let dnsPolls = 0;
    try {
      const until = Date.now() + LEASE_TTL_MS + 3000;
      while (Date.now() < until) {
        dnsPolls++;
        const [influx, grafana] = await Promise.all([resolveA(`influxdb.${DOMAIN}`), resolveA(`grafana.${DOMAIN}`)]);
        if (Array.isArray(influx) && Array.isArray(grafana) && grafana.length === 2) dnsAnswers++;
        await sleep(200);
      }
      const r = await load.stop();
      await Promise.all(HOSTS.map((h) => cluster('start', 'etcd', h)));
      const healthyAt = Date.now();
      await waitFor('etcd healthy', () => etcdHealthy(), 30_000, 50);
      const healthyMs = Date.now() - healthyAt;
      const t1 = Date.now();
      const allMs = await waitFor(
        'every record in etcd',
        async () => {
          const keys = await etcdKeys();
          return keys !== undefined && EXPECTED_KEYS.every((k) => keys.includes(k));
        },
        15_000,
        50,
      );
      void t1;
      const after = Object.fromEntries(
        await Promise.all(HOSTS.map(async (h) => [h, await marks(h, Object.keys(before[h] ?? {}))] as const)),
      );
      figure(
        `all etcd stopped for ${(LEASE_TTL_MS + 3000) / 1000} s: DNS answered ${dnsAnswers}/${dnsPolls} polls from its view; ${loadLine(r)}; etcd healthy ${healthyMs} ms after the members started; every record present ${allMs} ms after that; containers restarted: ${JSON.stringify(after) === JSON.stringify(before) ? 0 : 'some'}`,
      );
      assert.equal(dnsAnswers, dnsPolls);
      assert.equal(r.failures, 0);
      assert.ok(allMs <= 5000, `${allMs} ms`);
      assert.deepEqual(after, before);
    } finally {
      await load.stop();
      await Promise.all(HOSTS.map((h) => cluster('start', 'etcd', h)));
      await waitFor('etcd healthy', () => etcdHealthy(), 30_000, 200);
    }
  });

  let dockerdFailures = -1;

  it('dockerd restarted on a host: containers back by their restart policy, records back', async () => {
    const before = await marks(BACK, ['influxdb', 'grafana']);
    const load = loadThroughFrontends();
    await sleep(300);
    const t0 = Date.now();
    const stopping = cluster('stop', 'dockerd', BACK);
    try {
      const goneMs = await waitFor('withdrawn', async () => (await keysOf(BACK)).length === 0, 20_000, 20);
      await stopping;
      const stoppedMs = Date.now() - t0;
      await cluster('start', 'dockerd', BACK);
      const t1 = Date.now();
      const runningMs = await waitFor(
        'containers running again',
        async () => {
          const m = await marks(BACK, ['influxdb', 'grafana']).catch(() => undefined);
          return m !== undefined && Object.values(m).every((c) => c.running);
        },
        30_000,
        50,
      );
      const backMs = await waitFor(
        'records back',
        async () => (await keysOf(BACK)).length === 2 && (await inNginx(GRAFANA_BACK)()),
        30_000,
        50,
      );
      const r = await load.stop();
      const after = await marks(BACK, ['influxdb', 'grafana']);
      figure(
        `dockerd restart on ${BACK}: records withdrawn ${goneMs} ms after SIGTERM (dockerd stopped its containers, down after ${stoppedMs} ms); containers running ${runningMs} ms after dockerd was started again, records back (etcd and nginx) ${backMs} ms after that; ${loadLine(r)}`,
      );
      for (const n of ['influxdb', 'grafana'] as const)
        assert.equal(after[n]?.id, before[n]?.id, `${n} is the same container`);
      dockerdFailures = r.failures;
      assert.ok(r.failures < r.requests / 10, loadLine(r));
    } finally {
      await load.stop();
      await cluster('start', 'dockerd', BACK);
    }
  });

  /** What DNS, nginx and the load saw during the cut, for the known-bug test after it. */
  const cut = { dnsMs: -1, nginxMs: -1, failures: -1 };

  it('a host cut off: its records gone from etcd within the lease TTL; the other hosts keep serving', async () => {
    await waitClusterSettled();
    const load = loadThroughFrontends();
    await sleep(300);
    const t0 = Date.now();
    await cluster('link', BACK, 'down');
    let direct = 0;
    let directFailures = 0;
    try {
      const goneMs = await waitFor(
        'records gone',
        async () => {
          direct++;
          await httpGet(PRIVATE['node-front-2'], '/', undefined, 8087).then(
            (r) => void (r.status !== 200 && directFailures++),
            () => void directFailures++,
          );
          const keys = await etcdKeys(`${SKYDNS}/`, [
            `http://${PRIVATE['node-front-1']}:2379`,
            `http://${PRIVATE['node-front-2']}:2379`,
          ]);
          return keys !== undefined && !keys.some((k) => k.endsWith(`/${BACK}`));
        },
        LEASE_TTL_MS + 10_000,
        100,
      );
      // DNS and the gateways follow etcd through a watch; one on the cut-off member sees nothing (see the next test).
      const bound = 3000;
      cut.dnsMs = await waitFor('DNS without the host', backGrafanaGone, bound, 50).catch(() => -1);
      cut.nginxMs = await waitFor('nginx without the host', notInNginx(GRAFANA_BACK), bound, 50).catch(() => -1);
      const stale = await Promise.all(
        FRONTENDS.map(
          async (f) =>
            `${f} nginx ${(await nginxGrafanaServers(f)).includes(GRAFANA_BACK) ? 'still lists' : 'dropped'} it`,
        ),
      );
      await sleep(1000);
      const r = await load.stop();
      const ms = (v: number): string => (v < 0 ? `not within ${bound} ms (stale)` : `${v} ms later`);
      cut.failures = r.failures;
      figure(
        `${BACK} cut off: its records gone from etcd ${goneMs} ms after the cut (lease ${LEASE_TTL_MS / 1000} s); DNS ${ms(cut.dnsMs)}, nginx ${ms(cut.nginxMs)} (${stale.join(', ')}); ${loadLine(r)}; answered by ${JSON.stringify(r.byInstance)}; grafana on node-front-2 asked directly ${direct} times, ${directFailures} failed`,
      );
      // A lease lives up to its TTL after the last keep-alive, and an etcd leader election (when the cut-off member
      // led) renews every lease once more: the bound is two TTLs.
      assert.ok(goneMs <= 2 * LEASE_TTL_MS, `${goneMs} ms`);
      assert.equal(directFailures, 0, 'the other hosts keep serving');
      assert.ok(
        r.byInstance['node-front-2'] !== undefined && r.byInstance['node-front-2'] > r.requests / 2,
        loadLine(r),
      );
    } finally {
      await load.stop();
      await cluster('link', BACK, 'up');
      const t1 = Date.now();
      await waitClusterSettled(60_000);
      figure(
        `${BACK} plugged back in: every record back ${Date.now() - t1} ms later; whole fault ${Date.now() - t0} ms`,
      );
    }
  });

  it('dockerd restarted on a host: no request fails through nginx', () => {
    assert.equal(dockerdFailures, 0);
  });

  it('a host cut off: DNS and nginx drop it as etcd does', () => {
    assert.ok(cut.dnsMs >= 0, 'DNS kept answering the cut-off host');
    assert.ok(cut.nginxMs >= 0, 'an nginx kept the cut-off host');
  });

  it(
    'a host cut off: no request fails through nginx',
    { todo: '502s in 1 of 5 full runs, after the etcd faults: see docs/RELIABILITY.md' },
    () => {
      assert.equal(cut.failures, 0, 'requests failed through nginx');
    },
  );

  it('a frontend stopped: the public name resolves only to the live frontend within the lease TTL', async () => {
    const dead = 'node-front-2';
    await cluster('kill', 'agent', dead);
    const t0 = Date.now();
    const stopping = Promise.all([cluster('stop', 'gateway', dead), cluster('stop', 'nginx', dead)]);
    try {
      const ms = await waitFor(
        'www only on the live frontend',
        async () => {
          const www = await resolveA(`www.${DOMAIN}`);
          return Array.isArray(www) && www.length === 1 && www[0] === PUBLIC['node-front-1'];
        },
        LEASE_TTL_MS + 10_000,
        50,
      );
      await stopping;
      const r = await httpGet(PUBLIC['node-front-1'], '/', GRAFANA_HOST_HEADER);
      figure(
        `frontend ${dead} stopped (agent SIGKILL, nginx and gateway stopped): www.${DOMAIN} resolves only to ${PUBLIC['node-front-1']} ${ms} ms later (lease ${LEASE_TTL_MS / 1000} s); the live frontend answered ${r.status}`,
      );
      assert.ok(ms <= LEASE_TTL_MS + 1000, `${ms} ms`);
      assert.equal(r.status, 200);
    } finally {
      await stopping.catch(() => undefined);
      await cluster('start', 'nginx', dead);
      await cluster('start', 'gateway', dead);
      await cluster('start', 'agent', dead);
      await waitClusterSettled();
    }
  });

  it("a redeploy with a new image behind the same tag keeps influxdb's data", async () => {
    const back = engine(BACK);
    const point = `point-${Date.now()}`;
    const influx = back.getContainer('influxdb');
    const exec = await influx.exec({ Cmd: ['sh', '-c', `echo ${point} > /www/points.txt`] });
    await exec.start({ hijack: true, stdin: false }).then(
      (s) =>
        new Promise((r) => {
          s.on('end', r);
          s.resume();
        }),
    );
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

void run;
