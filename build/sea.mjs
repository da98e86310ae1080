// The single executable, rundock-<version>-linux-<arch>: the release Node (the first line of scripts/node-versions,
// the current LTS) with rundock inside as a Node single executable application (SEA): the bundle (dist/rundock.cjs)
// as its main script, V8's code cache of the bundle (useCodeCache: the script is not parsed at start), and the
// batched UDP addon for the platform as an asset (src/dns/serve/udp-batch.ts loads it from there). Steps:
// 1. the SEA blob, made by the release Node of the target itself (`node --experimental-sea-config`), because V8's
//    code cache is only good for the V8 and CPU that made it: for arm64, the arm64 Node under Debian's
//    qemu-user-static;
// 2. a copy of that Node with the blob injected (postject, as Node's documentation does it; Node 24 has no
//    --build-sea yet), which flips the fuse Node checks at start;
// 3. a smoke run of the result (`--version`; under qemu for arm64).
// `node build/sea.mjs OUT [ARCH]` builds the executable of the current build (npm run build first) for ARCH (default
// this machine's) into OUT: what scripts/cluster.sh and the role's test install. `npm run release` builds them all.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNative } from './native.mjs';

const root = new URL('..', import.meta.url).pathname;

/** The fuse Node's SEA support looks for (Node's documentation, "Single executable applications"). */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Where Debian's cross toolchain keeps the arm64 C library, for qemu-user to run arm64 binaries with. */
export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

/** The release Node's version: the first pinned line of scripts/node-versions. */
export function releaseNodeVersion(pins = readFileSync(join(root, 'scripts/node-versions'), 'utf8')) {
  const line = pins.split('\n').find((l) => /^\d+\.\d+\.\d+\s/.test(l));
  if (line === undefined) throw new Error('scripts/node-versions pins no Node.js release');
  return line.split(/\s+/)[0];
}

/** Why linux-`arch` cannot be built and run here, or undefined when it can. */
export function missingTools(arch) {
  if (arch === process.arch) return undefined;
  if (arch !== 'arm64' || process.arch !== 'x64') return `no cross-build from linux-${process.arch} to linux-${arch}`;
  const needs = [
    ['/usr/bin/aarch64-linux-gnu-gcc', 'gcc-aarch64-linux-gnu'],
    [join(ARM64_SYSROOT, 'lib/libstdc++.so.6'), 'libstdc++6-arm64-cross'],
    ['/usr/bin/qemu-aarch64-static', 'qemu-user-static'],
  ];
  const missing = needs.filter(([path]) => !existsSync(path)).map(([, pkg]) => pkg);
  return missing.length === 0 ? undefined : `Debian packages missing: ${missing.join(', ')}`;
}

/** The executable's file name. */
export function executableName(version, arch) {
  return `rundock-${version}-linux-${arch}`;
}

/** The SEA configuration for the bundle and the addon (`addon`: its path; its file name is the asset's key). */
export function seaConfig({ main, addon, blob }) {
  return {
    main,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    assets: { [addon.split('/').pop()]: addon },
  };
}

/** How to run a program built for `arch` on this machine: directly, or under qemu-user-static. */
export function runner(arch) {
  if (arch === process.arch) return [];
  if (process.arch === 'x64' && arch === 'arm64') return ['qemu-aarch64-static', '-L', ARM64_SYSROOT];
  throw new Error(`no way to run linux-${arch} programs on linux-${process.arch}`);
}

/**
 * Builds `out` (the executable for `arch`) from the bundle in dist/ and `addon`, with `node` (the release Node's
 * binary for `arch`). Returns what `out --version` printed.
 */
export async function buildExecutable({ arch, node, addon, out }) {
  const work = mkdtempSync(join(tmpdir(), 'rundock-sea-'));
  try {
    const blob = join(work, 'sea.blob');
    const config = join(work, 'sea.json');
    writeFileSync(config, JSON.stringify(seaConfig({ main: join(root, 'dist/rundock.cjs'), addon, blob })));
    run([...runner(arch), node, '--experimental-sea-config', config], work);
    copyFileSync(node, out);
    chmodSync(out, 0o755);
    const { inject } = await import('postject');
    await inject(out, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
    return run([...runner(arch), out, '--version'], work).trim();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The executable of the current build (dist/) for `arch` at `out`, with the release Node for `arch` (scripts/node.sh
 * fetches it from the npm registry once) and the addon: dist's for this machine, cross-compiled for another.
 * Returns what its `--version` printed.
 */
export async function buildReleaseExecutable({ arch = process.arch, out }) {
  const why = missingTools(arch);
  if (why !== undefined) throw new Error(`linux-${arch} cannot be built here: ${why}`);
  const work = mkdtempSync(join(tmpdir(), 'rundock-addon-'));
  try {
    const addon = buildNative({ required: true, arch, folder: arch === process.arch ? join(root, 'dist') : work });
    const bin = execFileSync('bash', [join(root, 'scripts/node.sh'), releaseNodeVersion(), arch], { encoding: 'utf8' });
    return await buildExecutable({ arch, node: join(bin.trim(), 'node'), addon, out });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function run([file, ...args], cwd) {
  return execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [out, arch] = process.argv.slice(2);
  if (out === undefined) throw new Error('usage: node build/sea.mjs OUT [ARCH]');
  process.stdout.write(`${await buildReleaseExecutable({ arch, out })}\n`);
}
