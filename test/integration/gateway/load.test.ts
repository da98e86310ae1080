/**
 * Reloads under load: wrk sends requests through nginx while instance changes (two instances always live) each force
 * a render, an `nginx -t` and a graceful reload, one after the other. No request may fail.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { announce, get, startBackend, withdraw, type Backend } from './backends.js';
import { orFalse, waitFor } from '../../support/wait.js';
import { setupGateway, type GatewayUnderTest } from './setup.js';
import { runWrk, type WrkResult } from './wrk.js';
import { claimRoutes, unclaimRoutes } from './https-client.js';

/** wrk's run; the changes go on, one after the other, as long as it runs (at most MAX_CHANGES). */
const SECONDS = 12;
const MAX_CHANGES = 100;
const HOST = 'grafana.example.com';

let etcd: EtcdProcess;
let client: Etcd3;
let g: GatewayUnderTest | undefined;
const backends: Backend[] = [];

before(async () => {
  etcd = await startEtcd();
  client = new Etcd3({ hosts: [etcd.endpoint] });
  for (const name of ['b1', 'b2', 'b3', 'b4']) backends.push(await startBackend(name));
});
after(async () => {
  await g?.stop();
  await Promise.all(backends.map((b) => b.close()));
  client?.close();
  await etcd?.kill();
});

function port(i: number): number {
  const b = backends[i];
  if (b === undefined) throw new Error(`no backend ${i}`);
  return b.port;
}

/** Change i: h3 and h4 come and go in turn; h1 and h2 stay, so every render has live instances. */
async function change(domain: string, i: number): Promise<{ host: string; announced: boolean }> {
  const host = i % 4 < 2 ? 'h3' : 'h4';
  const announced = i % 2 === 0;
  if (announced) await announce(client, domain, 'grafana', host, port(host === 'h3' ? 2 : 3));
  else await withdraw(client, domain, 'grafana', host);
  return { host, announced };
}

/** Waits until the rendered upstreams have these backends' ports and not those, and that render has reloaded nginx. */
async function settled(gateway: GatewayUnderTest, has: number[], hasNot: number[], what: string): Promise<void> {
  const rendered = async (): Promise<boolean> => {
    const conf = await readFile(gateway.file, 'utf8');
    const serves = (p: number): boolean => new RegExp(`server \\S+:${p}[; ]`).test(conf);
    return has.every(serves) && !hasNot.some(serves);
  };
  await waitFor(orFalse(rendered), 5000, 20, what);
  await gateway.gateway.idle();
}

