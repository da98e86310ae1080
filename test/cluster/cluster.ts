/**
 * Helpers for the end-to-end suite on the reference cluster that scripts/cluster.sh builds (it must be up): the
 * script for faults and for the playbook, each host's dockerd through its socket, etcd through etcdctl (TLS, as
 * etcd's root user or as one of rundock's daemons), DNS over UDP to `rundock dns`, HTTP through the frontends' nginx,
 * files under each host's root (the role's rundock_root). Every address here is one of the cluster's own
 * (10.77.0.0/24, 10.78.0.0/24), and every wait and loop is bounded.
 */
import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import Docker from 'dockerode';
import { orFalse, waitFor } from '../support/wait.js';

export { orFalse, waitFor };

export const SCRIPT = fileURLToPath(new URL('../../scripts/cluster.sh', import.meta.url));
export const STATE = process.env.RUNDOCK_CLUSTER_STATE ?? '/tmp/rundock-cluster';
export const DOMAIN = 's.prod.example.com';
export const LEASE_TTL_MS = Number(process.env.RUNDOCK_CLUSTER_LEASE_TTL ?? 15) * 1000;
export const PRIVATE = {
  'node-front-1': '10.77.0.11',
  'node-front-2': '10.77.0.12',
  'node-back-1': '10.77.0.21',
} as const;
export const PUBLIC = { 'node-front-1': '10.78.0.11', 'node-front-2': '10.78.0.12' } as const;
export type Host = keyof typeof PRIVATE;
export type Frontend = keyof typeof PUBLIC;
export const HOSTS = Object.keys(PRIVATE) as Host[];
export const FRONTENDS = Object.keys(PUBLIC) as Frontend[];
export const ETCD = HOSTS.map((h) => `https://${PRIVATE[h]}:2379`);
/** The CA, certificates and keys the role made on `up` (rundock_etcd_pki_dir in test/cluster/hosts.yml). */
export const PKI = `${STATE}/pki`;
/** The client certificate of one of rundock's daemons on HOST (its etcd user is `rundock-<daemon>-<host>`). */
export function daemonCert(host: Host, daemon: 'agent' | 'dns' | 'gateway'): { cert: string; key: string } {
  return { cert: `${PKI}/hosts/${host}/${daemon}.crt`, key: `${PKI}/hosts/${host}/${daemon}.key` };
}

/**
 * etcdctl with the cluster's CA and etcd's root user's certificate (what an operator uses), or `as` another
 * user's certificate; ARGS after the connection options.
 */
export function etcdctl(
  args: readonly string[],
  o: { endpoints?: readonly string[]; as?: { cert: string; key: string }; timeoutMs?: number } = {},
): Promise<Run> {
  const as = o.as ?? { cert: `${PKI}/root.crt`, key: `${PKI}/root.key` };
  const connection = ['--endpoints', (o.endpoints ?? ETCD).join(','), '--cacert', `${PKI}/ca.crt`];
  return run('etcdctl', [...connection, '--cert', as.cert, '--key', as.key, ...args], o.timeoutMs ?? 5000);
}
/** A DNS server: `rundock dns` of the cluster, or the public zone's primary (Knot, scripts/cluster.sh). */
export interface DnsServer {
  address: string;
  port: number;
}
const DNS_SERVER: DnsServer = { address: '10.77.0.11', port: 8053 };
export const KNOT: DnsServer = { address: '10.78.0.53', port: 53 };
export const GRAFANA_HOST_HEADER = 'grafana.prod.example.com';
export const SKYDNS = '/skydns/com/example/prod/s';

