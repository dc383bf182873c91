/**
 * `FileStore`: a durable store for Node, an append-only log (`file-store-log.ts`, format in
 * `file-store-format.ts`) and a lock file (`store-lock.ts`) in one directory.
 */
import * as nodeFs from 'node:fs';
import { Readable } from 'node:stream';
import { syncDirectory, writeFully, type FileStoreFs } from './durable-file.js';
import { LOG_FILE, openStoreLog, rewriteLog, type OpenedLog } from './file-store-log.js';
import { encodeRecord, apply, type LogRecord } from './file-store-format.js';
import type { IStore, StoreCallback, StorePacket } from './store.js';
import type { StoreLock } from './store-lock.js';
import type { FileStoreOptions, FileStoreStats } from './file-store-options.js';

export { LOG_FILE };
export type { FileStoreOptions, FileStoreStats } from './file-store-options.js';

/**
 * A durable, MQTT.js-compatible store kept in a directory. As `outgoingStore` with `clean: false`, a
 * process that is killed restarts, finds its in-flight QoS 1/2 publishes (and PUBRELs) here and
 * resumes them; as `incomingStore` (another directory) it keeps the inbound QoS 2 ids awaiting PUBREL,
 * so a restart delivers none twice.
 *
 * Crash safety: every put and del is appended to `<dir>/store.log` with one `write` at once (a killed
 * process loses nothing it was told), and the log is fsync'ed once per event-loop turn before the
 * put/del callbacks run (a callback means "survives a power cut too"). A torn last line is ignored and
 * cut off at opening. Compaction (by itself when the log holds many more dead records than live ones,
 * `compactAfter`, or on `compact()`) writes the live packets to `<dir>/store.log.tmp`, fsyncs it,
 * renames it over the log and fsyncs the directory: a crash at any point leaves the old or the new
 * log.
 *
 * One store per directory: the store holds `<dir>/store.lock` (its pid) from construction to
 * `close()`, and a second one fails with `StoreLockedError` (two appending to one log would corrupt
 * it). A lock left by a killed process is taken over.
 *
 * A closed store reopens on its next `put`, `get`, `del`, `createStream` or `compact()` (the client's
 * `end()` closes its stores; a `reconnect()` with `clean: false` goes on using them), taking the lock
 * again and reading the log afresh. A failure (`StoreLockedError` while another store holds the
 * directory) reaches the call as any other would: its callback, the stream's 'error', a throw from
 * `compact()`.
 *
 * @example
 * const store = new FileStore('./mqtt-store');
 * const client = connect(url, { clientId: 'meter-7', clean: false, outgoingStore: store });
 * client.publish('meter/7', reading, { qos: 1, cbStorePut: () => markAccepted(reading) });
 */
export class FileStore implements IStore {
  /** The directory the store keeps its log (`store.log`) and lock (`store.lock`) in, as given to the constructor. */
  readonly dir: string;
  private readonly fs: FileStoreFs;
  private readonly compactAfter: number;
  private packets!: Map<number, StorePacket>;
  /** The open log; undefined once closed (the next use reopens it). */
  private fd: number | undefined;
  /** Bytes in the log: every append writes at this offset. */
  private bytes!: number;
  private records!: number;
  private truncatedBytes!: number;
  /** Callbacks of appends not fsync'ed yet, run by the next sync. */
  private waiting: Array<() => void> = [];
  private syncScheduled?: NodeJS.Immediate;
  /** Set once an append or fsync failed: the log's tail is unknown, so nothing more is accepted until close(). */
  private failure?: Error;
  private lock!: StoreLock;

  /**
   * Opens (or creates) the store in `dir`, creating the directory if needed. Throws
   * `StoreLockedError` if another FileStore holds the directory (in this process or in a live
   * other one), and an Error if the directory cannot be used or holds a log of another format.
   */
  constructor(dir: string, options: FileStoreOptions = {}) {
    this.dir = dir;
    this.fs = options.fs ?? nodeFs;
    this.compactAfter = options.compactAfter ?? 1000;
    this.adopt(openStoreLog(this.fs, dir));
  }

