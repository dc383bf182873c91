/**
 * The file-system steps that make FileStore's writes survive a crash: writes at a position (never
 * O_APPEND), a file that appears whole or not at all (written aside, synced, renamed), and the
 * directory fsync that makes a rename durable. Each takes the `fs` functions, so tests can inject
 * a recording or failing one.
 */
import type * as nodeFs from 'node:fs';

/** The `node:fs` functions FileStore uses (tests inject a recording or failing one). */
export type FileStoreFs = Pick<
  typeof nodeFs,
  'mkdirSync' | 'openSync' | 'readFileSync' | 'writeSync' | 'fsyncSync' | 'ftruncateSync' | 'closeSync' | 'renameSync' | 'rmSync'
>;

export function writeFully(fs: FileStoreFs, fd: number, bytes: Buffer, position: number): void {
  // Positional writes, never O_APPEND: after a truncate the next record lands right after the last good one.
  for (let offset = 0; offset < bytes.length; ) {
    offset += fs.writeSync(fd, bytes, offset, bytes.length - offset, position + offset);
  }
}

/** Creates `path` holding `bytes`, whole or not at all: written to `tempPath`, synced, renamed over `path`, `dir` synced. */
export function createFileWhole(fs: FileStoreFs, dir: string, tempPath: string, path: string, bytes: Buffer): void {
  const temp = fs.openSync(tempPath, 'w');
  try {
    writeFully(fs, temp, bytes, 0);
    fs.fsyncSync(temp);
  } finally {
    fs.closeSync(temp);
  }
  fs.renameSync(tempPath, path);
  syncDirectory(fs, dir);
}

/** Makes a rename durable. Some platforms (Windows) cannot open or sync a directory: nothing to do there. */
export function syncDirectory(fs: FileStoreFs, dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw error;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
