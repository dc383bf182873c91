/**
 * The vocabulary of the sans-IO MQTT session: what goes in (inputs), what comes out (outputs).
 *
 * The session never touches a socket, a timer or the clock. `connection.ts` feeds it inputs
 * (decoded packets, user commands, transport events, "a keepalive ping is due") and executes the
 * outputs it returns (send a packet, settle a pending operation, deliver a message, close).
 */
import type {
  IAuthPacket,
  IConnackPacket,
  IConnectPacket,
  IDisconnectPacket,
  IPublishPacket,
  ISubackPacket,
  ISubscription,
  IUnsubackPacket,
  Packet,
  QoS,
  UserProperties,
} from '../protocol/codec.js';
import type { AuthError, ConnackError, MqttError, ProtocolError, QueueFullError, SubackError, TimeoutError } from '../errors.js';

/** Opaque handle chosen by the caller to match a settle output to the command that caused it. */
export type Token = number;

/** MQTT.js-compatible packet id provider (see `message-id-provider.ts`). */
export interface MessageIdProvider {
  /** Returns a free id in 1..65535, or null when none is free. */
  allocate(): number | null;
  /** The id the last `allocate()` returned, for MQTT.js's `getLastMessageId()`; null before the first. */
  getLastAllocated(): number | null;
  /** Marks an id as used (e.g. restored from a store); false when it already was. */
  register(id: number): boolean;
  /** Frees an id whose flow is over (acknowledged, or its command dropped), so that it may be allocated again. */
  deallocate(id: number): void;
  /** Frees every id. */
  clear(): void;
}

/** What gives way when a publish does not fit the bounded offline queue. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'error';

/**
 * Bounds on the publishes waiting in the pending queue while the session is not connected.
 * Subscribes and unsubscribes are neither counted nor dropped: they are small and their order
 * matters. Limits are checked only when a publish is issued while not connected.
 */
export interface OfflineQueueLimits {
  /** Publishes (any QoS) that may wait. `Infinity` for no limit. */
  maxMessages: number;
  /** Payload bytes those publishes may hold together. `Infinity` for no limit. */
  maxBytes: number;
  /** 'drop-oldest' evicts the oldest waiting publish; 'drop-newest' and 'error' refuse the new one. */
  overflow: OverflowPolicy;
}

export interface SessionOptions {
  protocolId: 'MQTT' | 'MQIsdp';
  protocolVersion: 3 | 4 | 5;
  clientId: string;
  clean: boolean;
  /** Seconds; 0 disables keepalive. Only copied into CONNECT here: timing lives outside the session. */
  keepalive: number;
  username?: string;
  password?: Buffer | string;
  will?: IConnectPacket['will'];
  properties?: IConnectPacket['properties'];
  /** Re-send SUBSCRIBE for acknowledged filters when the broker has no session. @default true */
  resubscribe: boolean;
  /**
   * MQTT.js `subscribeBatchSize`: the most filters one SUBSCRIBE packet carries; a subscribe of
   * more goes out as several packets (see subscribe-batches.ts). @default undefined (no limit)
   */
  subscribeBatchSize?: number;
  /** Queue QoS 0 publishes while offline (true) or fail them at once (false). @default true */
  queueQoSZero: boolean;
  /** Bounded offline queue; absent means unbounded (MQTT.js behaviour). @default undefined */
  offlineQueue?: OfflineQueueLimits;
  /**
   * MQTT 5: a publish whose topic has an alias on this connection goes out as topic '' + that
   * alias (MQTT.js `autoUseTopicAlias`). @default false
   */
  autoUseTopicAlias?: boolean;
  /**
   * MQTT 5: a publish whose topic has no alias yet gets one (a vacant one up to the broker's Topic
   * Alias Maximum, else the least recently used one); implies `autoUseTopicAlias`. @default false
   */
  autoAssignTopicAlias?: boolean;
  messageIdProvider?: MessageIdProvider;
  /**
   * There is an outgoing store: a QoS 1/2 publish issued while not connected gets its packet id at
   * once and a `store` output (MQTT.js puts it in its outgoingStore then), from the first `restore`
   * input on, when the ids the store's packets hold are known (see `offline-store.ts`). @default false
   */
  storeOfflinePublishes?: boolean;
  /**
   * MQTT 5: the number of unacknowledged QoS 1/2 PUBLISHes a broker is disconnected for exceeding
   * (DISCONNECT 0x93). @default properties.receiveMaximum, else 65535
   */
  enforcedReceiveMaximum?: number;
}

/** The MQTT 5 PUBLISH properties (3.3.2.3): Message Expiry Interval, Content Type, Response Topic, Correlation Data, User Properties... */
export type PublishProperties = NonNullable<IPublishPacket['properties']>;