/** The records the deployed cluster holds when all is well. */
export const EXPECTED_KEYS = [
  `${SKYDNS}/grafana/node-back-1`,
  `${SKYDNS}/grafana/node-front-2`,
  `${SKYDNS}/influxdb/node-back-1`,
  `${SKYDNS}/www/node-front-1`,
  `${SKYDNS}/www/node-front-2`,
];

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program (argument array, no shell), never throwing on a non-zero exit. */
export function run(program: string, args: readonly string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `scripts/cluster.sh ARGS...`; throws when it fails. */
export async function cluster(...args: string[]): Promise<Run> {
  const result = await run('bash', [SCRIPT, ...args], 180_000);
  if (result.code !== 0)
    throw new Error(`cluster.sh ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** Where the role installed and configured HOST (rundock_root in test/cluster/hosts.yml). */
export function rootOf(host: Host): string {
  return `${STATE}/hosts/${host}/root`;
}

/** Each host's line of an ansible-playbook run's PLAY RECAP: `{ 'node-back-1': { ok: 3, changed: 0, ... } }`. */
export function recap(stdout: string): Partial<Record<Host, Record<string, number>>> {
  const out: Partial<Record<Host, Record<string, number>>> = {};
  const at = stdout.indexOf('PLAY RECAP');
  if (at < 0) return out;
  for (const [, host = '', counts = ''] of stdout.slice(at).matchAll(/^(\S+)\s+:\s+(.*)$/gm)) {
    if (!(host in PRIVATE)) continue;
    const pairs = [...counts.matchAll(/(\w+)=(\d+)/g)].map(([, k = '', n]): [string, number] => [k, Number(n)]);
    out[host as Host] = Object.fromEntries(pairs);
  }
  return out;
}

/** The Docker engine of one host, through its socket. */
export function engine(host: Host): Docker {
  return new Docker({ socketPath: `${STATE}/hosts/${host}/run/docker.sock` });
}

// ---------------------------------------------------------------- etcd

/** Keys under PREFIX, read through ENDPOINTS with etcdctl; undefined when etcd does not answer within ~1.5 s. */
export async function etcdKeys(
  prefix = `${SKYDNS}/`,
  endpoints: readonly string[] = ETCD,
): Promise<string[] | undefined> {
  const r = await etcdctl(
    ['--dial-timeout', '500ms', '--command-timeout', '1500ms', 'get', '--prefix', '--keys-only', prefix],
    { endpoints },
  );
  if (r.code !== 0) return undefined;
  return r.stdout
    .split('\n')
    .filter((line) => line !== '')
    .sort();
}

/** Whether every member answers healthy. */
export async function etcdHealthy(endpoints: readonly string[] = ETCD): Promise<boolean> {
  const r = await etcdctl(['--dial-timeout', '500ms', '--command-timeout', '1500ms', 'endpoint', 'health'], {
    endpoints,
  });
  return r.code === 0;
}

interface MemberStatus {
  Endpoint: string;
  Status: { leader?: number; raftTerm: number; header: { member_id: number } };
}

/** Every member's status that answers within 2 s (member ids exceed 2^53, but parse to the same double everywhere). */
async function etcdStatus(endpoints: readonly string[] = ETCD): Promise<{ members: MemberStatus[]; raw: string }> {
  const r = await etcdctl(['--command-timeout', '2s', 'endpoint', 'status', '-w', 'json'], { endpoints });
  return { members: JSON.parse(r.stdout || '[]') as MemberStatus[], raw: r.stdout + r.stderr };
}

/** The host whose etcd member leads. */
export async function etcdLeader(): Promise<Host> {
  const { members, raw } = await etcdStatus();
  const leaderId = members[0]?.Status.leader;
  const endpoint = members.find((m) => m.Status.header.member_id === leaderId)?.Endpoint;
  const host = HOSTS.find((h) => endpoint === `https://${PRIVATE[h]}:2379`);
  if (host === undefined) throw new Error(`no etcd leader in ${raw}`);
  return host;
}

/** The raft term ENDPOINTS agree on under one leader; undefined when one does not answer, or they disagree. */
export async function etcdTerm(endpoints: readonly string[] = ETCD): Promise<number | undefined> {
  const { members } = await etcdStatus(endpoints);
  const agreed = new Set(members.map((m) => `${m.Status.leader ?? 'none'}/${m.Status.raftTerm}`));
  const term = members[0]?.Status.raftTerm;
  return members.length === endpoints.length && agreed.size === 1 && members[0]?.Status.leader ? term : undefined;
}

export interface EtcdEvent {
  type: 'PUT' | 'DELETE';
  key: string;
}

/** Watches PREFIX with `etcdctl watch` until `stop()`; resolves with every event etcd sent (type and key). */
export function etcdWatch(prefix: string): { stop(): Promise<EtcdEvent[]> } {
  const tls = ['--cacert', `${PKI}/ca.crt`, '--cert', `${PKI}/root.crt`, '--key', `${PKI}/root.key`];
  const child = spawn('etcdctl', ['--endpoints', ETCD.join(','), ...tls, 'watch', '--prefix', prefix], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const guard = setTimeout(() => child.kill('SIGKILL'), 180_000);
  return {
    async stop() {
      clearTimeout(guard);
      child.kill('SIGTERM');
      await exited;
      // etcdctl prints each event as its type, its key and its value, a line each.
      const lines = out.split('\n');
      const events: EtcdEvent[] = [];
      lines.forEach((line, i) => {
        if ((line === 'PUT' || line === 'DELETE') && lines[i + 1] !== undefined)
          events.push({ type: line, key: lines[i + 1] ?? '' });
      });
      return events;
    },
  };
}

// ---------------------------------------------------------------- DNS

/**
 * A records of NAME from `rundock dns` (or SERVER; sorted); 'NXDOMAIN'/'SERVFAIL'... for no answer; 'timeout' without
 * reply.
 */
export async function resolveA(name: string, waitMs = 800, server = DNS_SERVER): Promise<string[] | string> {
  const socket = createSocket('udp4');
  const id = Math.floor(Math.random() * 0xffff);
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: 'A', class: 'IN' }],
  });
  const reply = await new Promise<Buffer | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    socket.on('message', (m) => {
      if (m.length >= 2 && m.readUInt16BE(0) === id) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    socket.on('error', () => undefined);
    socket.send(query, server.port, server.address);
  });
  socket.close();
  if (reply === undefined) return 'timeout';
  const packet = dnsPacket.decode(reply);
  const rcode = (packet.flags ?? 0) & 0xf;
  if (rcode !== 0) return rcode === 3 ? 'NXDOMAIN' : `RCODE${rcode}`;
  return (packet.answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : [])).sort();
}

