/**
 * The agent's decisions against the in-memory engine (runtime/memory-engine.ts, which passes the real engine's
 * contract) and the embedded registry in a temporary directory: what it announces, holds back, withdraws and re-adopts.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createServer, type AddressInfo } from 'node:net';
import pino from 'pino';
import { instanceKey, recordKey } from '../registry/path.js';
import { EmbeddedRegistry } from '../registry/embedded.js';
import type { ContainerEvent } from '../runtime/events.js';
import { MemoryEngine } from '../runtime/memory-engine.js';
import { encodeLabels, LABEL, type ProbeLabel } from '../service-spec/labels.js';
import type { CreateBody } from '../service-spec/run-options.js';
import { Agent } from './agent.js';
import { AgentMetrics } from './metrics.js';
import { waitFor } from '../../test/support/wait.js';

const DOMAIN = 's.unit.example.com';
const HOST = 'node-1';
const KEY = recordKey(DOMAIN, 'web', HOST);

let dir: string;
let engine: MemoryEngine;
let registry: EmbeddedRegistry;
let agents: Agent[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rundock-agent-unit-'));
  engine = new MemoryEngine();
  engine.addImage('web:1');
  agents = [];
});

afterEach(async () => {
  for (const agent of agents) await agent.stop(false).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A new agent, over a new instance of the registry in the same directory (as after a restart); `registry` is its.
 * `watch` sees every record set the registry holds from before the agent's start.
 */
async function startAgent(
  stableMs = 10_000,
  o: { watch?: (records: ReadonlyMap<string, string>) => void; address?: string; reconnectMs?: number } = {},
): Promise<Agent> {
  registry = new EmbeddedRegistry({ stateDir: dir });
  if (o.watch !== undefined) registry.onChange(o.watch);
  const agent = new Agent({
    docker: engine,
    reconnectMs: o.reconnectMs,
    registry,
    metrics: new AgentMetrics(),
    log: pino({ level: 'silent' }),
    settings: {
      domain: DOMAIN,
      host: HOST,
      addresses: { private: o.address ?? '10.0.0.2' },
      ttl: 10,
      stableMs,
      crashLoop: { restarts: 3, windowMs: 60_000 },
      version: 'test',
      startedAt: 'now',
    },
  });
  agents.push(agent);
  await agent.start();
  return agent;
}

/** A service container: `announce` published on the private address, a Docker health check unless `checked` is false. */
function body(
  o: {
    announce?: number | 'auto';
    restart?: string;
    checked?: boolean;
    restartUnhealthy?: number;
    probe?: ProbeLabel;
  } = {},
): CreateBody {
  const announce = o.announce ?? 8080;
  const { restartUnhealthy, probe } = o;
  return {
    Image: 'web:1',
    Labels: {
      ...encodeLabels({
        service: 'web',
        image: 'web:1',
        announce,
        port: 8080,
        announceAs: 'private',
        restartUnhealthy,
        probe,
      }),
      [LABEL.specHash]: 'h',
    },
    ...(o.checked !== false && { Healthcheck: { Test: ['CMD', 'true'] } }),
    HostConfig: {
      RestartPolicy: { Name: o.restart ?? 'unless-stopped' },
      PortBindings: { '8080/tcp': [{ HostIp: '10.0.0.2', HostPort: announce === 'auto' ? '' : String(announce) }] },
    },
  };
}

/** An engine whose event stream drops as soon as it is open, `drops` times, then stays open. */
class DroppingEngine extends MemoryEngine {
  opened = 0;
  /** The listeners on the agent's stop signal each time the stream opened. */
  readonly listeners: number[] = [];

  constructor(private readonly drops: number) {
    super();
  }

  override async *events(
    label: string,
    signal: AbortSignal,
    onOpen?: () => Promise<void>,
  ): AsyncGenerator<ContainerEvent> {
    this.listeners.push(getEventListeners(signal, 'abort').length);
    if (++this.opened <= this.drops) {
      await onOpen?.();
      throw new Error('the event stream dropped');
    }
    yield* super.events(label, signal, onOpen);
  }
}

