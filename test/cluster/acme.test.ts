/**
 * Automatic HTTPS across the reference cluster's two frontends, against scripts/cluster.sh's Pebble (rdk-pebble on
 * the public network, validating HTTP-01 on the frontends' public addresses): a route enabled on the backend is
 * served over HTTPS by both frontends with one certificate (same serial); the frontend holding a hostname's order
 * lock killed mid-order (its challenge published, Pebble's validation held), the other takes the order over once the
 * dead one's lease ends and completes it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { before, describe, it } from 'node:test';
import { decodeCertificate } from '../../src/registry/acme-keys.js';
import { httpsGet } from '../integration/gateway/https-client.js';
import { orFalse } from '../support/wait.js';
import { BACK, clusterSuite } from './checks.js';
import {
  cluster,
  etcdctl,
  etcdKeys,
  etcdWatch,
  figure,
  FRONTENDS,
  GRAFANA_HOST_HEADER,
  httpGet,
  LEASE_TTL_MS,
  PUBLIC,
  STATE,
  waitFor,
  type EtcdEvent,
  type Frontend,
} from './cluster.js';

clusterSuite();

const PEBBLE = '10.78.0.60';
/** Pebble's own HTTPS certificate (the gateways' acme_ca_file in test/cluster/hosts.yml). */
const PEBBLE_CERT = `${STATE}/pebble/pebble.crt`;
/** The root that issues the gateways' certificates (what `curl --cacert` is given); Pebble makes it at start. */
let root: string;

before(async () => {
  const agent = new Agent({ ca: await readFile(PEBBLE_CERT, 'utf8') });
  root = await new Promise<string>((resolve, reject) => {
    const req = request(`https://${PEBBLE}:15000/roots/0`, { agent, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error("Pebble's root: no answer")));
    req.on('error', reject);
    req.end();
  });
});

/** Makes Pebble's DNS (pebble-challtestsrv) answer `hostname` with the public addresses of `frontends` only. */
async function caResolves(hostname: string, frontends: readonly Frontend[]): Promise<void> {
  const post = async (path: string, body: unknown): Promise<void> => {
    const response = await fetch(`http://${PEBBLE}:8055/${path}`, { method: 'POST', body: JSON.stringify(body) });
    assert.ok(response.ok, `pebble-challtestsrv /${path}: HTTP ${response.status}`);
  };
  await post('clear-a', { host: `${hostname}.` });
  await post('add-a', { host: `${hostname}.`, addresses: frontends.map((f) => PUBLIC[f]) });
}

/** `rundock enable NAME --route HOSTNAME` on the backend: a busybox httpd on PORT answering "NAME on node-back-1". */
async function enableRouted(name: string, port: number, hostname: string): Promise<void> {
  const serve = `mkdir -p /tmp/w; echo "${name} on ${BACK}" > /tmp/w/index.html; httpd -f -p ${port} -h /tmp/w & wait`;
  await cluster(
    ...['exec', BACK, 'rundock', 'enable', name, '--image', 'rundock-test/busybox:latest'],
    ...['--announce', String(port), '--args', '--network host', '--route', hostname],
    ...['--cmd', `sh -c 'trap "exit 0" TERM; ${serve}'`],
  );
}

/** The serial of `hostname`'s certificate stored in etcd (/rundock-secrets/), undefined while there is none. */
async function storedSerial(hostname: string): Promise<string | undefined> {
  const r = await etcdctl(['get', '--print-value-only', `/rundock-secrets/acme/certs/${hostname}`]);
  return r.code !== 0 || r.stdout.trim() === '' ? undefined : decodeCertificate(r.stdout.trim())?.serial;
}

/** Who holds `hostname`'s order lock (a gateway's host), undefined when no one does. */
async function lockHolder(hostname: string): Promise<string | undefined> {
  const r = await etcdctl(['get', '--print-value-only', `/rundock/locks/acme/${hostname}`]);
  return r.code === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
}

/** Whether `frontend` answers https://HOSTNAME/ with 200, trusting Pebble's root only, with the stored serial. */
async function servesStored(frontend: Frontend, hostname: string): Promise<boolean> {
  const answer = await httpsGet(443, hostname, root, '/', { address: PUBLIC[frontend] });
  const stored = await storedSerial(hostname);
  return answer.status === 200 && stored !== undefined && answer.serial === stored;
}

