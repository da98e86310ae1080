/**
 * `rundock dns --public-name www.example.com=www` against a real Knot DNS as the public zone's primary (TSIG, and an
 * ACL that lets the key update www.example.com only): the frontends announced as www in etcd become the A records
 * of www.example.com, added and removed as they come and go; the rest of the zone is never changed; Knot stopped
 * and started again gets the records it missed; a wrong key is one clear error. docs/gateway.md, "The public zone".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { recordKey } from '../../../src/registry/path.js';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { waitFor } from '../../support/wait.js';
import { startDnsProcess, type DnsProcess } from './dns-process.js';
import { startKnot, type KnotProcess } from './knot-process.js';

const DOMAIN = 's.prod.example.com';
const www = (host: string): string => recordKey(DOMAIN, 'www', host);
const frontend = (ip: string): string => JSON.stringify({ host: ip, ttl: 1 });

let etcd: EtcdProcess;
let knot: KnotProcess;
let client: Etcd3;

before(async () => {
  [etcd, knot] = await Promise.all([startEtcd(), startKnot(['www.example.com'])]);
  client = new Etcd3({ hosts: [etcd.endpoint] });
});
after(async () => {
  client?.close();
  await Promise.all([etcd?.kill(), knot?.kill()]);
});

const publicArgs = (keyFile: string): string[] => [
  '--public-name',
  'www.example.com=www',
  '--update-server',
  `127.0.0.1:${knot.port}`,
  '--tsig-key-file',
  keyFile,
];
const www_ = async (): Promise<string> => JSON.stringify(await knot.addresses('www.example.com'));
const holds = (ips: string[]) => async (): Promise<boolean> => (await www_()) === JSON.stringify(ips);
const readyz = async (dns: DnsProcess): Promise<string> =>
  (await fetch(`http://127.0.0.1:${dns.metricsPort}/readyz`)).text();
const metric = async (dns: DnsProcess, line: RegExp): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${dns.metricsPort}/metrics`)).text();
  return Number(line.exec(text)?.[1] ?? NaN);
};

describe('the public zone kept at a Knot primary by RFC 2136 + TSIG', () => {
  let dns: DnsProcess;
  before(async () => {
    dns = await startDnsProcess({ etcd: etcd.endpoint, domain: DOMAIN, args: publicArgs(knot.keyFile) });
  });
  after(async () => dns?.stop());

  it('adds and removes the frontends as they come and go; the rest of the zone stays as it was', async () => {
    await client.put(www('node-front-1')).value(frontend('10.78.0.11'));
    await client.put(www('node-front-2')).value(frontend('10.78.0.12'));
    const addedMs = await waitFor(holds(['10.78.0.11', '10.78.0.12']), 5000, 20);
    await client.delete().key(www('node-front-2'));
    const removedMs = await waitFor(holds(['10.78.0.11']), 5000, 20);
    assert.ok(removedMs <= 1000, `removed ${removedMs} ms after the delete`);
    assert.deepEqual(await knot.addresses('mail.example.com'), ['192.0.2.25'], 'other names untouched');
    assert.match(dns.logs(), /"msg":"public zone updated"/);
    assert.ok(addedMs <= 5000);
    // The last frontend gone: the name keeps its address rather than answering nothing.
    await client.delete().key(www('node-front-1'));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await www_(), JSON.stringify(['10.78.0.11']));
    assert.match(dns.logs(), /no live frontend announces this name; it keeps its last addresses/);
    await client.put(www('node-front-1')).value(frontend('10.78.0.11'));
  });

  it('Knot down, then back: reported meanwhile, and given what it missed', async () => {
    await knot.stop();
    try {
      await client.put(www('node-front-2')).value(frontend('10.78.0.12'));
      await waitFor(async () => (await readyz(dns)).includes('public zone: the primary'), 10_000, 100);
      assert.ok((await metric(dns, /rundock_dns_public_updates_total\{outcome="error"\} (\d+)/)) >= 1);
      assert.equal(await metric(dns, /rundock_dns_public_zone_synced (\d+)/), 0);
    } finally {
      await knot.start();
    }
    const convergedMs = await waitFor(holds(['10.78.0.11', '10.78.0.12']), 10_000, 50);
    assert.ok(convergedMs <= 6000, `converged ${convergedMs} ms after Knot started`);
    await waitFor(async () => (await readyz(dns)) === 'ready\n', 2000, 50);
    assert.equal(await metric(dns, /rundock_dns_public_zone_synced (\d+)/), 1);
  });
});

describe('a wrong TSIG key', () => {
  it('is one clear error, naming the key and the file, never the secret; the zone is not changed', async () => {
    const before = await www_();
    const dns = await startDnsProcess({ etcd: etcd.endpoint, domain: DOMAIN, args: publicArgs(knot.badKeyFile) });
    try {
      await client.put(www('node-front-3')).value(frontend('10.78.0.13'));
      await waitFor(async () => /refused the TSIG key/.test(dns.logs()), 10_000, 50);
      await new Promise((r) => setTimeout(r, 3000)); // a few retries
      const lines = dns
        .logs()
        .split('\n')
        .filter((l) => /refused the TSIG key/.test(l));
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(
        lines[0] ?? '',
        /refused the TSIG key \\"rundock-public\\" \(.*BADSIG.*\): --tsig-key-file \S+bad\.key/,
      );
      assert.match(await readyz(dns), /refused the TSIG key/);
      assert.equal(await www_(), before);
    } finally {
      await dns.stop();
      await client.delete().key(www('node-front-3'));
    }
  });
});