export interface PublishCommand {
  type: 'publish';
  token: Token;
  topic: string;
  payload: Buffer | string;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  properties?: PublishProperties;
  /** Set when it joined the pending queue with a Message Expiry Interval: the `now` of that step and the interval. */
  queued?: { at: number; interval: number };
  /** Set when it waits offline with its packet id, put into the outgoing store (`offline-store.ts`). */
  stored?: IPublishPacket;
}

export interface SubscribeCommand {
  type: 'subscribe';
  token: Token;
  subscriptions: ISubscription[];
  properties?: { subscriptionIdentifier?: number; userProperties?: UserProperties };
}

export interface UnsubscribeCommand {
  type: 'unsubscribe';
  token: Token;
  topics: string[];
  properties?: { userProperties?: UserProperties };
}

export type Command = PublishCommand | SubscribeCommand | UnsubscribeCommand;

/**
 * New CONNECT credentials (e.g. a refreshed token from `beforeConnect`), used from the next 'open'
 * on; a CONNECT already sent is not touched. An undefined field keeps its current value.
 */
export interface ConfigureInput {
  type: 'configure';
  /** The next CONNECT's Client Identifier (MQTT.js apps rename the client in `transformWsUrl`). */
  clientId?: string;
  username?: string;
  password?: Buffer | string;
}

export type SessionInput =
  /** The transport is open: the session answers with CONNECT. */
  | { type: 'open' }
  /** A decoded packet from the broker. */
  | { type: 'packet'; packet: Packet }
  /** The transport closed, for whatever reason. In-flight state is kept for the next 'open'. */
  | { type: 'closed' }
  | ConfigureInput
  /** keepalive says a PINGREQ is due. */
  | { type: 'pingDue' }
  | Command
  /** The application is done with an inbound QoS 1/2 message: the PUBACK/PUBREC may go out. */
  | { type: 'acknowledge'; ackId: number; reasonCode?: number }
  /** Graceful DISCONNECT (end()). */
  | { type: 'disconnect'; reasonCode?: number; properties?: IDisconnectPacket['properties'] }
  /**
   * MQTT.js removeOutgoingMessage(messageId): forgets an in-flight publish. With `error` (a packet
   * that could not be encoded, so never reached the wire) any in-flight command with that id is
   * forgotten and settled with that error.
   */
  | { type: 'removeOutgoing'; messageId: number; error?: MqttError }
  /**
   * A packet of a `send` output never reached the wire: the codec refused it, or it is over the
   * broker's Maximum Packet Size. `token` is the send's own (a QoS 0 publish settles when written).
   */
  | { type: 'unsendable'; packet: Packet; error: MqttError; token?: Token }
  /** Bytes from the broker that do not decode (the decoder's error, with its reason code). */
  | { type: 'malformed'; error: MqttError }
  /** Fail every pending and in-flight command with `error` (end, fatal error). */
  | { type: 'abort'; error: MqttError }
  /**
   * Packets a previous process left in the outgoing store (QoS 1/2 PUBLISH, PUBREL for a PUBREC'd
   * QoS 2), in store order: they are in flight again, with no caller waiting. Fed before the first
   * 'open' so that the next CONNACK resumes them like any other in-flight publish.
   */
  | RestoreInput
  | AuthInput;

/**
 * The MQTT 5 properties the client may put in an AUTH packet (4.12): `authenticationData`,
 * `reasonString`, `userProperties`. The Authentication Method is always the CONNECT's.
 */
export type AuthProperties = Omit<NonNullable<IAuthPacket['properties']>, 'authenticationMethod'>;

/** MQTT 5 enhanced authentication (see `auth.ts`). */
export type AuthInput =
  /** The app's answer to an 'authChallenge': send AUTH 0x18 (Continue authentication). */
  | { type: 'authContinue'; properties?: AuthProperties }
  /** The app cannot answer an 'authChallenge': DISCONNECT with `error.reasonCode`, then close. */
  | { type: 'authAbort'; error: AuthError }
  /** Start a re-authentication on the live connection: send AUTH 0x19. */
  | { type: 'reauthenticate'; properties?: AuthProperties }
  /** The shell's `reauthTimeout` ran out before AUTH 0x00: DISCONNECT 0x80, then close. */
  | { type: 'reauthTimedOut'; error: TimeoutError };

