/**
 * Files written atomically: a temporary file in the same directory, fsynced, renamed over the target, the directory
 * fsynced. A reader sees the old content or the new one, never a part, also after a crash or a power loss.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `text` to `file` atomically (see the module comment). Rejects when it cannot; the old file then stays. */
export async function writeFileAtomically(file: string, text: string, mode = 0o644): Promise<void> {
  const temp = temporaryName(file);
  try {
    const handle = await open(temp, 'w', mode);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(file));
}

/** Makes a rename durable; a directory that cannot be opened for fsync (some filesystems) is not an error. */
export async function syncDirectory(directory: string): Promise<void> {
  const dir = await open(directory, 'r').catch(() => undefined);
  if (!dir) return;
  // fsync on a directory is unsupported on some filesystems; the rename is still atomic.
  await dir
    .sync()
    .catch(() => undefined)
    .finally(() => dir.close());
}

/** The same, synchronously: for small files written rarely by code that has nothing else to do meanwhile. */
export function writeFileAtomicallySync(file: string, text: string, mode = 0o644): void {
  const temp = temporaryName(file);
  try {
    writeFileSync(temp, text, { mode });
    syncPath(temp);
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // never written
    }
    throw error;
  }
  try {
    syncPath(dirname(file));
  } catch {
    // as above: the rename is atomic without it
  }
}

function temporaryName(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
