/**
 * The bundle's entry (dist/rundock.cjs). bin/rundock.js calls `run`; the single executable, whose main script the
 * bundle is (build/sea.mjs), runs itself: there, Node gives the command's words from process.argv[2] on, as it does
 * for a script.
 */
import { isSea } from 'node:sea';
import { main } from './main.js';

/** Runs rundock with `argv` (without node and script) and sets the exit status. */
export async function run(argv: readonly string[]): Promise<void> {
  process.exitCode = await main(argv);
}

if (isSea()) void run(process.argv.slice(2));
