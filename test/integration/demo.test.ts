/**
 * The demo, README's first command (issue 19): it skips `npm ci` when node_modules matches the lockfile, starts an
 * agent of its own (never one that happens to answer on 9476), picks free ports when the usual ones are taken and
 * says so in one line, refuses in one line when another agent runs on this Docker engine, and ends by saying how to
 * run rundock.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { startAgent } from './agent-process.js';
import { ADDRESSES, removeContainers, uniqueName, type RunResult } from './harness.js';

const DEMO = fileURLToPath(new URL('../../scripts/demo.sh', import.meta.url));

function demo(env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) =>
    execFile('bash', [DEMO], { env: { ...process.env, ...env }, timeout: 300_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    ),
  );
}

/** Holds 127.0.0.1:PORT (TCP or UDP) if it is free; either way the demo must find it taken. */
async function hold(port: number, kind: 'tcp' | 'udp'): Promise<Server | Socket | undefined> {
  if (kind === 'tcp') {
    const server = createServer();
    return new Promise((resolve) => {
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  }
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(undefined));
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });
}

describe('scripts/demo.sh', () => {
  const service = uniqueName('demo');
  const state = mkdtempSync(join(tmpdir(), 'rundock-demo-'));
  const env = { RUNDOCK_DEMO_STATE: state, RUNDOCK_DEMO_SERVICE: service };
  after(async () => {
    // The demo leaves its agent running (as a user would want it): this test stops it.
    const pid = Number(
      (() => {
        try {
          return readFileSync(join(state, 'agent.pid'), 'utf8');
        } catch {
          return '0';
        }
      })(),
    );
    if (pid > 0) process.kill(pid, 'SIGKILL');
    await removeContainers(service);
  });

  it('with another agent on this Docker engine: says so in one line, naming it, and uses none', async () => {
    const foreign = await startAgent(['--domain', 's.other.example.com', ...ADDRESSES]);
    try {
      const r = await demo(env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /node_modules matches package-lock\.json: npm ci skipped/);
      assert.match(
        r.stderr,
        new RegExp(
          `\\nrundock: another rundock agent runs on this Docker engine \\(.*\\): pid ${foreign.pid}, status ${foreign.status},`,
        ),
      );
      assert.match(r.stderr, /the demo needs an agent of its own on this Docker engine; stopped/);
      assert.doesNotMatch(r.stdout, /rundock enable/, 'nothing deployed through the foreign agent');
    } finally {
      await foreign.stop('SIGKILL');
    }
  });

  it('with its usual ports taken: picks free ones, says which, deploys, and ends by saying how to run rundock', async () => {
    const held = [await hold(9476, 'tcp'), await hold(8053, 'udp'), await hold(8080, 'tcp')];
    try {
      const r = await demo(env);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      for (const [port, what] of [
        [9476, "the agent's status address"],
        [8053, 'the DNS server'],
        [8080, 'the demo service'],
      ] as const)
        assert.match(
          r.stderr,
          new RegExp(`port ${port} is in use \\(by [^)]*\\): ${what} uses 127\\.0\\.0\\.1:\\d+ instead`),
        );
      assert.match(
        r.stdout,
        new RegExp(`\\+ dig @127\\.0\\.0\\.1 -p \\d+ ${service}\\.s\\.demo\\.internal \\+short\\n127\\.0\\.0\\.1\\n`),
      );
      assert.match(r.stdout, /hello from rundock/);
      assert.match(r.stdout, /\nrun rundock: (rundock|npx rundock) ps --agent 127\.0\.0\.1:\d+/);
    } finally {
      for (const h of held) h?.close();
    }
  });
});
