/**
 * Status that tells the truth, and addresses from one place (issue 15): `ps` shows Docker's binding, why a container
 * is not announced and the probe's health; `--dry-run` names the fields that differ; `--network host` says what it
 * announces; `enable` publishes on the agent's addresses and refuses others. One agent (embedded registry) for all.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, type AgentProcess } from './agent-process.js';
import {
  ADDRESSES,
  containersOf,
  docker,
  freePort,
  httpGet,
  httpdCmd,
  HTTPD,
  IMAGE,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
} from './harness.js';

interface Row {
  name: string;
  status: string;
  health: string | null;
  health_check: string | null;
  published: string | null;
  network: string;
  announced: boolean | null;
  reason: string | null;
}

describe('status that tells the truth (with an agent)', () => {
  let agent: AgentProcess;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  const created: string[] = [];
  const tag = `rundock-test/busybox:${uniqueName('tag')}`;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'rundock-status-'));
    agent = await startAgent([
      '--domain',
      's.status.example.com',
      '--hostname',
      'node-1',
      '--state-dir',
      join(stateDir, 'agent'),
      '--stable-after',
      '1s',
      ...ADDRESSES,
    ]);
    env = { RUNDOCK_AGENT: agent.status, RUNDOCK_STATE_DIR: join(stateDir, 'cli') };
    const [repo = '', version = ''] = tag.split(':');
    await docker.getImage(IMAGE).tag({ repo, tag: version });
  });

  after(async () => {
    await removeContainers(...created.flatMap((n) => [n, `${n}_rundock_next`, `${n}_rundock_old`]));
    await docker
      .getImage(tag)
      .remove()
      .catch(() => undefined);
    await agent?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  const psRow = async (name: string, extra: string[] = [], e = env): Promise<Row> => {
    const ps = await rundockJson<{ services: Row[] }>(['ps', ...extra], e);
    const row = ps.json.services.find((s) => s.name === name);
    assert.ok(row, `${name} listed`);
    return row;
  };

  it("ps shows Docker's binding, not an address computed from this host's", async () => {
    const name = uniqueName('st');
    created.push(name);
    const port = await freePort();
    const r = await rundockJson(
      ['enable', name, '--image', IMAGE, '--cmd', HTTPD, '--announce', String(port), '--port', '8080', ...ADDRESSES],
      env,
    );
    assert.equal(r.code, 0, r.stdout);
    // Without the agent, and told another address: the binding is still the one Docker made.
    const row = await psRow(name, ['--private-ip', '127.0.0.9'], { RUNDOCK_AGENT: '127.0.0.1:1' });
    assert.equal(row.published, `127.0.0.1:${port}`);
    assert.equal(row.announced, null);
  });

  it('a created container is "not running", not "no agent"', async () => {
    const name = uniqueName('st');
    created.push(name);
    assert.equal(
      (
        await rundockJson(
          ['present', name, '--image', IMAGE, '--cmd', HTTPD, '--announce', String(await freePort()), '--port', '8080'],
          env,
        )
      ).code,
      0,
    );
    const row = await psRow(name);
    assert.equal(row.status, 'created');
    assert.deepEqual([row.announced, row.reason, row.published], [false, 'not running', null]);
    const human = await rundock(['ps'], env);
    assert.match(human.stdout, new RegExp(`^${name}\\s+created\\s+-\\s+0\\s+\\S+\\s+-\\s+-\\s+no: not running$`, 'm'));
  });

  it("HEALTH shows the agent probe's state", async () => {
    const name = uniqueName('st');
    created.push(name);
    const r = await rundockJson(
      [
        'enable',
        name,
        '--image',
        IMAGE,
        '--cmd',
        HTTPD,
        '--announce',
        'auto',
        '--port',
        '8080',
        '--probe',
        'http:/',
        '--probe-interval',
        '200ms',
        '--timeout',
        '30',
      ],
      env,
    );
    assert.equal(r.code, 0, r.stdout);
    const row = await psRow(name);
    assert.deepEqual([row.health, row.health_check, row.announced], ['healthy', 'probe', true]);
    const bound = (r.json.published as { port: number }).port;
    assert.equal(row.published, `127.0.0.1:${bound}`, 'the port Docker picked');
    const human = await rundock(['ps'], env);
    assert.match(
      human.stdout,
      new RegExp(`^${name}\\s+running\\s+healthy \\(probe\\)\\s+0 .* 127\\.0\\.0\\.1:${bound}\\s+-\\s+yes$`, 'm'),
    );
  });

  it('restart withdraws the service through the agent, then has it announced again; a bare enable too', async () => {
    const name = uniqueName('st');
    created.push(name);
    const spec = ['--image', IMAGE, '--cmd', HTTPD, '--announce', 'auto', '--port', '8080', '--probe', 'http:/'];
    const first = await rundockJson<{ after: { id: string } }>(
      ['enable', name, ...spec, '--probe-interval', '200ms'],
      env,
    );
    assert.equal(first.code, 0, first.stdout);
    const restarted = await rundockJson<{ handover: string; address: string; after: { id: string } }>(
      ['restart', name, '--drain', '0s', '--timeout', '30'],
      env,
    );
    assert.equal(restarted.code, 0, restarted.stdout);
    assert.equal(restarted.json.handover, 'withdraw-first');
    assert.equal(restarted.json.after.id, first.json.after.id, 'the same container');
    assert.match(restarted.json.address, /^127\.0\.0\.1:\d+$/, 'announced again before restart returned');
    assert.equal((await psRow(name)).announced, true);

    assert.equal((await rundockJson(['disable', name], env)).code, 0);
    assert.equal((await psRow(name)).reason, 'not running');
    const bare = await rundockJson<{ address: string }>(['enable', name, '--timeout', '30'], env);
    assert.equal(bare.code, 0, bare.stdout);
    assert.match(bare.json.address, /^127\.0\.0\.1:\d+$/, 'a bare enable waits for the announcement too');
  });

  it('enable publishes on the address the agent announces; another one given is refused before any change', async () => {
    const name = uniqueName('st');
    created.push(name);
    const port = await freePort();
    const spec = ['enable', name, '--image', IMAGE, '--cmd', HTTPD, '--announce', String(port), '--port', '8080'];
    const mismatch = await rundockJson(spec, { ...env, RUNDOCK_PRIVATE_IP: '127.0.0.2' });
    assert.equal(mismatch.code, 2);
    const error = mismatch.json.error as { code: string; field: string; message: string };
    assert.equal(error.code, 'RUNDOCK_E_ADDRESS_MISMATCH');
    assert.equal(error.field, 'RUNDOCK_PRIVATE_IP');
    assert.match(
      error.message,
      new RegExp(`127\\.0\\.0\\.1 that the agent at http://${agent.status.replaceAll('.', '\\.')}`),
    );
    assert.deepEqual(await containersOf(name), [], 'nothing created');
    const flag = await rundock([...spec, '--private-ip', '127.0.0.3'], env);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^rundock: private-ip: differs from the private address 127\.0\.0\.1/);

    // No address given: the agent's is used, whatever this command would have detected.
    const ok = await rundockJson(spec, { ...env, RUNDOCK_PRIVATE_IP: '' });
    assert.equal(ok.code, 0, ok.stdout);
    assert.deepEqual(ok.json.published, { ip: '127.0.0.1', port });
    assert.equal(ok.json.address, `127.0.0.1:${port}`, 'announced there');
  });

  it('--dry-run names the fields that differ, before and after', async () => {
    const name = uniqueName('st');
    created.push(name);
    const [p1, p2] = [await freePort(), await freePort()];
    const spec = (image: string, port: number, cmd: string, health: string): string[] => [
      'enable',
      name,
      '--image',
      image,
      '--cmd',
      cmd,
      '--announce',
      String(port),
      '--port',
      '8080',
      '--health-cmd',
      health,
      '--health-interval',
      '1s',
      ...ADDRESSES,
    ];
    const v1 = spec(IMAGE, p1, HTTPD, 'true');
    assert.equal((await rundockJson(v1, env)).code, 0);
    const v2 = spec(tag, p2, httpdCmd('echo v2;'), 'wget -q -O /dev/null http://127.0.0.1:8080/');
    const dry = await rundockJson<{ changed: boolean; changes: { field: string; before: string; after: string }[] }>(
      [...v2, '--dry-run'],
      env,
    );
    assert.equal(dry.code, 0, dry.stdout);
    const changes = new Map(dry.json.changes.map((c) => [c.field, [c.before, c.after]]));
    assert.deepEqual(changes.get('image'), [IMAGE, tag]);
    assert.equal(changes.has('image_id'), false, 'the same image ID behind both references');
    assert.deepEqual(changes.get('published'), [`127.0.0.1:${p1}->8080/tcp`, `127.0.0.1:${p2}->8080/tcp`]);
    assert.deepEqual(changes.get('announce'), [String(p1), String(p2)]);
    assert.ok(changes.has('cmd') && changes.has('health'), JSON.stringify(dry.json.changes));
    const human = await rundock([...v2, '--dry-run'], env);
    assert.match(
      human.stdout,
      new RegExp(`^ {2}~ published: 127\\.0\\.0\\.1:${p1}->8080/tcp -> 127\\.0\\.0\\.1:${p2}->8080/tcp$`, 'm'),
    );
    assert.match(human.stdout, /^ {2}~ health: /m);
    const same = await rundockJson<{ changed: boolean; changes: unknown[] }>([...v1, '--dry-run'], env);
    assert.deepEqual([same.json.changed, same.json.changes], [false, []]);
  });

  it('--network host with --announce: the port the service listens on is announced, and said so', async () => {
    const name = uniqueName('st');
    created.push(name);
    const port = await freePort();
    const r = await rundockJson(
      [
        'enable',
        name,
        '--image',
        IMAGE,
        '--cmd',
        `httpd -f -p 127.0.0.1:${port} -h /www`,
        '--args',
        '--network host',
        '--announce',
        String(port),
        '--timeout',
        '30',
      ],
      env,
    );
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(r.json.published, { ip: '127.0.0.1', port, network: 'host' });
    assert.equal(r.json.address, `127.0.0.1:${port}`);
    assert.equal((await httpGet(port)).status, 200);
    const row = await psRow(name);
    assert.deepEqual([row.published, row.network], [`127.0.0.1:${port}`, 'host']);
    const human = await rundock(
      [
        'enable',
        name,
        '--image',
        IMAGE,
        '--cmd',
        `httpd -f -p 127.0.0.1:${port} -h /www`,
        '--args',
        '--network host',
        '--announce',
        String(port),
      ],
      env,
    );
    assert.match(human.stdout, /host network: nothing published, it listens there itself/);
    const auto = await rundock(
      [
        'enable',
        uniqueName('st'),
        '--image',
        IMAGE,
        '--args',
        '--network host',
        '--announce',
        'auto',
        '--port',
        '8080',
      ],
      env,
    );
    assert.equal(auto.code, 2);
    assert.match(auto.stderr, /announce: needs a published port/);
  });
});
