import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cluster,
  DOMAIN,
  ETCD,
  engine,
  etcdWatch,
  figure,
  httpGet,
  LEASE_TTL_MS,
  loadThroughFrontends,
  marks,
  PRIVATE,
  resolveA,
  run,
  SKYDNS,
  waitFor,
} from './cluster.js';
import {
  BACK,
  backGrafanaBack,
  backGrafanaGone,
  clusterSuite,
  GRAFANA_BACK,
  inNginx,
  keysOf,
  loadLine,
  notInNginx,
} from './checks.js';

/** Faults of one container, one agent or one Docker engine on the reference cluster, each undone before the next. */
clusterSuite();

/** The lease KEY is attached to (etcdctl's JSON: decimal). */
async function leaseOf(key: string): Promise<string | undefined> {
  const r = await run('etcdctl', ['--endpoints', ETCD.join(','), 'get', key, '-w', 'json'], 5000);
  return /"lease":(\d+)/.exec(r.stdout)?.[1];
}

const withdrawn = (): Promise<[number, number]> =>
  Promise.all([
    waitFor(backGrafanaGone, 3000, 10, 'withdrawn from DNS'),
    waitFor(notInNginx(GRAFANA_BACK), 3000, 10, 'withdrawn from nginx'),
  ]);
const reannounced = (timeoutMs: number): Promise<number> =>
  waitFor(
    async () => (await backGrafanaBack()) && (await inNginx(GRAFANA_BACK)()),
    timeoutMs,
    50,
    're-announced (DNS and nginx)',
  );

