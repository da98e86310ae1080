/**
 * The gateway inside `rundock agent` on a single machine (embedded registry, no etcd): a service enabled with
 * `rundock enable` becomes reachable through a real nginx, at the port it announced, with no port typed anywhere;
 * disabling it leaves the placeholder (502 at once).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, waitFor, type AgentProcess } from '../agent-process.js';
import {
  ADDRESSES,
  freePort,
  httpdCmd,
  IMAGE,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
} from '../harness.js';
import { get } from './backends.js';
import { startNginx, type NginxProcess } from './nginx-process.js';

const DOMAIN = 's.single.example.com';

const through = (port: number, host: string): ReturnType<typeof get> => get(port, host);

describe('rundock agent --nginx-conf-dir (the gateway inside the agent)', () => {
  let nginx: NginxProcess;
  let agent: AgentProcess;
  let stateDir: string;
  let routePort: number;
  const name = uniqueName('agw');

  before(async () => {
    nginx = await startNginx();
    stateDir = await mkdtemp(join(tmpdir(), 'rundock-agw-'));
    routePort = await freePort();
    const o = nginx.options;
    agent = await startAgent([
      '--domain',
      DOMAIN,
      '--hostname',
      'single',
      '--state-dir',
      stateDir,
      '--stable-after',
      '1s',
      ...ADDRESSES,
      '--nginx-conf-dir',
      nginx.confDir,
      '--nginx',
      o.bin ?? '/usr/sbin/nginx',
      '--nginx-prefix',
      o.prefix ?? '',
      '--nginx-conf',
      o.conf ?? '',
      '--nginx-error-log',
      o.errorLog ?? '',
      '--nginx-pid-file',
      o.pidFile ?? '',
      '--min-wait',
      '50ms',
      '--upstream',
      name,
      '--route',
      `web.example.com=${name}`,
      '--route-listen',
      `127.0.0.1:${routePort}`,
    ]);
  });

  after(async () => {
    await removeContainers(name);
    await agent?.stop();
    await nginx?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('serves an enabled service through nginx within 2 s of its announcement, and 502 once it is disabled', async () => {
    await waitFor(async () => (await through(routePort, 'web.example.com')).status === 502, 5000, 50);
    const port = await freePort();
    const enabled = await rundockJson([
      'enable',
      name,
      '--image',
      IMAGE,
      '--cmd',
      httpdCmd('echo from-the-agent-gateway > /www/index.html && '),
      '--announce',
      String(port),
      '--port',
      '8080',
      ...ADDRESSES,
    ]);
    assert.equal(enabled.code, 0, enabled.stdout);
    const waited = await waitFor(
      async () => (await through(routePort, 'web.example.com')).body === 'from-the-agent-gateway\n',
      2000 + 1000 + 500,
      25,
    );
    assert.ok(waited <= 3500, `reachable ${waited} ms after enable returned (stable-after 1 s + 2 s)`);
    const rendered = await readFile(join(nginx.confDir, 'rundock-upstreams.conf'), 'utf8');
    assert.match(rendered, new RegExp(`server 127\\.0\\.0\\.1:${port}`), 'the announced port, typed nowhere');
    const status = (await (await fetch(`http://${agent.status}/status`)).json()) as {
      gateway?: { feed: string; records: number };
    };
    assert.equal(status.gateway?.feed, 'watching');
    assert.equal((await rundock(['disable', name])).code, 0);
    await waitFor(async () => (await through(routePort, 'web.example.com')).status === 502, 3000, 25);
  });
});
