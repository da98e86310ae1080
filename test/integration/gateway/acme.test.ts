/**
 * Automatic HTTPS against real Pebble, nginx and etcd: a route record (as an agent writes it) becomes a certificate
 * ordered by HTTP-01 through the gateway's own nginx, stored in etcd, installed and served; plain HTTP redirects;
 * renewal at two thirds of a short lifetime; a failed renewal keeps the certificate; etcd down during a renewal.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { etcdAcmeStore } from '../../../src/gateway/acme/store-etcd.js';
import { ACME_CERTS_PREFIX, certificateKey, decodeCertificate, lockKey } from '../../../src/registry/acme-keys.js';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { announce, freePort, get, metricValue, startBackend, type Backend } from './backends.js';
import { claimRoutes, httpsGet } from './https-client.js';
import { startPebble, type PebbleProcess } from './pebble.js';
import { orFalse, waitFor } from '../../support/wait.js';
import { setupGateway, type GatewayUnderTest } from './setup.js';

let etcd: EtcdProcess;
let client: Etcd3;
let backend: Backend;
/** One CA for the file (Pebble takes seconds to make its keys): it validates on `port`, each test's gateway's. */
let pebble: PebbleProcess;
let root: string;
let port: number;
/** The gateways of the running test, stopped after it. */
let running: GatewayUnderTest[] = [];

before(async () => {
  port = await freePort();
  [etcd, pebble, backend] = await Promise.all([
    startEtcd(),
    startPebble({ httpPort: port, validitySeconds: 20 }),
    startBackend('shop'),
  ]);
  client = new Etcd3({ hosts: [etcd.endpoint] });
  root = await pebble.issuerRoot();
});
afterEach(async () => {
  await Promise.all(running.map((g) => g.stop()));
  running = [];
});
after(async () => {
  await pebble?.stop();
  await backend?.close();
  client?.close();
  await etcd?.kill();
});

let seq = 0;
/** A hostname no other test orders (certificates are kept per hostname, for every gateway). */
function hostname(): string {
  return `shop${++seq}-${Date.now().toString(36)}.example.com`;
}

/**
 * A gateway with ACME against the file's Pebble, by default on the port Pebble validates on (one test at a time);
 * `holder` names it in the order locks it takes.
 */
async function acmeGateway(
  o: { retryMs?: number; port?: number; holder?: string; domain?: string } = {},
): Promise<GatewayUnderTest> {
  const g = await setupGateway({
    port: o.port ?? port,
    domain: o.domain,
    source: () => ({ etcd: { hosts: [etcd.endpoint] } }),
    tls: async (feeds, directory) => ({
      certificates: [],
      directory,
      acme: {
        email: 'ops@example.com',
        directory: pebble.directory,
        caFile: pebble.caFile,
        pollMs: { min: 50, max: 500 },
        retry: { baseMs: o.retryMs ?? 60_000, maxMs: o.retryMs ?? 60_000 },
        lockRetryMs: 200,
        store: await etcdAcmeStore({
          connection: { hosts: [etcd.endpoint] },
          feeds,
          lockTtlSeconds: 5,
          holder: o.holder ?? 'test',
        }),
      },
    }),
  });
  running.push(g);
  return g;
}

/**
 * Waits until `name` answers over HTTPS with `serial` (any serial without one), then for the gateway's reload to
 * finish: nginx's old workers accept for another 100 ms after the new ones start.
 */
async function untilServed(
  g: GatewayUnderTest,
  name: string,
  serial?: () => Promise<string | undefined>,
  timeoutMs = 40_000,
): Promise<void> {
  await waitFor(
    orFalse(async () => {
      const answer = await httpsGet(g.httpsPort, name, root);
      return answer.status === 200 && (serial === undefined || answer.serial === (await serial()));
    }),
    timeoutMs,
    50,
    `${name} served over HTTPS`,
  );
  await g.gateway.idle();
}

async function storedSerial(name: string): Promise<string | undefined> {
  const text = await client.get(certificateKey(name)).string();
  return text === null ? undefined : decodeCertificate(text)?.serial;
}

/** A gateway retrying every 500 ms, serving a new hostname's first certificate; its serial. */
async function servedHostname(): Promise<{ g: GatewayUnderTest; name: string; first: string | undefined }> {
  const g = await acmeGateway({ retryMs: 500 });
  const name = hostname();
  await announce(client, g.domain, 'shop', 'node-back-1', backend.port);
  await claimRoutes(client, g.domain, 'shop', 'node-back-1', [name]);
  await untilServed(g, name);
  return { g, name, first: await storedSerial(name) };
}

/** Waits until `name`'s order is failing on `g` (rundock_gateway_acme_order_failing). */
async function untilFailing(g: GatewayUnderTest, name: string, timeoutMs: number, what: string): Promise<void> {
  await waitFor(
    orFalse(async () => (await metricValue(g.metrics, 'rundock_gateway_acme_order_failing', { hostname: name })) === 1),
    timeoutMs,
    50,
    what,
  );
}

