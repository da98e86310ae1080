/**
 * Secrets from env files reach the container's environment and nowhere else: not the labels, etcd, logs (debug level),
 * `ps --json`, `apply --json`/dry-run, Ansible output (-v, diff, check mode), nor any file rundock writes. A change of an
 * env file's content is still detected (keyed digest in the spec hash) and redeploys; an unchanged file does not.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startAgent, waitFor, type AgentProcess } from '../agent-process.js';
import {
  ADDRESSES,
  BIN,
  docker,
  freePort,
  HTTPD,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
} from '../harness.js';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';

const DOMAIN = 's.sec.example.com';
const HOST = 'node-sec';
const LIBRARY = fileURLToPath(new URL('../../../library', import.meta.url));
const secretValue = (): string => `rd-secret-${randomBytes(12).toString('hex')}`;

let work = '';
let envFile = '';
let cliEnv: NodeJS.ProcessEnv = {};
/** Everything rundock printed or logged, and everything Ansible printed: searched for the secret at the end. */
const outputs: { what: string; text: string }[] = [];
const names = { cli: uniqueName('sec'), apply: uniqueName('sec'), ansible: uniqueName('sec') };
const ports = { cli: 0, apply: 0, ansible: 0 };

function writeEnvFile(secret: string): void {
  writeFileSync(envFile, `# secrets\nDB_PASSWORD=${secret}\nPUBLIC_SETTING=visible\n`, { mode: 0o600 });
}

async function cli(what: string, args: string[]): Promise<Record<string, unknown>> {
  const result = await rundockJson(args, cliEnv);
  outputs.push({ what, text: result.stdout + result.stderr });
  assert.equal(result.code, 0, `${what}: ${result.stdout}${result.stderr}`);
  return result.json;
}

const enableArgs = (): string[] => [
  'enable',
  names.cli,
  '--image',
  IMAGE,
  '--cmd',
  HTTPD,
  '--announce',
  String(ports.cli),
  '--port',
  '8080',
  '--args',
  `--env-file ${envFile}`,
  ...ADDRESSES,
];
const applyFile = (): string => join(work, 'services.yml');
const changedOf = (json: Record<string, unknown>): boolean => json.changed as boolean;

/** ansible-playbook on this machine (local connection) with one rundock task; -v prints results, --diff the diffs. */
function playbook(what: string, extra: string[] = []): Promise<{ code: number; out: string }> {
  const file = join(work, 'play.yml');
  const task = {
    name: names.ansible,
    image: IMAGE,
    cmd: HTTPD,
    announce: ports.ansible,
    port: 8080,
    env_file: envFile,
    private_ip: '127.0.0.1',
    rundock_cmd: [process.execPath, BIN],
  };
  writeFileSync(
    file,
    JSON.stringify([{ hosts: 'local', gather_facts: false, tasks: [{ name: 'deploy', rundock: task }] }]),
  );
  const env = {
    ...process.env,
    ...cliEnv,
    ANSIBLE_LIBRARY: LIBRARY,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_LOCAL_TEMP: join(work, 'ansible-local'),
    ANSIBLE_REMOTE_TEMP: join(work, 'ansible-remote'),
  };
  return new Promise((resolve) => {
    execFile(
      'ansible-playbook',
      [
        '-i',
        'local,',
        '-c',
        'local',
        '-e',
        'ansible_python_interpreter=/usr/bin/python3',
        '-v',
        '--diff',
        ...extra,
        file,
      ],
      { cwd: work, env, timeout: 120_000 },
      (error, stdout, stderr) => {
        outputs.push({ what, text: stdout + stderr });
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout + stderr });
      },
    );
  });
}

/** `changed=N` of the play recap. */
const recapChanged = (out: string): number => Number(/changed=(\d+)/.exec(out)?.[1] ?? NaN);

async function containerEnv(name: string): Promise<string[]> {
  return (await inspectContainer(name))?.Config.Env ?? [];
}

