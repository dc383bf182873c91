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

/** The options of the in-memory `Store`, as MQTT.js's. */
export interface StoreOptions {
  /** Drop the stored packets when close() is called. @default true */
  clean?: boolean;
}

/** The interface a custom store (e.g. mqtt-level-store) implements. */
export interface IStore {
  /** Stores `packet` under its `messageId`, replacing any packet stored under that id; `cb` runs once it is stored. */
  put(packet: StorePacket, cb?: StoreCallback): this;
  /** Looks up the packet with `packet.messageId`: `cb` gets it, or an Error when there is none. */
  get(packet: StorePacket, cb: StoreCallback): this;
  /** Removes the packet with `packet.messageId`: `cb` gets the removed packet, or an Error when there was none. */
  del(packet: StorePacket, cb?: StoreCallback): this;
  /**
   * A readable in object mode of every stored packet, in store order. The client reads its stores
   * this way before it connects, to resume what a previous run left in flight; a stream error is
   * reported as an 'error' event and the packets read before it are used.
   */
  createStream(): Readable;
  /** Called by the client's end(); an error given to `cb` reaches end()'s callback. */
  close(cb?: (error?: Error | null) => void): void;
}

/**
 * MQTT.js's in-memory store (`mqtt.Store`): a Map from `messageId` to packet. Pass one as
 * `outgoingStore` or `incomingStore` to inspect what the client has in flight; it keeps nothing
 * across a restart (use `FileStore` or `IndexedDBStore` for that).
 */
export class Store implements IStore {
  private readonly options: Required<StoreOptions>;
  private inflight = new Map<number, StorePacket>();

  constructor(options: StoreOptions = {}) {
    this.options = { clean: options.clean ?? true };
  }

  /** Stores `packet` under its `messageId` (0 if it has none); `cb` runs synchronously. */
  put(packet: StorePacket, cb?: StoreCallback): this {
    this.inflight.set(packet.messageId ?? 0, packet);
    if (cb) cb();
    return this;
  }

  /** Calls `cb` synchronously with the packet stored under `packet.messageId`, or with `Error('missing packet')`. */
  get(packet: StorePacket, cb: StoreCallback): this {
    const found = this.inflight.get(packet.messageId ?? 0);
    if (found) cb(null, found);
    else cb(new Error('missing packet'));
    return this;
  }

  /** Removes the packet stored under `packet.messageId`; `cb` gets it, or `Error('missing packet')`, synchronously. */
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
