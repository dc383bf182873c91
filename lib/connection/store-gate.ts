/**
 * Keeps the wire in step with the stores: a packet that a store must hold before it is sent (see
 * StoreMirror#outgoing) waits for the store's callback, and everything after it waits behind it,
 * so that the wire order stays the session's order [MQTT-4.6.0-1]. With no store, or one that
 * calls back at once, nothing ever waits.
 */
interface Waiting {
  ready: boolean;
  /** Writes the packet (or settles a command); `lost` when the connection closed first. */
  run(lost?: Error): void;
}

/** The queue while nothing waits (never written): an idle client's gate keeps no array of its own. */
const NOTHING_WAITS: Waiting[] = Object.freeze([]) as never[];

export class StoreGate {
  private queue: Waiting[] = NOTHING_WAITS;

  /** Nothing waits: a packet may be written at once. */
  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Runs `run` now, or after the packets waiting for their store. */
  after(run: (lost?: Error) => void): void {
    if (this.queue.length === 0) run();
    else this.queue.push({ ready: true, run });
  }

  /** Queues `run` until the returned `release` is called (the store called back). */
  hold(run: (lost?: Error) => void): () => void {
    const waiting: Waiting = { ready: false, run };
    if (this.queue === NOTHING_WAITS) this.queue = [];
    this.queue.push(waiting);
    return () => {
      waiting.ready = true;
      this.drain();
    };
  }

  /**
   * The connection closed: what waits runs now, told `lost` (its packet is not written on the next
   * connection, whose CONNECT must come first); a later `release` finds nothing.
   */
  discard(lost: Error): void {
    const queue = this.queue;
    this.queue = NOTHING_WAITS;
    for (const waiting of queue) waiting.run(lost);
  }

  private drain(): void {
    const queue = this.queue;
    while (queue.length > 0 && queue[0].ready) queue.shift()!.run();
  }
}