/** Every file under DIR (recursively), skipping what is not readable. */
function filesUnder(dir: string): string[] {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('secrets from env files', () => {
  let etcd: EtcdProcess;
  let client: Etcd3;
  let agent: AgentProcess;
  /** The embedded registry's agent's logs, of every run (it runs in turn with the etcd one: one agent per engine). */
  let embeddedLogs = '';
  let secret = secretValue();
  const common = ['--domain', DOMAIN, '--hostname', HOST, '--stable-after', '1s', '--resync-interval', '2s'];
  const etcdAgentArgs = (): string[] => ['--etcd', etcd.endpoint, ...common, ...ADDRESSES];

  /**
   * The etcd agent stopped (its records stay, as at any agent restart), the embedded registry's agent run over what
   * the services are now (its first resync writes its state file), then the etcd agent again.
   */
  async function runEmbeddedAgent(): Promise<void> {
    await agent.stop('SIGTERM');
    const embedded = await startAgent(['--state-dir', join(work, 'state'), ...common, ...ADDRESSES], cliEnv);
    await embedded.stop('SIGTERM');
    embeddedLogs += embedded.logs();
    agent = await startAgent(etcdAgentArgs(), cliEnv);
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'rundock-secrets-'));
    for (const dir of ['home', 'tmp', 'state']) mkdirSync(join(work, dir));
    envFile = join(work, 'web.env');
    writeEnvFile(secret);
    // Everything rundock runs with: debug logs, and a HOME and TMPDIR of its own, searched afterwards.
    cliEnv = {
      RUNDOCK_LOG_LEVEL: 'debug',
      HOME: join(work, 'home'),
      TMPDIR: join(work, 'tmp'),
      RUNDOCK_PRIVATE_IP: '127.0.0.1',
      RUNDOCK_PUBLIC_IP: '127.0.0.1',
      RUNDOCK_CONFIG: '/dev/null',
    };
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
    writeFileSync(
      applyFile(),
      JSON.stringify({
        services: [
          { name: names.apply, image: IMAGE, cmd: HTTPD, announce: ports.apply, port: 8080, env_file: envFile },
        ],
      }),
    );
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
    agent = await startAgent(etcdAgentArgs(), cliEnv);
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    client?.close();
    await etcd?.kill();
    await removeContainers(...Object.values(names));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('deploys through enable --args --env-file, apply env_file and the Ansible module, the value in the container only', async () => {
    assert.equal(changedOf(await cli('enable', enableArgs())), true);
    assert.equal(changedOf(await cli('apply --dry-run', ['apply', applyFile(), '--dry-run'])), true);
    assert.equal(changedOf(await cli('apply', ['apply', applyFile()])), true);
    const play = await playbook('ansible-playbook -v --diff');
    assert.equal(play.code, 0, play.out);
    assert.equal(recapChanged(play.out), 1, play.out);
    for (const name of Object.values(names)) {
      assert.ok(
        (await containerEnv(name)).includes(`DB_PASSWORD=${secret}`),
        `${name} has the secret in its environment`,
      );
    }
    const recordKeys = Object.values(names).map((n) => `/skydns/com/example/sec/s/${n}/${HOST}`);
    await waitFor(
      async () => (await Promise.all(recordKeys.map((k) => client.get(k).string()))).every((v) => v !== null),
      10_000,
      100,
    );
    await cli('ps', ['ps', '--agent', agent.status]);
  });

  it('reports an unchanged env file as unchanged', async () => {
    assert.equal(changedOf(await cli('enable again', enableArgs())), false);
    assert.equal(changedOf(await cli('apply again', ['apply', applyFile()])), false);
    const play = await playbook('ansible-playbook again');
    assert.equal(recapChanged(play.out), 0, play.out);
  });

  it('leaves the secret out of labels, etcd, the embedded registry, logs, --json output, Ansible output and files', async () => {
    const found: string[] = [];
    const search = (what: string, text: string): void => void (text.includes(secret) && found.push(what));
    for (const c of await docker.listContainers({ all: true }))
      search(`labels of ${c.Names.join(',')}`, JSON.stringify(c.Labels));
    const all = await client.getAll().strings();
    assert.ok(Object.keys(all).length > 0, 'the agent wrote records');
    search('etcd', JSON.stringify(all));
    search('agent log (etcd)', agent.logs());
    assert.ok(agent.logs().includes('"level":20'), 'the agent logged at debug level');
    await runEmbeddedAgent();
    search('agent log (embedded)', embeddedLogs);
    for (const { what, text } of outputs) search(what, text);
    for (const file of [...filesUnder(work)].filter((f) => f !== envFile))
      search(`file ${file}`, readFileSync(file, 'utf8'));
    assert.deepEqual(found, []);
  });

  it('redeploys on a changed env file, with the new value in the new container, and then settles', async () => {
    const old = secret;
    secret = secretValue();
    writeEnvFile(secret);
    assert.equal(changedOf(await cli('enable changed', enableArgs())), true);
    const dryRun = await cli('apply --dry-run changed', ['apply', applyFile(), '--dry-run']);
    assert.equal(changedOf(dryRun), true, 'the dry run sees the change');
    assert.equal(changedOf(await cli('apply changed', ['apply', applyFile()])), true);
    const check = await playbook('ansible-playbook --check changed', ['--check']);
    assert.equal(recapChanged(check.out), 1, check.out);
    const play = await playbook('ansible-playbook changed');
    assert.equal(recapChanged(play.out), 1, play.out);
    for (const name of Object.values(names)) {
      const env = await containerEnv(name);
      assert.ok(
        env.includes(`DB_PASSWORD=${secret}`) && !env.includes(`DB_PASSWORD=${old}`),
        `${name} runs with the new value`,
      );
    }
    assert.equal(changedOf(await cli('enable settled', enableArgs())), false);
    assert.equal(changedOf(await cli('apply settled', ['apply', applyFile()])), false);
    assert.equal(recapChanged((await playbook('ansible-playbook settled')).out), 0);
    const etcdAgentLogs = agent.logs();
    await runEmbeddedAgent();
    const texts = [
      ...outputs.map((o) => o.text),
      etcdAgentLogs,
      embeddedLogs,
      JSON.stringify(await client.getAll().strings()),
    ];
    assert.ok(
      texts.every((t) => !t.includes(secret) && !t.includes(old)),
      'neither value was printed, logged or announced',
    );
  });

  it('writes no file that holds a secret (the digest key is derived, not stored), so none needs 0600', () => {
    const written = filesUnder(work).filter((f) => f !== envFile && !f.endsWith('.yml'));
    assert.ok(
      written.some((f) => f.endsWith('registry.json')),
      'the embedded registry wrote its state file',
    );
    assert.deepEqual(
      written.filter((f) => readFileSync(f, 'utf8').includes(secret)),
      [],
    );
  });
});

