/**
 * Keeps MQTT.js's `outgoingStore` and `incomingStore` in step with the session: the session's
 * in-flight table is the truth, the stores mirror it so that code written against MQTT.js can
 * inspect them and a durable store (FileStore) can resume them after a crash.
 */
import type { IPublishPacket, Packet } from '../protocol/codec.js';
import type { MqttSession } from '../session/session.js';
import type { SettleResult, Token } from '../session/types.js';
import type { IStore, StoreCallback, StorePacket } from './store.js';

export interface StoreMirrorOptions {
  outgoingStore?: IStore;
  incomingStore?: IStore;
}

/** Where a store's failures are reported (a method, not a closure per client). */
export interface StoreErrors {
  /** `publishId`: a publish stored offline could not be put, so it must fail with `error` (never a silent loss). */
  storeFailed(error: Error, publishId?: number): void;
}

/** The put of a publish stored offline, until its first send. */
interface OfflinePut {
  readonly token: Token;
  done: boolean;
  /** Set by a first send that came before the store called back: it waits for the put. */
  written?: (error?: Error) => void;
}

export class StoreMirror {
  /** `cbStorePut` of publishes not put into the `outgoingStore` yet, by token (made for the first). */
  private storedCallbacks?: Map<Token, () => void>;
  /** Inbound QoS 2 PUBLISHes delivered but not PUBREC'd yet, by packet id. */
  private receivedQos2?: Map<number, Packet>;
  /** Packet ids in the `incomingStore` (put at PUBREC, or restored), removed at PUBREL. */
  private storedQos2?: Set<number>;
  /** Publishes put into the `outgoingStore` while offline (session `store` outputs), by packet id. */
  private offlinePuts?: Map<number, OfflinePut>;
  private errorCallback?: (error?: Error | null) => void;

  constructor(
    private readonly stores: StoreMirrorOptions,
    private readonly session: MqttSession,
    private readonly errors: StoreErrors,
  ) {}

  get hasOutgoingStore(): boolean {
    return this.stores.outgoingStore !== undefined;
  }

  /** Whether there is a store at all (without one, `outgoing` never stores anything). */
  get any(): boolean {
    return this.stores.outgoingStore !== undefined || this.stores.incomingStore !== undefined;
  }

  /** Remembers a publish's `cbStorePut`, called once its packet is in the `outgoingStore`. */
  awaitStored(token: Token, stored: () => void): void {
    (this.storedCallbacks ??= new Map()).set(token, stored);
  }

  /** The command settled: its `cbStorePut` will never be needed. */
  settled(token: Token): void {
    this.storedCallbacks?.delete(token);
  }

  /**
   * A QoS 1/2 publish waits offline with its packet id (a session `store` output): it goes into the
   * `outgoingStore` now, and its `cbStorePut` fires when the store calls back, so that it means
   * "survives a restart" as in MQTT.js. Its first send puts nothing again.
   */
  storeOffline(packet: IPublishPacket, token: Token): void {
    const store = this.stores.outgoingStore;
    if (!store) return;
    const messageId = packet.messageId as number;
    const put: OfflinePut = { token, done: false };
    (this.offlinePuts ??= new Map()).set(messageId, put);
    putOnce(store, packet, (error) => {
      put.done = true;
      if (put.written) put.written(error ?? undefined);
      else if (error && this.offlinePuts?.get(messageId) === put) {
        this.offlinePuts.delete(messageId);
        this.errors.storeFailed(error, messageId);
      }
      // Looked up now, not at the put: a publish settled meanwhile (evicted, expired) gets none.
      const stored = error ? undefined : this.storedCallbacks?.get(token);
      if (stored) {
        this.storedCallbacks!.delete(token);
        queueMicrotask(stored);
      }
    });
  }

  /**
   * A packet is about to go on the wire. What a store must hold first is put there: a QoS 1/2
   * PUBLISH's first send and a PUBREL in the `outgoingStore`, an inbound QoS 2 message at its
   * PUBREC in the `incomingStore`. Returns false when nothing was put; otherwise `written` is
   * called once, when the store calls back (at once for an in-memory store), with its error if any.
   */
  outgoing(packet: Packet, written: (error?: Error) => void): boolean {
    if (packet.cmd === 'pubrec') return this.pubrecSent(packet.messageId as number, packet.reasonCode, written);
    const store = this.stores.outgoingStore;
    if (!store) return false;
    if (packet.cmd === 'publish' && packet.qos > 0 && !packet.dup) {
      if (this.offlinePuts !== undefined && this.offlinePuts.size > 0) {
        // Stored offline already: its first send waits only for a put still under way.
        const put = this.storedOffline(packet.messageId as number);
        if (put?.done) return false;
        if (put) {
          put.written = written;
          return true;
        }
      }
      // The in-flight copy, not the wire one: a Topic Alias is valid on this connection only.
      const stored = this.session.inflightPublish(packet.messageId as number) ?? packet;
      return putOnce(store, stored, this.afterPut(packet.messageId, written));
    }
    if (packet.cmd === 'pubrel') return putOnce(store, packet, this.afterPut(undefined, written));
    return false;
  }