// ---------------------------------------------------------------- nginx

/** The upstream servers of grafana in a frontend's rendered nginx file. */
export async function nginxGrafanaServers(frontend: Frontend): Promise<string[]> {
  const text = await readFile(`${rootOf(frontend)}/etc/nginx/rundock/rundock-upstreams.conf`, 'utf8').catch(() => '');
  const block = /upstream docker_grafana \{([^}]*)\}/.exec(text)?.[1] ?? '';
  return [...block.matchAll(/server (\S+?);/g)]
    .map((m) => m[1] ?? '')
    .filter((s) => !s.endsWith(' down'))
    .sort();
}

export interface HttpResult {
  status: number;
  body: string;
}

/** GET http://ADDRESS:PORT/PATH on a new connection, with an optional Host header; rejects on error or timeout. */
export function httpGet(address: string, path = '/', host?: string, port = 80, timeoutMs = 3000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: address,
        port,
        path,
        agent: false,
        headers: host === undefined ? {} : { Host: host },
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface LoadReport {
  requests: number;
  failures: number;
  /** ms since the load started, and what went wrong, for each failure. */
  failed: { at: number; frontend: string; error: string }[];
  /** Responses per grafana instance (the body names its host). */
  byInstance: Record<string, number>;
  /** Responses per grafana version (the body's `vN`), in the order first seen. */
  byVersion: Record<string, number>;
  /** The slowest request, ms. */
  maxMs: number;
}

/** A load running through the frontends until stopped. */
export interface Load {
  /** Resolves once every frontend has answered `count` more requests (any outcome) from now; rejects after 20 s. */
  more(count: number): Promise<void>;
  stop(): Promise<LoadReport>;
}

/**
 * Requests grafana through every frontend's nginx (one sequential loop per frontend, a new connection each time)
 * until `stop()` or `maxMs`; counts failures (an error, a timeout, or a status other than 200).
 */
export function loadThroughFrontends(frontends: readonly Frontend[] = FRONTENDS, maxMs = 120_000): Load {
  const report: LoadReport = { requests: 0, failures: 0, failed: [], byInstance: {}, byVersion: {}, maxMs: 0 };
  const perFrontend = new Map<Frontend, number>(frontends.map((f) => [f, 0]));
  const started = Date.now();
  let stopped = false;
  const loop = async (frontend: Frontend): Promise<void> => {
    while (!stopped && Date.now() - started < maxMs) {
      const t = Date.now();
      try {
        // Longer than nginx's own bound for a request in flight to an instance that vanished (read timeout 2 s,
        // then the next instance), so such a request counts as answered late, not as failed.
        const r = await httpGet(PUBLIC[frontend], '/', GRAFANA_HOST_HEADER, 80, 5000);
        if (r.status !== 200) throw new Error(`status ${r.status}`);
        const [, instance = '?', version = '?'] = /grafana on (\S+)(?: v(\S+))?/.exec(r.body) ?? [];
        report.byInstance[instance] = (report.byInstance[instance] ?? 0) + 1;
        report.byVersion[version] = (report.byVersion[version] ?? 0) + 1;
      } catch (error) {
        report.failures++;
        report.failed.push({
          at: t - started,
          frontend,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      report.requests++;
      perFrontend.set(frontend, (perFrontend.get(frontend) ?? 0) + 1);
      report.maxMs = Math.max(report.maxMs, Date.now() - t);
      await sleep(10);
    }
  };
  const loops = Promise.all(frontends.map(loop));
  return {
    async more(count) {
      const targets = new Map([...perFrontend].map(([f, n]) => [f, n + count]));
      await waitFor(
        () => [...targets].every(([f, n]) => (perFrontend.get(f) ?? 0) >= n),
        20_000,
        10,
        `${count} more requests through every frontend`,
      );
    },
    async stop() {
      stopped = true;
      await loops;
      return report;
    },
  };
}

// ---------------------------------------------------------------- containers

export interface ContainerMark {
  id: string;
  startedAt: string;
  restartCount: number;
  running: boolean;
}

/** Id, start time and restart count of the named containers on HOST. */
export async function marks(host: Host, names: readonly string[]): Promise<Record<string, ContainerMark>> {
  const out: Record<string, ContainerMark> = {};
  for (const name of names) {
    const info = await engine(host).getContainer(name).inspect();
    out[name] = {
      id: info.Id,
      startedAt: info.State.StartedAt,
      restartCount: info.RestartCount,
      running: info.State.Running,
    };
  }
  return out;
}

/** Waits until every etcd member follows one leader, every expected record is in etcd, and the DNS server and nginx
 * files reflect them. */
export async function waitClusterSettled(timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => (await etcdTerm()) !== undefined, timeoutMs, 200, 'every etcd member under one leader');
  await waitFor(
    async () => {
      const keys = await etcdKeys();
      return keys !== undefined && EXPECTED_KEYS.every((k) => keys.includes(k));
    },
    timeoutMs,
    200,
    'every record in etcd',
  );
  await waitFor(
    async () => {
      const g = await resolveA(`grafana.${DOMAIN}`);
      return Array.isArray(g) && g.length === 2 && Array.isArray(await resolveA(`influxdb.${DOMAIN}`));
    },
    timeoutMs,
    200,
    'DNS answers influxdb and both grafanas',
  );
  for (const f of FRONTENDS) {
    await waitFor(
      async () => (await nginxGrafanaServers(f)).length === 2,
      timeoutMs,
      200,
      `${f}'s nginx has both grafanas`,
    );
  }
}

/** One line per figure, collected for the summary printed at the end of the suite. */
export const figures: string[] = [];
export function figure(text: string): void {
  figures.push(text);
  process.stderr.write(`[figure] ${text}\n`);
}