describe('Docker endpoint from the environment', () => {
  it('uses DOCKER_HOST=unix:///var/run/docker.sock, and names DOCKER_HOST when it points nowhere', async () => {
    const ok = await rundockJson(['ps'], { DOCKER_HOST: 'unix:///var/run/docker.sock' });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.ok(Array.isArray((ok.json as { services?: unknown }).services));
    const bad = await rundockJson<{ error: { code: string; message: string } }>(['ps'], {
      DOCKER_HOST: 'unix:///nonexistent',
    });
    assert.equal(bad.code, 1);
    assert.equal(bad.json.error.code, 'RUNDOCK_E_DOCKER_UNREACHABLE');
    assert.match(bad.json.error.message, /unix:\/\/\/nonexistent \(DOCKER_HOST\)/);
    const human = await rundock(['ps'], { DOCKER_HOST: 'unix:///nonexistent' });
    assert.match(human.stderr, /cannot reach the Docker engine at unix:\/\/\/nonexistent \(DOCKER_HOST\)/);
  });

  it('rejects an unusable DOCKER_HOST or a missing CA with exit 2, naming the variable and value', async () => {
    const scheme = await rundockJson<{ error: { field: string; value: string } }>(['ps'], {
      DOCKER_HOST: 'npipe:////./pipe/docker_engine',
    });
    assert.equal(scheme.code, 2);
    assert.deepEqual(
      [scheme.json.error.field, scheme.json.error.value],
      ['DOCKER_HOST', 'npipe:////./pipe/docker_engine'],
    );
    const ca = await rundockJson<{ error: { field: string; value: string } }>(['ps'], {
      DOCKER_HOST: 'tcp://127.0.0.1:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/nonexistent/certs',
    });
    assert.equal(ca.code, 2);
    assert.deepEqual([ca.json.error.field, ca.json.error.value], ['DOCKER_CERT_PATH', '/nonexistent/certs']);
  });
});