  /** Stores `packet` under its messageId; `cb` runs once it is on disk. */
  put(packet: StorePacket, cb?: StoreCallback): this {
    const record: LogRecord = { op: 'put', packet };
    this.append(record, cb, () => apply(this.packets, record));
    return this;
  }

  /** Calls `cb` synchronously with the packet under `packet.messageId`, `Error('missing packet')`, or the error of reopening a closed store. */
  get(packet: StorePacket, cb: StoreCallback): this {
    const reopenError = this.reopenIfClosed();
    if (reopenError) {
      cb(reopenError);
      return this;
    }
    const found = this.packets.get(packet.messageId ?? 0);
    if (found) cb(null, found);
    else cb(new Error('missing packet'));
    return this;
  }

  /** Removes the packet with `packet.messageId`; `cb` gets it once the removal is on disk. */
  del(packet: StorePacket, cb?: StoreCallback): this {
    // Looked up in the log as it is now: a closed store reads it again first.
    const reopenError = this.reopenIfClosed();
    if (reopenError) {
      if (cb) queueMicrotask(() => cb(reopenError));
      return this;
    }
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

  /** A readable (object mode) of the live packets, in store order; it errors if a closed store cannot reopen. */
  createStream(): Readable {
    const reopenError = this.reopenIfClosed();
    if (reopenError) {
      return new Readable({
        objectMode: true,
        read() {
          this.destroy(reopenError);
        },
      });
    }
    return Readable.from([...this.packets.values()]);
  }

  /**
   * Syncs what is pending, closes the log, releases the lock; the packets stay for the next store
   * on `dir`, or for this one, which reopens on its next use. `cb` gets the error of the close, or
   * of an earlier failed write or fsync (the last writes may not be on disk), once: closing a closed
   * store calls back without an error.
   */
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

  /** Live packets, in store order: what a restarted client resumes (after close(), as they were then). */
  entries(): StorePacket[] {
    return [...this.packets.values()];
  }

  /** The number of live packets. */
  get size(): number {
    return this.packets.size;
  }

  /** Counts of the log as it is now: live packets, records, bytes, and the torn tail cut off at the last opening. */
  stats(): FileStoreStats {
    return { live: this.packets.size, records: this.records, bytes: this.bytes, truncatedBytes: this.truncatedBytes };
  }

  /**
   * Rewrites the log with only the live packets (temp file, fsync, rename, fsync of the
   * directory). Synchronous; throws if a closed store cannot reopen or the rewrite fails, in which
   * case the old log is still in place and in use.
   */
  compact(): void {
    const fd = this.usableFd();
    if (fd instanceof Error) throw fd;
    const rewritten = rewriteLog(this.fs, this.dir, this.packets.values());
    // The new log holds everything the old one did, synced: appends waiting on the old one are safe.
    this.fs.closeSync(fd);
    this.fd = rewritten.fd;
    this.bytes = rewritten.bytes;
    this.records = this.packets.size;
    syncDirectory(this.fs, this.dir);
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
    const reopenError = this.reopenIfClosed();
    if (reopenError) return reopenError;
    if (this.failure) return this.failure;
    return this.fd!;
  }

  /**
   * Reopens a closed store as a fresh FileStore on `dir` would open: the lock taken again, the log
   * read again. Returns the error instead of throwing: callers report it through their own channel.
   */
  private reopenIfClosed(): Error | undefined {
    if (this.fd !== undefined) return undefined;
    try {
      this.adopt(openStoreLog(this.fs, this.dir));
    } catch (error) {
      return error as Error;
    }
    return undefined;
  }

  /** Takes over an opened log; a failure of the previous opening (reported by its close()) is forgotten. */
  private adopt(opened: OpenedLog): void {
    this.lock = opened.lock;
    this.fd = opened.fd;
    this.packets = opened.packets;
    this.records = opened.records;
    this.bytes = opened.bytes;
    this.truncatedBytes = opened.truncatedBytes;
    this.failure = undefined;
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
