// The release's manifest (docs/release.md): `npm install -g ./rundock-<version>.tgz` fetches and runs nothing, and the
// addon is named for the platform its loader looks for. No build needed; test/integration/package-files.test.ts
// checks what the tarball holds.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { platformTag } from '../../src/dns/serve/udp-batch.js';

const root = new URL('../../', import.meta.url).pathname;

interface SeaModule {
  seaConfig(o: { main: string; addon: string; blob: string }): Record<string, unknown>;
  executableName(version: string, arch: string): string;
  releaseNodeVersion(pins?: string): string;
}
interface ReleaseModule {
  sha256Sums(dir: string, files: string[]): string;
}
const sea = (await import(`${root}build/sea.mjs`)) as SeaModule;
const release = (await import(`${root}build/release.mjs`)) as ReleaseModule;

describe('the release manifest', () => {
  it('has a manifest without dependencies or install-time scripts: installing fetches and runs nothing', () => {
    const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as Record<string, unknown>;
    for (const key of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies'])
      assert.equal(manifest[key], undefined, key);
    const scripts = Object.keys(manifest.scripts as Record<string, string>);
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
      assert.ok(!scripts.includes(hook), `scripts.${hook}`);
  });

  it('names the addon for the platform the loader looks for (build/native.mjs and src/dns/serve/udp-batch.ts agree)', async () => {
    const build = (await import(`${root}build/native.mjs`)) as {
      platformTag: (arch?: string) => string;
      RELEASE_TAG: string;
    };
    assert.equal(build.platformTag(), platformTag());
    assert.equal(build.RELEASE_TAG, 'linux-x64-glibc');
    assert.equal(build.platformTag('arm64'), 'linux-arm64-glibc', 'the cross-built addon of the arm64 executable');
  });
});

describe('the single executables (npm run release)', () => {
  it('are named rundock-<version>-linux-<arch>', () => {
    assert.equal(sea.executableName('0.1.0', 'x64'), 'rundock-0.1.0-linux-x64');
    assert.equal(sea.executableName('0.1.0', 'arm64'), 'rundock-0.1.0-linux-arm64');
  });

  it("hold the bundle with V8's code cache and the addon as an asset named as the loader asks for it", () => {
    const addon = `/build/udp_batch-${platformTag()}.node`;
    assert.deepEqual(sea.seaConfig({ main: `${root}dist/rundock.cjs`, addon, blob: '/build/sea.blob' }), {
      main: `${root}dist/rundock.cjs`,
      output: '/build/sea.blob',
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      assets: { [`udp_batch-${platformTag()}.node`]: addon },
    });
  });

  it('embed the release Node: the first pinned release, a current LTS line that engines admits', () => {
    const pins = readFileSync(`${root}scripts/node-versions`, 'utf8');
    const version = sea.releaseNodeVersion(pins);
    assert.match(version, /^(22|24|26)\.\d+\.\d+$/);
    const lines = [...pins.matchAll(/^(\d+)\.\d+\.\d+ x64 sha512-/gm)].map((m) => m[1]);
    assert.deepEqual(lines.sort(), ['22', '24', '26'], 'CI runs the unit tests on every LTS line');
    const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { engines: { node: string } };
    assert.equal(manifest.engines.node, '>=22.11.0');
  });

  it('come with SHA256SUMS in the format `sha256sum -c` checks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rundock-sums-'));
    try {
      writeFileSync(join(dir, 'rundock-0.1.0-linux-x64'), 'an executable');
      writeFileSync(join(dir, 'rundock-0.1.0.tgz'), 'a tarball');
      writeFileSync(join(dir, 'SHA256SUMS'), release.sha256Sums(dir, ['rundock-0.1.0.tgz', 'rundock-0.1.0-linux-x64']));
      const check = (): string => execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
      assert.equal(check(), 'rundock-0.1.0.tgz: OK\nrundock-0.1.0-linux-x64: OK\n');
      writeFileSync(join(dir, 'rundock-0.1.0-linux-x64'), 'another executable');
      assert.throws(check, /did NOT match/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
