import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { holderOf, tryLock, untilReleased, type LockHolder } from './host-lock.js';

const name = (): string => `rundock-test/${randomBytes(6).toString('hex')}`;
const holder = (pid = process.pid): LockHolder => ({ pid, since: '2026-12-07T12:00:00.000Z', what: 'test' });

/** Another process holding lock `lock` until it is killed; resolves once it holds it. */
async function holdingProcess(lock: string): Promise<{ pid: number; kill(): Promise<void> }> {
  const code = `
    const { createServer } = require('node:net');
    const line = JSON.stringify({ pid: process.pid, since: new Date(0).toISOString(), what: 'child' }) + '\\n';
    createServer((s) => s.write(line)).listen({ path: '\\0' + ${JSON.stringify(lock)} }, () => console.log('held'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { pid: child.pid ?? 0, kill: async () => (child.kill('SIGKILL'), await exited) };
}

describe('host locks (abstract Unix sockets)', { skip: process.platform !== 'linux' }, () => {
  it('one holder at a time: the second attempt learns who holds it; free again once released', async () => {
    const lock = name();
    const first = await tryLock(lock, holder());
    assert.ok(first.lock);
    assert.deepEqual(await tryLock(lock, holder(1)), { holder: holder() });
    assert.deepEqual(await holderOf(lock), holder());
    await first.lock.release();
    await first.lock.release(); // idempotent
    assert.equal(await holderOf(lock), undefined);
    const again = await tryLock(lock, holder());
    assert.ok(again.lock);
    await again.lock.release();
  });

  it('the kernel frees it when the holding process is killed; a waiter is told who held it, then that it is free', async () => {
    const lock = name();
    const child = await holdingProcess(lock);
    const refused = await tryLock(lock, holder());
    assert.equal(refused.lock, undefined);
    assert.equal(refused.lock === undefined && refused.holder?.pid, child.pid);
    const told: LockHolder[] = [];
    const released = untilReleased(lock, undefined, (h) => told.push(h));
    await new Promise((r) => setTimeout(r, 100));
    await child.kill();
    await released;
    assert.deepEqual(
      told.map((h) => h.pid),
      [child.pid],
    );
    const taken = await tryLock(lock, holder());
    assert.ok(taken.lock, 'free once its holder died');
    await taken.lock.release();
  });

  it('a wait ends when its signal aborts; a wait for a free lock ends at once', async () => {
    const lock = name();
    const held = await tryLock(lock, holder());
    const abort = new AbortController();
    const waiting = untilReleased(lock, abort.signal);
    setTimeout(() => abort.abort(), 50);
    await waiting;
    await held.lock?.release();
    await untilReleased(lock);
  });
});
