/**
 * Publishing an app by declaring its hostname, on a single machine: `rundock enable --route` through the agent's own
 * gateway (embedded registry, no etcd), with certificates from a real ACME CA (Pebble) kept in the agent's state
 * directory. HTTPS within the target, a path route of another service beside it, conflicts and bad routes refused
 * with nothing changed, a disabled service's route withdrawn, unknown hostnames answered with nothing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, waitFor, type AgentProcess } from '../agent-process.js';
import {
  ADDRESSES,
  containersOf,
  freePort,
  httpdCmd,
  IMAGE,
  removeContainers,
  rundock,
  uniqueName,
} from '../harness.js';
import { get as httpGet } from './backends.js';
import { httpsGet } from './https-client.js';
import { startNginx, type NginxProcess } from './nginx-process.js';
import { startPebble, type PebbleProcess } from './pebble.js';

const DOMAIN = 's.routes.example.com';
const SHOP = 'shop.routes.example.com';

describe('rundock enable --route, served by the agent gateway with automatic HTTPS', () => {
  let nginx: NginxProcess;
  let pebble: PebbleProcess;
  let agent: AgentProcess;
  let stateDir: string;
  let root: string;
  let httpPort: number;
  let httpsPort: number;
  const shop = uniqueName('shop');
  const api = uniqueName('api');
  const other = uniqueName('oth');

  const enable = (name: string, body: string, extra: readonly string[]): ReturnType<typeof rundock> =>
    rundock([
      ...['enable', name, '--image', IMAGE, '--cmd', httpdCmd(`echo ${body} > /www/index.html && `)],
      ...['--announce', 'auto', '--port', '8080', '--agent', agent.status, ...ADDRESSES, ...extra],
    ]);

  before(async () => {
    [nginx, httpPort, httpsPort, stateDir] = await Promise.all([
      startNginx(),
      freePort(),
      freePort(),
      mkdtemp(join(tmpdir(), 'rundock-routes-')),
    ]);
    pebble = await startPebble({ httpPort });
    root = await pebble.issuerRoot();
    const o = nginx.options;
    agent = await startAgent([
      ...['--domain', DOMAIN, '--hostname', 'single', '--state-dir', stateDir, '--stable-after', '1s', ...ADDRESSES],
      ...['--nginx-conf-dir', nginx.confDir, '--nginx', o.bin, '--nginx-prefix', o.prefix ?? ''],
      ...['--nginx-conf', o.conf ?? '', '--nginx-error-log', o.errorLog ?? '', '--nginx-pid-file', o.pidFile ?? ''],
      ...['--min-wait', '50ms', '--route-listen', `127.0.0.1:${httpPort}`, '--https-listen', `127.0.0.1:${httpsPort}`],
      ...['--acme-email', 'ops@example.com', '--acme-directory', pebble.directory, '--acme-ca-file', pebble.caFile],
    ]);
  });

  after(async () => {
    await removeContainers(shop, api, other);
    await agent?.stop();
    await Promise.all([nginx?.stop(), pebble?.stop()]);
    await rm(stateDir, { recursive: true, force: true });
  });

  // The promise is a minute; its 30 s target (order included) is the benchmark's (bench/gateway-https.ts).
  it('enable --route: HTTPS on the hostname within a minute (the order included), HTTP redirects, ps shows it', async (t) => {
    const started = performance.now();
    const enabled = await enable(shop, 'shop-home', ['--route', SHOP]);
    assert.equal(enabled.code, 0, enabled.stderr);
    await waitFor(async () => (await httpsGet(httpsPort, SHOP, root)).body === 'shop-home\n', 60_000, 100);
    const elapsed = performance.now() - started;
    t.diagnostic(`enable --route to the first HTTPS 200: ${Math.round(elapsed)} ms`);
    assert.ok(elapsed < 60_000, `HTTPS after ${Math.round(elapsed)} ms`);
    // HTTP redirects once nginx's workers of the configuration before the certificate have stopped accepting: during
    // a graceful reload, a new connection may still reach one of them for a moment (it proxies /x, the backend 404s).
    await waitFor(async () => (await httpGet(httpPort, SHOP, '/x')).status === 308, 5000, 50);
    const ps = await rundock(['ps', '--json', '--agent', agent.status]);
    const row = (JSON.parse(ps.stdout) as { services: { name: string; routes: string[] }[] }).services.find(
      (s) => s.name === shop,
    );
    assert.deepEqual(row?.routes, [SHOP]);
    // The certificate and the account key live in the state directory, readable by root alone.
    const acme = join(stateDir, 'acme');
    assert.equal((await stat(acme)).mode & 0o777, 0o700);
    for (const name of await readdir(join(acme, 'certs')))
      assert.equal((await stat(join(acme, 'certs', name))).mode & 0o777, 0o600);
  });

  it('a path route of another service on the same hostname: HTTPS at once (its certificate is there), prefix stripped', async () => {
    const started = performance.now();
    const enabled = await enable(api, 'api-home', ['--route', `${SHOP}/api`, '--strip-prefix']);
    assert.equal(enabled.code, 0, enabled.stderr);
    await waitFor(async () => (await httpsGet(httpsPort, SHOP, root, '/api/')).body === 'api-home\n', 10_000, 50);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 10_000, `served after ${Math.round(elapsed)} ms`);
    assert.equal((await httpsGet(httpsPort, SHOP, root, '/')).body, 'shop-home\n', 'the longest prefix wins');
  });

  it('refuses a route another service serves, a bad route and a route without announce: exit 2, nothing created', async () => {
    const taken = await enable(other, 'x', ['--route', `${SHOP}/api`]);
    assert.equal(taken.code, 2, taken.stderr);
    assert.equal(taken.stderr.trim().split('\n').length, 1, taken.stderr);
    assert.match(taken.stderr, new RegExp(`served by service ${api} \\(on single\\).*RUNDOCK_E_ROUTE_CONFLICT`));
    const dotted = await enable(other, 'x', ['--route', `${SHOP}/a/../api`]);
    assert.equal(dotted.code, 2, dotted.stderr);
    assert.match(dotted.stderr, /route.*\.\./);
    const bare = await rundock(['enable', other, '--image', IMAGE, '--route', 'x.routes.example.com', ...ADDRESSES]);
    assert.equal(bare.code, 2, bare.stderr);
    assert.match(bare.stderr, /needs announce/);
    assert.deepEqual(await containersOf(other), []);
  });

  it('a disabled service takes its route along; unknown hostnames get 404 and no certificate', async () => {
    assert.equal((await rundock(['disable', api, '--agent', agent.status])).code, 0);
    // /api/ falls to shop's route again: shop's httpd has no /api/, so its own 404.
    await waitFor(async () => (await httpsGet(httpsPort, SHOP, root, '/api/')).status === 404, 10_000, 50);
    assert.equal((await httpsGet(httpsPort, SHOP, root, '/')).body, 'shop-home\n', "shop's route stays");
    assert.equal((await httpGet(httpPort, 'nobody.routes.example.com')).status, 404);
    const unknown = await httpsGet(httpsPort, 'nobody.routes.example.com', root);
    assert.equal(unknown.status, 0);
    assert.match(unknown.error ?? '', /unrecognized name/);
  });
});
