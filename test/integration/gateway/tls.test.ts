/**
 * Certificates brought by the operator (`--certificate CERT,KEY`), against a real nginx and etcd: a wildcard serves
 * its names and its wildcard route; a hostname without a usable certificate is served over plain HTTP alone while the
 * others keep HTTPS (a missing file never fails `nginx -t` for everyone); unknown names get no certificate.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { announce, get, startBackend, type Backend } from './backends.js';
import { claimRoutes, httpsGet } from './https-client.js';
import { orFalse, waitFor } from '../../support/wait.js';
import { setupGateway, type GatewayUnderTest } from './setup.js';

const run = promisify(execFile);

let etcd: EtcdProcess;
let client: Etcd3;
let backend: Backend;
let dir: string;
let g: GatewayUnderTest | undefined;

/** A self-signed certificate (its own CA) for `names`, as files in `dir`. */
async function certificate(name: string, names: string[]): Promise<{ cert: string; key: string; pem: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'],
    ...['-keyout', key, '-out', cert, '-subj', `/CN=${names[0]}`],
    ...['-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`],
  ]);
  return { cert, key, pem: await readFile(cert, 'utf8') };
}

before(async () => {
  [etcd, backend, dir] = await Promise.all([
    startEtcd(),
    startBackend('app'),
    mkdtemp(join(tmpdir(), 'rundock-brought-')),
  ]);
  client = new Etcd3({ hosts: [etcd.endpoint] });
});
after(async () => {
  await g?.stop();
  await backend?.close();
  client?.close();
  await etcd?.kill();
  await rm(dir, { recursive: true, force: true });
});

describe('certificates brought by the operator', () => {
  it('a wildcard serves its names and its wildcard route; a hostname it does not cover stays plain HTTP', async () => {
    const wild = await certificate('wild', ['*.tls.example.com']);
    const shop = await certificate('shop', ['shop.example.net']);
    g = await setupGateway({
      source: () => ({ etcd: { hosts: [etcd.endpoint] } }),
      tls: async (_feeds, directory) => ({
        certificates: [
          { certFile: wild.cert, keyFile: wild.key },
          { certFile: shop.cert, keyFile: shop.key },
        ],
        directory,
      }),
    });
    const gw = g;
    await announce(client, gw.domain, 'app', 'node-1', backend.port);
    await claimRoutes(client, gw.domain, 'app', 'node-1', [
      '*.tls.example.com',
      'a.tls.example.com',
      'shop.example.net',
      'plain.example.org',
    ]);
    await waitFor(
      orFalse(async () => (await httpsGet(gw.httpsPort, 'shop.example.net', shop.pem)).status === 200),
      10_000,
      50,
      'shop over HTTPS',
    );
    await gw.gateway.idle();
    assert.equal((await httpsGet(gw.httpsPort, 'a.tls.example.com', wild.pem)).body, 'backend app\n');
    assert.equal(
      (await httpsGet(gw.httpsPort, 'b.tls.example.com', wild.pem)).body,
      'backend app\n',
      'the wildcard route',
    );
    assert.equal((await get(gw.port, 'plain.example.org')).body, 'backend app\n', 'no certificate: plain HTTP');
    assert.equal((await get(gw.port, 'a.tls.example.com')).status, 308);
    assert.match((await httpsGet(gw.httpsPort, 'plain.example.org', wild.pem)).error ?? '', /unrecognized name/);
    assert.equal((await get(gw.port, 'nobody.example.org')).status, 404);
    const states = Object.fromEntries(gw.gateway.status().certificates.map((c) => [c.hostname, c.source]));
    assert.deepEqual(states, {
      '*.tls.example.com': 'brought',
      'a.tls.example.com': 'brought',
      'plain.example.org': 'none',
      'shop.example.net': 'brought',
    });
  });

  it("a brought certificate's file gone bad: its hostname falls back to plain HTTP, the others keep HTTPS", async () => {
    const gw = g;
    assert.ok(gw !== undefined);
    const shop = await readFile(join(dir, 'shop.crt'), 'utf8');
    const wild = await readFile(join(dir, 'wild.crt'), 'utf8');
    await writeFile(join(dir, 'shop.key'), 'not a key\n');
    gw.gateway.refresh();
    await waitFor(
      orFalse(async () => (await get(gw.port, 'shop.example.net')).body === 'backend app\n'),
      10_000,
      50,
      'shop over plain HTTP',
    );
    await gw.gateway.idle();
    assert.equal(gw.gateway.status().lastResult?.outcome, 'reloaded', 'nginx -t passed');
    assert.equal((await httpsGet(gw.httpsPort, 'a.tls.example.com', wild)).body, 'backend app\n');
    assert.equal((await httpsGet(gw.httpsPort, 'shop.example.net', shop)).status, 0);
  });
});
