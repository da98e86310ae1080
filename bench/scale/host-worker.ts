/**
 * A bench/scale worker process: runs many simulated hosts, each the real agent (agent/agent.ts) over its own
 * in-memory container engine (runtime/memory-engine.ts, held to the real engine's contract) and its own EtcdRegistry
 * (its own etcd client, connection and lease, as a real host has). Driven by the orchestrator over node IPC
 * (protocol.ts). Warnings of the agents and registries go to stderr, which the orchestrator keeps in a log file.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from '../../src/agent/agent.js';
import { AgentMetrics } from '../../src/agent/metrics.js';
import { EtcdRegistry } from '../../src/registry/etcd.js';
import { MemoryEngine } from '../../src/runtime/memory-engine.js';
import { encodeLabels } from '../../src/service-spec/labels.js';
import type { CreateBody } from '../../src/service-spec/run-options.js';
import { CONTAINER_PORT, DOMAIN, hostAddress, hostName, instancesOf, type Instance, type Layout } from './layout.js';
import type { Reply, Request } from './protocol.js';

const IMAGE = 'bench/app:1';

interface SimulatedHost {
  engine: MemoryEngine;
  agent: Agent;
  /** Container ids by slot. */
  containers: string[];
}

const hosts = new Map<number, SimulatedHost>();
const log = pino({ level: process.env.RUNDOCK_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const now = (): number => performance.timeOrigin + performance.now();

/** A service container as `rundock enable` makes it: labels, a Docker health check, its port on the private address. */
function body(instance: Instance): CreateBody {
  return {
    Image: IMAGE,
    Labels: encodeLabels({
      service: instance.service,
      image: IMAGE,
      announce: instance.port,
      port: CONTAINER_PORT,
      announceAs: 'private',
    }),
    Healthcheck: { Test: ['CMD', 'true'] },
    HostConfig: {
      RestartPolicy: { Name: 'no' },
      PortBindings: {
        [`${CONTAINER_PORT}/tcp`]: [{ HostIp: hostAddress(instance.host), HostPort: String(instance.port) }],
      },
    },
  };
}

async function startHost(h: number, layout: Layout, etcd: string[], leaseTtl: number): Promise<void> {
  const engine = new MemoryEngine();
  engine.addImage(IMAGE);
  const containers: string[] = [];
  for (const instance of instancesOf(layout, h)) {
    const id = await engine.create(instance.service, body(instance));
    await engine.start(id);
    engine.health(id, 'healthy');
    containers.push(id);
  }
  const hostLog = log.child({ host: hostName(h) });
  const agentRef: { agent?: Agent } = {};
  const registry = new EtcdRegistry({
    hosts: etcd,
    ttlSeconds: leaseTtl,
    listener: {
      leaseReplaced: (old, lease) => hostLog.warn({ old, lease }, 'etcd lease lost; new lease, records re-put'),
      leaseMoved: (old, lease) => hostLog.warn({ old, lease }, 'etcd lease renewals late; records moved'),
      stateChanged: (state) => state === 'connected' && agentRef.agent?.registryReconnected(),
    },
  });
  const agent = new Agent({
    docker: engine,
    registry,
    metrics: new AgentMetrics(),
    log: hostLog,
    settings: {
      domain: DOMAIN,
      host: hostName(h),
      addresses: { private: hostAddress(h) },
      ttl: 10,
      stableMs: 10_000,
      crashLoop: { restarts: 3, windowMs: 60_000 },
      version: 'bench',
      startedAt: new Date().toISOString(),
    },
  });
  agentRef.agent = agent;
  hosts.set(h, { engine, agent, containers });
  await agent.start();
  // Its records (and host record) written, as the registry reports it: the agent writes in the background.
  while (registry.status().written < containers.length + 1) await sleep(50);
}

function container(h: number, slot: number): { engine: MemoryEngine; id: string } {
  const host = hosts.get(h);
  const id = host?.containers[slot];
  if (host === undefined || id === undefined) throw new Error(`no container ${slot} on host ${h} in this worker`);
  return { engine: host.engine, id };
}

async function handle(request: Request): Promise<number> {
  switch (request.op) {
    case 'start':
      await Promise.all(request.hosts.map((h) => startHost(h, request.layout, request.etcd, request.leaseTtl)));
      return now();
    case 'kill': {
      const { engine, id } = container(request.host, request.slot);
      const at = now();
      engine.crash(id, 137);
      return at;
    }
    case 'revive': {
      const { engine, id } = container(request.host, request.slot);
      const at = now();
      await engine.start(id);
      engine.health(id, 'healthy');
      return at;
    }
    case 'cut': {
      const at = now();
      // stop(false): no withdrawal; closing the registry stops the keep-alives and closes the connection.
      await Promise.all(request.hosts.map((h) => hosts.get(h)?.agent.stop(false) ?? Promise.resolve()));
      for (const h of request.hosts) hosts.delete(h);
      return at;
    }
    case 'ping':
      return now();
    case 'stop':
      await Promise.all([...hosts.values()].map((host) => host.agent.stop(false).catch(() => undefined)));
      hosts.clear();
      return now();
  }
}

process.on('message', (request: Request) => {
  void handle(request).then(
    (at): void => void process.send?.({ id: request.id, ok: true, at } satisfies Reply),
    (error: unknown): void =>
      void process.send?.({
        id: request.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies Reply),
  );
});
process.on('disconnect', () => process.exit(0));
