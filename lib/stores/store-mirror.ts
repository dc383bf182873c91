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
    const store = this.stores.outgoingStore;
    if (!store) return;
    if (packet.cmd === 'publish' && packet.qos > 0 && !packet.dup) {
      // The in-flight copy, not the wire one: a Topic Alias is valid on this connection only.
      const stored = this.session.inflightPublish(packet.messageId as number) ?? packet;
      store.put(stored as never, this.afterPut(packet.messageId));
    }
    else if (packet.cmd === 'pubrel') store.put(packet as never, this.afterPut(undefined));
  }

  /** Inbound QoS 2 messages stay in the `incomingStore` until their PUBREL. */
  incoming(packet: Packet): void {
    const store = this.stores.incomingStore;
    if (!store) return;
    if (packet.cmd === 'publish' && packet.qos === 2) store.put(packet as never);
    else if (packet.cmd === 'pubrel') store.del({ messageId: packet.messageId });
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
