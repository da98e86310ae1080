import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  ADDRESSES,
  freePort,
  httpGet,
  httpdCmd,
  IMAGE,
  inspectContainer,
  containersOf,
  removeContainers,
  rundock,
  rundockJson,
  uniqueName,
} from './harness.js';

const created: string[] = [];
after(() => removeContainers(...created));

describe('ps and logs', () => {
  it('ps lists the service with status, health, restarts and published address; logs prints its output', async () => {
    const name = uniqueName();
    created.push(name);
    const port = await freePort();
    const cmd = httpdCmd(`echo started-${name}; echo oops-${name} >&2; sleep 0.3; echo last-${name};`);
    assert.equal(
      (
        await rundockJson([
          'enable',
          name,
          '--image',
          IMAGE,
          '--cmd',
          cmd,
          '--announce',
          String(port),
          '--port',
          '8080',
          ...ADDRESSES,
        ])
      ).code,
      0,
    );
    await new Promise((r) => setTimeout(r, 500));

    const ps = await rundockJson<{ services: Record<string, unknown>[] }>(['ps', ...ADDRESSES]);
    const row = ps.json.services.find((s) => s.name === name);
    assert.ok(row, 'service listed');
    assert.equal(row.status, 'running');
    assert.equal(row.restarts, 0);
    assert.equal(row.image, IMAGE);
    assert.equal(row.published, `127.0.0.1:${port}`);
    const human = await rundock(['ps', ...ADDRESSES]);
    assert.match(human.stdout, new RegExp(`^${name}\\s+running`, 'm'));

    const logs = await rundock(['logs', name]);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, new RegExp(`started-${name}`));
    assert.match(logs.stderr, new RegExp(`oops-${name}`));
    const tail = await rundock(['logs', name, '--tail', '1']);
    assert.equal(tail.stdout + tail.stderr, `last-${name}\n`);
    assert.equal((await rundock(['logs', uniqueName()])).code, 1);
  });
});

describe('apply', () => {
  it('dry-run shows the plan and creates nothing; apply converges; a second apply changes nothing', async () => {
    const [web, worker, gone] = [uniqueName(), uniqueName(), uniqueName()];
    created.push(web, worker, gone);
    const port = await freePort();
    const file = join(tmpdir(), `${web}.yml`);
    writeFileSync(
      file,
      [
        'services:',
        `  ${web}:`,
        `    image: ${IMAGE}`,
        `    cmd: [httpd, -f, -p, "8080", -h, /www]`,
        `    announce: ${port}`,
        '    port: 8080',
        `  ${worker}:`,
        '    state: present',
        `    image: ${IMAGE}`,
        '    args: -e ROLE=worker',
        `  ${gone}:`,
        '    state: absent',
        '',
      ].join('\n'),
    );
    const dry = await rundockJson<{ changed: boolean; services: { actions: string[] }[] }>([
      'apply',
      file,
      '--dry-run',
      ...ADDRESSES,
    ]);
    assert.equal(dry.code, 0, dry.stdout);
    assert.equal(dry.json.changed, true);
    assert.match(dry.json.services[0]?.actions.join('\n') ?? '', new RegExp(`create ${web}`));
    assert.deepEqual(await containersOf(web), []);

    const applied = await rundockJson<{ changed: boolean }>(['apply', file, ...ADDRESSES]);
    assert.equal(applied.code, 0, applied.stdout);
    assert.equal(applied.json.changed, true);
    assert.equal((await httpGet(port)).status, 200);
    assert.equal((await inspectContainer(worker))?.State.Running, false);
    assert.ok((await inspectContainer(worker))?.Config.Env.includes('ROLE=worker'));

    const again = await rundockJson<{ changed: boolean }>(['apply', file, ...ADDRESSES]);
    assert.equal(again.json.changed, false);
  });
});

describe('help', () => {
  it('every command has --help', async () => {
    for (const command of ['enable', 'present', 'disable', 'absent', 'ps', 'logs', 'apply']) {
      const result = await rundock([command, '--help']);
      assert.equal(result.code, 0, command);
      assert.match(result.stdout, /Usage: rundock/);
    }
  });
});
