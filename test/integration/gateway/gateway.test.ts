/**
 * rundock gateway against a real etcd and a real nginx: records written as the agent writes them become nginx
 * upstreams with the announced ports; failed checks never replace a working config.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { announce, get, metricValue, startBackend, withdraw, type Backend } from './backends.js';
import { orFalse, waitFor } from '../../support/wait.js';
import { setupGateway, type GatewayUnderTest } from './setup.js';

let etcd: EtcdProcess;
let client: Etcd3;
const backends: Backend[] = [];
const gateways: GatewayUnderTest[] = [];

before(async () => {
  etcd = await startEtcd();
  client = new Etcd3({ hosts: [etcd.endpoint] });
  for (const name of ['b1', 'b2', 'b3']) backends.push(await startBackend(name));
});
after(async () => {
  for (const g of gateways) await g.stop().catch(() => undefined);
  await Promise.all(backends.map((b) => b.close()));
  client?.close();
  await etcd?.kill();
});

function backend(i: number): Backend {
  const b = backends[i];
  if (b === undefined) throw new Error(`no backend ${i}`);
  return b;
}

async function gatewayFor(o: Omit<Parameters<typeof setupGateway>[0], 'source'>): Promise<GatewayUnderTest> {
  const g = await setupGateway({ ...o, source: () => ({ etcd: { hosts: [etcd.endpoint] } }) });
  gateways.push(g);
  return g;
}

/** The set of backend bodies answering `count` requests through the route. */
async function bodies(g: GatewayUnderTest, hostname: string, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add((await get(g.port, hostname)).body.trim());
  return seen;
}

