/**
 * A durable, MQTT.js-compatible `Store` (`put`/`get`/`del`/`createStream`/`close`) kept in a
 * directory, for `outgoingStore` with `clean: false`: a process that is killed restarts, finds its
 * in-flight QoS 1/2 publishes (and PUBRELs) here and resumes them. As `incomingStore` (another
 * directory) it keeps the inbound QoS 2 ids awaiting PUBREL, so a restart delivers none twice.
 *
 * @example
 * const store = new FileStore('./mqtt-store');
 * const client = connect(url, { clientId: 'meter-7', clean: false, outgoingStore: store });
 * client.publish('meter/7', reading, { qos: 1, cbStorePut: () => markAccepted(reading) });
 *
 * Crash safety: every put and del is appended to `<dir>/store.log` with one `write` at once (so a
 * killed process loses nothing it was told), and the log is fsync'ed once per event-loop turn before
 * the put/del callbacks run (so a callback means "survives a power cut too"). A torn last line is
 * ignored and cut off when the store is opened. The format is in `file-store-format.ts`.
 *
 * Compaction rewrites the live packets into `<dir>/store.log.tmp`, fsyncs it, renames it over the
 * log and fsyncs the directory: a crash at any point leaves either the old or the new log. It runs
 * by itself when the log holds many more dead records than live ones (`compactAfter`), or on
 * `compact()`.
 *
 * One store per directory: two stores appending to the same log would corrupt it, so the store
 * holds `<dir>/store.lock` (its pid) from construction to `close()`, and a second one fails with
 * `StoreLockedError`. A lock left by a killed process is taken over (`store-lock.ts`, which uses
 * node:fs itself: the injected `fs` covers the log's durability, not the lock).
 */
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createFileWhole, syncDirectory, writeFully, type FileStoreFs } from './durable-file.js';
import { encodeHeader, encodeRecord, parseLog, apply, type LogRecord } from './file-store-format.js';
import type { IStore, StoreCallback, StorePacket } from './store.js';
import { StoreLock } from './store-lock.js';

export interface FileStoreOptions {
  /**
   * Compact on its own once the log holds more than this many dead records (puts overwritten or
   * deleted) and more dead records than live ones. `Infinity` compacts only on `compact()`.
   * @default 1000
   */
  compactAfter?: number;
  /** File system functions. @default node:fs */
  fs?: FileStoreFs;
}

export interface FileStoreStats {
  /** Live packets (`size`). */
  live: number;
  /** Records in the log after its header, live or dead. */
  records: number;
  /** Size of the log in bytes. */
  bytes: number;
  /** Bytes of a torn tail cut off when the store was opened (0 after a clean shutdown). */
  truncatedBytes: number;
}

export const LOG_FILE = 'store.log';
const TEMP_FILE = 'store.log.tmp';

export class FileStore implements IStore {
  readonly dir: string;
  private readonly fs: FileStoreFs;
  private readonly compactAfter: number;
  private readonly logPath: string;
  private packets: Map<number, StorePacket>;
  private fd: number | undefined;
  /** Bytes in the log: every append writes at this offset. */
  private bytes: number;
  private records: number;
  private readonly truncatedBytes: number;
  /** Callbacks of appends not fsync'ed yet, run by the next sync. */
  private waiting: Array<() => void> = [];
  private syncScheduled?: NodeJS.Immediate;
  /** Set once an append or fsync failed: the log's tail is unknown, so nothing more is accepted. */
  private failure?: Error;
  private readonly lock: StoreLock;

  /**
   * Opens (or creates) the store in `dir`, creating the directory if needed. Throws
   * `StoreLockedError` if another FileStore holds the directory (in this process or in a live
   * other one), and an Error if the directory cannot be used or holds a log of another format.
   */
  constructor(dir: string, options: FileStoreOptions = {}) {
    this.dir = dir;
    this.fs = options.fs ?? nodeFs;
    this.compactAfter = options.compactAfter ?? 1000;
    this.logPath = join(dir, LOG_FILE);
    this.fs.mkdirSync(dir, { recursive: true });
    // Before anything in the directory is touched: it may be another live store's.
    this.lock = new StoreLock(dir);
    let opened: { fd: number; bytes: Buffer } | undefined;
    try {
      // A compaction that crashed before its rename left a temp file nobody needs.
      this.fs.rmSync(join(dir, TEMP_FILE), { force: true });
      opened = this.openLog();
    } catch (error) {
      this.lock.release();
      throw error;
    }
    const { fd, bytes } = opened;
    const parsed = parseLog(bytes);
    if (parsed.headerMissing) {
      this.fs.closeSync(fd);
      this.lock.release();
      throw new Error(`${this.logPath} is not a FileStore log`);
    }
    this.fd = fd;
    this.packets = parsed.packets;
    this.records = parsed.records;
    this.bytes = parsed.validBytes;
    this.truncatedBytes = bytes.length - parsed.validBytes;
    if (this.truncatedBytes > 0) {
      // Later appends must follow the last whole record, not the torn one.
      this.fs.ftruncateSync(fd, this.bytes);
      this.fs.fsyncSync(fd);
    }
  }

  /** Stores `packet` under its messageId; `cb` runs once it is on disk. */
  put(packet: StorePacket, cb?: StoreCallback): this {
    const record: LogRecord = { op: 'put', packet };
    this.append(record, cb, () => apply(this.packets, record));
    return this;
  }

  get(packet: StorePacket, cb: StoreCallback): this {
    const found = this.packets.get(packet.messageId ?? 0);
    if (found) cb(null, found);
    else cb(new Error('missing packet'));
    return this;
  }

