/**
 * Loads a Node-API addon held in memory (an asset of the single executable) without leaving a file behind. dlopen
 * needs a file, so the bytes go to an unnamed one (Linux's O_TMPFILE: it has no name from the start and is gone when
 * the process ends, however it ends), and the loader opens it through /proc/self/fd. Where the temporary folder's
 * file system has no unnamed files, a named one is made and removed before it is loaded.
 */
import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Linux's O_TMPFILE (`__O_TMPFILE | O_DIRECTORY`): __O_TMPFILE is 020000000 on every architecture Node runs on. */
const O_TMPFILE = 0o20000000 | (constants.O_DIRECTORY ?? 0);

/** The addon's exports. Throws when no file can be made in `folder` or the loader refuses it (e.g. a noexec mount). */
export function loadAddonFromBytes(bytes: Uint8Array, folder: string = tmpdir()): unknown {
  const fd = openUnnamed(folder);
  try {
    for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
    const module = { exports: {} as unknown };
    process.dlopen(module, `/proc/self/fd/${fd}`);
    // The descriptor stays open: the loader knows the library by this name, and would take another file opened
    // later under the same number for the one it has.
    return module.exports;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** A file open for reading and writing that no name leads to. */
function openUnnamed(folder: string): number {
  try {
    return openSync(folder, constants.O_RDWR | O_TMPFILE, 0o700);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Kernels and file systems without O_TMPFILE say EOPNOTSUPP, or EISDIR where the flag reads as O_DIRECTORY alone.
    if (code !== 'EOPNOTSUPP' && code !== 'EISDIR' && code !== 'EINVAL') throw error;
  }
  const path = join(folder, `.rundock-addon-${process.pid}-${Date.now()}`);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o700);
  rmSync(path);
  return fd;
}