  /** The offline put of the publish about to be sent first under `messageId`, if it was stored offline. */
  private storedOffline(messageId: number): OfflinePut | undefined {
    const put = this.offlinePuts!.get(messageId);
    if (put === undefined) return undefined;
    this.offlinePuts!.delete(messageId);
    // An entry left by a publish end() failed while offline: its id went to another publish since.
    return put.token === this.session.inflightToken(messageId) ? put : undefined;
  }

  /**
   * Inbound QoS 2 messages are in the `incomingStore` from their PUBREC to their PUBREL: the span
   * in which a restarted client must not deliver the broker's re-sent PUBLISH again. (Not from
   * their arrival: one that was not acknowledged yet, say held by a manual ack, must be delivered
   * again after a crash, as the broker re-sends it.)
   */
  incoming(packet: Packet): void {
    const store = this.stores.incomingStore;
    if (!store) return;
    const messageId = packet.messageId as number;
    if (packet.cmd === 'publish' && packet.qos === 2) {
      // A re-sent PUBLISH of an id already held keeps the first one's packet.
      if (!this.storedQos2?.has(messageId) && !this.receivedQos2?.has(messageId)) (this.receivedQos2 ??= new Map()).set(messageId, packet);
    } else if (packet.cmd === 'pubrel') {
      this.receivedQos2?.delete(messageId);
      if (this.storedQos2?.delete(messageId)) store.del({ messageId }, this.reportError);
    }
  }

  /** The incoming store's packets were restored into the session: they leave it at their PUBREL. */
  restoredIncoming(packets: readonly Packet[]): void {
    for (const packet of packets) if (packet.messageId !== undefined) (this.storedQos2 ??= new Set()).add(packet.messageId);
  }

  /** The broker has no session for us ([MQTT-4.4.0-1]): its packet ids awaiting PUBREL are void. */
  sessionCleared(): void {
    this.receivedQos2?.clear();
    const store = this.stores.incomingStore;
    if (!store || !this.storedQos2) return;
    for (const messageId of this.storedQos2) store.del({ messageId }, this.reportError);
    this.storedQos2.clear();
  }

  private pubrecSent(messageId: number, reasonCode: number | undefined, written: (error?: Error) => void): boolean {
    const packet = this.receivedQos2?.get(messageId);
    if (packet === undefined) return false;
    this.receivedQos2!.delete(messageId);
    // [MQTT-4.3.3-9] after a failed PUBREC the id is free again: nothing to remember.
    if (reasonCode !== undefined && reasonCode >= 0x80) return false;
    (this.storedQos2 ??= new Set()).add(messageId);
    // In the store before the PUBREC goes on the wire (the link waits for the callback, as MQTT.js
    // does): a process killed after the PUBREC left finds the id at its restart.
    return putOnce(this.stores.incomingStore!, packet, (error) => {
      // Not stored: nothing to delete at its PUBREL. The PUBREC still goes (MQTT.js sends it too).
      if (error) this.storedQos2?.delete(messageId);
      written(error ?? undefined);
    });
  }

  /**
   * A settled publish has left the session's in-flight table, so it leaves the `outgoingStore`.
   * Publishes failed by end() (abort) carry no messageId: they stay, and a restarted client resumes
   * them. A failed del is ignored, as its publish is settled already (and one whose put failed
   * may well be missing).
   */
  forget(result: SettleResult | undefined): void {
    const messageId = result?.type === 'publish' ? result.messageId : undefined;
    if (messageId === undefined) return;
    this.offlinePuts?.delete(messageId);
    this.stores.outgoingStore?.del({ messageId }, ignoreError);
  }

  /**
   * A put's outcome for the link (`written`), and the publish's `cbStorePut` once it is stored.
   * `cbStorePut` never runs inside the step that wrote the packet (an in-memory store calls back
   * at once): a publish from `cbStorePut` must not overtake the rest of that step's packets.
   */
  private afterPut(messageId: number | undefined, written: (error?: Error) => void): StoreCallback {
    const token = messageId === undefined ? undefined : this.session.inflightToken(messageId);
    const stored = token === undefined ? undefined : this.storedCallbacks?.get(token);
    if (stored) this.storedCallbacks!.delete(token!);
    return (error) => {
      written(error ?? undefined);
      if (!error && stored) queueMicrotask(stored);
    };
  }

  /**
   * Reports a failed incoming put or del: a restarted client may misjudge that message id. Made for
   * the first store callback: a client without stores pays for no function object.
   */
  private get reportError(): (error?: Error | null) => void {
    return (this.errorCallback ??= (error) => error && this.errors.storeFailed(error));
  }
}

/**
 * `store.put` with a callback that runs once (a store that throws counts as one that reported the
 * error). True: the caller waits for `cb`.
 */
function putOnce(store: IStore, packet: unknown, cb: StoreCallback): boolean {
  let called = false;
  const once: StoreCallback = (error) => {
    if (called) return;
    called = true;
    cb(error);
  };
  try {
    store.put(packet as StorePacket, once);
  } catch (error) {
    once(error as Error);
  }
  return true;
}

function ignoreError(): void {}
