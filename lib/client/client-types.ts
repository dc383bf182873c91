/**
 * The option and result types of the Observable API (`RxMqttClient`), and the hooks the
 * MQTT.js facade gives it. Types only.
 */
import type { IDisconnectPacket, Packet } from '../protocol/codec.js';
import type { SubackError } from '../errors.js';
import type { ClientEvent } from '../connection/connection-state.js';
import type { HandleAuth, HandleMessage } from '../options/handlers.js';
import type { TopicOptions } from '../routing/topic-options.js';

/** What `publish$` emits once the QoS flow completed. */
export interface PublishResult {
  /** Packet id used (QoS 1/2). */
  messageId?: number;
  /** The PUBACK or PUBCOMP that completed the flow (QoS 1/2). */
  packet?: Packet;
}

/**
 * How long `publish$`, `subscribe$` and `unsubscribe$` wait for their acknowledgement (the
 * `awaitAck` operator, timed on the client's `scheduler`).
 */
export interface AckOptions {
  /**
   * Milliseconds from the subscription (offline waiting included) after which the Observable
   * errors with an AckTimeoutError (`ERR_ACK_TIMEOUT`) if the acknowledgement has not come.
   * Only the wait stops: the command stays with the session, which still resends an
   * unacknowledged QoS 1/2 PUBLISH, SUBSCRIBE or UNSUBSCRIBE after a reconnect and settles it
   * when the broker answers (a late SUBACK still counts for `topic()` streams of the filter).
   * `removeOutgoingMessage(messageId)` gives up on a publish. A negative or non-finite value
   * errors with an InvalidArgumentError, and nothing is sent.
   * @default undefined (no limit: wait until acknowledged or the client ends)
   */
  ackTimeout?: number;
}

/** What `subscribe$` emits: the SUBACK. */
export interface SubscribeResult {
  /** The granted QoS or the refusal code, one per filter, in order. */
  granted: number[];
  /** The SUBACK packet itself (MQTT 5: with its reason string and user properties, if any). */
  packet: Packet;
  /** The first filter the broker refused (code >= 0x80), if any. */
  refused?: SubackError;
}

/** `topic()` options: the SUBSCRIBE options, and how messages are acknowledged. */
export interface ClientTopicOptions<T = void> extends TopicOptions<T> {
  /**
   * 'manual': each message has an `ack()`, and a QoS 1/2 message's PUBACK/PUBREC waits until every
   * manual stream that received it called it (see `topic`). @default 'auto'
   */
  ack?: 'auto' | 'manual';
}

/** `messages()` options: the SUBSCRIBE options and the buffer size. */
export interface MessagesOptions extends TopicOptions {
  /** Messages buffered before the socket is paused. @default 16 */
  highWaterMark?: number;
}

/**
 * How the MQTT.js facade (`MqttClient`) plugs into the `RxMqttClient` it wraps: its
 * `handleMessage` and `handleAuth` overrides and its event emitter. Every hook is optional.
 */
export interface ClientHooks {
  /** MQTT.js `handleMessage`, looked up per message; undefined means "no backpressure hook". */
  handleMessage?: () => HandleMessage | undefined;
  /** MQTT.js `handleAuth` overridden on the facade, looked up per challenge; wins over `options.handleAuth`. */
  handleAuth?: () => HandleAuth | undefined;
  /** Every lifecycle event, before `events$` subscribers hear it (the facade's EventEmitter). */
  onEvent?: (event: ClientEvent) => void;
}

/** The MQTT 5 properties of a DISCONNECT packet (reason string, session expiry, user properties...). */
export type DisconnectProperties = IDisconnectPacket['properties'];
