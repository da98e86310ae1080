import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  ADDRESSES,
  containersOf,
  freePort,
  HTTPD,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
  type RunResult,
} from './harness.js';

const existing = uniqueName('bad');
let existingId: string | undefined;
before(async () => {
  assert.equal((await rundockJson(['enable', existing, '--image', IMAGE, '--cmd', HTTPD, ...ADDRESSES])).code, 0);
  existingId = (await inspectContainer(existing))?.Id;
});
after(() => removeContainers(existing));

/** [description, extra argv, field or token the message must name] */
const CASES: [string, string[], string][] = [
  ['name with capitals', ['enable', 'Bad_Name', '--image', IMAGE], 'Bad_Name'],
  ['name longer than a DNS label', ['enable', 'a'.repeat(64), '--image', IMAGE], 'name'],
  ['name with shell metacharacters', ['enable', 'x;reboot', '--image', IMAGE], 'x;reboot'],
  ['image with capitals', ['enable', '{n}', '--image', 'UPPER/Case'], 'UPPER/Case'],
  ['image with a space', ['enable', '{n}', '--image', 'busy box'], 'image'],
  ['announce out of range', ['enable', '{n}', '--image', IMAGE, '--announce', '70000'], 'announce'],
  ['announce not a number', ['enable', '{n}', '--image', IMAGE, '--announce', 'eighty'], 'eighty'],
  ['port zero', ['enable', '{n}', '--image', IMAGE, '--announce', '8080', '--port', '0'], 'port'],
  ['announce-as unknown', ['enable', '{n}', '--image', IMAGE, '--announce-as', 'everywhere'], 'everywhere'],
  ['pull policy unknown', ['enable', '{n}', '--image', IMAGE, '--pull', 'sometimes'], 'sometimes'],
  ['restart policy unknown', ['enable', '{n}', '--image', IMAGE, '--restart', 'sometimes'], 'sometimes'],
  ['unknown docker flag', ['enable', '{n}', '--image', IMAGE, '--args', '--frobnicate 1'], '--frobnicate'],
  ['command separator injection', ['enable', '{n}', '--image', IMAGE, '--args', '-e A=b; rm -rf /'], ';'],
  ['command substitution', ['enable', '{n}', '--image', IMAGE, '--args', '-e "A=$(reboot)"'], 'args'],
  ['backticks', ['enable', '{n}', '--image', IMAGE, '--args', '-e A=`id`'], '`'],
  ['pipe', ['enable', '{n}', '--image', IMAGE, '--args', '-e A=b | nc 127.0.0.1 9'], '|'],
  ['unknown variable', ['enable', '{n}', '--image', IMAGE, '--args', '-e "H=$HOME"'], 'HOME'],
  ['published port out of range', ['enable', '{n}', '--image', IMAGE, '--args', '-p 99999:80'], '99999'],
  ['bad memory size', ['enable', '{n}', '--image', IMAGE, '--args', '-m 12x'], '12x'],
  ['stray word in args', ['enable', '{n}', '--image', IMAGE, '--args', 'httpd'], 'httpd'],
  ['--rm in args', ['enable', '{n}', '--image', IMAGE, '--args', '--rm'], '--rm'],
  [
    'missing env file',
    ['enable', '{n}', '--image', IMAGE, '--args', '--env-file /nonexistent/env'],
    '/nonexistent/env',
  ],
  [
    'health retries not a number',
    ['enable', '{n}', '--image', IMAGE, '--health-cmd', 'true', '--health-retries', 'x'],
    'health.retries',
  ],
  ['unknown option', ['enable', '{n}', '--image', IMAGE, '--imagee', IMAGE], '--imagee'],
  ['enable without image', ['enable', '{n}'], 'image'],
  ['bad private ip', ['enable', '{n}', '--image', IMAGE, '--private-ip', '10.0.0.300'], '10.0.0.300'],
];

