/**
 * The session's mutable state and the few helpers every packet handler shares (settling, freeing
 * an in-flight entry, protocol errors, losing the connection). Handlers are plain functions of
 * `(state, input, out)` that push outputs in execution order.
 */
import type {
  IConnackPacket,
  IPublishPacket,
  IPubrecPacket,
  ISubscribePacket,
  ISubscription,
  IUnsubscribePacket,
} from '../protocol/codec.js';
import { ProtocolError } from '../errors.js';
import type { MqttError } from '../errors.js';
import type { AuthExchange, AuthState } from './auth.js';
import type { SubscribePart } from './subscribe-batches.js';
import { Fifo } from './fifo.js';
import { InboundTopicAliases } from './inbound-aliases.js';
import { DefaultMessageIdProvider } from './message-id-provider.js';
import { OutboundTopicAliases } from './outbound-aliases.js';
import { LazyMap } from './lazy-map.js';
import { RecentCompletions } from './qos2-content.js';
import type { Qos2Content } from './qos2-content.js';
import type {
  Command,
  MessageIdProvider,
  SessionOptions,
  SessionOutput,
  SessionStatus,
  SettleResult,
  SubscribeCommand,
  Token,
} from './types.js';

/** MQTT 5 default when the broker sends no Receive Maximum (3.2.2.3.3). */
export const DEFAULT_RECEIVE_MAXIMUM = 65535;

/** An outgoing QoS 1/2 PUBLISH awaiting its acknowledgement. */
export interface PublishEntry {
  kind: 'publish';
  /** undefined for a publish restored from a store: nobody waits for its ack. */
  token: Token | undefined;
  packet: IPublishPacket;
  /** Set once the broker answered a QoS 2 PUBLISH with a successful PUBREC (PUBREL sent). */
  pubrec: IPubrecPacket | undefined;
  /**
   * Set when its PUBREL was re-sent as a session resumed: a PUBCOMP 0x92 (Packet Identifier not
   * found) then means the broker had completed the exchange already (MQTT 5, 4.4).
   */
  pubrelResent?: boolean;
  /** Sent (or PUBREL-resumed) on the current connection: it counts against Receive Maximum. */
  onWire: boolean;
  /** Stored while offline and never sent yet: its first send carries DUP=0 [MQTT-3.3.1-1]. */
  neverSent?: boolean;
}

export interface SubscribeEntry {
  kind: 'subscribe';
  /** undefined for an automatic resubscribe: nobody waits for its SUBACK. */
  token: Token | undefined;
  packet: ISubscribePacket;
  /** Set when the caller's subscribe went out as several packets (`subscribeBatchSize`). */
  part?: SubscribePart;
}

export interface UnsubscribeEntry {
  kind: 'unsubscribe';
  token: Token;
  packet: IUnsubscribePacket;
}

export type InflightEntry = PublishEntry | SubscribeEntry | UnsubscribeEntry;

/** An inbound QoS 1/2 PUBLISH whose PUBACK/PUBREC has not gone out yet. */
export interface InboundEntry {
  ackId: number;
  messageId: number;
  qos: 1 | 2;
  acked: boolean;
  reasonCode: number | undefined;
}

export type SubscribeProperties = SubscribeCommand['properties'];

/** Filters to re-subscribe with one SUBSCRIBE packet (same v5 properties). */
export interface ResubscribeGroup {
  subscriptions: ISubscription[];
  properties: SubscribeProperties;
}

export interface SessionState {
  /** Replaced (never mutated) by a 'configure' input. */
  options: SessionOptions;
  readonly version: 3 | 4 | 5;
  readonly ids: MessageIdProvider;
  status: SessionStatus;
  connack: IConnackPacket | undefined;
  /** The broker's Receive Maximum for this connection. */
  receiveMaximum: number;
  /** QoS 1/2 PUBLISHes on the wire and unacknowledged on this connection. */
  quotaUsed: number;
  /** Whether in-flight publishes resent on this connection carry DUP=1 (session present). */
  resendDup: boolean;
  /** Outgoing QoS 1/2 publishes, subscribes and unsubscribes by packet id, in send order. */
  readonly inflight: Map<number, InflightEntry>;
  /** Ids of in-flight publishes to resend after reconnect, held back by Receive Maximum. */
  readonly resend: Fifo<number>;
  /** Automatic resubscribes still waiting for a packet id. */
  resubscribe: ResubscribeGroup[];
  /** Commands not sent yet, in the order they were issued. */
  readonly pending: Fifo<Command>;
  /** Publishes in `pending` and their payload bytes, for the offline queue limits. */
  queuedPublishes: number;
  queuedBytes: number;
  /** `options.storeOfflinePublishes` and the outgoing store was read (`offline-store.ts`). */
  storeOffline: boolean;
  readonly subscriptions: Map<string, ISubscription>;
  /** v5 SUBSCRIBE properties of the filters in `subscriptions` that had some. */
  readonly subscriptionProperties: Map<string, SubscribeProperties>;
  /** Inbound QoS 2 packet ids until PUBREL; true once the PUBREC went out. */
  readonly inboundQos2: Map<number, boolean>;
  /** What the ids of `inboundQos2` carried (absent for ids known otherwise): tells a reused id from a re-delivery. */
  readonly inboundQos2Content: Map<number, Qos2Content>;
  /** The inbound QoS 2 exchanges completed last: tells a stale replay from a new message. */
  readonly recentQos2: RecentCompletions;
  /** Inbound QoS 1/2 deliveries in arrival order, flushed from the head as they are acknowledged. */
  readonly acks: Fifo<InboundEntry>;
  /** Inbound QoS 1 PUBLISHes not PUBACKed yet: with `inboundQos2`, what counts against our Receive Maximum. */
  inboundQos1Unacked: number;
  nextAckId: number;
  /** The time of the current step (milliseconds, the connection's clock), if the caller gave one. */
  now: number | undefined;
  /** v5 inbound topic aliases, per connection. */
  readonly topicAliases: InboundTopicAliases;
  /** v5 enhanced authentication of the current connection (`auth.ts`). */
  auth: AuthState;
  /** v5 outgoing topic aliases, per connection: applied as a PUBLISH is sent, never stored. */
  readonly outboundAliases: OutboundTopicAliases;
}

