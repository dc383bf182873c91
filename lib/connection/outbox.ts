/**
 * Outgoing bytes, batched: every packet encoded in one event-loop turn goes out in one socket
 * write, and the callbacks that must wait for that write (a QoS 0 publish settles "when written")
 * run right after it, or learn that the bytes were discarded because the transport closed first.
 */

import { ZERO_COPY_PAYLOAD_BYTES } from '../protocol/codec.js';
import { reportUnhandledError } from '../platform/report-unhandled.js';

export interface OutboxSink {
  /** Writes the batch to the current transport (if any). */
  write(bytes: Buffer): void;
  /**
   * Writes the batch as a vector, in order, in one transport write; when absent, a batch holding
   * large chunks is joined into one buffer like any other.
   */
  writev?(chunks: Buffer[]): void;
  /** Something was written (keepalive counts it as activity). */
  wrote(): void;
}

/**
 * A chunk this large (a PUBLISH payload, see `encodePacketChunks`) is handed to the transport as
 * it is; smaller neighbours are still joined, since one copy of a few bytes costs less than a chunk.
 */
const LARGE_CHUNK_BYTES = ZERO_COPY_PAYLOAD_BYTES;
/**
 * A batch smaller than this is joined even when it holds a large chunk: Buffer.concat takes so few
 * bytes from Node's preallocated pool (allocUnsafe below half of Buffer.poolSize), a cheap copy,
 * whereas each chunk of a vector costs the writer a request. Bigger joins allocate memory of their own.
 */
const VECTOR_MIN_BYTES = Buffer.poolSize >>> 1;

export class Outbox {
  private queue: Buffer[] = [];
  /** Whether `queue` holds a large chunk (then the flush writes a vector, if the sink can). */
  private large = false;
  private scheduled = false;
  /** Waiting for the next flush; called with `lost` when the queued bytes were discarded instead. */
  private afterFlush: Array<(lost?: Error) => void> = [];

  constructor(private readonly sink: OutboxSink) {}

  /** Queues encoded bytes for the flush at the end of this turn. */
  push(bytes: Buffer): void {
    this.queue.push(bytes);
    if (bytes.length >= LARGE_CHUNK_BYTES) this.large = true;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Runs `callback` once the bytes queued so far are written (at once when nothing is queued). */
  afterWrite(callback: (lost?: Error) => void): void {
    if (this.scheduled) this.afterFlush.push(callback);
    else callback();
  }

  /**
   * Runs `callback` at once, unless callbacks already wait for the flush: then behind them, so
   * that completions keep their order. For what needs no write of its own (a QoS 1/2 publish
   * acknowledged by the broker): waiting for the flush would split one read's worth of replies
   * into two writes, since the first completion's new packets schedule a flush that every later
   * completion of that read would wait for (the publisher of a sliding window then writes the
   * first new PUBLISH alone, and the rest after it).
   */
  inOrder(callback: (lost?: Error) => void): void {
    if (this.afterFlush.length > 0) this.afterFlush.push(callback);
    else callback();
  }

  /** A completion: after the write of what is queued when it `needsWrite` (a QoS 0 publish), else in order. */
  complete(callback: (lost?: Error) => void, needsWrite: boolean): void {
    if (needsWrite) this.afterWrite(callback);
    else this.inOrder(callback);
  }

  /** Writes what is queued now (also called before closing, so DISCONNECT goes out). */
  flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    if (queue.length > 0) {
      this.queue = [];
      const large = this.large;
      this.large = false;
      if (queue.length === 1) this.sink.write(queue[0]);
      // Large payloads go out as they are (no copy); one vector of many small chunks would cost
      // more than one join, so a batch without large chunks is still one buffer.
      else if (large && this.sink.writev && totalLength(queue) >= VECTOR_MIN_BYTES) this.sink.writev(coalesce(queue));
      else this.sink.write(Buffer.concat(queue));
      this.sink.wrote();
    }
    const callbacks = this.afterFlush;
    if (callbacks.length > 0) {
      this.afterFlush = [];
      runAll(callbacks);
    }
  }

  /**
   * The transport closed with bytes still queued: they are lost. The waiting callbacks still run
   * at the flush already scheduled, but are told `lost`.
   */
  discard(lost: Error): void {
    this.queue = [];
    this.large = false;
    if (this.afterFlush.length === 0) return;
    this.afterFlush = this.afterFlush.map((run) => () => run(lost));
  }
}

/**
 * Runs every callback even when one throws (an app's publish callback): the others still settle,
 * and the error is reported as unhandled once they have.
 */
function runAll(callbacks: Array<() => void>): void {
  let i = 0;
  while (i < callbacks.length) {
    try {
      for (; i < callbacks.length; i++) callbacks[i]();
    } catch (error) {
      i++;
      reportUnhandledError(error);
    }
  }
}

/** Joins each run of small chunks into one buffer, keeping the large chunks as they are. */
function coalesce(queue: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < queue.length; i++) {
    if (queue[i].length < LARGE_CHUNK_BYTES) continue;
    if (i > from) out.push(i - from === 1 ? queue[from] : Buffer.concat(queue.slice(from, i)));
    out.push(queue[i]);
    from = i + 1;
  }
  if (queue.length > from) out.push(queue.length - from === 1 ? queue[from] : Buffer.concat(queue.slice(from)));
  return out;
}

/** Bytes in `queue`. */
export function totalLength(queue: Buffer[]): number {
  let length = 0;
  for (let i = 0; i < queue.length; i++) length += queue[i].length;
  return length;
}
