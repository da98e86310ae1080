/**
 * One record feed per process: `rundock agent --etcd ... --dns ... --nginx-conf-dir ... --ui ...` follows the
 * domain's /skydns subtree once (one etcd client, one watch), shared by its DNS server, gateway and web UI, and its
 * GET /status says so; a record put in etcd is answered by DNS and rendered by the gateway.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startAgent, waitFor, type AgentProcess } from '../agent-process.js';
import { ADDRESSES, freePort } from '../harness.js';
import { addressesOf, udpQuery } from '../dns/client.js';
import { startNginx, type NginxProcess } from '../gateway/nginx-process.js';
import { domainPrefix, recordKey } from '../../../src/registry/path.js';
import type { FeedStatus } from '../../../src/registry/feed.js';
import { startEtcd, type EtcdProcess } from './etcd-process.js';

const DOMAIN = `s${Date.now().toString(36)}.feed.test`;
const HOST = 'feed-host';

describe('agent with --dns, --nginx-conf-dir and --ui over etcd: one feed per prefix', () => {
  let etcd: EtcdProcess;
  let client: Etcd3;
  let nginx: NginxProcess;
  let agent: AgentProcess;
  let dnsPort: number;

  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: [etcd.endpoint] });
    nginx = await startNginx();
    dnsPort = await freePort();
    const o = nginx.options;
    agent = await startAgent([
      ...['--etcd', etcd.endpoint, '--domain', DOMAIN, '--hostname', HOST, ...ADDRESSES],
      ...['--dns', `127.0.0.1:${dnsPort}`, '--ui', `127.0.0.1:${await freePort()}`],
      ...['--nginx-conf-dir', nginx.confDir, '--nginx', o.bin ?? '/usr/sbin/nginx', '--nginx-prefix', o.prefix ?? ''],
      ...['--nginx-conf', o.conf ?? '', '--nginx-error-log', o.errorLog ?? '', '--nginx-pid-file', o.pidFile ?? ''],
      ...['--min-wait', '50ms', '--upstream', 'web'],
    ]);
  });

  after(async () => {
    await agent?.stop();
    client?.close();
    await nginx?.stop();
    await etcd?.kill();
  });

  it('/status lists one feed for the domain, followed by DNS, gateway and UI; both serve a record put in etcd', async (t) => {
    await client.put(recordKey(DOMAIN, 'web', 'node-1')).value('{"host":"10.0.0.5","port":8087}');
    await waitFor(
      async () => addressesOf(await udpQuery(dnsPort, `web.${DOMAIN}`, 'A')).join() === '10.0.0.5',
      5000,
      50,
    );
    const file = join(nginx.confDir, 'rundock-upstreams.conf');
    await waitFor(async () => /server 10\.0\.0\.5:8087;/.test(await readFile(file, 'utf8').catch(() => '')), 5000, 50);

    const status = (await (await fetch(`http://${agent.status}/status`)).json()) as {
      feeds: FeedStatus[];
      dns?: { feed: string; records: number };
      gateway?: { feed: string; records: number };
    };
    t.diagnostic(`feeds: ${JSON.stringify(status.feeds)}`);
    const domainFeeds = status.feeds.filter((f) => f.prefix === domainPrefix(DOMAIN));
    assert.equal(domainFeeds.length, 1, JSON.stringify(status.feeds));
    const [feed] = domainFeeds;
    assert.equal(feed?.state, 'watching');
    assert.equal(feed?.subscribers, 3, 'DNS, gateway and UI');
    assert.equal(feed?.records, 1);
    assert.ok((feed?.revision ?? 0) > 0);
    assert.equal(new Set(status.feeds.map((f) => f.prefix)).size, status.feeds.length, 'one feed per prefix');
    assert.deepEqual(
      status.feeds.map((f) => f.prefix).sort(),
      [domainPrefix(DOMAIN), '/rundock/', '/rundock/routes/'].sort(),
      'the UI adds /rundock/, the gateway the route records, nothing else',
    );
    assert.equal(status.dns?.feed, 'watching');
    assert.equal(status.gateway?.records, 1);
  });
});
