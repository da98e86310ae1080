/**
 * The web UI off loopback (agent --ui with the embedded registry, bound to an address off loopback: the agent runs in
 * a network namespace the test creates, joined to this one by a veth pair, netns-link.ts): it refuses to start
 * without a token, answers 401 without it, and no response (page, script, JSON, the event stream) carries a secret
 * of a service deployed with an env file. Needs root (the namespace), as every integration test here.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, waitFor, type AgentProcess } from '../agent-process.js';
import {
  ADDRESSES,
  freePort,
  HTTPD,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundock,
  uniqueName,
} from '../harness.js';
import { createNetnsLink, type NetnsLink } from '../netns-link.js';

const DOMAIN = 's.uisec.example.com';
const HOST = 'ui-node-2';
const token = randomBytes(24).toString('hex');
const secret = `rd-ui-secret-${randomBytes(12).toString('hex')}`;
const name = uniqueName('ui-test');
const work = mkdtempSync(join(tmpdir(), 'rundock-ui-access-'));
const bearer = { authorization: `Bearer ${token}` };

interface State {
  model: { hosts: { host: string; services: { service: string; announced: boolean }[] }[] };
}

describe('web UI off loopback: token and secrets', () => {
  let link: NetnsLink | undefined;
  let agent: AgentProcess | undefined;
  let ip = '';
  let base = '';
  /** The CLI waits on this agent (no other agent on the machine). */
  let cliEnv: NodeJS.ProcessEnv = {};
  const announced = async (want: boolean): Promise<boolean> => {
    const response = await fetch(new URL('/api/state', base), { headers: bearer });
    const state = (await response.json()) as State;
    const row = state.model.hosts.find((h) => h.host === HOST)?.services.find((s) => s.service === name);
    return row?.announced === want;
  };

  before(async () => {
    writeFileSync(join(work, 'token'), `${token}\n`, { mode: 0o600 });
    writeFileSync(join(work, 'app.env'), `DB_PASSWORD=${secret}\nPUBLIC_SETTING=visible\n`, { mode: 0o600 });
    link = await createNetnsLink();
    ip = link.address;
    base = `http://${ip}:${await freePort()}/`;
    const ui = ['--ui', new URL(base).host, '--ui-token-file', join(work, 'token')];
    agent = await startAgent(
      ['--domain', DOMAIN, '--hostname', HOST, '--state-dir', join(work, 'state'), ...ADDRESSES, ...ui],
      {},
      link,
    );
    cliEnv = { RUNDOCK_AGENT: agent.status };
  });
  after(async () => {
    await agent?.stop('SIGTERM');
    await link?.destroy();
    await removeContainers(name);
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses to listen off loopback without a token, naming the flag, with exit status 2', async () => {
    const agentRun = await rundock([
      'agent',
      '--domain',
      DOMAIN,
      '--state-dir',
      join(work, 'refused'),
      '--ui',
      `${ip}:0`,
    ]);
    assert.equal(agentRun.code, 2, agentRun.stderr);
    assert.match(agentRun.stderr, /ui-token-file: is required to listen on .*not a loopback address/);
    const ui = ['ui', '--etcd', 'http://127.0.0.1:9', '--domain', DOMAIN];
    const open = await rundock([...ui, '--listen', '0.0.0.0:0']);
    assert.equal(open.code, 2, open.stderr);
    assert.match(open.stderr, /ui-token-file: is required to listen on 0\.0\.0\.0:0/);
    const port = await rundock([...ui, '--listen', '127.0.0.1:99999']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /listen: must have a port from 0 to 65535 \(got "127\.0\.0\.1:99999"\)/);
    const weak = await rundock([...ui, '--listen', '0.0.0.0:0'], { RUNDOCK_UI_TOKEN: 'hunter2hunter' });
    assert.equal(weak.code, 2);
    assert.match(weak.stderr, /RUNDOCK_UI_TOKEN: must hold a token of at least 16/);
    assert.equal(weak.stderr.includes('hunter2hunter'), false, 'the token is not echoed');
  });

  it('answers 401 without the token, and serves with it (header, or the cookie the ?token= link sets)', async () => {
    for (const path of ['/', '/app.js', '/api/state', '/events', '/healthz']) {
      const response = await fetch(new URL(path, base));
      assert.equal(response.status, 401, path);
      assert.equal((await response.text()).includes('"model"'), false);
    }
    const wrong = await fetch(new URL('/api/state', base), { headers: { authorization: `Bearer ${token}x` } });
    assert.equal(wrong.status, 401);
    assert.equal((await fetch(new URL('/api/state', base), { headers: bearer })).status, 200);
    const login = await fetch(new URL(`/?token=${token}`, base), { redirect: 'manual' });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), '/');
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    assert.match(login.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
    const page = await fetch(base, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/app\.js">/);
    const write = await fetch(new URL('/api/state', base), { method: 'POST', headers: bearer });
    assert.equal(write.status, 405, 'read-only');
  });

  it('sends no secret: page, script, stylesheet, JSON and the event stream, while a service with an env file changes', async () => {
    const stream = await fetch(new URL('/events', base), { headers: bearer });
    assert.equal(stream.status, 200);
    const reader = (stream.body ?? new ReadableStream<Uint8Array>()).getReader();
    let streamed = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        streamed += decoder.decode(value, { stream: true });
      }
    })();
    const port = await freePort();
    const enable = ['enable', name, '--image', IMAGE, '--cmd', HTTPD, '--announce', String(port), '--port', '8080'];
    const deployed = await rundock([...enable, '--args', `--env-file ${join(work, 'app.env')}`, ...ADDRESSES], cliEnv);
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
    const env = (await inspectContainer(name))?.Config.Env ?? [];
    assert.ok(env.includes(`DB_PASSWORD=${secret}`), 'the secret is in the container: the test would see a leak');
    await waitFor(() => announced(true), 20_000, 100);
    assert.equal((await rundock(['disable', name], cliEnv)).code, 0);
    await waitFor(() => announced(false), 5000, 100);
    await waitFor(() => streamed.includes(`"kind":"withdrawn","host":"${HOST}","service":"${name}"`), 2000);
    await reader.cancel();
    await reading.catch(() => undefined);
    const bodies: [string, string][] = [['/events', streamed]];
    for (const path of ['/', '/app.js', '/app.css', '/api/state', '/healthz', '/nothing']) {
      bodies.push([path, await (await fetch(new URL(path, base), { headers: bearer })).text()]);
    }
    assert.match(streamed, new RegExp(`"service":"${name}"`), 'the stream did carry the service');
    for (const [path, body] of bodies) {
      assert.equal(body.includes(secret), false, `${path} carries the secret`);
      assert.equal(body.includes('DB_PASSWORD'), false, `${path} carries the variable's name`);
    }
  });
});
