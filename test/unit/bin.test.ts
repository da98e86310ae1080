// bin/rundock.js, the command npm installs: it says which Node.js it needs where it finds an older one, and keeps
// Node's compile cache in a folder only its user can write. Needs a build (npm run build).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const BIN = new URL('../../bin/rundock.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rundock-bin-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs node with `args`; resolves with the exit status and output. */
function node(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = { ...process.env, ...env };
  // Node's own settings would decide instead of rundock's (and an empty NODE_DISABLE_COMPILE_CACHE counts as set).
  delete clean.NODE_COMPILE_CACHE;
  delete clean.NODE_DISABLE_COMPILE_CACHE;
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: clean }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('bin/rundock.js', () => {
  it('says in one line which Node.js it needs where it runs on an older one, and exits 1', async () => {
    const older = `Object.defineProperty(process.versions, 'node', { value: '20.20.2' }); require(${JSON.stringify(BIN)})`;
    const { code, stdout, stderr } = await node(['-e', older]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(
      stderr,
      `rundock needs Node.js 22.11 or newer (an LTS line: 22, 24 or 26); ${process.execPath} is 20.20.2\n`,
    );
  });

  it("keeps Node's compile cache in $XDG_CACHE_HOME/rundock, a folder only its user can write", async () => {
    const home = join(work, 'cache-home');
    const { code, stdout } = await node([BIN, '--version'], { XDG_CACHE_HOME: home });
    assert.equal(code, 0);
    assert.match(stdout, /^\d+\.\d+\.\d+/);
    const folder = join(home, 'rundock');
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    const [versionFolder = '', ...others] = readdirSync(folder);
    assert.deepEqual(others, []);
    assert.ok(versionFolder.startsWith(`${process.version}-`), versionFolder);
    assert.ok(readdirSync(join(folder, versionFolder)).length > 0, 'no cache written');
  });

  it('leaves the cache off where another user could write its folder', async () => {
    const home = join(work, 'shared-home');
    mkdirSync(join(home, 'rundock'), { recursive: true });
    chmodSync(join(home, 'rundock'), 0o777);
    const { code } = await node([BIN, '--version'], { XDG_CACHE_HOME: home });
    assert.equal(code, 0);
    assert.deepEqual(readdirSync(join(home, 'rundock')), []);
  });
});
