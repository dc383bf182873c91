/**
 * Outgoing bytes, batched: every packet encoded in one event-loop turn goes out in one socket
 * write, and the callbacks that must wait for that write (a QoS 0 publish settles "when written")
 * run right after it, or learn that the bytes were discarded because the transport closed first.
 */

export interface OutboxSink {
  /** Writes the batch to the current transport (if any). */
  write(bytes: Buffer): void;
  /** Something was written (keepalive counts it as activity). */
  wrote(): void;
}

export class Outbox {
  private queue: Buffer[] = [];
  private scheduled = false;
  /** Waiting for the next flush; called with `lost` when the queued bytes were discarded instead. */
  private afterFlush: Array<(lost?: Error) => void> = [];

  constructor(private readonly sink: OutboxSink) {}

  /** Queues encoded bytes for the flush at the end of this turn. */
  push(bytes: Buffer): void {
    this.queue.push(bytes);
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

  /** Writes what is queued now (also called before closing, so DISCONNECT goes out). */
  flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    if (queue.length > 0) {
      this.queue = [];
      this.sink.write(queue.length === 1 ? queue[0] : Buffer.concat(queue));
      this.sink.wrote();
    }
    const callbacks = this.afterFlush;
    if (callbacks.length > 0) {
      this.afterFlush = [];
      for (let i = 0; i < callbacks.length; i++) callbacks[i]();
    }
  }

  /**
   * The transport closed with bytes still queued: they are lost. The waiting callbacks still run
   * at the flush already scheduled, but are told `lost`.
   */
  discard(lost: Error): void {
    this.queue = [];
    if (this.afterFlush.length === 0) return;
    this.afterFlush = this.afterFlush.map((run) => () => run(lost));
  }
}
