#!/usr/bin/env -S node --
// `node --`: Node reads no option of its own after it, so `--env-file` reaches rundock. CommonJS (bin/package.json):
// Node starts it faster than an ES module, and an older Node still reads it, to say which Node.js rundock needs.
'use strict';

const node = process.versions.node;
const [major, minor] = node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 11)) {
  process.stderr.write(
    `rundock needs Node.js 22.11 or newer (an LTS line: 22, 24 or 26); ${process.execPath} is ${node}\n`,
  );
  process.exit(1);
}

/**
 * Node's compile cache: V8's code for the bundle, kept between runs, so no start parses it whole again. Kept in
 * $XDG_CACHE_HOME/rundock or ~/.cache/rundock, a folder only this user can write, because it holds code that runs
 * (Node's default is a folder in the shared /tmp); anything else leaves rundock uncached, never broken.
 * NODE_COMPILE_CACHE=DIR (Node's own setting) puts it elsewhere, NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
function enableCompileCache() {
  const { env } = process;
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return; // Node has read them itself
  const { lstatSync, mkdirSync } = require('node:fs');
  const { join } = require('node:path');
  try {
    const folder = join(env.XDG_CACHE_HOME || join(env.HOME || require('node:os').homedir(), '.cache'), 'rundock');
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const stat = lstatSync(folder);
    if (stat.isDirectory() && stat.uid === process.getuid() && (stat.mode & 0o022) === 0) {
      require('node:module').enableCompileCache(folder);
    }
  } catch {
    // no home, a read-only file system: uncached
  }
}

enableCompileCache();
require('../dist/rundock.cjs').run(process.argv.slice(2));