/** The records in the registry now (the embedded registry's own view). */
const records = async (): Promise<Map<string, string>> => registry.list('/skydns/');

/** Lets every pending event and write of the agent run (the agent reacts without timers). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('Agent', () => {
  it('announces a container once Docker reports it healthy, at the private address and its port', async () => {
    const id = await engine.create('web', body());
    await engine.start(id);
    await startAgent();
    await settle();
    assert.equal((await records()).has(KEY), false, 'not while the health check is starting');
    engine.health(id, 'healthy');
    await waitFor(
      async () => (await records()).get(KEY) === '{"host":"10.0.0.2","port":8080,"ttl":10}',
      2000,
      5,
      'announced',
    );
  });

  it('withdraws a container on its die event', async () => {
    const id = await engine.create('web', body({ restart: 'no' }));
    await engine.start(id);
    engine.health(id, 'healthy');
    await startAgent();
    await waitFor(async () => (await records()).has(KEY), 2000, 5, 'announced');
    engine.crash(id);
    await waitFor(async () => !(await records()).has(KEY), 2000, 5, 'withdrawn');
  });

  it('holds back a container its policy restarted until it has stayed up for stable-after', async () => {
    const id = await engine.create('web', body({ checked: false }));
    await engine.start(id);
    // Every record set the registry holds, as it changes: a poll could miss the second it is withdrawn.
    const seen: boolean[] = [];
    const agent = await startAgent(1000, { watch: (now) => seen.push(now.has(KEY)) });
    await waitFor(async () => (await records()).has(KEY), 5000, 5, 'announced once up 1 s');
    const before = seen.length;
    engine.crash(id);
    await waitFor(async () => seen.slice(before).includes(false), 5000, 5, 'withdrawn at once');
    assert.match(agent.status().services[0]?.reason ?? '', /^no health check or probe; announced once up for 1 s/);
    await waitFor(async () => (await records()).has(KEY), 5000, 5, 'announced again once stable');
  });

  it('a single crash of a container that served: announced again as soon as its health check passes', async () => {
    const id = await engine.create('web', body());
    await engine.start(id);
    engine.health(id, 'healthy');
    await startAgent(1000);
    await waitFor(async () => (await records()).has(KEY), 2000, 5, 'announced');
    await new Promise((r) => setTimeout(r, 1050)); // up for --stable-after: it served
    engine.crash(id);
    await waitFor(async () => !(await records()).has(KEY), 2000, 5, 'withdrawn');
    engine.health(id, 'healthy');
    const waited = await waitFor(async () => (await records()).has(KEY), 2000, 5, 'announced again');
    assert.ok(waited < 500, `announced ${waited} ms after its check passed, not after --stable-after (1 s)`);
  });

  it('a crash soon after its start is a crash loop: held back until up for --stable-after, though healthy', async () => {
    const id = await engine.create('web', body());
    await engine.start(id);
    engine.health(id, 'healthy');
    const agent = await startAgent(1000);
    await waitFor(async () => (await records()).has(KEY), 2000, 5, 'announced');
    engine.crash(id);
    engine.health(id, 'healthy');
    await waitFor(async () => !(await records()).has(KEY), 2000, 5, 'withdrawn');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await records()).has(KEY), false, 'held back, though healthy');
    assert.match(
      agent.status().services[0]?.reason ?? '',
      /^crash loop: restarted after [\d.]+ s up \(under --stable-after 1 s\); held back until \S+Z$/,
    );
    assert.ok(agent.status().services[0]?.held_until);
    await waitFor(async () => (await records()).has(KEY), 2000, 5, 'announced once up for 1 s');
  });

  it('takes over what the agent before it left: a probed container is never withdrawn on the way', async () => {
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const probe: ProbeLabel = {
        check: 'tcp',
        interval_ms: 60_000,
        timeout_ms: 1000,
        healthy_threshold: 1,
        unhealthy_threshold: 3,
        status: 200,
      };
      const id = await engine.create('web', body({ checked: false, announce: port, probe }));
      await engine.start(id);
      const address = '127.0.0.1';
      const first = await startAgent(10_000, { address });
      const key = recordKey(DOMAIN, 'web', HOST);
      await waitFor(async () => (await records()).has(key), 2000, 5, 'announced once probed');
      await first.stop(false);
      const seen: boolean[] = [];
      const second = await startAgent(10_000, { address, watch: (now) => seen.push(now.has(key)) });
      await new Promise((r) => setTimeout(r, 300)); // its first sync and its first probe
      assert.equal(second.status().services[0]?.announced, true);
      assert.ok((await records()).has(key));
      // Without the probe's verdict taken over, its first sync would have withdrawn it until the first probe.
      assert.deepEqual(
        seen.filter((has) => !has),
        [],
        'every record set the registry held had it',
      );
    } finally {
      server.close();
    }
  });

  it('restarts a container whose checks keep failing (restart_unhealthy), and announces it once healthy again', async () => {
    const id = await engine.create('web', body({ restartUnhealthy: 2 }));
    await engine.start(id);
    engine.health(id, 'healthy');
    const agent = await startAgent(0);
    await waitFor(async () => (await records()).has(KEY), 2000, 5, 'announced');
    engine.health(id, 'unhealthy', 1);
    await waitFor(async () => !(await records()).has(KEY), 2000, 5, 'withdrawn');
    assert.match(agent.status().services[0]?.reason ?? '', /1 of 2 failed checks before the agent restarts it/);
    const started = (await engine.inspect(id)).startedAt;
    await new Promise((r) => setTimeout(r, 20)); // a start time of its own
    engine.health(id, 'unhealthy', 2);
    await waitFor(async () => (await engine.inspect(id)).startedAt !== started, 2000, 5, 'restarted');
    assert.equal((await engine.inspect(id)).health, 'starting');
    engine.health(id, 'healthy');
    await waitFor(async () => (await records()).has(KEY), 2000, 5, 'announced again');
    assert.equal(agent.status().services[0]?.unhealthy_restarts, 1);
  });

  it('re-adopts the running containers when it starts again, without touching them', async () => {
    const id = await engine.create('web', body());
    await engine.start(id);
    engine.health(id, 'healthy');
    const first = await startAgent();
    await waitFor(async () => (await records()).has(KEY), 2000, 5, 'announced');
    await first.stop(true);
    assert.equal((await new EmbeddedRegistry({ stateDir: dir }).list('/skydns/')).has(KEY), false, 'withdrawn on stop');
    const before = await engine.inspect(id);
    await startAgent();
    await waitFor(async () => (await records()).has(KEY), 2000, 5, 'announced again');
    assert.deepEqual(await engine.inspect(id), before, 'the container untouched');
  });

  it("announces a redeploy's new container beside the current one, then at the host's record once it takes the name", async () => {
    const old = await engine.create('web', body({ announce: 'auto' }));
    await engine.start(old);
    engine.health(old, 'healthy');
    await startAgent();
    await waitFor(async () => (await records()).has(KEY), 2000, 5, 'the current one announced');
    const next = await engine.create('web_rundock_next', body({ announce: 'auto' }));
    await engine.start(next);
    engine.health(next, 'healthy');
    const second = instanceKey(DOMAIN, 'web', HOST, next.slice(0, 12));
    await waitFor(async () => (await records()).has(second) && (await records()).has(KEY), 2000, 5, 'both announced');
    const newPort = (await engine.inspect(next)).published[0]?.hostPort;
    await engine.rename(old, 'web_rundock_old');
    await engine.rename(next, 'web');
    await waitFor(
      async () => {
        const now = await records();
        return !now.has(second) && now.get(KEY) === `{"host":"10.0.0.2","port":${newPort},"ttl":10}`;
      },
      2000,
      5,
      'the new one at the host record alone',
    );
  });

  it('leaves no listener on its stop signal behind when it reconnects to the event stream, 200 times', async () => {
    const dropping = new DroppingEngine(200);
    engine = dropping;
    await startAgent(10_000, { reconnectMs: 1 });
    await waitFor(() => dropping.opened > 200, 20_000, 5, '200 reconnects');
    const first = dropping.listeners[0];
    assert.deepEqual(new Set(dropping.listeners), new Set([first]), 'as many listeners at every reconnect');
  });
});
