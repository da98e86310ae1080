// The release's manifest (docs/release.md): `npm install -g ./rundock-<version>.tgz` fetches and runs nothing, and the
// addon is named for the platform its loader looks for. No build needed; test/integration/package-files.test.ts
// checks what the tarball holds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { platformTag } from '../../src/dns/udp-batch.js';

const root = new URL('../../', import.meta.url).pathname;

describe('the release manifest', () => {
  it('has a manifest without dependencies or install-time scripts: installing fetches and runs nothing', () => {
    const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as Record<string, unknown>;
    for (const key of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies'])
      assert.equal(manifest[key], undefined, key);
    const scripts = Object.keys(manifest.scripts as Record<string, string>);
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
      assert.ok(!scripts.includes(hook), `scripts.${hook}`);
  });

  it('names the addon for the platform the loader looks for (build/native.mjs and src/dns/udp-batch.ts agree)', async () => {
    const build = (await import(`${root}build/native.mjs`)) as { platformTag: () => string; RELEASE_TAG: string };
    assert.equal(build.platformTag(), platformTag());
    assert.equal(build.RELEASE_TAG, 'linux-x64-glibc');
  });
});
