/** `-p/--publish` and `--expose` values, parsed as `docker run` does (go-connections nat.ParsePortSpec). */
import { isIP } from 'node:net';
import { invalid } from './fail.js';

const PUBLISH_FORM = '[ip:][hostPort:]containerPort[/tcp|udp|sctp]';
const PROTOCOLS = ['tcp', 'udp', 'sctp'];

/** One published port: the ExposedPorts/PortBindings key (`80/tcp`) and its binding. */
export interface PublishedPort {
  key: string;
  binding: { HostIp: string; HostPort: string };
}

interface PortRange {
  start: number;
  end: number;
}

/**
 * Parses `[ip:][hostPort:]containerPort[/proto]`: IPv6 host addresses in brackets, port ranges like `8000-8002:9000-9002`.
 * A host range with a single container port is kept as a range (Docker picks a free port in it).
 */
export function parsePublish(value: string, flag: string): PublishedPort[] {
  const fail = (why: string): Error => invalid(value, `${flag} expects ${PUBLISH_FORM}: ${why}`);
  const { ip, hostPort, containerPort } = splitPublish(value);
  const { port, proto } = splitProto(containerPort, fail);
  const hostIp = parseHostIp(ip, fail);
  const container = parseRange(port, 'container port', fail);
  const host = hostPort === '' ? undefined : parseRange(hostPort, 'host port', fail);
  const length = container.end - container.start;
  if (host !== undefined && host.end - host.start !== length && length !== 0) {
    throw fail(`the host and container port ranges ${hostPort} and ${port} differ in length`);
  }
  const result: PublishedPort[] = [];
  for (let i = 0; i <= length; i += 1) {
    result.push({
      key: `${container.start + i}/${proto}`,
      binding: { HostIp: hostIp, HostPort: hostPortText(host, i, length) },
    });
  }
  return result;
}

/** Parses `--expose PORT[-PORT][/proto]` into ExposedPorts keys. */
export function parseExpose(value: string, flag: string): string[] {
  const fail = (why: string): Error => invalid(value, `${flag} expects PORT[-PORT][/tcp|udp|sctp]: ${why}`);
  const { port, proto } = splitProto(value, fail);
  const range = parseRange(port, 'port', fail);
  const keys: string[] = [];
  for (let p = range.start; p <= range.end; p += 1) keys.push(`${p}/${proto}`);
  return keys;
}

function splitPublish(value: string): { ip: string; hostPort: string; containerPort: string } {
  const parts = value.split(':');
  const containerPort = parts.pop() ?? '';
  const hostPort = parts.pop() ?? '';
  return { ip: parts.join(':'), hostPort, containerPort };
}

function splitProto(text: string, fail: (why: string) => Error): { port: string; proto: string } {
  const [port = '', proto = 'tcp', ...rest] = text.split('/');
  const lower = proto.toLowerCase();
  if (rest.length > 0 || !PROTOCOLS.includes(lower)) throw fail(`the protocol must be tcp, udp or sctp`);
  return { port, proto: lower };
}

function parseHostIp(ip: string, fail: (why: string) => Error): string {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (bare === '') return '';
  if (isIP(bare) === 0 || (bare !== ip && isIP(bare) !== 6)) throw fail(`"${ip}" is not an IP address`);
  return bare;
}

function parseRange(text: string, what: string, fail: (why: string) => Error): PortRange {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (match === null) throw fail(`the ${what} "${text}" is not a port number or range`);
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  for (const port of [start, end]) if (port < 1 || port > 65535) throw fail(`port ${port} is not in 1..65535`);
  if (end < start) throw fail(`the ${what} range ${text} ends before it starts`);
  return { start, end };
}

function hostPortText(host: PortRange | undefined, i: number, length: number): string {
  if (host === undefined) return '';
  if (length === 0 && host.end !== host.start) return `${host.start}-${host.end}`;
  return String(host.start + i);
}
