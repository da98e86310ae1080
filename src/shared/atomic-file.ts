/**
 * Writing a file so that a reader, or the machine after a crash, finds the old content or the new, never a part: a
 * temporary file in the same folder (same file system, so the rename is atomic), fsynced, renamed over the target,
 * then the folder fsynced so that the rename itself survives a power loss. A failed write removes its temporary file
 * and leaves the target as it was.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A name beside `file` no other write uses; created exclusively (`wx`), so never a file or link already there. */
function temporaryOf(file: string): string {
  return `${file}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
}

/** Replaces `file` with `data` atomically and durably (created with `mode` when new, less the umask). */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temporary = temporaryOf(file);
  try {
    const handle = await open(temporary, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncFolder(dirname(file));
}

/** Makes the renames in `folder` durable; a folder some file systems cannot open or fsync is not an error. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r').catch(() => undefined);
  // The rename is atomic all the same.
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}

/** writeFileAtomic for callers that cannot wait (a command's last act before it exits, a synchronous store). */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, mode = 0o644): void {
  const temporary = temporaryOf(file);
  try {
    const fd = openSync(temporary, 'wx', mode);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  syncFolderSync(dirname(file));
}

function syncFolderSync(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // As above: the rename is atomic all the same.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
