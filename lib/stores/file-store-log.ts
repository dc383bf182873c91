/**
 * A FileStore's log as a whole file: opening it and rewriting it (compaction); appends stay in the
 * store. Opening takes the directory's lock, drops what a crashed compaction left, opens (or
 * creates) the log, reads it and cuts a torn last record off. The constructor and the reopen of a
 * closed store on its next use both come through here, so a reopened store sees the directory
 * exactly as a fresh `new FileStore(dir)` would (another store may have written it meanwhile).
 */
import { join } from 'node:path';
import { createFileWhole, writeFully, type FileStoreFs } from './durable-file.js';
import { encodeHeader, encodeRecord, parseLog } from './file-store-format.js';
import type { StorePacket } from './store.js';
import { StoreLock } from './store-lock.js';

export const LOG_FILE = 'store.log';
const TEMP_FILE = 'store.log.tmp';

/** An open log and the lock that makes it ours, with what the log holds. */
export interface OpenedLog {
  lock: StoreLock;
  /** The log, open for positional writes. */
  fd: number;
  /** Live packets, in store order. */
  packets: Map<number, StorePacket>;
  /** Records after the header, live or dead. */
  records: number;
  /** Bytes of whole records (header included): the next append goes here. */
  bytes: number;
  /** Bytes of a torn tail cut off (0 after a clean shutdown). */
  truncatedBytes: number;
}

/**
 * Takes `<dir>/store.lock` and opens `<dir>/store.log`, creating the directory and the log if
 * needed. Throws `StoreLockedError` if another FileStore holds the directory, and an Error if the
 * directory cannot be used or holds a log of another format; it holds nothing after a throw.
 */
export function openStoreLog(fs: FileStoreFs, dir: string): OpenedLog {
  fs.mkdirSync(dir, { recursive: true });
  // Before anything in the directory is touched: it may be another live store's.
  const lock = new StoreLock(dir);
  let fd: number | undefined;
  try {
    // A compaction that crashed before its rename left a temp file nobody needs.
    fs.rmSync(join(dir, TEMP_FILE), { force: true });
    const opened = openOrCreate(fs, dir);
    fd = opened.fd;
    const parsed = parseLog(opened.bytes);
    if (parsed.headerMissing) throw new Error(`${join(dir, LOG_FILE)} is not a FileStore log`);
    const truncatedBytes = opened.bytes.length - parsed.validBytes;
    if (truncatedBytes > 0) {
      // Later appends must follow the last whole record, not the torn one.
      fs.ftruncateSync(fd, parsed.validBytes);
      fs.fsyncSync(fd);
    }
    return { lock, fd, packets: parsed.packets, records: parsed.records, bytes: parsed.validBytes, truncatedBytes };
  } catch (error) {
    if (fd !== undefined) fs.closeSync(fd);
    lock.release();
    throw error;
  }
}

function openOrCreate(fs: FileStoreFs, dir: string): { fd: number; bytes: Buffer } {
  const logPath = join(dir, LOG_FILE);
  let fd: number;
  try {
    fd = fs.openSync(logPath, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // A new log appears whole (header included) or not at all.
    const header = encodeHeader();
    createFileWhole(fs, dir, join(dir, TEMP_FILE), logPath, header);
    return { fd: fs.openSync(logPath, 'r+'), bytes: header };
  }
  try {
    return { fd, bytes: fs.readFileSync(fd) };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/**
 * Writes `packets` as a new log into `<dir>/store.log.tmp`, fsyncs it and renames it over the log.
 * Returns the new log, open, with its size; the caller closes the old one and syncs the directory.
 * After a throw the temp file is gone and the old log is still in place.
 */
export function rewriteLog(fs: FileStoreFs, dir: string, packets: Iterable<StorePacket>): { fd: number; bytes: number } {
  const tempPath = join(dir, TEMP_FILE);
  const chunks = [encodeHeader()];
  for (const packet of packets) chunks.push(encodeRecord({ op: 'put', packet }));
  const content = Buffer.concat(chunks);
  const temp = fs.openSync(tempPath, 'w');
  try {
    writeFully(fs, temp, content, 0);
    fs.fsyncSync(temp);
    fs.renameSync(tempPath, join(dir, LOG_FILE));
  } catch (error) {
    fs.closeSync(temp);
    fs.rmSync(tempPath, { force: true });
    throw error;
  }
  return { fd: temp, bytes: content.length };
}
