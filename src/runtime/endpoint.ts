/**
 * Where the Docker engine is, read from the environment the way the docker CLI reads it (docs/security.md,
 * "Docker endpoint"): DOCKER_HOST (unix://, tcp://, ssh://; a bare host:port is tcp), DOCKER_TLS_VERIFY (set and
 * non-empty: TLS, server verified against ca.pem), DOCKER_TLS (TLS without verification) and DOCKER_CERT_PATH (default
 * ~/.docker: ca.pem, cert.pem, key.pem). docker-modem's own reading differs (TLS only for DOCKER_TLS_VERIFY=1 or port
 * 2376, certificates used without TLS being asked for), so every option is decided here and passed explicitly.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { ValidationError } from '../shared/errors.js';

export const DEFAULT_SOCKET = '/var/run/docker.sock';
const DEFAULT_TCP_PORT = '2375';

/** The engine endpoint, decided from the environment; no file read yet. */
export type DockerEndpoint =
  | { kind: 'unix'; socketPath: string; text: string }
  | { kind: 'tcp'; host: string; port: string; tls?: { verify: boolean; certPath: string } | undefined; text: string }
  | { kind: 'ssh'; host: string; port: string; username?: string | undefined; text: string };

/**
 * Reads DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_TLS and DOCKER_CERT_PATH. Pure.
 * @throws ValidationError (RUNDOCK_E_CONFIG, exit 2) naming DOCKER_HOST when it is not an endpoint rundock can use.
 */
export function dockerEndpoint(env: NodeJS.ProcessEnv, home: string): DockerEndpoint {
  const raw = env.DOCKER_HOST?.trim() ?? '';
  const from = raw === '' ? 'DOCKER_HOST unset' : 'DOCKER_HOST';
  if (raw === '') return { kind: 'unix', socketPath: DEFAULT_SOCKET, text: `unix://${DEFAULT_SOCKET} (${from})` };
  const bad = (reason: string): ValidationError => new ValidationError('DOCKER_HOST', raw, reason, 'RUNDOCK_E_CONFIG');
  const schemeEnd = raw.indexOf('://');
  const scheme = schemeEnd === -1 ? 'tcp' : raw.slice(0, schemeEnd);
  const rest = schemeEnd === -1 ? raw : raw.slice(schemeEnd + 3);
  if (scheme === 'unix') {
    const socketPath = rest === '' ? DEFAULT_SOCKET : rest;
    if (!socketPath.startsWith('/')) throw bad('must name an absolute socket path, like unix:///var/run/docker.sock');
    return { kind: 'unix', socketPath, text: `unix://${socketPath} (${from})` };
  }
  if (scheme !== 'tcp' && scheme !== 'ssh')
    throw bad('must be unix:///path, tcp://host:port or ssh://[user@]host[:port]');
  let url: URL;
  try {
    url = new URL(`${scheme}://${rest}`);
  } catch {
    throw bad(`is not a valid ${scheme}:// address`);
  }
  if (url.pathname !== '' && url.pathname !== '/') throw bad('must not have a path');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  if (scheme === 'ssh') {
    return { kind: 'ssh', host, port: url.port || '22', username: url.username || undefined, text: `${raw} (${from})` };
  }
  const port = url.port || DEFAULT_TCP_PORT;
  const verify = (env.DOCKER_TLS_VERIFY ?? '') !== '';
  const tls =
    verify || (env.DOCKER_TLS ?? '') !== ''
      ? { verify, certPath: env.DOCKER_CERT_PATH || join(home, '.docker') }
      : undefined;
  const mode = tls === undefined ? '' : tls.verify ? ' with TLS, verified' : ' with TLS, not verified';
  return {
    kind: 'tcp',
    host,
    port,
    tls,
    text: `tcp://${url.host || host}${url.port ? '' : `:${port}`}${mode} (${from})`,
  };
}

/** How dockerode is constructed: every option given, so nothing is left to docker-modem's reading of the environment. */
export type EngineOptions = Docker.DockerOptions & { agent?: http.Agent | undefined };

/**
 * The dockerode options for an endpoint; with TLS reads ca.pem (required when verifying), cert.pem and key.pem
 * (each optional, as for the docker CLI) from the certificate directory.
 * @throws ValidationError naming DOCKER_CERT_PATH when a file it needs cannot be read.
 */
export function engineOptions(endpoint: DockerEndpoint, readFile: (path: string) => Buffer): EngineOptions {
  const none = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    agent: undefined,
  };
  if (endpoint.kind === 'unix')
    return { ...none, socketPath: endpoint.socketPath, protocol: 'http', agent: socketAgent() };
  if (endpoint.kind === 'ssh') {
    return {
      ...none,
      protocol: 'ssh',
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.username,
      sshOptions: { agent: process.env.SSH_AUTH_SOCK },
    };
  }
  const base = { ...none, host: endpoint.host, port: endpoint.port };
  if (endpoint.tls === undefined) return { ...base, protocol: 'http' };
  const { certPath, verify } = endpoint.tls;
  const file = (name: string, required: boolean): Buffer | undefined => {
    const path = join(certPath, name);
    try {
      return readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (!required && code === 'ENOENT') return undefined;
      throw new ValidationError(
        'DOCKER_CERT_PATH',
        certPath,
        `has no readable ${name} (${code ?? String(error)}); TLS to ${endpoint.host}:${endpoint.port} needs it`,
        'RUNDOCK_E_CONFIG',
      );
    }
  };
  const ca = verify ? file('ca.pem', true) : undefined;
  const cert = file('cert.pem', false);
  const key = file('key.pem', false);
  // Node verifies against its own CAs when `ca` is undefined; DOCKER_TLS without verify must not verify at all.
  // node:https (and TLS with it) loads only here: a local socket never needs it (docs/BENCHMARKS.md, CLI start-up).
  const https = createRequire(import.meta.url)('node:https') as typeof import('node:https');
  const agent = new https.Agent({ ca, cert, key, rejectUnauthorized: verify });
  return { ...base, protocol: 'https', ca, cert, key, agent };
}

/**
 * Node's global HTTP agent (the same options), less the TLS server name. Unless the agent names one, Node derives one
 * from the Host header of every request, and checking that a socket's `localhost` is no IP address compiles Node's
 * IPv6 pattern: about 5 ms of every command that talks to Docker (docs/BENCHMARKS.md, CLI start-up).
 */
function socketAgent(): http.Agent {
  const global = http.globalAgent as http.Agent & { options: http.AgentOptions };
  return new http.Agent({ ...global.options, servername: '' } as http.AgentOptions);
}

/**
 * A dockerode client for the endpoint. docker-modem still parses DOCKER_HOST when constructed and, for tcp with
 * DOCKER_CERT_PATH, reads certificates the docker CLI would not need (and throws when they are missing): it is
 * constructed with DOCKER_HOST hidden for that one synchronous call, and every option it would have taken is given.
 */
export function connectEngine(endpoint: DockerEndpoint, readFile: (path: string) => Buffer = readFileSync): Docker {
  const options = engineOptions(endpoint, readFile);
  const saved = process.env.DOCKER_HOST;
  delete process.env.DOCKER_HOST;
  try {
    return new Docker(options);
  } finally {
    if (saved !== undefined) process.env.DOCKER_HOST = saved;
  }
}
