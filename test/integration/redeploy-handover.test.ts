/**
 * Redeploys that drop no request, on one host: an agent (embedded registry) with its gateway in front of a real nginx,
 * its DNS server, and `rundock enable` / `rollback` / `history` run as users run them. Load goes through nginx all the
 * while; what nginx's rendered upstream held is sampled every few milliseconds to check the order of the hand-over.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, waitFor, type AgentProcess } from './agent-process.js';
import { udpQuery } from './dns/client.js';
import { startNginx, type NginxProcess } from './gateway/nginx-process.js';
import {
  ADDRESSES,
  BIN,
  containersOf,
  docker,
  freePort,
  httpdCmd,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundockJson,
  uniqueName,
} from './harness.js';
import { startLoad, upstreamTimeline, type Load } from './load.js';

const DOMAIN = 's.handover.example.com';
/** The upstream the gateway renders for a service (its default name). */
const upstream = (service: string): string => `rundock_${service.replaceAll('-', '_')}`;
const HOST = 'node-1';

describe('redeploys that drop no request (agent, gateway and nginx on one host)', () => {
  let nginx: NginxProcess;
  let agent: AgentProcess;
  let stateDir: string;
  let routePort: number;
  let dnsPort: number;
  let env: NodeJS.ProcessEnv;
  const name = uniqueName('ho');
  const fixed = uniqueName('hf');
  const upstreamFile = (): string => join(nginx.confDir, 'rundock-upstreams.conf');
  /** `rundock enable` of the test service at `version`, announced on a port Docker picks. */
  const enable = (
    version: string,
    ...more: string[]
  ): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> =>
    rundockJson(
      [
        'enable',
        name,
        '--image',
        IMAGE,
        '--cmd',
        httpdCmd(`echo ${version} > /www/index.html &&`),
        '--announce',
        'auto',
        '--port',
        '8080',
        '--probe',
        'http:/',
        '--probe-interval',
        '200ms',
        '--drain',
        '500ms',
        '--timeout',
        '20',
        ...ADDRESSES,
        ...more,
      ],
      env,
    );

  before(async () => {
    nginx = await startNginx();
    stateDir = await mkdtemp(join(tmpdir(), 'rundock-handover-'));
    [routePort, dnsPort] = [await freePort(), await freePort()];
    const o = nginx.options;
    agent = await startAgent([
      '--domain',
      DOMAIN,
      '--hostname',
      HOST,
      '--state-dir',
      join(stateDir, 'agent'),
      '--stable-after',
      '1s',
      '--dns',
      `127.0.0.1:${dnsPort}`,
      '--record-ttl',
      '1',
      ...ADDRESSES,
      '--nginx-conf-dir',
      nginx.confDir,
      '--nginx',
      o.bin ?? '',
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
      '--max-wait',
      '300ms',
      '--route',
      `web.example.com=${name}`,
      '--route',
      `fixed.example.com=${fixed}`,
      '--route-listen',
      `127.0.0.1:${routePort}`,
    ]);
    env = { RUNDOCK_AGENT: agent.status, RUNDOCK_STATE_DIR: join(stateDir, 'cli') };
  });

  after(async () => {
    await removeContainers(
      ...(await containersOf(name)).map((c) => c.Id),
      ...(await containersOf(fixed)).map((c) => c.Id),
    );
    await agent?.stop();
    await nginx?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('announce auto: the record, the SRV answer and the nginx upstream carry the port Docker bound', async () => {
    const r = await enable('v1');
    assert.equal(r.code, 0, JSON.stringify(r.json));
    const published = r.json.published as { ip: string; port: number };
    const bound = (await inspectContainer(name))?.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
    assert.equal(typeof published.port, 'number');
    assert.equal(String(published.port), bound, 'the port Docker bound, reported');
    assert.equal(r.json.address, `127.0.0.1:${bound}`, 'announced by the agent before enable returned');
    const srv = await udpQuery(dnsPort, `${name}.${DOMAIN}`, 'SRV');
    assert.deepEqual(
      srv.answers.map((a) => ('data' in a ? (a.data as { port: number }).port : 0)),
      [Number(bound)],
    );
    assert.match(await readFile(upstreamFile(), 'utf8'), new RegExp(`server 127\\.0\\.0\\.1:${bound};`));
    const load = startLoad(routePort, 'web.example.com');
    await load.more(5);
    assert.deepEqual(Object.keys((await load.stop()).bodies), ['v1']);
  });

  it('a redeploy overlaps: the new instance is in nginx before the old one leaves it, and no request fails', async () => {
    const before = await inspectContainer(name);
    const timeline = upstreamTimeline(upstreamFile(), upstream(name));
    const loads: Load[] = [
      startLoad(routePort, 'web.example.com'),
      startLoad(routePort, 'web.example.com', { keepAlive: true }),
    ];
    await Promise.all(loads.map((l) => l.more(5)));
    const r = await enable('v2');
    await Promise.all(loads.map((l) => l.more(20)));
    const [close, keepAlive] = await Promise.all(loads.map((l) => l.stop()));
    const sets = await timeline.stop();
    assert.equal(r.code, 0, JSON.stringify(r.json));
    assert.equal(r.json.handover, 'overlap');
    assert.notEqual((await inspectContainer(name))?.Id, before?.Id);
    assert.equal(await inspectContainer(before?.Id ?? ''), undefined, 'the old container is removed');
    const [first, ...rest] = sets;
    const oldServer = first?.[0];
    assert.ok(oldServer !== undefined && first?.length === 1, JSON.stringify(sets));
    const both = rest.findIndex((s) => s.length === 2 && s.includes(oldServer));
    const newOnly = rest.findIndex((s) => s.length === 1 && !s.includes(oldServer));
    assert.ok(both >= 0 && newOnly > both, `old alone, then both, then the new one alone: ${JSON.stringify(sets)}`);
    assert.ok(
      sets.every((s) => s.length > 0),
      'never without a server',
    );
    assert.equal(close?.failures, 0, JSON.stringify(close?.failed.slice(0, 3)));
    assert.equal(keepAlive?.failures, 0, JSON.stringify(keepAlive?.failed.slice(0, 3)));
    assert.ok((close?.bodies.v2 ?? 0) > 0 && (close?.bodies.v1 ?? 0) > 0, JSON.stringify(close?.bodies));
  });

  it('a new version that never turns healthy is removed; the old one keeps serving, announced and untouched', async () => {
    const before = await inspectContainer(name);
    const load = startLoad(routePort, 'web.example.com');
    await load.more(5);
    const r = await rundockJson(
      [
        'enable',
        name,
        '--image',
        IMAGE,
        '--cmd',
        httpdCmd('echo v-broken; echo v3 > /www/index.html &&'),
        '--announce',
        'auto',
        '--port',
        '8080',
        '--probe',
        'http:/missing',
        '--probe-interval',
        '200ms',
        '--timeout',
        '4',
        ...ADDRESSES,
      ],
      env,
    );
    await load.more(10);
    const report = await load.stop();
    assert.equal(r.code, 1);
    const error = r.json.error as { code: string; message: string; rolled_back: boolean };
    assert.equal(error.code, 'RUNDOCK_E_UNHEALTHY');
    assert.match(error.message, /probe: unhealthy/);
    assert.match(error.message, /--- last log lines ---\nv-broken/);
    assert.equal(error.rolled_back, true);
    const now = await inspectContainer(name);
    assert.equal(now?.Id, before?.Id, 'the same container');
    assert.equal(now?.State.StartedAt, before?.State.StartedAt, 'never restarted');
    assert.deepEqual(
      (await containersOf(name)).map((c) => c.Names[0]),
      [`/${name}`],
      'nothing left beside it',
    );
    assert.equal(report.failures, 0, JSON.stringify(report.failed.slice(0, 3)));
    assert.deepEqual(Object.keys(report.bodies), ['v2']);
  });

  it('history lists the generations; rollback returns to the previous one through the same path', async () => {
    const history = await rundockJson(['history', name], env);
    const generations = history.json.generations as {
      generation: number;
      result: string;
      error?: string;
      current: boolean;
    }[];
    assert.deepEqual(
      generations.map((g) => [g.result, g.error ?? null, g.current]),
      [
        ['deployed', null, false],
        ['deployed', null, true],
        ['reverted', 'RUNDOCK_E_UNHEALTHY', false],
      ],
    );
    const load = startLoad(routePort, 'web.example.com');
    await load.more(5);
    const r = await rundockJson(['rollback', name, ...ADDRESSES], env);
    await load.more(10);
    const report = await load.stop();
    assert.equal(r.code, 0, JSON.stringify(r.json));
    assert.equal(r.json.rolled_back_to, 1);
    assert.equal(r.json.handover, 'overlap');
    assert.equal(report.failures, 0, JSON.stringify(report.failed.slice(0, 3)));
    assert.equal((await fetchThrough(routePort, 'web.example.com')).trim(), 'v1');
    const after = (await rundockJson(['history', name], env)).json.generations as {
      rollback_of?: number;
      current: boolean;
    }[];
    assert.deepEqual(after.at(-1), { ...after.at(-1), rollback_of: 1, current: true });
  });

  it('rollback with nothing to roll back to is exit 2 and changes nothing', async () => {
    const lonely = uniqueName('hl');
    const r = await rundockJson(['rollback', lonely], env);
    assert.equal(r.code, 2);
    assert.equal((r.json.error as { code: string }).code, 'RUNDOCK_E_NO_ROLLBACK');
    assert.equal(r.json.changed, false);
  });

  it('a CLI killed in the middle of a redeploy leaves nothing the next run does not clean up', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'enable',
        name,
        '--image',
        IMAGE,
        '--cmd',
        httpdCmd('echo v4 > /www/index.html &&'),
        '--announce',
        'auto',
        '--port',
        '8080',
        '--probe',
        'http:/',
        '--probe-interval',
        '200ms',
        ...ADDRESSES,
      ],
      { env: { ...process.env, RUNDOCK_CONFIG: '/dev/null', ...env }, stdio: 'ignore' },
    );
    await waitFor(async () => (await inspectContainer(`${name}_rundock_next`))?.State.Running === true, 20_000, 20);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const load = startLoad(routePort, 'web.example.com');
    await load.more(5);
    const r = await enable('v5');
    await load.more(10);
    const report = await load.stop();
    assert.equal(r.code, 0, JSON.stringify(r.json));
    assert.deepEqual(
      (await containersOf(name)).map((c) => c.Names[0]),
      [`/${name}`],
    );
    assert.equal((await fetchThrough(routePort, 'web.example.com')).trim(), 'v5');
    assert.equal(report.failures, 0, JSON.stringify(report.failed.slice(0, 3)));
  });

  it('a fixed host port: the old record is withdrawn and drained before the old container stops', async () => {
    const port = await freePort();
    const deploy = (version: string): Promise<{ code: number; json: Record<string, unknown> }> =>
      rundockJson(
        [
          'enable',
          fixed,
          '--image',
          IMAGE,
          '--cmd',
          httpdCmd(`echo ${version} > /www/index.html &&`),
          '--announce',
          String(port),
          '--port',
          '8080',
          '--probe',
          'http:/',
          '--probe-interval',
          '200ms',
          '--drain',
          '1s',
          ...ADDRESSES,
        ],
        env,
      );
    assert.equal((await deploy('f1')).code, 0);
    const old = await inspectContainer(fixed);
    const died = dieTime(old?.Id ?? '');
    const timeline = upstreamTimeline(upstreamFile(), upstream(fixed));
    await waitFor(() => timeline.firstAt((s) => s.length === 1) !== undefined, 5000, 5);
    const r = await deploy('f2');
    const sets = await timeline.stop();
    assert.equal(r.code, 0, JSON.stringify(r.json));
    assert.equal(r.json.handover, 'withdraw-first');
    const withdrawnAt = timeline.firstAt((s) => s.length === 0);
    assert.ok(withdrawnAt !== undefined, `the upstream emptied before the swap: ${JSON.stringify(sets)}`);
    // Withdrawn from nginx, then the 1 s drain, then stopped.
    assert.ok((await died) - withdrawnAt >= 1000, `died ${(await died) - withdrawnAt} ms after it left nginx`);
    assert.equal((await fetchThrough(routePort, 'fixed.example.com')).trim(), 'f2');
  });
});

/** When the container dies (its Docker `die` event), ms since the epoch. */
async function dieTime(id: string): Promise<number> {
  const stream = (await docker.getEvents({ filters: { container: [id], event: ['die'] } })) as NodeJS.ReadableStream & {
    destroy(): void;
  };
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      const event = JSON.parse(chunk.toString()) as { timeNano: number };
      stream.destroy();
      resolve(Math.round(event.timeNano / 1e6));
    });
  });
}

/** The body nginx answers for Host `host` (fetch() cannot set a Host header). */
async function fetchThrough(port: number, host: string): Promise<string> {
  const load = startLoad(port, host);
  await load.more(1);
  const report = await load.stop();
  return Object.keys(report.bodies)[0] ?? `failed: ${report.failed[0]?.error}`;
}
