/**
 * packaging/: the systemd units pass `systemd-analyze verify` (no unknown key, no bad value), every runit service
 * has run, log/run and an executable control/t, and control/t really bounds a stop: a service that ignores SIGTERM
 * is killed once the timeout its comment and its systemd unit name has passed (a real runsvdir in a temporary folder).
 * Needs systemd-analyze (package systemd) and runit.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const PACKAGING = fileURLToPath(new URL('../../packaging/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'rundock-packaging-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(file: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    ),
  );
}

const SERVICES = ['rundock-agent', 'rundock-dns', 'rundock-gateway'];

describe('packaging', () => {
  it('has a systemd unit and a runit service for each daemon, and systemd-analyze finds nothing wrong', async () => {
    for (const service of SERVICES) {
      for (const file of ['run', 'log/run', 'control/t'])
        accessSync(join(PACKAGING, 'runit', service, file), constants.X_OK);
      const unit = join(PACKAGING, 'systemd', `${service}.service`);
      assert.match(readFileSync(unit, 'utf8'), /^TimeoutStopSec=\d+$/m, `${service}: a bounded stop`);
      const verify = await run('systemd-analyze', ['verify', '--man=no', unit]);
      assert.equal(verify.stderr.trim(), '', `${service}.service`);
    }
  });

  it('control/t and the unit agree on the timeout', () => {
    for (const service of SERVICES) {
      const unit = /^TimeoutStopSec=(\d+)$/m.exec(
        readFileSync(join(PACKAGING, 'systemd', `${service}.service`), 'utf8'),
      );
      const t = /\(sleep (\d+);/.exec(readFileSync(join(PACKAGING, 'runit', service, 'control/t'), 'utf8'));
      assert.equal(t?.[1], unit?.[1], service);
    }
  });

  it('control/t kills a service that ignores SIGTERM once its timeout has passed', { timeout: 60_000 }, async () => {
    const sv = join(work, 'sv', 'stubborn');
    mkdirSync(join(sv, 'control'), { recursive: true });
    mkdirSync(join(work, 'service'));
    writeFileSync(join(sv, 'run'), '#!/bin/sh\nexec sh -c \'trap "" TERM; while :; do sleep 1; done\'\n', {
      mode: 0o755,
    });
    cpSync(join(PACKAGING, 'runit', 'rundock-dns', 'control', 't'), join(sv, 'control', 't'));
    symlinkSync(sv, join(work, 'service', 'stubborn'));
    const runsvdir = spawn('runsvdir', ['-P', join(work, 'service')], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !(await run('sv', ['status', sv])).stdout.startsWith('run:'); i++)
        await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      const down = await run('sv', ['-w', '30', 'down', sv]);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(down.code, 0, down.stdout);
      assert.ok(seconds >= 9 && seconds < 15, `stopped after ${seconds} s (control/t: 10 s)`);
    } finally {
      // SIGHUP: runsvdir stops its runsv (the service is down already) and exits.
      runsvdir.kill('SIGHUP');
      await run('sv', ['exit', sv]);
    }
    assert.deepEqual(readdirSync(join(work, 'service')), ['stubborn']);
  });
});