/**
 * The idle authentication exchange, one for every session: it is never changed (only a connect or
 * re-authentication exchange changes turns), so an idle client keeps no object of its own.
 */
export const IDLE_EXCHANGE: AuthExchange = Object.freeze({ phase: 'idle' });

/** The resubscribes of a session with none waiting (never written: a non-empty list is a new array). */
export const NO_RESUBSCRIBES: ResubscribeGroup[] = Object.freeze([]) as never[];

export function createState(options: SessionOptions): SessionState {
  return {
    options,
    version: options.protocolVersion,
    ids: options.messageIdProvider ?? new DefaultMessageIdProvider(),
    status: 'disconnected',
    connack: undefined,
    receiveMaximum: DEFAULT_RECEIVE_MAXIMUM,
    quotaUsed: 0,
    resendDup: false,
    inflight: new LazyMap(),
    resend: new Fifo(),
    resubscribe: NO_RESUBSCRIBES,
    pending: new Fifo(),
    queuedPublishes: 0,
    queuedBytes: 0,
    storeOffline: false,
    subscriptions: new LazyMap(),
    subscriptionProperties: new LazyMap(),
    inboundQos2: new LazyMap(),
    inboundQos2Content: new LazyMap(),
    recentQos2: new RecentCompletions(),
    acks: new Fifo(),
    inboundQos1Unacked: 0,
    nextAckId: 1,
    now: undefined,
    topicAliases: new InboundTopicAliases(),
    auth: { method: undefined, exchange: IDLE_EXCHANGE },
    outboundAliases: new OutboundTopicAliases(),
  };
}

export function settleOk(out: SessionOutput[], token: Token | undefined, result: SettleResult): void {
  out.push({ type: 'settle', token, result });
}

/** `result` names the in-flight publish that failed, so that the outgoing store forgets it too. */
export function settleError(out: SessionOutput[], token: Token | undefined, error: MqttError, result?: SettleResult): void {
  out.push(result === undefined ? { type: 'settle', token, error } : { type: 'settle', token, result, error });
}

/** True for an MQTT 5 failure reason code (0x80 and above); v3/v4 acks carry none. */
export function isFailure(state: SessionState, reasonCode: number | undefined): boolean {
  return state.version === 5 && reasonCode !== undefined && reasonCode >= 0x80;
}

/** Forgets an in-flight entry and frees its packet id and its Receive Maximum slot. */
export function release(state: SessionState, messageId: number, entry: InflightEntry): void {
  state.inflight.delete(messageId);
  state.ids.deallocate(messageId);
  if (entry.kind === 'publish' && entry.onWire) state.quotaUsed--;
}

/**
 * The connection is over (closed, refused, protocol error, DISCONNECT). Outgoing state stays for
 * the next connection; un-acked inbound QoS 1 deliveries are dropped because the broker re-sends
 * them, while inbound QoS 2 state survives until a CONNACK says the session is gone.
 */
export function connectionLost(state: SessionState): void {
  state.status = 'disconnected';
  if (state.acks.length > 0) state.acks.retain((entry) => entry.qos === 2);
  state.inboundQos1Unacked = 0;
}

/** The broker broke the protocol: v5 gets a DISCONNECT with `reasonCode` first, then the error. */
export function protocolError(state: SessionState, out: SessionOutput[], message: string, reasonCode: number): void {
  if (state.version === 5 && state.status !== 'disconnected') {
    out.push({ type: 'send', packet: { cmd: 'disconnect', reasonCode } });
  }
  out.push({ type: 'protocolError', error: new ProtocolError(message, { reasonCode }) });
  connectionLost(state);
}

/** Reason codes the session uses when it disconnects a misbehaving broker (MQTT 5, 2.4). */
export const REASON = {
  malformedPacket: 0x81,
  protocolError: 0x82,
  topicNameInvalid: 0x90,
  packetIdNotFound: 0x92,
  receiveMaximumExceeded: 0x93,
  topicAliasInvalid: 0x94,
} as const;

export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
