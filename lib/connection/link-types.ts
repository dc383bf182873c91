/**
 * The boundaries around the session link, as types: what the app side hears (`ConnectionHooks`,
 * implemented by the Observable client), what a caller of a command waits with (`Settler`), and
 * what the link asks of the connection shell (`LinkHost`).
 */
import type { SubackError } from '../errors.js';
import type { HandleAuth, HandleMessage } from '../options/handlers.js';
import type { IDisconnectPacket, IPublishPacket, Packet } from '../protocol/codec.js';
import type { Command, SettleResult } from '../session/types.js';
import type { Transport } from '../transport/transport.js';
import type { ClientEvent, ConnectionState } from './connection-state.js';
import type { LifecycleInput } from './lifecycle.js';
import type { OutboxSink } from './outbox.js';

/** A command as the client hands it over: the link gives it its token. */
export type CommandRequest = Command extends infer C ? (C extends Command ? Omit<C, 'token'> : never) : never;

export interface ConnectionHooks {
  onState(state: ConnectionState): void;
  onEvent(event: ClientEvent): void;
  /** An inbound application message, to be routed to the app synchronously. */
  /** `topic`: the full topic of a PUBLISH that named it by Topic Alias alone (its packet keeps `''`). */
  onMessage(packet: IPublishPacket, topic?: string): void;
  onPacketIn(packet: Packet): void;
  onPacketOut(packet: Packet): void;
  /** The broker refused a filter the session re-subscribed after a reconnect (reported as an 'error' event next). */
  onResubscribeFailed(error: SubackError): void;
  /**
   * A command is about to go to the session: what the client holds back for the end of the turn
   * (the SUBSCRIBEs of `topic()` streams) goes first, so commands reach the broker in the order
   * the app issued them (a stream opened before a publish to its topic receives it).
   */
  beforeCommand?(): void;
  /** MQTT.js `handleMessage` (looked up per message): when it returns a handler, messages are handled one at a time and acked after `done`. */
  handleMessage?: () => HandleMessage | undefined;
  /** MQTT.js `handleAuth` overridden on the facade (looked up per challenge); wins over the `handleAuth` option. */
  handleAuth?: () => HandleAuth | undefined;
}

export interface Settler {
  resolve(result: SettleResult | undefined): void;
  reject(error: Error): void;
  /** MQTT.js `cbStorePut`: a QoS 1/2 publish is in the `outgoingStore` (with none: in the session). */
  stored?: () => void;
}

/** What `RxMqttClient.end()` takes. */
export interface EndOptions {
  /** Close at once, without waiting for in-flight acknowledgements (MQTT.js's `force`). @default false */
  force?: boolean;
  /** The DISCONNECT's reason code (MQTT 5 only). @default none (read as 0x00, Normal disconnection [3.14.2.1]) */
  reasonCode?: number;
  /** The DISCONNECT's MQTT 5 properties (Session Expiry Interval, Reason String, User Properties...). */
  properties?: IDisconnectPacket['properties'];
}

/** What the session link needs from the connection shell. */
/** Also the outbox's sink (`write`, `writev`, `wrote`): prototype methods, not a sink object of closures per client. */
export interface LinkHost extends OutboxSink {
  /** A session output that concerns the lifecycle (CONNACK, refusal, drop, DISCONNECT received). */
  advance(input: LifecycleInput): void;
  /** The current socket, if any. */
  transport(): Transport | undefined;
  /** Half-close after a DISCONNECT (ours or the broker's), destroying the socket if it lingers. */
  closeTransport(): void;
  /** MQTT 5 4.11: a Server Reference the user lets us follow picks the broker of the next attempts. */
  redirect(reasonCode: number | undefined, reference: string | undefined): void;
  /** A PINGRESP arrived. */
  pong(): void;
  /** A reason to pause reading came or went. */
  applyPause(): void;
  /** A session step finished (with `end()` under way, DISCONNECT once nothing is in flight). */
  stepped(): void;
  /** Which transport callbacks still count (auth answers of an older connection do not). */
  generation(): number;
}

/** What the dialer reports to: the connection, which steps the lifecycle machine. */
export interface LifecycleDriver {
  advance(input: LifecycleInput): void;
  stepped(): void;
}
