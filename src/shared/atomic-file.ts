/** Files replaced whole or not at all: what every writer of state uses (the embedded registry, ACME's local store). */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `text` to a temporary file in the same directory (created with `mode`), fsyncs it, renames it over `file`
 * and fsyncs the directory: a reader sees the old content or the new one, after a crash too.
 */
export async function writeFileAtomically(file: string, text: string, mode = 0o644): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
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
  try {
    await dir.sync();
  } catch {
    // fsync on a directory is unsupported on some filesystems; the rename is still atomic
  } finally {
    await dir.close();
  }
}
