// `npm run release`: everything a release publishes, in release/ (ignored by git), built from this checkout:
// - rundock-<version>.tgz, the npm package (npm pack of the release build: docs/release.md);
// - rundock-<version>-linux-x64, the single executable (build/sea.mjs), and rundock-<version>-linux-arm64 where this
//   machine can build and run it (Debian's gcc-aarch64-linux-gnu, libc6-arm64-cross and qemu-user-static); where it
//   cannot, one line says why and the release has x64 alone;
// - SHA256SUMS: `sha256sum -c SHA256SUMS` checks every file above.
// The release Node of each platform comes from the npm registry (scripts/node.sh, pinned in scripts/node-versions).
// `--arch x64` builds that platform's executable alone (CI's cluster needs no other).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundle } from './bundle.mjs';
import { buildReleaseExecutable, executableName, missingTools } from './sea.mjs';
import { buildCommit } from './version.mjs';

const root = new URL('..', import.meta.url).pathname;
const folder = join(root, 'release');
const log = (line) => process.stderr.write(`[release] ${line}\n`);

/** SHA256SUMS's text for `files` in `dir`: `sha256sum`'s own format, so `sha256sum -c SHA256SUMS` checks them. */
export function sha256Sums(dir, files) {
  return files
    .map(
      (name) =>
        `${createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex')}  ${name}\n`,
    )
    .join('');
}

/** Builds the executable for `arch` into release/ and checks its version; undefined where it cannot be built here. */
async function executable(version, arch, expected) {
  const why = missingTools(arch);
  if (why !== undefined) return log(`linux-${arch} not built: ${why}`);
  const name = executableName(version, arch);
  const printed = await buildReleaseExecutable({ arch, out: join(folder, name) });
  if (printed !== expected) throw new Error(`${name} --version printed ${printed}, not ${expected}`);
  log(`${name}: --version runs (${printed})`);
  return name;
}

async function release(arches) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  await buildBundle({ release: true });
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder);
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', folder], {
    cwd: root,
    encoding: 'utf8',
  });
  const files = [JSON.parse(packed)[0].filename];
  const commit = buildCommit(root);
  const expected = commit === '' ? manifest.version : `${manifest.version} (commit ${commit})`;
  for (const arch of arches) {
    const name = await executable(manifest.version, arch, expected);
    if (name !== undefined) files.push(name);
  }
  writeFileSync(join(folder, 'SHA256SUMS'), sha256Sums(folder, files));
  log(`release/: ${[...files, 'SHA256SUMS'].join(', ')}`);
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const only = process.argv.indexOf('--arch');
  await release(only === -1 ? ['x64', 'arm64'] : [process.argv[only + 1]]);
}