export type AuthOutput =
  /** The server sent AUTH 0x18: hand it to `handleAuth`, feed the answer back as 'authContinue' or 'authAbort'. */
  | { type: 'authChallenge'; packet: IAuthPacket }
  /** The server ended a re-authentication with AUTH 0x00 (Success). */
  | { type: 'reauthenticated'; packet: IAuthPacket }
  /** A 'reauthenticate' input that cannot start; nothing was sent and the connection stays. */
  | { type: 'reauthRefused'; error: AuthError }
  /** An 'authAbort' or 'reauthTimedOut' was executed (DISCONNECT sent): the connection must be closed. */
  | { type: 'authFailed'; error: AuthError | TimeoutError };

export interface RestoreInput {
  type: 'restore';
  /** The outgoing store's packets: QoS 1/2 PUBLISHes and PUBRELs to resume. */
  packets: readonly Packet[];
  /** The incoming store's packets: inbound QoS 2 PUBLISHes whose PUBREC went out, awaiting PUBREL. */
  incoming?: readonly Packet[];
}

export type SettleResult =
  | { type: 'publish'; messageId?: number; packet?: Packet }
  /** `refused`: the first filter the broker refused (SUBACK code >= 0x80), if any. */
  | { type: 'subscribe'; packet: ISubackPacket; granted: number[]; refused?: SubackError }
  | { type: 'unsubscribe'; packet?: IUnsubackPacket };

/**
 * A broker broke the QoS 2 protocol in a way the session recovered from (nothing lost, nothing
 * delivered twice):
 * - `packetIdReused`: a PUBLISH reused a packet id still awaiting PUBREL with different content
 *   ([MQTT-2.2.1-3]); it was delivered as the new message it is, the held one counts as completed.
 * - `staleReplay`: a DUP=1 PUBLISH re-sent an id and content completed moments ago; it was
 *   answered with PUBREC ([MQTT-4.3.3-10]) and not delivered again.
 */
export interface ProtocolAnomaly {
  /** The event's type. */
  type: 'protocolAnomaly';
  /** Which violation the broker committed (see above). */
  kind: 'packetIdReused' | 'staleReplay';
  /** The packet identifier concerned. */
  messageId: number;
  /** The topic of the PUBLISH concerned. */
  topic: string;
}

export type SessionOutput =
  /** `token`: a QoS 0 publish, settled once written (or failed through 'unsendable'). */
  | { type: 'send'; packet: Packet; token?: Token }
  /**
   * Put this QoS 1/2 PUBLISH (as it will be sent, with its packet id) into the outgoing store now:
   * it waits offline. Its first send later needs no put; a put that fails is fed back as
   * 'removeOutgoing' with the store's error.
   */
  | { type: 'store'; packet: IPublishPacket; token: Token }
  /** CONNACK accepted. `resumed` is true when the broker kept our session. */
  | { type: 'connected'; connack: IConnackPacket }
  /** CONNACK refused: the connection must be closed. */
  | { type: 'refused'; connack: IConnackPacket; error: ConnackError }
  /** An inbound application message. `ackId` is set for QoS 1/2: feed it back as 'acknowledge'. */
  /**
   * An inbound message for the app. `topic` is set when the PUBLISH named its topic by a v5 Topic
   * Alias alone: the packet keeps the empty topic it arrived with (as MQTT.js hands it on).
   */
  | { type: 'deliver'; packet: IPublishPacket; ackId?: number; topic?: string }
  /**
   * A command completed. `token` is undefined for a publish restored from a store: nobody waits for
   * it, but its `result.messageId` still tells the store to forget it. A failed in-flight publish
   * carries both `error` and a `result` with its messageId.
   */
  | { type: 'settle'; token: Token | undefined; result?: SettleResult; error?: MqttError }
  /** The bounded offline queue dropped a publish (its settle, failing with `error`, comes just before). */
  | { type: 'dropped'; topic: string; qos: QoS; bytes: number; policy: OverflowPolicy; error: QueueFullError }
  /** The broker refused a filter of an automatic resubscribe: it has left `subscriptions`. */
  | { type: 'resubscribeFailed'; topic: string; reasonCode: number; error: SubackError }
  | { type: 'pingResponse' }
  | ProtocolAnomaly
  /** The broker broke the protocol: the connection must be closed (any DISCONNECT was emitted first). */
  | { type: 'protocolError'; error: ProtocolError }
  /** MQTT 5 DISCONNECT from the broker: the connection is over. */
  | { type: 'serverDisconnect'; packet: IDisconnectPacket }
  /** A DISCONNECT was sent: close the transport. */
  | { type: 'close' }
  /** The connection cannot go on (a CONNECT that cannot be sent, bytes that do not decode). */
  | { type: 'failed'; error: MqttError }
  /** Something of ours failed that nobody waits on (an unsendable acknowledgement): the app's 'error'. */
  | { type: 'error'; error: MqttError }
  | AuthOutput;

export type SessionStatus = 'disconnected' | 'awaitingConnack' | 'connected';
