import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cluster,
  DOMAIN,
  etcdKeys,
  etcdTerm,
  etcdWatch,
  figure,
  FRONTENDS,
  GRAFANA_HOST_HEADER,
  httpGet,
  LEASE_TTL_MS,
  loadThroughFrontends,
  nginxGrafanaServers,
  PRIVATE,
  PUBLIC,
  resolveA,
  SKYDNS,
  waitClusterSettled,
  waitFor,
} from './cluster.js';
import { BACK, backGrafanaGone, clusterSuite, GRAFANA_BACK, loadLine, notInNginx } from './checks.js';

/** A whole host lost on the reference cluster: cut off its networks, or a frontend's processes stopped. */
clusterSuite();

const HEALTHY = ['node-front-1', 'node-front-2'] as const;
/** The etcd members of the hosts that stay up. */
const HEALTHY_ETCD = HEALTHY.map((h) => `https://${PRIVATE[h]}:2379`);

describe('host faults', () => {
  it("a host cut off: its records gone within the lease bound, DNS and nginx follow etcd, no request fails, no other host's record is touched", async () => {
    const watches = [etcdWatch(`${SKYDNS}/`), etcdWatch('/rundock/hosts/')];
    const load = loadThroughFrontends();
    await load.more(5);
    const t0 = Date.now();
    await cluster('link', BACK, 'down');
    let [direct, directFailures] = [0, 0];
    let [termBefore, termAfter]: (number | undefined)[] = [];
    try {
      const goneMs = await waitFor(
        async () => {
          direct++;
          await httpGet(PRIVATE['node-front-2'], '/', undefined, 8087).then(
            (r) => void (r.status !== 200 && directFailures++),
            () => void directFailures++,
          );
          const keys = await etcdKeys(`${SKYDNS}/`, HEALTHY_ETCD);
          return keys !== undefined && !keys.some((k) => k.endsWith(`/${BACK}`));
        },
        2 * LEASE_TTL_MS + 10_000,
        100,
        'records gone',
      );
      // DNS and the gateways follow etcd through a watch, checked against etcd every second.
      const bound = 3000;
      const dnsMs = await waitFor(backGrafanaGone, bound, 50, 'DNS without the host').catch(() => -1);
      const nginxMs = await waitFor(notInNginx(GRAFANA_BACK), bound, 50, 'nginx without the host').catch(() => -1);
      const stale = await Promise.all(
        FRONTENDS.map(
          async (f) =>
            `${f} nginx ${(await nginxGrafanaServers(f)).includes(GRAFANA_BACK) ? 'still lists' : 'dropped'} it`,
        ),
      );
      await load.more(20);
      const r = await load.stop();
      const events = (await Promise.all(watches.map((w) => w.stop()))).flat();
      const healthyDeletes = events.filter((e) => e.type === 'DELETE' && HEALTHY.some((h) => e.key.endsWith(`/${h}`)));
      const ms = (v: number): string => (v < 0 ? `not within ${bound} ms (stale)` : `${v} ms later`);
      figure(
        `${BACK} cut off: its records gone from etcd ${goneMs} ms after the cut (lease ${LEASE_TTL_MS / 1000} s); DNS ${ms(dnsMs)}, nginx ${ms(nginxMs)} (${stale.join(', ')}); ${loadLine(r)}; answered by ${JSON.stringify(r.byInstance)}; grafana on node-front-2 asked directly ${direct} times, ${directFailures} failed; ${healthyDeletes.length} delete events for the other hosts' keys`,
      );
      // A lease lives up to its TTL after the last keep-alive, and an etcd leader election (when the cut-off member
      // led) renews every lease once more: the bound is two TTLs.
      assert.ok(goneMs <= 2 * LEASE_TTL_MS, `${goneMs} ms`);
      assert.ok(dnsMs >= 0, 'DNS kept answering the cut-off host');
      assert.ok(nginxMs >= 0, 'an nginx kept the cut-off host');
      assert.equal(directFailures, 0, 'the other hosts keep serving');
      assert.deepEqual(healthyDeletes, [], "the other hosts' records stay");
      assert.equal(r.failures, 0, loadLine(r));
    } finally {
      await load.stop();
      await Promise.all(watches.map((w) => w.stop()));
      termBefore = await etcdTerm(HEALTHY_ETCD);
      await cluster('link', BACK, 'up');
      const t1 = Date.now();
      await waitClusterSettled(60_000);
      termAfter = await etcdTerm();
      figure(
        `${BACK} plugged back in: every record back ${Date.now() - t1} ms later; whole fault ${Date.now() - t0} ms; etcd raft term ${termBefore} before, ${termAfter} after`,
      );
    }
    // With pre-vote, the member that was cut off rejoins without an election (no leaderless seconds, no lease renewed
    // beyond its TTL, which the next checks would see).
    assert.equal(termAfter, termBefore, 'plugging the host back in forced an etcd election');
  });

  it('a frontend stopped: the public name resolves only to the live frontend within the lease TTL', async () => {
    const dead = 'node-front-2';
    await cluster('kill', 'agent', dead);
    const stopping = Promise.all([cluster('stop', 'gateway', dead), cluster('stop', 'nginx', dead)]);
    try {
      const ms = await waitFor(
        async () => {
          const www = await resolveA(`www.${DOMAIN}`);
          return Array.isArray(www) && www.length === 1 && www[0] === PUBLIC['node-front-1'];
        },
        LEASE_TTL_MS + 10_000,
        50,
        'www only on the live frontend',
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
    }
  });
});