describe('bad input exits 2, names the field or value, and changes nothing', () => {
  for (const [what, argv, named] of CASES) {
    it(what, async () => {
      const name = uniqueName('bad');
      const args = argv.map((a) => (a === '{n}' ? name : a));
      const result = await rundock([...args, ...(args.includes('--private-ip') ? [] : ADDRESSES)]);
      assert.equal(result.code, 2, `exit status for ${what}: ${result.stderr}`);
      assert.ok(result.stderr.includes(named), `message names ${named}: ${result.stderr}`);
      assert.deepEqual(await containersOf(name), []);
    });
  }

  it('bad input for an existing service leaves its container as it was', async () => {
    const result = await rundockJson([
      'enable',
      existing,
      '--image',
      IMAGE,
      '--cmd',
      HTTPD,
      '--args',
      '--privileged; reboot',
      ...ADDRESSES,
    ]);
    assert.equal(result.code, 2);
    assert.equal((result.json.error as Record<string, unknown>).field, 'args');
    const info = await inspectContainer(existing);
    assert.equal(info?.Id, existingId);
    assert.equal(info?.State.Running, true);
  });

  it('apply validates every entry first: one bad entry changes nothing', async () => {
    const good = uniqueName('bad');
    const file = join(tmpdir(), `${good}.yml`);
    writeFileSync(
      file,
      `services:\n  - name: ${good}\n    image: ${IMAGE}\n    cmd: ${HTTPD}\n  - name: ${uniqueName('bad')}\n    image: ${IMAGE}\n    announce: 0\n`,
    );
    const result = await rundock(['apply', file, ...ADDRESSES]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /services\.[a-z0-9-]*bad-[0-9a-f]+\.announce/);
    assert.deepEqual(await containersOf(good), []);
  });

  it('apply names the entry of a bad args or env_file too, and changes nothing', async () => {
    const good = uniqueName('bad');
    const file = join(tmpdir(), `${good}.yml`);
    const entry = (extra: string): string => `  - name: ${uniqueName('bad')}\n    image: ${IMAGE}\n    ${extra}\n`;
    for (const [extra, field] of [
      ['args: --bogus', /services\.[a-z0-9-]*bad-[0-9a-f]+\.args: unknown flag "--bogus"/],
      ['env_file: /nonexistent/secrets.env', /services\.[a-z0-9-]*bad-[0-9a-f]+\.env_file: cannot be read/],
    ] as const) {
      writeFileSync(file, `services:\n  - name: ${good}\n    image: ${IMAGE}\n    cmd: ${HTTPD}\n${entry(extra)}`);
      const result = await rundock(['apply', file, ...ADDRESSES]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, field);
      assert.deepEqual(await containersOf(good), []);
    }
  });

  it('a mistyped option is one line with the suggestion, no help text; with --json nothing but the JSON document', async () => {
    const name = uniqueName('bad');
    const human = await rundock(['enable', name, '--imgae', IMAGE, ...ADDRESSES]);
    assert.equal(human.code, 2);
    assert.equal(human.stdout, '');
    assert.equal(
      human.stderr,
      "rundock: unknown option '--imgae' (did you mean --image?) [RUNDOCK_E_USAGE]\n",
      'one line, no usage text',
    );
    const json = await rundockJson<{ error: { code: string; message: string } }>(['enable', name, '--imgae', IMAGE]);
    assert.equal(json.code, 2);
    assert.equal(json.stderr, '', 'no help text, no commander message');
    assert.equal(json.json.error.code, 'RUNDOCK_E_USAGE');
    assert.match(json.json.error.message, /did you mean --image\?/);
    assert.deepEqual(await containersOf(name), []);
  });

  it('a services file: every error at once, each named by its service, a mistyped key with its suggestion', async () => {
    const [web, api] = [uniqueName('bad'), uniqueName('bad')];
    const file = join(tmpdir(), `${web}.yml`);
    writeFileSync(
      file,
      `services:\n  ${web}:\n    image: ${IMAGE}\n    anounce: 8080\n  ${api}:\n    image: ${IMAGE}\n    announce: 0\n    pull: sometimes\n`,
    );
    const result = await rundockJson<{ error: { errors: { field: string }[] } }>(['apply', file, ...ADDRESSES]);
    assert.equal(result.code, 2);
    assert.deepEqual(
      result.json.error.errors.map((e) => e.field).sort(),
      [`services.${web}.anounce`, `services.${api}.announce`, `services.${api}.pull`].sort(),
    );
    const human = await rundock(['apply', file, ...ADDRESSES]);
    assert.match(
      human.stderr,
      new RegExp(`services\\.${web}\\.anounce: is not a known field \\(did you mean announce\\?\\)`),
    );
    assert.match(human.stderr, new RegExp(`services\\.${api}\\.pull: `));
    assert.deepEqual([...(await containersOf(web)), ...(await containersOf(api))], []);
  });

  it('apply of a file that does not exist says so', async () => {
    const missing = join(tmpdir(), `${uniqueName('missing')}.yml`);
    const result = await rundock(['apply', missing, ...ADDRESSES]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`${missing} does not exist \\[RUNDOCK_E_CONFIG\\]`));
  });
});

describe('a busy host port is found before anything changes', () => {
  let holder: Server;
  let busy: number;
  const names: string[] = [];
  before(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    busy = (holder.address() as AddressInfo).port;
  });
  after(async () => {
    holder.close();
    await removeContainers(...names);
  });

  const enable = (name: string, port: number): Promise<RunResult & { json: Record<string, unknown> }> =>
    rundockJson([
      'enable',
      name,
      '--image',
      IMAGE,
      '--cmd',
      HTTPD,
      '--announce',
      String(port),
      '--port',
      '8080',
      ...ADDRESSES,
    ]);

  it('a first deploy: exit 2 naming the address and port, no container left behind; a rerun is the same', async () => {
    const name = uniqueName('busy');
    names.push(name);
    for (let run = 0; run < 2; run++) {
      const result = await enable(name, busy);
      assert.equal(result.code, 2, JSON.stringify(result.json));
      const error = result.json.error as { code: string; field: string; value: string };
      assert.deepEqual(
        [error.code, error.field, error.value],
        ['RUNDOCK_E_PORT_IN_USE', 'announce', `127.0.0.1:${busy}`],
      );
      assert.equal(result.json.changed, false);
      assert.deepEqual(await containersOf(name), [], 'no Created container');
    }
  });

  it('a redeploy onto a busy port: the running container is never stopped, nothing is created', async () => {
    const name = uniqueName('busy');
    names.push(name);
    assert.equal((await enable(name, await freePort())).code, 0);
    const before = await inspectContainer(name);
    const result = await enable(name, busy);
    assert.equal(result.code, 2);
    assert.match(String((result.json.error as { message: string }).message), new RegExp(`127\\.0\\.0\\.1:${busy}`));
    const after = await inspectContainer(name);
    assert.equal(after?.Id, before?.Id);
    assert.equal(after?.State.StartedAt, before?.State.StartedAt, 'never stopped');
    assert.deepEqual(
      (await containersOf(name)).map((c) => c.Names[0]),
      [`/${name}`],
    );
  });

  it('a port another container publishes is named with the container', async () => {
    const [first, second] = [uniqueName('busy'), uniqueName('busy')];
    names.push(first, second);
    const port = await freePort();
    assert.equal((await enable(first, port)).code, 0);
    const result = await enable(second, port);
    assert.equal(result.code, 2);
    assert.match(String((result.json.error as { message: string }).message), new RegExp(`by container ${first}`));
    assert.deepEqual(await containersOf(second), []);
  });
});
