/**
 * What bin/rundock.js runs: the CLI bundle (dist/rundock.cjs) loaded through V8's code cache of the command asked
 * for (compile-cache.ts). Bundled on its own as dist/launch.cjs, beside the bundle.
 */
import { join } from 'node:path';
import { commandWord } from './command-word.js';
import { loadBundle } from './compile-cache.js';
import type { main as Main } from './main.js';

/** The digest of dist/rundock.cjs, set by the bundler (build/bundle.mjs). */
declare const RUNDOCK_BUNDLE_ID: string;

/** Runs rundock with `argv` (without node and script) and resolves to the exit status. */
export async function run(argv: readonly string[]): Promise<number> {
  const end = argv.indexOf('--');
  const words = end === -1 ? argv : argv.slice(0, end);
  // `enable --help` runs other code than `enable`: each keeps its own cache.
  const help = words.includes('--help') || words.includes('-h') || words[0] === 'help' ? '-help' : '';
  const command = `${commandWord(argv) ?? 'rundock'}${help}`;
  const bundle = loadBundle({ path: join(__dirname, 'rundock.cjs'), buildId: RUNDOCK_BUNDLE_ID }, command);
  const exitCode = await (bundle.exports as { main: typeof Main }).main(argv);
  bundle.done(exitCode);
  return exitCode;
}
