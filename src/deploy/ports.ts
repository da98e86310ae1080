/**
 * A host port the new container would publish, found busy before anything changes: otherwise Docker creates the
 * container and fails only at start, after a running old container may already have been withdrawn and stopped.
 * Busy means another container publishes it (Docker's own allocator refuses that) or a socket on this host holds it.
 * The service's own containers are left out: a redeploy with a fixed port stops the old one before the new one binds.
 */
import { createServer } from 'node:net';
import type { ObservedContainer } from '../runtime/engine.js';
import { ValidationError } from '../shared/errors.js';
import type { CreateBody } from '../service-spec/run-options.js';

/** One host port a create body asks Docker to bind. */
export interface HostBinding {
  ip: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** The spec field it comes from: `announce`, or `args` (`-p`). */
  field: 'announce' | 'args';
}

/** The fixed host ports of a body (a port Docker picks is never busy); `announced` is the `announce` one's address. */
export function hostBindings(body: CreateBody, announced: { ip: string; port: number } | undefined): HostBinding[] {
  const bindings = (body.HostConfig.PortBindings ?? {}) as Record<
    string,
    { HostIp?: string; HostPort?: string }[] | null
  >;
  return Object.entries(bindings).flatMap(([key, list]) =>
    (list ?? []).flatMap((b) => {
      const port = Number(b.HostPort);
      if (!(port > 0)) return [];
      const ip = b.HostIp || '0.0.0.0';
      const protocol = key.endsWith('/udp') ? ('udp' as const) : ('tcp' as const);
      const field = announced?.ip === ip && announced.port === port ? ('announce' as const) : ('args' as const);
      return [{ ip, port, protocol, field }];
    }),
  );
}

/**
 * Throws RUNDOCK_E_PORT_IN_USE (exit 2) for the first binding another container publishes or a socket holds.
 * @param others every container on the engine except the service's own.
 * @param own the service's own containers: what they publish is theirs to give up (the redeploy stops them first).
 */
export async function checkHostPorts(
  bindings: readonly HostBinding[],
  others: readonly ObservedContainer[],
  own: readonly ObservedContainer[],
): Promise<void> {
  const publishes = (c: ObservedContainer, b: HostBinding): boolean =>
    c.ports.some((p) => p.hostPort === b.port && p.protocol === b.protocol && overlaps(p.hostIp, b.ip));
  for (const b of bindings) {
    if (own.some((c) => publishes(c, b))) continue;
    const holder = others.find((c) => publishes(c, b));
    const by = holder !== undefined ? `container ${holder.name} (${holder.id.slice(0, 12)})` : await socketHolder(b);
    if (by === undefined) continue;
    throw new ValidationError(
      b.field,
      `${b.ip}:${b.port}`,
      `is already in use on this host (${b.protocol}) by ${by}; pick another port or stop what holds it (ss -lntup)`,
      'RUNDOCK_E_PORT_IN_USE',
    );
  }
}

/** Two bindings clash when either is on every address or both are on the same one. */
function overlaps(a: string, b: string): boolean {
  const any = (ip: string): boolean => ip === '' || ip === '0.0.0.0' || ip === '::';
  return any(a) || any(b) || a === b;
}

/** `another process` when binding the address fails with EADDRINUSE; anything else is Docker's to report. */
async function socketHolder(b: HostBinding): Promise<string | undefined> {
  // node:dgram loads when a UDP port is checked: every other command starts without it (docs/BENCHMARKS.md).
  const socket = b.protocol === 'udp' ? (await import('node:dgram')).createSocket('udp4') : undefined;
  return new Promise((resolve) => {
    const busy = (error: NodeJS.ErrnoException): void =>
      resolve(error.code === 'EADDRINUSE' ? 'another process' : undefined);
    if (socket !== undefined) {
      socket.once('error', (error) => (socket.close(), busy(error)));
      socket.bind(b.port, b.ip, () => socket.close(() => resolve(undefined)));
      return;
    }
    const server = createServer();
    server.once('error', busy);
    server.listen({ port: b.port, host: b.ip, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