describe('container, agent and engine faults', () => {
  it('docker kill: withdrawn from DNS and nginx within 1 s, no request fails; re-announced once started and healthy', async () => {
    const grafana = engine(BACK).getContainer('grafana');
    const load = loadThroughFrontends();
    await load.more(5);
    await grafana.kill();
    try {
      const [dnsMs, nginxMs] = await withdrawn();
      await load.more(20);
      const state = (await grafana.inspect()).State.Status;
      const r = await load.stop();
      figure(
        `docker kill grafana: gone from DNS after ${dnsMs} ms, from both nginx upstreams after ${nginxMs} ms; Docker left it ${state} (docker kill is a manual stop, no restart policy applies); ${loadLine(r)}`,
      );
      assert.ok(dnsMs <= 1000 && nginxMs <= 1000, `dns ${dnsMs} ms, nginx ${nginxMs} ms`);
      assert.equal(r.failures, 0, loadLine(r));
    } finally {
      await load.stop();
      await grafana.start().catch(() => undefined);
      figure(
        `docker start after the kill: re-announced (DNS and nginx) ${await reannounced(20_000)} ms after the start (health check every 1 s)`,
      );
    }
  });

  it('a crashed container (its process SIGKILLed): withdrawn within 1 s, restarted by its policy, re-announced once healthy', async () => {
    const before = (await marks(BACK, ['grafana'])).grafana;
    assert.ok(before?.running);
    const pid = (await engine(BACK).getContainer('grafana').inspect()).State.Pid;
    const load = loadThroughFrontends();
    await load.more(5);
    process.kill(pid, 'SIGKILL');
    try {
      const [dnsMs, nginxMs] = await withdrawn();
      const restartedMs = await waitFor(
        async () => (await marks(BACK, ['grafana'])).grafana?.restartCount === before.restartCount + 1,
        10_000,
        50,
        'restarted by policy',
      );
      const backMs = await reannounced(20_000);
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
    const container = engine('node-front-2').getContainer(name);
    try {
      // The host's own rundock, as the role installed it from the release tarball.
      await cluster('exec', 'node-front-2', 'rundock', 'enable', name, ...spec).catch(() => undefined);
      let answered = 0;
      // Each restart is a chance to be announced: watch DNS through three of them.
      await waitFor(
        async () => {
          if (Array.isArray(await resolveA(`${name}.${DOMAIN}`))) answered++;
          return (await container.inspect()).RestartCount >= 3;
        },
        30_000,
        100,
        'three restarts',
      );
      const events = await watch.stop();
      const restarts = (await container.inspect()).RestartCount;
      figure(
        `crash loop (up 1 s, then exit 1; watched through ${restarts} restarts): ${events.length} etcd events under ${name}/, ${answered} DNS answers`,
      );
      assert.deepEqual(events, []);
      assert.equal(answered, 0);
    } finally {
      await watch.stop();
      await container.remove({ force: true }).catch(() => undefined);
    }
  });

  it('agent SIGKILLed: containers keep serving and are not restarted; records back after the agent restarts', async () => {
    const names = ['influxdb', 'grafana'];
    const before = await marks(BACK, names);
    await cluster('kill', 'agent', BACK);
    let direct = 0;
    let directFailures = 0;
    try {
      // The records outlive the agent by the lease TTL, then go.
      const goneMs = await waitFor(
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
        'records expire with the lease',
      );
      const t1 = Date.now();
      await cluster('start', 'agent', BACK);
      const backMs = await waitFor(async () => (await keysOf(BACK)).length === 2, 15_000, 50, 'records back');
      const after = await marks(BACK, names);
      const restarted = names.filter(
        (n) => after[n]?.startedAt !== before[n]?.startedAt || after[n]?.restartCount !== before[n]?.restartCount,
      );
      figure(
        `agent SIGKILL on ${BACK}: records expired ${goneMs} ms after the kill (lease ${LEASE_TTL_MS / 1000} s); back ${backMs} ms after the agent was started again (${Date.now() - t1} ms incl. its start); ${direct} direct requests to the containers meanwhile, ${directFailures} failed; containers restarted: ${restarted.length}`,
      );
      assert.equal(directFailures, 0);
      for (const n of names) assert.deepEqual(after[n], before[n], `${n} untouched`);
    } finally {
      await cluster('start', 'agent', BACK);
    }
  });

  it('agent restarted on a backend under load (SIGTERM, then started, 3 times): 0 failed, no record touched, one lease', async () => {
    const keys = [`${SKYDNS}/grafana/${BACK}`, `${SKYDNS}/influxdb/${BACK}`];
    const lease = await leaseOf(keys[0] ?? '');
    const watch = etcdWatch(`${SKYDNS}/`);
    const load = loadThroughFrontends();
    const took: number[] = [];
    try {
      await load.more(5);
      for (let i = 0; i < 3; i++) {
        const t = Date.now();
        await cluster('stop', 'agent', BACK); // sv down: SIGTERM, waits for the exit
        await cluster('start', 'agent', BACK); // waits until it answers
        took.push(Date.now() - t);
        await load.more(5);
      }
    } finally {
      await cluster('start', 'agent', BACK);
    }
    const r = await load.stop();
    const touched = (await watch.stop()).filter((e) => keys.includes(e.key));
    const after = await leaseOf(keys[0] ?? '');
    figure(
      `agent on ${BACK} stopped (SIGTERM) and started 3 times under load (${took.join(', ')} ms each): ${touched.length} etcd events on its records, lease ${after === lease ? 'kept' : `${lease} -> ${after}`}; ${loadLine(r)}`,
    );
    assert.equal(r.failures, 0, loadLine(r));
    assert.deepEqual(touched, [], 'no record of the host withdrawn or put again');
    assert.equal(after, lease, 'the same lease, taken over by each new agent');
  });

  it('dockerd restarted on a host: containers back by their restart policy, records back, no request fails', async () => {
    const before = await marks(BACK, ['influxdb', 'grafana']);
    const load = loadThroughFrontends();
    await load.more(5);
    const t0 = Date.now();
    const stopping = cluster('stop', 'dockerd', BACK);
    try {
      const goneMs = await waitFor(async () => (await keysOf(BACK)).length === 0, 20_000, 20, 'withdrawn');
      await stopping;
      const stoppedMs = Date.now() - t0;
      await cluster('start', 'dockerd', BACK);
      const runningMs = await waitFor(
        async () => {
          const m = await marks(BACK, ['influxdb', 'grafana']).catch(() => undefined);
          return m !== undefined && Object.values(m).every((c) => c.running);
        },
        30_000,
        50,
        'containers running again',
      );
      const backMs = await waitFor(
        async () => (await keysOf(BACK)).length === 2 && (await inNginx(GRAFANA_BACK)()),
        30_000,
        50,
        'records back',
      );
      const r = await load.stop();
      const after = await marks(BACK, ['influxdb', 'grafana']);
      figure(
        `dockerd restart on ${BACK}: records withdrawn ${goneMs} ms after SIGTERM (dockerd stopped its containers, down after ${stoppedMs} ms); containers running ${runningMs} ms after dockerd was started again, records back (etcd and nginx) ${backMs} ms after that; ${loadLine(r)}`,
      );
      for (const n of ['influxdb', 'grafana'] as const)
        assert.equal(after[n]?.id, before[n]?.id, `${n} is the same container`);
      assert.equal(r.failures, 0, loadLine(r));
    } finally {
      await load.stop();
      await stopping.catch(() => undefined);
      await cluster('start', 'dockerd', BACK);
    }
  });
});
