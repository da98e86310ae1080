/**
 * One host behind nginx, as the issue-19 trial had it: nginx, the agent (embedded registry, its DNS server and its
 * gateway rendering nginx's upstream and route), and web services deployed with `rundock enable`. Shared by
 * bench/agent-faults.ts. The rundock that runs is `RUNDOCK_BIN` (default: this checkout's build), so the same run can
 * be made with another build beside it (e.g. main's, for the reference column).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type AgentProcess } from '../test/integration/agent-process.js';
import { get } from '../test/integration/gateway/backends.js';
import { startNginx, type NginxProcess } from '../test/integration/gateway/nginx-process.js';
import { ADDRESSES, freePort, IMAGE, rundock } from '../test/integration/harness.js';

export const DOMAIN = 's.bench.example.com';
export const HOST_HEADER = 'web.bench.example.com';

/** The running host. */
export interface SingleHost {
  nginx: NginxProcess;
  agent: AgentProcess;
  /** nginx's route port (Host: HOST_HEADER). */
  routePort: number;
  /** The agent's DNS port. */
  dnsPort: number;
  /** The service the route serves. */
  service: string;
  stop(): Promise<void>;
}

/** nginx and an agent whose gateway routes HOST_HEADER to `service`; `agentArgs` are more agent flags. */
export async function startSingleHost(service: string, agentArgs: readonly string[] = []): Promise<SingleHost> {
  const nginx = await startNginx(1);
  const [routePort, dnsPort] = [await freePort(), await freePort()];
  const o = nginx.options;
  const agent = await startAgent([
    ...['--domain', DOMAIN, '--hostname', 'bench-1', '--state-dir', mkdtempSync(join(tmpdir(), 'rundock-bench-'))],
    ...['--dns', `127.0.0.1:${dnsPort}`, ...ADDRESSES],
    ...['--nginx-conf-dir', nginx.confDir, '--nginx', o.bin ?? '/usr/sbin/nginx', '--nginx-prefix', o.prefix ?? ''],
    ...['--nginx-conf', o.conf ?? '', '--nginx-error-log', o.errorLog ?? '', '--nginx-pid-file', o.pidFile ?? ''],
    ...['--upstream', service, '--route', `${HOST_HEADER}=${service}`, '--route-listen', `127.0.0.1:${routePort}`],
    ...agentArgs,
  ]);
  return {
    nginx,
    agent,
    routePort,
    dnsPort,
    service,
    stop: async () => {
      await agent.stop('SIGKILL');
      await nginx.stop();
    },
  };
}

/** `rundock enable NAME` of busybox's httpd running `cmd` on a free port, with `check` flags; resolves to the port. */
export async function enableWeb(name: string, cmd: string, check: readonly string[], agent: string): Promise<number> {
  const port = await freePort();
  const args = ['enable', name, '--image', IMAGE, '--cmd', cmd, '--announce', String(port), '--port', '8080'];
  const result = await rundock([...args, ...check, '--agent', agent, '--timeout', '30', ...ADDRESSES]);
  if (result.code !== 0 && !check.includes('--timeout')) throw new Error(`enable ${name}: ${result.stderr}`);
  return port;
}

/** One request through nginx: its status, 0 for a connection error or a timeout. */
export async function through(port: number, timeoutMs = 5000): Promise<number> {
  return (await get(port, HOST_HEADER, '/', timeoutMs)).status;
}