  /** Removes the packet with `packet.messageId`; `cb` gets it once the removal is on disk. */
  del(packet: StorePacket, cb?: StoreCallback): this {
    const messageId = packet.messageId ?? 0;
    const found = this.packets.get(messageId);
    if (!found) {
      cb?.(new Error('missing packet'));
      return this;
    }
    const record: LogRecord = { op: 'del', messageId };
    this.append(record, cb && ((error) => (error ? cb(error) : cb(null, found))), () => apply(this.packets, record));
    return this;
  }

  /** A readable (object mode) of the live packets, in store order. */
  createStream(): Readable {
    return Readable.from([...this.packets.values()]);
  }

  /** Syncs what is pending, closes the log, releases the lock; the packets stay for the next store on `dir`. */
  close(cb?: (error?: Error | null) => void): void {
    const fd = this.fd;
    let error: Error | undefined;
    if (fd !== undefined) {
      try {
        this.sync();
        this.fs.closeSync(fd);
      } catch (closeError) {
        error = closeError as Error;
      }
      this.fd = undefined;
      // Released even after a failure: the directory is free for the next store. A failed fsync
      // (now or earlier) means the last writes may not be on disk: the closer hears of it.
      this.lock.release();
      error ??= this.failure;
    }
    cb?.(error ?? null);
  }

  /** Live packets, in store order: what a restarted client resumes. */
  entries(): StorePacket[] {
    return [...this.packets.values()];
  }

  get size(): number {
    return this.packets.size;
  }

  stats(): FileStoreStats {
    return { live: this.packets.size, records: this.records, bytes: this.bytes, truncatedBytes: this.truncatedBytes };
  }

  /**
   * Rewrites the log with only the live packets (temp file, fsync, rename, fsync of the
   * directory). Synchronous; throws if the store is closed or the rewrite fails, in which case the
   * old log is still in place and in use.
   */
  compact(): void {
    const fd = this.usableFd();
    if (fd instanceof Error) throw fd;
    const tempPath = join(this.dir, TEMP_FILE);
    const chunks = [encodeHeader()];
    for (const packet of this.packets.values()) chunks.push(encodeRecord({ op: 'put', packet }));
    const content = Buffer.concat(chunks);
    const temp = this.fs.openSync(tempPath, 'w');
    try {
      writeFully(this.fs, temp, content, 0);
      this.fs.fsyncSync(temp);
      this.fs.renameSync(tempPath, this.logPath);
    } catch (error) {
      this.fs.closeSync(temp);
      this.fs.rmSync(tempPath, { force: true });
      throw error;
    }
    // The new log holds everything the old one did, synced: appends waiting on the old one are safe.
    this.fs.closeSync(fd);
    this.fd = temp;
    this.bytes = content.length;
    this.records = this.packets.size;
    syncDirectory(this.fs, this.dir);
  }

  private openLog(): { fd: number; bytes: Buffer } {
    try {
      const fd = this.fs.openSync(this.logPath, 'r+');
      return { fd, bytes: this.fs.readFileSync(fd) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // A new log appears whole (header included) or not at all.
    const header = encodeHeader();
    createFileWhole(this.fs, this.dir, join(this.dir, TEMP_FILE), this.logPath, header);
    const fd = this.fs.openSync(this.logPath, 'r+');
    return { fd, bytes: header };
  }

  /**
   * Writes `record` at the end of the log now (a crash of the process cannot lose it any more),
   * applies it to the live packets, and queues `cb` for the next fsync.
   */
  private append(record: LogRecord, cb: StoreCallback | undefined, applyRecord: () => void): void {
    const fd = this.usableFd();
    if (fd instanceof Error) {
      if (cb) queueMicrotask(() => cb(fd));
      return;
    }
    const line = encodeRecord(record);
    try {
      writeFully(this.fs, fd, line, this.bytes);
    } catch (error) {
      this.fail(error as Error, fd);
      if (cb) queueMicrotask(() => cb(error as Error));
      return;
    }
    this.bytes += line.length;
    this.records++;
    applyRecord();
    this.waiting.push(cb ? () => cb(this.failure ?? null) : noop);
    this.syncScheduled ??= setImmediate(() => this.sync());
  }

  /** One fsync for every append of the turn, then their callbacks; compacts when it pays off. */
  private sync(): void {
    if (this.syncScheduled) clearImmediate(this.syncScheduled);
    this.syncScheduled = undefined;
    const waiting = this.waiting;
    if (waiting.length === 0) return;
    this.waiting = [];
    if (this.fd !== undefined && !this.failure) {
      try {
        this.fs.fsyncSync(this.fd);
      } catch (error) {
        // After a failed fsync the kernel may have dropped the dirty pages: trust nothing written since.
        this.failure = error as Error;
      }
    }
    if (!this.failure && this.shouldCompact()) {
      try {
        this.compact();
      } catch {
        // The old log is intact and still in use; the next sync tries again.
      }
    }
    for (const run of waiting) run();
  }

  private shouldCompact(): boolean {
    const dead = this.records - this.packets.size;
    return dead > this.compactAfter && dead > this.packets.size;
  }

  private usableFd(): number | Error {
    if (this.failure) return this.failure;
    if (this.fd === undefined) return new Error(`FileStore ${this.dir} is closed`);
    return this.fd;
  }

  /** An append failed part way: cut the partial line off, or refuse every later write. */
  private fail(error: Error, fd: number): void {
    try {
      this.fs.ftruncateSync(fd, this.bytes);
    } catch {
      this.failure = error;
    }
  }
}

function noop(): void {}