describe('automatic HTTPS (Pebble + nginx + etcd)', () => {
  it('orders by HTTP-01 through nginx, installs, serves HTTPS, redirects HTTP (challenge path excepted)', async () => {
    const g = await acmeGateway();
    const name = hostname();
    await announce(client, g.domain, 'shop', 'node-back-1', backend.port);
    const started = performance.now();
    await claimRoutes(client, g.domain, 'shop', 'node-back-1', [name]);
    await untilServed(g, name);
    const elapsed = performance.now() - started;
    const answer = await httpsGet(g.httpsPort, name, root);
    assert.equal(answer.body, 'backend shop\n', JSON.stringify(answer));
    assert.equal(answer.serial, await storedSerial(name), 'serves the certificate stored in etcd');
    // Within the minute (untilServed bounds it at 40 s); the 30 s target is the benchmark's.
    assert.ok(elapsed < 40_000, `first HTTPS answer after ${Math.round(elapsed)} ms`);
    const http = await get(g.port, name, '/a/b?c=1');
    assert.equal(http.status, 308);
    assert.equal(http.headers.location, `https://${name}:${g.httpsPort}/a/b?c=1`);
    assert.equal((await get(g.port, name, '/.well-known/acme-challenge/unknown')).status, 404);
    // Installed for nginx only: the folder 0700, the key 0600.
    const certs = join(g.nginx.confDir, 'certs');
    assert.equal((await stat(certs)).mode & 0o777, 0o700);
    // One order: a second one right after the first (the schedule not yet seeing what it stored) ends within 1 s.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await metricValue(g.metrics, 'rundock_gateway_acme_orders_total', { outcome: 'ok' }), 1);
    const expiry = await metricValue(g.metrics, 'rundock_gateway_certificate_expiry_seconds', { hostname: name });
    assert.ok(expiry > Date.now() / 1000, `expiry gauge ${expiry}`);
    const status = g.gateway.status().certificates.find((c) => c.hostname === name);
    assert.equal(status?.source, 'acme');
    assert.equal(JSON.stringify(g.gateway.status()).includes('PRIVATE KEY'), false, 'no key in /status');
  });

  it('renews at two thirds of the lifetime; a failed renewal keeps the certificate, says so, and is retried', async () => {
    const { g, name } = await servedHostname();
    // The CA reaches nothing for the name now: the renewal, due 13 s after issue, fails.
    await pebble.resolveTo(name, '127.0.0.2');
    await untilFailing(g, name, 30_000, 'the renewal fails');
    // The certificate current when the renewal failed (on a busy machine, one renewal may have passed before the
    // name stopped resolving) is the one stored and served, though it may have ended by now.
    const first = await storedSerial(name);
    const answer = await httpsGet(g.httpsPort, name, root, '/', { allowExpired: true });
    assert.ok(first !== undefined, 'the certificate stays stored');
    assert.deepEqual([answer.status, answer.serial], [200, first], 'the current certificate stays served');
    assert.match(g.gateway.notReady().join('\n'), new RegExp(`^acme: ${name.replaceAll('.', '\\.')}: `, 'm'));
    assert.equal(g.gateway.status().certificates.find((c) => c.hostname === name)?.state, 'failed');
    await pebble.resolveTo(name, '127.0.0.1');
    await untilServed(g, name, async () => ((await storedSerial(name)) === first ? 'not yet' : storedSerial(name)));
    assert.deepEqual(g.gateway.notReady(), []);
    assert.ok((await metricValue(g.metrics, 'rundock_gateway_acme_orders_total', { outcome: 'ok' })) >= 2);
  });

  it('etcd down during a renewal: the certificate keeps serving, the renewal completes once etcd is back', async () => {
    const { g, name, first } = await servedHostname();
    await etcd.stop();
    // Renewal is due 13 s after issue; it cannot take its lock meanwhile.
    await untilFailing(g, name, 30_000, 'the renewal fails while etcd is down');
    assert.equal((await httpsGet(g.httpsPort, name, root, '/', { allowExpired: true })).serial, first);
    await etcd.start();
    await waitFor(
      orFalse(async () => (await storedSerial(name)) !== first),
      40_000,
      100,
      'renewed after etcd is back',
    );
    await untilServed(g, name, () => storedSerial(name));
    assert.ok((await client.getAll().prefix(ACME_CERTS_PREFIX).keys()).includes(certificateKey(name)));
  });

  it("two gateways install the one certificate (same serial) after a dead frontend's order lock expires", async () => {
    const name = hostname();
    // A frontend that died mid-order: its lock stays until its lease (5 s, not kept alive) runs out.
    const dead = client.lease(5, { autoKeepAlive: false });
    await client
      .put(lockKey(name))
      .value('dead-frontend')
      .lease(await dead.grant())
      .exec();
    // Two frontends of one domain; the CA reaches `a` only: when `b` orders, `a` answers from the token in etcd.
    const a = await acmeGateway({ retryMs: 500, holder: 'a' });
    const b = await acmeGateway({ retryMs: 500, holder: 'b', port: await freePort(), domain: a.domain });
    await announce(client, a.domain, 'shop', 'node-back-1', backend.port);
    await claimRoutes(client, a.domain, 'shop', 'node-back-1', [name]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if ((await client.get(lockKey(name)).string()) === 'dead-frontend')
      assert.equal(await storedSerial(name), undefined, 'nobody orders while the dead frontend holds the lock');
    // The lock's 5 s, the order, then each gateway's reload: a busy machine takes its time.
    const stored = (): Promise<string | undefined> => storedSerial(name);
    await Promise.all([untilServed(a, name, stored), untilServed(b, name, stored)]);
    const serials = [
      (await httpsGet(a.httpsPort, name, root)).serial,
      (await httpsGet(b.httpsPort, name, root)).serial,
    ];
    const serial = await stored();
    assert.ok(serial !== undefined);
    assert.deepEqual(serials, [serial, serial], 'both serve the stored certificate');
    dead.release();
  });
});
