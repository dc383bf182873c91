/**
 * Keeps MQTT.js's `outgoingStore` and `incomingStore` in step with the session: the session's
 * in-flight table is the truth, the stores mirror it so that code written against MQTT.js can
 * inspect them and a durable store (FileStore) can resume them after a crash.
 */
import type { Packet } from '../protocol/codec.js';
import type { MqttSession } from '../session/session.js';
import type { SettleResult, Token } from '../session/types.js';
import type { IStore, StoreCallback } from './store.js';

export interface StoreMirrorOptions {
  outgoingStore?: IStore;
  incomingStore?: IStore;
}

export class StoreMirror {
  /** `cbStorePut` of publishes not put into the `outgoingStore` yet, by token (made for the first). */
  private storedCallbacks?: Map<Token, () => void>;
  /** Inbound QoS 2 PUBLISHes delivered but not PUBREC'd yet, by packet id. */
  private receivedQos2?: Map<number, Packet>;
  /** Packet ids in the `incomingStore` (put at PUBREC, or restored), removed at PUBREL. */
  private storedQos2?: Set<number>;

  constructor(
    private readonly stores: StoreMirrorOptions,
    private readonly session: MqttSession,
    private readonly onError: (error: Error) => void,
  ) {}

  get hasOutgoingStore(): boolean {
    return this.stores.outgoingStore !== undefined;
  }

  /** Remembers a publish's `cbStorePut`, called once its packet is in the `outgoingStore`. */
  awaitStored(token: Token, stored: () => void): void {
    (this.storedCallbacks ??= new Map()).set(token, stored);
  }

  /** The command settled: its `cbStorePut` will never be needed. */
  settled(token: Token): void {
    this.storedCallbacks?.delete(token);
  }

  /** A packet is about to go on the wire. */
  outgoing(packet: Packet): void {
    if (packet.cmd === 'pubrec') return this.pubrecSent(packet.messageId as number, packet.reasonCode);
    const store = this.stores.outgoingStore;
    if (!store) return;
    if (packet.cmd === 'publish' && packet.qos > 0 && !packet.dup) {
      // The in-flight copy, not the wire one: a Topic Alias is valid on this connection only.
      const stored = this.session.inflightPublish(packet.messageId as number) ?? packet;
      store.put(stored as never, this.afterPut(packet.messageId));
    }
    else if (packet.cmd === 'pubrel') store.put(packet as never, this.afterPut(undefined));
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
      if (this.storedQos2?.delete(messageId)) store.del({ messageId });
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
    for (const messageId of this.storedQos2) store.del({ messageId });
    this.storedQos2.clear();
  }

  private pubrecSent(messageId: number, reasonCode: number | undefined): void {
    const packet = this.receivedQos2?.get(messageId);
    if (packet === undefined) return;
    this.receivedQos2!.delete(messageId);
    // [MQTT-4.3.3-9] after a failed PUBREC the id is free again: nothing to remember.
    if (reasonCode !== undefined && reasonCode >= 0x80) return;
    (this.storedQos2 ??= new Set()).add(messageId);
    // Written (FileStore: to the file) before the PUBREC goes on the wire: a process killed after
    // the PUBREC left finds the id at its restart.
    this.stores.incomingStore!.put(packet as never);
  }

  /**
   * A settled publish has left the session's in-flight table, so it leaves the `outgoingStore`.
   * Publishes failed by end() (abort) carry no messageId: they stay, and a restarted client resumes them.
   */
  forget(result: SettleResult | undefined): void {
    const messageId = result?.type === 'publish' ? result.messageId : undefined;
    if (messageId !== undefined) this.stores.outgoingStore?.del({ messageId });
  }

  /**
   * A put's outcome: the publish's `cbStorePut` once it is stored, an error if it could not be.
   * Never run inside the step that wrote the packet (an in-memory store calls back at once): a
   * publish from `cbStorePut` must not overtake the rest of that step's packets.
   */
  private afterPut(messageId: number | undefined): StoreCallback {
    const token = messageId === undefined ? undefined : this.session.inflightToken(messageId);
    const stored = token === undefined ? undefined : this.storedCallbacks?.get(token);
    if (stored) this.storedCallbacks!.delete(token!);
    return (error) =>
      queueMicrotask(() => {
        if (error) this.onError(error);
        else stored?.();
      });
  }
}
