/**
 * The rendered file, replaced only through a check: the new text is written to a staging file beside it (same
 * directory, same file system) and fsynced; the current file is hard-linked aside; the staging file is renamed over
 * the included path (atomic), and the caller's check (`nginx -t` of the whole config) runs with it in place. A failed
 * check renames the previous file back before anything could reload, so the file nginx reads is always the last
 * good one. The side files start with a dot and do not end in `.conf`, so an `include *.conf` never reads them.
 */
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncFolder } from '../shared/atomic-file.js';

/** What a check says about the file in place. */
export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly output: string };

/** One rendered file and its staging and previous copies. */
export class ConfigFile {
  readonly directory: string;
  readonly staging: string;
  readonly previous: string;

  constructor(readonly path: string) {
    this.directory = dirname(path);
    this.staging = join(this.directory, `.${basename(path)}.rundock-staging`);
    this.previous = join(this.directory, `.${basename(path)}.rundock-previous`);
  }

  /**
   * Undoes an install interrupted by a crash: a previous copy left behind means the file in place was never
   * checked, so the previous one goes back. Returns true when it restored one.
   */
  async recover(): Promise<boolean> {
    await unlink(this.staging).catch(ignoreMissing);
    try {
      await rename(this.previous, this.path);
    } catch (error) {
      ignoreMissing(error);
      return false;
    }
    await syncFolder(this.directory);
    return true;
  }

  /** The text in place, or undefined when there is no file. */
  async read(): Promise<string | undefined> {
    return readFile(this.path, 'utf8').catch((error: unknown) => ignoreMissing(error));
  }

  /**
   * Puts `text` in place, runs `check` with it there, and keeps it only if the check passes; otherwise the previous
   * file (or no file, if there was none) is back in place when this returns. A check that throws counts as failed
   * (the error is rethrown after the restore).
   */
  async install(text: string, check: () => Promise<CheckResult>): Promise<CheckResult> {
    await writeDurably(this.staging, text);
    await unlink(this.previous).catch(ignoreMissing);
    const hadPrevious = await link(this.path, this.previous).then(
      () => true,
      (error: unknown) => (ignoreMissing(error), false),
    );
    await rename(this.staging, this.path);
    await syncFolder(this.directory);
    let result: CheckResult;
    try {
      result = await check();
    } catch (error) {
      await this.restore(hadPrevious);
      throw error;
    }
    if (result.ok) await unlink(this.previous).catch(ignoreMissing);
    else await this.restore(hadPrevious);
    await syncFolder(this.directory);
    return result;
  }

  private async restore(hadPrevious: boolean): Promise<void> {
    if (hadPrevious) await rename(this.previous, this.path);
    else await unlink(this.path).catch(ignoreMissing);
    await syncFolder(this.directory);
  }
}

/** Writes a file (mode 0644) and fsyncs it before returning. */
async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function ignoreMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw error;
}