describe('rundock gateway under load', () => {
  it('instance changes, each applied through a reload while wrk runs: zero failed requests', async (t) => {
    g = await setupGateway({ routes: [`${HOST}=grafana`], source: () => ({ etcd: { hosts: [etcd.endpoint] } }) });
    const gateway = g;
    await announce(client, gateway.domain, 'grafana', 'h1', port(0));
    await announce(client, gateway.domain, 'grafana', 'h2', port(1));
    await settled(gateway, [port(0), port(1)], [], 'h1 and h2 rendered');
    assert.equal((await get(gateway.port, HOST)).status, 200, 'h1 and h2 serve');
    const url = `http://127.0.0.1:${gateway.port}/`;
    // New connections (every request its own) and keep-alive connections, side by side.
    const fresh = runWrk({ url, seconds: SECONDS, connections: 8, headers: [`Host: ${HOST}`, 'Connection: close'] });
    const keepAlive = runWrk({ url, seconds: SECONDS, connections: 8, headers: [`Host: ${HOST}`] });
    let running = true;
    const results = Promise.all([fresh, keepAlive]).finally(() => (running = false));
    let changes = 0;
    let reloads = 0;
    // One change at a time, each waited for until nginx has reloaded with it, for as long as wrk runs.
    while (running && changes < MAX_CHANGES) {
      const before = await gateway.reloads();
      const { host, announced } = await change(gateway.domain, changes++);
      // Bounded generously: wrk holds both cores, and how fast nginx reloads then is not what this test checks.
      await gateway.reloadedAfter(before, 20_000);
      // The next change only once this one is rendered: two in one render could cancel out (no reload to count).
      const instance = port(host === 'h3' ? 2 : 3);
      await settled(gateway, announced ? [instance] : [], announced ? [] : [instance], `${host} rendered`);
      reloads += (await gateway.reloads()) - before;
    }
    const [closeResult, keepAliveResult] = await results;
    t.diagnostic(`${changes} changes, ${reloads} reloads during the run`);
    t.diagnostic(
      `new connection per request: ${closeResult.requests} requests, ${closeResult.non2xx} non-2xx, socket errors ${JSON.stringify(closeResult.errors)}`,
    );
    t.diagnostic(
      `keep-alive connections: ${keepAliveResult.requests} requests, ${keepAliveResult.non2xx} non-2xx, socket errors ${JSON.stringify(keepAliveResult.errors)}`,
    );
    assert.ok(changes > 0 && reloads >= changes, `every change reloaded nginx: ${changes} changes, ${reloads} reloads`);
    assert.ok(closeResult.requests > 0 && keepAliveResult.requests > 0, 'wrk ran');
    assert.equal(closeResult.non2xx, 0, closeResult.output);
    assert.equal(closeResult.socketErrors, 0, closeResult.output);
    assert.equal(keepAliveResult.non2xx, 0, keepAliveResult.output);
  });

  it('20 route changes (routes of other hostnames added, moved, removed), one reload each, while wrk runs: zero failed', async (t) => {
    const gateway =
      g ??
      (g = await setupGateway({ routes: [`${HOST}=grafana`], source: () => ({ etcd: { hosts: [etcd.endpoint] } }) }));
    await announce(client, gateway.domain, 'grafana', 'h1', port(0));
    await announce(client, gateway.domain, 'shop', 'h1', port(1));
    // Both rendered and reloaded before the first route change counts its reloads.
    await settled(gateway, [port(0), port(1)], [], 'grafana and shop rendered');
    assert.equal((await get(gateway.port, HOST)).status, 200, 'grafana serves');
    const url = `http://127.0.0.1:${gateway.port}/`;
    let changing = true;
    const runs: WrkResult[] = [];
    // wrk in short runs, back to back, for as long as the changes last (a run is bounded to 20 s).
    const load = (async () => {
      while (changing)
        runs.push(await runWrk({ url, seconds: 3, connections: 8, headers: [`Host: ${HOST}`, 'Connection: close'] }));
    })();
    const reloadsPerChange: number[] = [];
    for (let i = 0; i < ROUTE_CHANGES; i++) {
      const before = await gateway.reloads();
      await routeChange(gateway.domain, i);
      await gateway.reloadedAfter(before, 20_000);
      await gateway.gateway.idle();
      reloadsPerChange.push((await gateway.reloads()) - before);
    }
    const shop = (await get(gateway.port, 'r18.example.com', '/b/')).body;
    changing = false;
    await load;
    const requests = runs.reduce((n, r) => n + r.requests, 0);
    const failed = runs.reduce((n, r) => n + r.non2xx + r.socketErrors, 0);
    t.diagnostic(
      `${ROUTE_CHANGES} route changes, reloads per change ${JSON.stringify(reloadsPerChange)}; ${requests} requests, ${failed} failed`,
    );
    assert.deepEqual(reloadsPerChange, new Array<number>(ROUTE_CHANGES).fill(1), 'one reload per route change');
    assert.ok(requests > 0, 'wrk ran');
    assert.equal(failed, 0, runs.map((r) => r.output).join('\n'));
    assert.equal(shop, 'backend b2\n', 'the last route change serves');
  });
});

const ROUTE_CHANGES = 20;

/** Change i: a route of r<i>.example.com is added for shop, then moved to another path, then removed, in turn. */
async function routeChange(domain: string, i: number): Promise<void> {
  const hostname = `r${i - (i % 3)}.example.com`;
  if (i % 3 === 0) await claimRoutes(client, domain, 'shop', 'h1', [hostname]);
  else if (i % 3 === 1) await claimRoutes(client, domain, 'shop', 'h1', [`${hostname}/b`]);
  else await unclaimRoutes(client, 'shop', 'h1');
}
