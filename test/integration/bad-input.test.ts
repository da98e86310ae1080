import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ADDRESSES,
  containersOf,
  HTTPD,
  IMAGE,
  inspectContainer,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
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
    assert.match(result.stderr, /services\[1\]\.announce/);
    assert.deepEqual(await containersOf(good), []);
  });

  it('apply names the entry of a bad args or env_file too, and changes nothing', async () => {
    const good = uniqueName('bad');
    const file = join(tmpdir(), `${good}.yml`);
    const entry = (extra: string): string => `  - name: ${uniqueName('bad')}\n    image: ${IMAGE}\n    ${extra}\n`;
    for (const [extra, field] of [
      ['args: --bogus', /services\[1\]\.args: unknown flag "--bogus"/],
      ['env_file: /nonexistent/secrets.env', /services\[1\]\.env_file: cannot be read/],
    ] as const) {
      writeFileSync(file, `services:\n  - name: ${good}\n    image: ${IMAGE}\n    cmd: ${HTTPD}\n${entry(extra)}`);
      const result = await rundock(['apply', file, ...ADDRESSES]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, field);
      assert.deepEqual(await containersOf(good), []);
    }
  });
});
