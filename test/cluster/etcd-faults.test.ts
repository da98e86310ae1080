import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cluster,
  DOMAIN,
  etcdHealthy,
  etcdKeys,
  etcdLeader,
  EXPECTED_KEYS,
  figure,
  HOSTS,
  LEASE_TTL_MS,
  loadThroughFrontends,
  marks,
  resolveA,
  sleep,
  waitFor,
  type Host,
} from './cluster.js';
import { BACK, clusterSuite, loadLine } from './checks.js';

/** etcd members stopped on the reference cluster, each fault undone (etcd healthy again) before the next. */
clusterSuite();

const everyRecordInEtcd = async (): Promise<boolean> => {
  const keys = await etcdKeys();
  return keys !== undefined && EXPECTED_KEYS.every((k) => keys.includes(k));
};
const servicesOf = (h: Host): string[] =>
  h === BACK ? ['influxdb', 'grafana'] : h === 'node-front-2' ? ['grafana'] : [];
const allMarks = async (): Promise<string> =>
  JSON.stringify(await Promise.all(HOSTS.map((h) => marks(h, servicesOf(h)))));

describe('etcd faults', () => {
  it('one etcd member (the leader) stopped: no effect on records, DNS or nginx', async () => {
    const leader = await etcdLeader();
    const load = loadThroughFrontends();
    await cluster('stop', 'etcd', leader);
    let [missing, polls, dnsFailures] = [0, 0, 0];
    try {
      // Two lease TTLs: every lease is renewed through the remaining members at least once.
      const until = Date.now() + 2 * LEASE_TTL_MS;
      while (Date.now() < until) {
        polls++;
        if (!(await everyRecordInEtcd())) missing++;
        if (!Array.isArray(await resolveA(`influxdb.${DOMAIN}`))) dnsFailures++;
        await sleep(200);
      }
      const r = await load.stop();
      figure(
        `etcd leader (${leader}) stopped for ${(2 * LEASE_TTL_MS) / 1000} s: ${missing} of ${polls} polls missed a record, ${dnsFailures} DNS failures; ${loadLine(r)}`,
      );
      assert.equal(missing, 0);
      assert.equal(dnsFailures, 0);
      assert.equal(r.failures, 0, loadLine(r));
    } finally {
      await load.stop();
      await cluster('start', 'etcd', leader);
      await waitFor(() => etcdHealthy(), 30_000, 200, 'etcd healthy again');
    }
  });

  it('all of etcd stopped: DNS answers from its view, containers keep running; all re-announced within 5 s of its return', async () => {
    const before = await allMarks();
    const load = loadThroughFrontends();
    await Promise.all(HOSTS.map((h) => cluster('stop', 'etcd', h)));
    let [dnsAnswers, dnsPolls] = [0, 0];
    try {
      // Longer than a lease TTL: the agents' keep-alives fail for longer than their leases would last.
      const until = Date.now() + LEASE_TTL_MS + 3000;
      while (Date.now() < until) {
        dnsPolls++;
        const [influx, grafana] = await Promise.all([resolveA(`influxdb.${DOMAIN}`), resolveA(`grafana.${DOMAIN}`)]);
        if (Array.isArray(influx) && Array.isArray(grafana) && grafana.length === 2) dnsAnswers++;
        await sleep(200);
      }
      const r = await load.stop();
      await Promise.all(HOSTS.map((h) => cluster('start', 'etcd', h)));
      const healthyMs = await waitFor(() => etcdHealthy(), 30_000, 50, 'etcd healthy');
      const allMs = await waitFor(everyRecordInEtcd, 15_000, 50, 'every record in etcd');
      const after = await allMarks();
      figure(
        `all etcd stopped for ${(LEASE_TTL_MS + 3000) / 1000} s: DNS answered ${dnsAnswers}/${dnsPolls} polls from its view; ${loadLine(r)}; etcd healthy ${healthyMs} ms after the members started; every record present ${allMs} ms after that; containers restarted: ${after === before ? 0 : 'some'}`,
      );
      assert.equal(dnsAnswers, dnsPolls);
      assert.equal(r.failures, 0, loadLine(r));
      assert.ok(allMs <= 5000, `${allMs} ms`);
      assert.equal(after, before);
    } finally {
      await load.stop();
      await Promise.all(HOSTS.map((h) => cluster('start', 'etcd', h)));
      await waitFor(() => etcdHealthy(), 30_000, 200, 'etcd healthy');
    }
  });
});