describe('rundock gateway (etcd + nginx)', () => {
  it('an announced service is reachable through nginx within 2 s, with no port typed anywhere', async () => {
    const g = await gatewayFor({ routes: ['grafana.example.com=grafana'] });
    assert.equal((await get(g.port, 'grafana.example.com')).status, 502); // routed, nothing announced yet
    const started = performance.now();
    await announce(client, g.domain, 'grafana', 'node-back-1', backend(0).port);
    await waitFor(
      orFalse(async () => (await get(g.port, 'grafana.example.com')).body === 'backend b1\n'),
      2000,
      20,
      'grafana answers through nginx',
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    assert.match(await readFile(g.file, 'utf8'), new RegExp(`server 127\\.0\\.0\\.1:${backend(0).port};`));
  });

  it('a removed instance leaves the upstream: requests stop going to it', async () => {
    const g = await gatewayFor({ routes: ['grafana.example.com=grafana'] });
    await announce(client, g.domain, 'grafana', 'h1', backend(0).port);
    await announce(client, g.domain, 'grafana', 'h2', backend(1).port);
    await waitFor(
      orFalse(async () => (await bodies(g, 'grafana.example.com', 4)).size === 2),
      3000,
      20,
      'both instances serve',
    );
    await withdraw(client, g.domain, 'grafana', 'h1');
    // Old workers finish what they hold (a keep-alive connection may get one more answer from the old config).
    await waitFor(
      orFalse(async () => (await bodies(g, 'grafana.example.com', 4)).has('backend b1') === false),
      2000,
      20,
      'requests stop reaching b1',
    );
    assert.deepEqual(await bodies(g, 'grafana.example.com', 20), new Set(['backend b2']));
    assert.doesNotMatch(await readFile(g.file, 'utf8'), new RegExp(`:${backend(0).port};`));
  });

  it('with --only-routed, a routed service serves and another one announced or withdrawn reloads nothing', async () => {
    const g = await gatewayFor({ routes: ['grafana.example.com=grafana'], onlyRouted: true });
    await announce(client, g.domain, 'grafana', 'h1', backend(0).port);
    await waitFor(
      orFalse(async () => (await get(g.port, 'grafana.example.com')).body === 'backend b1\n'),
      3000,
      20,
      'grafana answers through nginx',
    );
    await g.gateway.idle();
    const reloads = await g.reloads();
    await announce(client, g.domain, 'influxdb', 'h1', backend(1).port);
    await announce(client, g.domain, 'influxdb', 'h2', backend(2).port);
    await withdraw(client, g.domain, 'influxdb', 'h2');
    await new Promise((r) => setTimeout(r, 1000)); // the debounce (50 ms) and a render, many times over
    await g.gateway.idle();
    assert.equal(await g.reloads(), reloads, 'no reload for a service no route names');
    const text = await readFile(g.file, 'utf8');
    assert.doesNotMatch(text, /rundock_influxdb/);
    assert.match(text, new RegExp(`server 127\\.0\\.0\\.1:${backend(0).port};`));
  });

  it('an empty upstream passes nginx -t and answers 502 at once', async () => {
    const g = await gatewayFor({ upstreams: ['api'], routes: ['api.example.com=api'] });
    assert.match(await readFile(g.file, 'utf8'), /upstream rundock_api \{\n {4}server 127\.0\.0\.1:1 down;/);
    const started = performance.now();
    const response = await get(g.port, 'api.example.com');
    const elapsed = performance.now() - started;
    assert.equal(response.status, 502);
    assert.ok(elapsed < 200, `502 took ${elapsed} ms`);
    assert.equal(await metricValue(g.metrics, 'rundock_gateway_validation_failures_total'), 0);
  });

  it('a render that fails nginx -t leaves the previous config serving, is counted, and the next valid change applies', async () => {
    const g = await gatewayFor({ routes: ['grafana.example.com=grafana'] });
    await announce(client, g.domain, 'grafana', 'h1', backend(0).port);
    await waitFor(
      orFalse(async () => (await get(g.port, 'grafana.example.com')).status === 200),
      3000,
      20,
      'grafana serves',
    );
    // A hand-written snippet that is fine today but clashes with the upstream a new service `clash` will get.
    await writeFile(join(g.nginx.extraDir, 'clash.conf'), 'upstream rundock_clash { server 127.0.0.1:9; }\n');
    const good = await readFile(g.file, 'utf8');
    await announce(client, g.domain, 'clash', 'h1', backend(2).port);
    await waitFor(
      orFalse(async () => (await metricValue(g.metrics, 'rundock_gateway_validation_failures_total')) >= 1),
      3000,
      20,
      'nginx -t failure counted',
    );
    assert.equal(await readFile(g.file, 'utf8'), good);
    assert.equal((await get(g.port, 'grafana.example.com')).body, 'backend b1\n');
    assert.equal(g.gateway.status().lastResult?.outcome, 'invalid');
    assert.match(g.gateway.status().lastResult?.error ?? '', /duplicate upstream "rundock_clash"/);
    await withdraw(client, g.domain, 'clash', 'h1');
    await announce(client, g.domain, 'grafana', 'h2', backend(1).port);
    await waitFor(
      orFalse(async () => (await bodies(g, 'grafana.example.com', 4)).has('backend b2')),
      3000,
      20,
      'the next valid change serves',
    );
  });

  it('an invalid template leaves the previous config serving, is counted, and a fixed one applies', async () => {
    const template = (marker: string): string =>
      `{{upstream_blocks}}\n{{#routes}}server {\n    listen 127.0.0.1:PORT;\n    server_name {{hostname}};\n    location / { proxy_pass http://{{upstream}}; add_header X-Template ${marker}; }\n}\n{{/routes}}`;
    const g = await gatewayFor({ routes: ['grafana.example.com=grafana'], template: template('v1') });
    const templateFile = join(g.nginx.prefix, 'gateway.tmpl');
    const header = async (): Promise<string | null> =>
      String((await get(g.port, 'grafana.example.com')).headers['x-template'] ?? '') || null;
    await announce(client, g.domain, 'grafana', 'h1', backend(0).port);
    await waitFor(
      orFalse(async () => (await get(g.port, 'grafana.example.com')).status === 200 && (await header()) === 'v1'),
      3000,
      20,
      'the template serves',
    );
    await writeFile(templateFile, '{{#routes}}server_name {{hostname}};\n'); // never closed
    await announce(client, g.domain, 'grafana', 'h2', backend(1).port);
    await waitFor(
      orFalse(async () => (await metricValue(g.metrics, 'rundock_gateway_renders_total', { outcome: 'error' })) >= 1),
      3000,
      20,
      'the render failure is counted',
    );
    assert.equal(await header(), 'v1');
    assert.equal((await get(g.port, 'grafana.example.com')).status, 200);
    assert.match(g.gateway.status().lastResult?.error ?? '', /line 1: \{\{#routes\}\} is never closed/);
    await writeFile(templateFile, template('v2').replaceAll('PORT', String(g.port)));
    await withdraw(client, g.domain, 'grafana', 'h2');
    await waitFor(
      orFalse(async () => (await header()) === 'v2'),
      3000,
      20,
      'the fixed template serves',
    );
  });

  it('with etcd unreachable the last good config keeps serving; changes apply once it is back', async () => {
    const g = await gatewayFor({ routes: ['grafana.example.com=grafana'] });
    await announce(client, g.domain, 'grafana', 'h1', backend(0).port);
    await waitFor(
      orFalse(async () => (await get(g.port, 'grafana.example.com')).status === 200),
      3000,
      20,
      'grafana serves',
    );
    await g.gateway.idle(); // new workers may serve before the reload that started them is counted
    const reloads = await g.reloads();
    await etcd.stop();
    await waitFor(
      orFalse(async () => g.gateway.status().feed !== 'watching'),
      10_000,
      20,
      'the feed reports the outage',
    );
    assert.equal((await get(g.port, 'grafana.example.com')).body, 'backend b1\n');
    assert.equal(await g.reloads(), reloads);
    await etcd.start();
    await waitFor(
      orFalse(async () => g.gateway.status().feed === 'watching'),
      20_000,
      20,
      'the feed watches again',
    );
    await announce(client, g.domain, 'grafana', 'h2', backend(1).port);
    await waitFor(
      orFalse(async () => (await bodies(g, 'grafana.example.com', 4)).has('backend b2')),
      5000,
      20,
      'the new instance serves',
    );
  });
});
