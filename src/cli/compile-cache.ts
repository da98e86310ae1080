/**
 * V8's code cache for the CLI bundle, kept per user and per command (docs/BENCHMARKS.md, "CLI start-up").
 *
 * A short command spends more time compiling the bundle than running it. Node 22's module.enableCompileCache() keeps
 * V8's compiled code between runs, but Node 20 has no such thing, and the library made for it on Node 20
 * (v8-compile-cache) takes its cache when the file is compiled, before any function ran: with a bundle whose modules
 * are functions run on first use, it holds almost nothing, and it lives in a folder of the shared /tmp. So the bundle
 * is compiled here with `vm.Script` and the cache taken once the command has run (`createCachedData`), which holds
 * every function the command used. One cache per command word, because each command uses other functions.
 *
 * The cache is only a speed-up: V8 checks it against its own version, its flags and the source's length, and compiles
 * from the source when it does not match (the cache is then written anew); the file's name carries the build's
 * digest and the Node.js version, so another build never meets it. It lives in $XDG_CACHE_HOME/rundock or
 * ~/.cache/rundock, a folder only this user can write (it holds code that runs); any other folder, a missing home or
 * a write that fails leaves rundock uncached, never broken. RUNDOCK_COMPILE_CACHE=off turns it off, a path moves it.
 */
import { isAscii } from 'node:buffer';
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { writeFileAtomicSync } from '../shared/atomic-file.js';

/** A command that runs longer than this is a daemon or a long job: its start-up is not worth a cache. */
const WORTH_CACHING_MS = 10_000;

/** The folder for caches (made when a cache is first written), or undefined when caching is off or there is no home. */
export function cacheFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.RUNDOCK_COMPILE_CACHE;
  if (setting === 'off' || setting === '0') return undefined;
  if (setting !== undefined && setting !== '') return setting;
  const home = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : safeHome());
  return home === undefined ? undefined : join(home, 'rundock');
}

/** Whether `folder` is a folder only this user can write (made so when `make`): it holds code that runs. */
function trusted(folder: string, make: boolean): boolean {
  try {
    if (make) mkdirSync(folder, { recursive: true, mode: 0o700 });
    const stat = lstatSync(folder);
    const mine = process.getuid === undefined || stat.uid === process.getuid();
    return stat.isDirectory() && mine && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function safeHome(): string | undefined {
  try {
    return join(homedir(), '.cache');
  } catch {
    return undefined;
  }
}

/** The bundle's module, compiled with the cache of `command` when there is one; `done()` writes a new one if due. */
export interface CachedBundle {
  exports: unknown;
  /** Call when the command has run: writes the cache when there was none (or V8 refused it) and it succeeded. */
  done(exitCode: number): void;
}

/** Where the bundle is and which build it is (build/bundle.mjs: a digest of its content). */
export interface BundleFile {
  path: string;
  buildId: string;
}

/** Loads the CommonJS file `bundle.path` (dist/rundock.cjs) as `require` would, through the cache of `command`. */
export function loadBundle(bundle: BundleFile, command: string, folder = cacheFolder()): CachedBundle {
  const bytes = readFileSync(bundle.path);
  // The bundle is ASCII (esbuild escapes the rest): read as such, it skips the UTF-8 check of 2 MB.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  // The build's digest, not the file's date (npm gives every installed file the same date), and the Node.js that
  // compiled it (V8 would refuse another's cache, but each Node.js keeps its own this way).
  const identity = `${bundle.buildId}-${process.version}-${process.arch}`;
  const name = `${safeName(command)}-${identity}.v8cache`;
  const cachedData = folder !== undefined && trusted(folder, false) ? readIfThere(join(folder, name)) : undefined;
  const script = new Script(Module.wrap(source), { filename: bundle.path, cachedData });
  const module = { exports: {} as unknown };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(bundle.path), module, bundle.path, dirname(bundle.path));
  const started = Date.now();
  return {
    exports: module.exports,
    done(exitCode) {
      // A failed command ran little of its code: the cache waits for one that succeeds.
      const due = (cachedData === undefined || script.cachedDataRejected === true) && exitCode === 0;
      if (folder === undefined || !due || Date.now() - started > WORTH_CACHING_MS) return;
      if (trusted(folder, true)) writeCache(join(folder, name), script.createCachedData());
    },
  };
}

function safeName(command: string): string {
  return /^[a-z][a-z0-9-]{0,31}$/.test(command) ? command : 'rundock';
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** A cache not written for this long belongs to a build no longer run. */
const STALE_MS = 30 * 24 * 3600_000;

/** Writes atomically (a reader sees the old cache or the new one), and removes caches no build wrote for 30 days. */
function writeCache(file: string, data: Buffer): void {
  try {
    writeFileAtomicSync(file, data, 0o600);
    const folder = dirname(file);
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (name.endsWith('.v8cache') && Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
    }
  } catch {
    // Only a speed-up: the next run that succeeds writes it again.
  }
}
