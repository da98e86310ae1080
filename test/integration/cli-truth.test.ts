/**
 * The CLI tells the truth (issue 19): help texts say which hand-over a command does, and `enable` says so before a
 * withdraw-first swap; dry runs speak in the conditional; the agent's reason reaches the user's error line; a service
 * known to history but missing in Docker points at `rundock rollback`; every address in use is named.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, type AgentProcess } from './agent-process.js';
import { ADDRESSES, docker, freePort, httpdCmd, IMAGE, removeContainers, rundock, uniqueName } from './harness.js';
import { startEtcd, type EtcdProcess } from './registry/etcd-process.js';

const DOMAIN = 's.truth.example.com';
const HEALTH = ['--health-cmd', 'wget -q -O /dev/null http://127.0.0.1:8080/', '--health-interval', '1s'];
const created: string[] = [];
after(async () => removeContainers(...created.flatMap((n) => [n, `${n}_rundock_next`, `${n}_rundock_old`])));

describe('help texts say which hand-over a command does', () => {
  it('enable, rollback and restart name the withdraw-first swap and what it costs; nothing claims no request drops', async () => {
    for (const command of ['enable', 'rollback', 'restart']) {
      const help = (await rundock([command, '--help'])).stdout.replace(/\s+/g, ' ');
      assert.doesNotMatch(help, /drops no request/, command);
      assert.match(help, /withdrawn (from every gateway )?first/, command);
      assert.match(help, /requests to this host fail until/, command);
    }
    assert.match((await rundock(['--help'])).stdout.replace(/\s+/g, ' '), /rollback <name> .*withdrawn first/);
  });
});

describe('deploys without an agent', () => {
  const env = { RUNDOCK_STATE_DIR: mkdtempSync(join(tmpdir(), 'rundock-truth-')) };
  const noAgent = ['--agent', '127.0.0.1:9'];
  const spec = (port: number, version: string): string[] => [
    ...['--image', IMAGE, '--cmd', httpdCmd(), '--announce', String(port), '--port', '8080'],
    ...['-e', `VERSION=${version}`, ...HEALTH, ...noAgent, ...ADDRESSES],
  ];

  it('enable says in one line before a withdraw-first swap that requests fail meanwhile; dry runs, that they would', async () => {
    const name = uniqueName('tr');
    created.push(name);
    const port = await freePort();
    assert.equal((await rundock(['enable', name, ...spec(port, '1')], env)).code, 0);
    const dry = await rundock(['enable', name, ...spec(port, '2'), '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(
      dry.stderr,
      `rundock: ${name} would be withdrawn first (its fixed host port 127.0.0.1:${port}): requests to it would fail until it serves again, unless another instance of ${name} takes them (announce: auto would overlap instead)\n`,
    );
    const real = await rundock(['enable', name, ...spec(port, '2')], env);
    assert.equal(real.code, 0, real.stderr);
    assert.match(
      real.stderr,
      new RegExp(
        `^rundock: ${name} is withdrawn first \\(its fixed host port 127\\.0\\.0\\.1:${port}\\): requests to it fail until`,
      ),
    );
    const json = await rundock(['enable', name, ...spec(port, '3'), '--json'], env);
    assert.equal(json.stderr, '', 'with --json the result says it (handover: withdraw-first)');
    assert.match(json.stdout, /"handover":"withdraw-first"/);
    // rollback --dry-run speaks in the conditional too.
    const dryBack = await rundock(['rollback', name, '--dry-run', ...noAgent, ...ADDRESSES], env);
    assert.equal(dryBack.code, 0, dryBack.stderr);
    assert.match(dryBack.stdout, /\(would change\)/);
    assert.match(dryBack.stdout, /\nwould roll back to generation 2\n$/);
    assert.doesNotMatch(dryBack.stdout, /rolled back/);
    assert.match(dryBack.stderr, new RegExp(`^rundock: ${name} would be withdrawn first`));
  });

  it('enable NAME of a service whose container was removed behind its back points at rundock rollback NAME', async () => {
    const name = uniqueName('tr');
    created.push(name);
    const port = await freePort();
    assert.equal((await rundock(['enable', name, ...spec(port, '1')], env)).code, 0);
    await docker.getContainer(name).remove({ force: true });
    const bare = await rundock(['enable', name, ...noAgent, ...ADDRESSES], env);
    assert.equal(bare.code, 2, bare.stderr);
    assert.match(
      bare.stderr,
      new RegExp(
        `^rundock: image: is required: service ${name} is not deployed on this host, .*; its history has generation 1 \\(${IMAGE.replace(/[.]/g, '\\.')}, deployed \\S+\\): \`rundock rollback ${name}\` deploys it again \\(got nothing\\) \\[RUNDOCK_E_INVALID_SPEC\\]\\n$`,
      ),
    );
    const back = await rundock(['rollback', name, ...noAgent, ...ADDRESSES], env);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /rolled back to generation 1/);
  });
});

describe("the agent's reason reaches the user's error line", () => {
  let etcd: EtcdProcess;
  let agent: AgentProcess;
  before(async () => {
    etcd = await startEtcd();
    agent = await startAgent([
      ...['--etcd', etcd.endpoint, '--domain', DOMAIN, '--hostname', 'node-tr', '--lease-ttl', '4'],
      ...ADDRESSES,
    ]);
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await etcd?.kill();
  });

  it('a deploy while etcd is down says that etcd cannot be reached, with its code, not that the agent stopped', async () => {
    await etcd.stop();
    try {
      const name = uniqueName('tr');
      created.push(name);
      const port = await freePort();
      const result = await rundock([
        ...['enable', name, '--image', IMAGE, '--cmd', httpdCmd(), '--announce', String(port), '--port', '8080'],
        ...[...HEALTH, '--agent', agent.status, '--timeout', '20', ...ADDRESSES],
      ]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `the agent at http://${agent.status} could not answer /gateways: etcd \\(${etcd.endpoint}\\) cannot be reached: .*\\[RUNDOCK_E_REGISTRY_UNAVAILABLE\\]\\n$`,
        ),
      );
      assert.doesNotMatch(result.stderr, /stopped answering|HTTP 500/);
    } finally {
      await etcd.start();
    }
  });
});

describe('every address in use is named', () => {
  let tcp: Server;
  let udp: Socket;
  let tcpPort: number;
  let udpPort: number;
  before(async () => {
    tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    tcpPort = (tcp.address() as { port: number }).port;
    udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    udpPort = udp.address().port;
  });
  after(() => {
    tcp.close();
    udp.close();
  });

  const etcd = ['--etcd', 'http://127.0.0.1:9', '--domain', DOMAIN];
  const cases = (): [string, string[], number][] => [
    ['dns --listen (UDP taken)', ['dns', ...etcd, '--listen', `127.0.0.1:${udpPort}`], udpPort],
    ['dns --listen (TCP taken)', ['dns', ...etcd, '--listen', `127.0.0.1:${tcpPort}`], tcpPort],
    [
      'dns --status-listen',
      ['dns', ...etcd, '--listen', '127.0.0.1:0', '--status-listen', `127.0.0.1:${tcpPort}`],
      tcpPort,
    ],
    ['ui --listen', ['ui', ...etcd, '--listen', `127.0.0.1:${tcpPort}`], tcpPort],
    ['dns --workers 2', ['dns', ...etcd, '--workers', '2', '--listen', `127.0.0.1:${udpPort}`], udpPort],
    [
      'agent --dns',
      [
        'agent',
        '--domain',
        DOMAIN,
        '--state-dir',
        mkdtempSync(join(tmpdir(), 'rundock-truth-')),
        '--dns',
        `127.0.0.1:${udpPort}`,
        ...ADDRESSES,
      ],
      udpPort,
    ],
  ];

  it('dns (UDP, TCP, status, workers), ui and the agent: exit 1, `cannot listen on ADDRESS:PORT` [RUNDOCK_E_LISTEN]', async () => {
    for (const [what, args, port] of cases()) {
      const status = args.includes('--status-listen') || args[0] === 'ui' ? [] : ['--status-listen', '127.0.0.1:0'];
      const r = await rundock([...args, ...status]);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(
          `(^|\\n)rundock: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use .*\\[RUNDOCK_E_LISTEN\\]\\n`,
        ),
        what,
      );
    }
  });
});
