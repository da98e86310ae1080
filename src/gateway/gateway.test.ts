/**
 * startGateway over an in-memory feed, with `true`/`false` standing in for nginx (`command` reloads): when it
 * renders and when it must not. Real nginx and etcd: test/integration/gateway/.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { FanOutFeed, type FeedState, type ZoneSink } from '../registry/feed.js';
import { domainPrefix, recordKey } from '../registry/path.js';
import { startGateway, type Gateway } from './gateway.js';
import { gatewayRenderOptions } from './options.js';

const DOMAIN = 's.prod.example.com';
const record = (service: string, host: string, port: number): [string, string] => [
  recordKey(DOMAIN, service, host),
  JSON.stringify({ host: '10.0.0.5', port }),
];

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rundock-gw-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A gateway whose feed the test drives; `nginx` is the program run for `nginx -t` and `-s reload`. */
async function start(
  nginx: '/bin/true' | '/bin/false',
  name: string,
): Promise<{ gateway: Gateway; sink: ZoneSink; setState: (s: FeedState) => void; file: string }> {
  // The fan-out alone, without a driver: the test writes the records and sets the state.
  const feed = new FanOutFeed(domainPrefix(DOMAIN));
  const file = join(dir, `${name}.conf`);
  const gateway = await startGateway({
    domain: DOMAIN,
    feeds: { feed: () => Promise.resolve(feed) },
    file,
    render: gatewayRenderOptions({ domain: DOMAIN, upstreams: ['api'] }),
    nginx: { bin: nginx, reload: 'command' },
    debounce: { minQuietMs: 10, maxWaitMs: 50 },
    log: pino({ level: 'silent' }),
  });
  return { gateway, sink: feed, setState: (state) => feed.setState(state), file };
}

async function settle(gateway: Gateway): Promise<void> {
  await sleep(30);
  await gateway.idle();
}

describe('startGateway', () => {
  it('renders nothing before the feed has loaded, then renders once it watches', async () => {
    const { gateway, sink, setState, file } = await start('/bin/true', 'loading');
    sink.replaceAll([record('grafana', 'node-back-1', 8087)]);
    await settle(gateway);
    await assert.rejects(readFile(file, 'utf8'), /ENOENT/);
    setState('watching');
    await settle(gateway);
    assert.match(await readFile(file, 'utf8'), /upstream rundock_grafana \{\n {4}server 10\.0\.0\.5:8087;/);
    assert.equal(gateway.status().lastResult?.outcome, 'reloaded');
    await gateway.stop();
  });

  it('keeps the last config while the feed is disconnected and applies what changed once it is back', async () => {
    const { gateway, sink, setState, file } = await start('/bin/true', 'disconnected');
    setState('watching');
    sink.replaceAll([record('grafana', 'node-back-1', 8087)]);
    await settle(gateway);
    const before = await readFile(file, 'utf8');
    setState('disconnected');
    sink.put(...record('grafana', 'node-back-2', 9000));
    await settle(gateway);
    assert.equal(await readFile(file, 'utf8'), before);
    setState('watching');
    await settle(gateway);
    assert.match(await readFile(file, 'utf8'), /server 10\.0\.0\.5:9000;/);
    await gateway.stop();
  });

  it('keeps a service rendered once as a placeholder when its last instance goes, and counts skipped records', async () => {
    const { gateway, sink, setState, file } = await start('/bin/true', 'sticky');
    setState('watching');
    sink.replaceAll([record('grafana', 'node-back-1', 8087), [recordKey(DOMAIN, 'web', 'h1'), '{"host":"10.0.0.5"}']]);
    await settle(gateway);
    sink.delete(recordKey(DOMAIN, 'grafana', 'node-back-1'));
    await settle(gateway);
    assert.match(await readFile(file, 'utf8'), /upstream rundock_grafana \{\n {4}server 127\.0\.0\.1:1 down;/);
    assert.equal(gateway.status().skipped, 1);
    assert.equal(
      (await gateway.metrics.registry.getSingleMetric('rundock_gateway_records_skipped')?.get())?.values.find(
        (v) => v.labels.reason === 'no_port',
      )?.value,
      1,
    );
    await gateway.stop();
  });

  it('counts a failed nginx -t and writes nothing', async () => {
    const { gateway, sink, setState, file } = await start('/bin/false', 'invalid');
    setState('watching');
    sink.replaceAll([record('grafana', 'node-back-1', 8087)]);
    await settle(gateway);
    await assert.rejects(readFile(file, 'utf8'), /ENOENT/);
    assert.equal(gateway.status().lastResult?.outcome, 'invalid');
    assert.equal(
      (await gateway.metrics.registry.getSingleMetric('rundock_gateway_validation_failures_total')?.get())?.values[0]
        ?.value,
      1,
    );
    await gateway.stop();
  });
});
