/**
 * MQTT.js-compatible in-memory message store (`mqtt.Store`): keeps packets by messageId.
 * rxmqtt's session keeps its own in-flight table; a Store passed as `outgoingStore` or
 * `incomingStore` mirrors it so that code written against MQTT.js can inspect or persist it.
 */
import { Readable } from 'node:stream';

/** A packet as a store holds it: an mqtt-packet object (a PUBLISH, a PUBREL...), keyed by its `messageId`. */
export interface StorePacket {
  /** The packet identifier the store keys it by. */
  messageId?: number;
  [key: string]: unknown;
}

/** The callback of a store's `get`, `put` and `del`: an error, or the packet concerned. */
export type StoreCallback = (error?: Error | null, packet?: StorePacket) => void;

export interface StoreOptions {
  /** Drop the stored packets when close() is called. @default true */
  clean?: boolean;
}

/** The interface a custom store (e.g. mqtt-level-store) implements. */
export interface IStore {
  put(packet: StorePacket, cb?: StoreCallback): this;
  get(packet: StorePacket, cb: StoreCallback): this;
  del(packet: StorePacket, cb?: StoreCallback): this;
  createStream(): Readable;
  /** Called by the client's end(); an error given to `cb` reaches end()'s callback. */
  close(cb?: (error?: Error | null) => void): void;
}

export class Store implements IStore {
  private readonly options: Required<StoreOptions>;
  private inflight = new Map<number, StorePacket>();

  constructor(options: StoreOptions = {}) {
    this.options = { clean: options.clean ?? true };
  }

  put(packet: StorePacket, cb?: StoreCallback): this {
    this.inflight.set(packet.messageId ?? 0, packet);
    if (cb) cb();
    return this;
  }

  get(packet: StorePacket, cb: StoreCallback): this {
    const found = this.inflight.get(packet.messageId ?? 0);
    if (found) cb(null, found);
    else cb(new Error('missing packet'));
    return this;
  }

  del(packet: StorePacket, cb?: StoreCallback): this {
    const id = packet.messageId ?? 0;
    const found = this.inflight.get(id);
    if (found) {
      this.inflight.delete(id);
      cb?.(null, found);
    } else {
      cb?.(new Error('missing packet'));
    }
    return this;
  }

  /** A readable (object mode) of the stored packets, in insertion order. */
  createStream(): Readable {
    return Readable.from([...this.inflight.values()]);
  }

  /** With `clean` (the default) the packets are dropped; the store stays usable (MQTT.js's cannot be used after close). */
  close(cb?: (error?: Error | null) => void): void {
    if (this.options.clean) this.inflight = new Map();
    cb?.();
  }

  /** Number of stored packets (rxmqtt addition, handy in tests). */
  get size(): number {
    return this.inflight.size;
  }
}
