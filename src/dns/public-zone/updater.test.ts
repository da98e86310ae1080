import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { recordKey } from '../../registry/path.js';
import { PublicZoneUpdater } from './updater.js';
import { PublicZoneError } from './nsupdate.js';

const DOMAIN = 's.prod.example.com';
const www = (host: string): string => recordKey(DOMAIN, 'www', host);
const rec = (ip: string): string => JSON.stringify({ host: ip, ttl: 1 });
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

function updater(send: (script: string) => Promise<void>): PublicZoneUpdater {
  return new PublicZoneUpdater({
    domain: DOMAIN,
    names: [{ name: 'www.example.com', self: 'www' }],
    server: { host: '192.0.2.53', port: 53 },
    key: { file: '/k', name: 'rundock-public', algorithm: 'hmac-sha256' },
    ttl: 5,
    log: pino({ level: 'silent' }),
    send,
  });
}

describe('PublicZoneUpdater', () => {
  it("sends the frontends' addresses once the feed has loaded, and again only when they change", async () => {
    const sent: string[] = [];
    const u = updater(async (s) => void sent.push(s));
    u.replaceAll([
      [www('node-front-1'), rec('10.78.0.11')],
      [www('node-front-2'), rec('10.78.0.12')],
      [recordKey(DOMAIN, 'grafana', 'node-back-1'), rec('10.77.0.21')],
    ]);
    await settle();
    assert.deepEqual(sent, [], 'nothing before the first load');
    u.feedState('watching');
    await settle();
    assert.deepEqual(sent, [
      [
        'server 192.0.2.53 53',
        'update delete www.example.com. A',
        'update add www.example.com. 5 A 10.78.0.11',
        'update add www.example.com. 5 A 10.78.0.12',
        'update delete www.example.com. AAAA',
        'send',
        '',
      ].join('\n'),
    ]);
    u.put(recordKey(DOMAIN, 'grafana', 'node-front-2'), rec('10.77.0.12'));
    u.put(www('node-front-1'), rec('10.78.0.11'));
    await settle();
    assert.equal(sent.length, 1, 'other names and unchanged addresses send nothing');
    u.delete(www('node-front-2'));
    await settle();
    assert.match(sent[1] ?? '', /add www\.example\.com\. 5 A 10\.78\.0\.11\nupdate delete www\.example\.com\. AAAA/);
    assert.deepEqual(u.status().names, [{ name: 'www.example.com', wanted: ['10.78.0.11'], sent: ['10.78.0.11'] }]);
    u.stop();
  });

  it('never empties a name: with no frontend left it keeps its last addresses', async () => {
    const sent: string[] = [];
    const u = updater(async (s) => void sent.push(s));
    u.feedState('watching');
    u.replaceAll([[www('node-front-1'), rec('10.78.0.11')]]);
    await settle();
    u.delete(www('node-front-1'));
    await settle();
    assert.equal(sent.length, 1);
    u.stop();
  });

  it('retries a failed update with backoff, reports it, and converges on the newest addresses', async () => {
    const sent: string[] = [];
    let down = true;
    const u = updater(async (s) => {
      if (down) throw new PublicZoneError('; communications error to 192.0.2.53#53: timed out', 'unreachable');
      sent.push(s);
    });
    u.feedState('watching');
    u.replaceAll([[www('node-front-1'), rec('10.78.0.11')]]);
    await settle();
    assert.match(
      u.notReady() ?? '',
      /^public zone: the primary 192\.0\.2\.53:53 did not take the update of www\.example\.com: ; communications error/,
    );
    u.put(www('node-front-2'), rec('10.78.0.12'));
    down = false;
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(sent.length, 1);
    assert.match(sent[0] ?? '', /10\.78\.0\.11\nupdate add www\.example\.com\. 5 A 10\.78\.0\.12/);
    assert.equal(u.notReady(), undefined);
    u.stop();
  });
});
