import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NginxControl, nginxArgs } from './nginx.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rundock-gw-nginx-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('NginxControl.reload', () => {
  it('never signals a process that is not nginx (a stale pid file), nor one nginx -T cannot name', async () => {
    const pidFile = join(dir, 'stale.pid');
    await writeFile(pidFile, `${process.pid}\n`);
    await assert.rejects(new NginxControl({ bin: 'nginx', pidFile }).reload(), /not nginx/);
    await assert.rejects(
      new NginxControl({ bin: 'nginx', pidFile: join(dir, 'missing.pid') }).reload(),
      /cannot read the nginx pid file/,
    );
    const conf = join(dir, 'missing.conf');
    await assert.rejects(
      new NginxControl({ bin: 'nginx', conf }).reload(),
      /nginx -T failed, so the pid file is unknown/,
    );
  });
});

describe('nginxArgs', () => {
  it('builds argument arrays for -t and -s reload, never a shell line', () => {
    const o = {
      bin: '/usr/sbin/nginx',
      prefix: '/tmp/p/',
      conf: '/tmp/p/conf/nginx.conf',
      errorLog: '/tmp/p/logs/error.log',
    };
    assert.deepEqual(nginxArgs(o, 'test'), [
      '-t',
      '-q',
      '-p',
      '/tmp/p/',
      '-c',
      '/tmp/p/conf/nginx.conf',
      '-e',
      '/tmp/p/logs/error.log',
    ]);
    assert.deepEqual(nginxArgs({ bin: 'nginx' }, 'reload'), ['-s', 'reload']);
  });
});