async function untilServed(frontends: readonly Frontend[], hostname: string, timeoutMs: number): Promise<number> {
  return waitFor(
    orFalse(async () => (await Promise.all(frontends.map((f) => servesStored(f, hostname)))).every(Boolean)),
    timeoutMs,
    200,
    `${hostname} over HTTPS with the stored certificate through ${frontends.join(' and ')}`,
  );
}

describe('automatic HTTPS across both frontends (Pebble)', () => {
  it('enable --route on the backend: both frontends serve HTTPS with the same certificate', async () => {
    const hostname = 'shop.example.com';
    await caResolves(hostname, FRONTENDS);
    try {
      const started = Date.now();
      await enableRouted('shop', 8090, hostname);
      await untilServed(FRONTENDS, hostname, 60_000);
      figure(
        `enable shop --route ${hostname} to HTTPS with one certificate on both frontends: ${Date.now() - started} ms`,
      );
      const answers = await Promise.all(
        FRONTENDS.map((f) => httpsGet(443, hostname, root, '/', { address: PUBLIC[f] })),
      );
      assert.deepEqual(
        answers.map((a) => [a.status, a.body]),
        FRONTENDS.map(() => [200, `shop on ${BACK}\n`]),
      );
      assert.equal(new Set(answers.map((a) => a.serial)).size, 1, 'one serial on both frontends');
      for (const f of FRONTENDS) {
        const http = await httpGet(PUBLIC[f], '/x', hostname);
        assert.equal(http.status, 308, `${f}: plain HTTP redirects`);
        // The gateways' own route has no address at the CA: it stays plain HTTP, as the other tests use it.
        assert.equal((await httpGet(PUBLIC[f], '/', GRAFANA_HOST_HEADER)).status, 200, `${f}: grafana on port 80`);
      }
    } finally {
      await cluster('exec', BACK, 'rundock', 'absent', 'shop');
    }
  });

  it('the frontend holding the order lock killed mid-order: the other completes it after the lease', async () => {
    const hostname = 'shop2.example.com';
    await caResolves(hostname, FRONTENDS);
    await cluster('acme-validation', 'hold');
    const watch = etcdWatch(`/rundock/locks/acme/${hostname}`);
    let lockEvents: Promise<EtcdEvent[]> | undefined;
    let killed: Frontend | undefined;
    try {
      await enableRouted('shop2', 8091, hostname);
      // Mid-order: the lock taken, the challenge published, Pebble's validation held at the network.
      await waitFor(
        async () =>
          (await lockHolder(hostname)) !== undefined &&
          ((await etcdKeys('/rundock/acme/challenges/')) ?? []).length > 0,
        30_000,
        100,
        `${hostname}'s order under way (lock and challenge in etcd)`,
      );
      const holder = (await lockHolder(hostname)) as Frontend;
      assert.ok(FRONTENDS.includes(holder), `lock held by ${holder}`);
      const survivor = FRONTENDS.find((f) => f !== holder) as Frontend;
      await cluster('kill', 'gateway', holder);
      killed = holder;
      assert.equal(await storedSerial(hostname), undefined, 'no certificate before the kill');
      const killedAt = Date.now();
      // The CA now reaches the survivor only (the dead frontend's nginx has no gateway behind its challenge path).
      await caResolves(hostname, [survivor]);
      await cluster('acme-validation', 'release');
      await untilServed([survivor], hostname, LEASE_TTL_MS + 30_000);
      const tookMs = Date.now() - killedAt;
      figure(
        `${holder}'s gateway killed mid-order: ${survivor} served ${hostname} ${tookMs} ms later (lease ${LEASE_TTL_MS / 1000} s)`,
      );
      // The dead one's lock went with its lease, two thirds of a TTL or more after the kill (its gateway renewed it
      // every third of one until then); asserted with a margin.
      assert.ok(tookMs >= LEASE_TTL_MS / 2, `taken over after ${tookMs} ms`);
      lockEvents = watch.stop();
      const puts = (await lockEvents).filter((e) => e.type === 'PUT').length;
      assert.ok(puts >= 2, `the lock was taken ${puts} times (the dead frontend, then ${survivor})`);
      // The frontend back: it installs the same certificate.
      await cluster('start', 'gateway', holder);
      killed = undefined;
      await caResolves(hostname, FRONTENDS);
      await untilServed(FRONTENDS, hostname, 30_000);
    } finally {
      await (lockEvents ?? watch.stop());
      await cluster('acme-validation', 'release');
      if (killed !== undefined) await cluster('start', 'gateway', killed);
      await cluster('exec', BACK, 'rundock', 'absent', 'shop2');
    }
  });
});
