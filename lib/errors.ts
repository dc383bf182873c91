/**
 * Every error rxmqtt reports is an `MqttError` (or a `TypeError` subclass carrying the same `kind`
 * field for bad arguments), so callers can branch on `err.kind` instead of parsing text; `err.code`
 * is MQTT.js's code for the same condition. Messages never contain passwords or authentication data.
 * The base classes live in error-base.ts, the reason-code errors in reason-code-errors.ts; this
 * module is the one to import them from.
 */
import { MqttError, type MqttErrorOptions } from './error-base.js';
import type { MqttErrorCode, MqttErrorKind } from './error-codes.js';
import { connackReason } from './protocol/reason-codes.js';

export type { MqttErrorCode, MqttErrorKind, MqttErrorOptions };
export { connackReason };
export { ErrorWithReasonCode, MqttError } from './error-base.js';
export { ConnackError, ErrorWithSubackPacket, PublishError, ServerDisconnectError, SubackError, UnsubackError, type PublishAck } from './reason-code-errors.js';

/**
 * The broker broke the protocol (malformed bytes, unexpected packet, bad flags...). `reasonCode` is
 * the one of the DISCONNECT it earns, and then also the `code`: MQTT.js reports the protocol errors
 * it detects (duplicate CONNACK 130, packet too large 149, Topic Alias invalid 148, Receive Maximum
 * exceeded 147...) as an ErrorWithReasonCode of that number. It is no ErrorWithReasonCode itself:
 * some have no reason code (a packet rxmqtt cannot encode), and that class promises a numeric code.
 */
export class ProtocolError extends MqttError {
  override name = 'ProtocolError';
  constructor(message: string, options: MqttErrorOptions = {}) {
    super('ERR_PROTOCOL', message, { ...options, code: options.reasonCode ?? 'ERR_PROTOCOL' });
  }
}

/**
 * MQTT 5 enhanced authentication (4.12) failed: `handleAuth` refused a challenge, none is
 * configured, a re-authentication cannot start or was interrupted. `reasonCode` is the one of the
 * DISCONNECT that ended the connection, when there was one. Never carries authentication data.
 */
export class AuthError extends MqttError {
  override name = 'AuthError';
  constructor(message: string, options: MqttErrorOptions = {}) {
    super('ERR_AUTH', message, options);
  }
}

/** An MQTT 5 broker announced a Maximum Packet Size and this packet is larger; it was not sent. */
export class PacketTooLargeError extends MqttError {
  override name = 'PacketTooLargeError';
  /** The encoded size of the packet, in bytes. */
  readonly size: number;
  /** The broker's Maximum Packet Size (CONNACK property, 3.2.2.3.6), in bytes. */
  readonly maximum: number;
  constructor(size: number, maximum: number) {
    super('ERR_PACKET_TOO_LARGE', `Packet of ${size} bytes exceeds the broker's Maximum Packet Size of ${maximum} bytes`, { reasonCode: 0x95 });
    this.size = size;
    this.maximum = maximum;
  }
}

/** The CONNACK property (MQTT 5, 3.2.2.3) that ruled a command out. */
export type ServerCapability =
  | 'maximumQoS'
  | 'retainAvailable'
  | 'wildcardSubscriptionAvailable'
  | 'sharedSubscriptionAvailable'
  | 'subscriptionIdentifiersAvailable'
  | 'topicAliasMaximum';

/**
 * The MQTT 5 broker announced in its CONNACK that it does not support what this command asks for
 * (a QoS above its Maximum QoS, a retained message, a wildcard...). Nothing was sent and the
 * connection stays up. `reasonCode` is the one the broker would have answered with.
 */
export class ServerCapabilityError extends MqttError {
  override name = 'ServerCapabilityError';
  /** The CONNACK property that ruled the command out. */
  readonly capability: ServerCapability;
  constructor(capability: ServerCapability, reasonCode: number, message: string) {
    super('ERR_NOT_SUPPORTED_BY_SERVER', message, { reasonCode });
    this.capability = capability;
  }
}

/**
 * An MQTT 5 publish with an empty topic and a Topic Alias that this connection has not registered
 * (or no alias at all): the broker could not tell its topic, so it was not sent. Aliases last one
 * network connection [MQTT-3.3.2-7]: one registered before a reconnect is unknown after it.
 * The `resolveTopicAliases` operator reports an inbound PUBLISH it cannot resolve the same way,
 * with `reasonCode` 0x94 (Topic Alias invalid) or 0x82 (Protocol Error, no alias at all).
 */
export class TopicAliasError extends MqttError {
  override name = 'TopicAliasError';
  /** The alias the publish named; undefined when it named none. */
  readonly alias: number | undefined;
  constructor(alias: number | undefined, message: string, reasonCode?: number) {
    super('ERR_TOPIC_ALIAS', message, { reasonCode });
    this.alias = alias;
  }
}

/**
 * The acknowledgement that completes an operation (the PUBACK of a QoS 1 publish, the PUBCOMP of a
 * QoS 2 one...) did not arrive within the `awaitAck` operator's `timeout`. Waiting stopped; the
 * operation itself was not cancelled: a publish already handed to the client stays in flight.
 */
export class AckTimeoutError extends MqttError {
  override name = 'AckTimeoutError';
  /** How long `awaitAck` waited, in milliseconds. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super('ERR_ACK_TIMEOUT', `No acknowledgement within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A message payload could not be decoded by its codec (invalid JSON, invalid UTF-8, or whatever a
 * custom codec throws). The message names the topic, never the payload; the codec's own error is
 * the `cause` (the built-in codecs' errors do not quote the payload, a custom codec's might).
 */
export class DecodeError extends MqttError {
  override name = 'DecodeError';
  /** The topic of the message that failed to decode. */
  readonly topic: string;
  /** The filter of the `topic()` stream that skipped it (absent for the `decodePayload` operator). */
  readonly filter?: string;
  constructor(topic: string, cause: unknown, filter?: string) {
    // The name only (TypeError, SyntaxError...): a codec's message may quote the payload.
    const name = (cause as { name?: unknown } | null | undefined)?.name;
    const reason = typeof name === 'string' && name !== '' ? `: ${name}` : '';
    const stream = filter === undefined ? '' : ` for the stream of "${filter}"`;
    super('ERR_DECODE', `Cannot decode the payload of a message on "${topic}"${stream}${reason}`, { cause });
    this.topic = topic;
    if (filter !== undefined) this.filter = filter;
  }
}

/** Which `offlineQueue` limit a dropped publish ran into. */
export type QueueLimit = 'maxMessages' | 'maxBytes';

/**
 * A publish waiting offline was dropped because the bounded offline queue (`offlineQueue`) was
 * full: the new one (`overflow` 'error' or 'drop-newest'), or the oldest waiting one ('drop-oldest').
 */
export class QueueFullError extends MqttError {
  override name = 'QueueFullError';
  /** The topic of the dropped publish. */
  readonly topic: string;
  /** The `offlineQueue` limit that was reached. */
  readonly limit: QueueLimit;
  /** 'refused': this publish never joined the queue; 'evicted': a newer one took its place. */
  readonly outcome: 'refused' | 'evicted';
  constructor(topic: string, limit: QueueLimit, outcome: 'refused' | 'evicted') {
    const what = outcome === 'evicted' ? 'evicted by a newer publish' : 'refused';
    super('ERR_QUEUE_FULL', `Offline queue full (${limit}): publish to "${topic}" ${what}`);
    this.topic = topic;
    this.limit = limit;
    this.outcome = outcome;
  }
}

/** A publish with an MQTT 5 Message Expiry Interval waited offline past it, so it was not sent. */
export class MessageExpiredError extends MqttError {
  override name = 'MessageExpiredError';
  /** The topic of the expired publish. */
  readonly topic: string;
  constructor(topic: string, messageExpiryInterval: number) {
    super('ERR_MESSAGE_EXPIRED', `Publish to "${topic}" expired after waiting ${messageExpiryInterval} s to be sent`);
    this.topic = topic;
  }
}

/**
 * A timer ran out: no CONNACK within connectTimeout, no PINGRESP within the keepalive window, or
 * no end to a re-authentication within reauthTimeout. The first two have MQTT.js's messages
 * ('connack timeout', 'Keepalive timeout'); `timeoutMs` says how long was waited.
 */
export class TimeoutError extends MqttError {
  override name = 'TimeoutError';
  /** How long the timer ran, when the error says (undefined: not given). */
  readonly timeoutMs?: number;
  constructor(kind: 'ERR_CONNECT_TIMEOUT' | 'ERR_KEEPALIVE_TIMEOUT' | 'ERR_REAUTH_TIMEOUT', message: string, timeoutMs?: number) {
    super(kind, message);
    if (timeoutMs !== undefined) this.timeoutMs = timeoutMs;
  }
}

/** No reply to `request()` arrived within its `timeout`; the request was cancelled (a late reply is ignored). */
export class RequestTimeoutError extends MqttError {
  override name = 'RequestTimeoutError';
  /** The topic the request was published to. */
  readonly topic: string;
  /** The request's `timeout`, in milliseconds. */
  readonly timeoutMs: number;
  constructor(topic: string, timeoutMs: number) {
    super('ERR_REQUEST_TIMEOUT', `No reply to the request on "${topic}" within ${timeoutMs} ms`);
    this.topic = topic;
    this.timeoutMs = timeoutMs;
  }
}

/** The operation cannot complete because the client was ended (`end()`), or is ending. */
export class ClientClosedError extends MqttError {
  override name = 'ClientClosedError';
  constructor(message = 'client disconnecting') {
    super('ERR_CLIENT_CLOSED', message);
  }
}

/**
 * The socket closed or failed. `code` is the system or TLS error code (ECONNREFUSED, ECONNRESET,
 * ERR_TLS_CERT_ALTNAME_INVALID...) when there is one, as MQTT.js emits the socket's own error, and
 * ERR_TRANSPORT otherwise; `errno` holds the same system code.
 */
export class TransportError extends MqttError {
  override name = 'TransportError';
  declare readonly code: string;
  /** The system or TLS error code of the socket's error (ECONNREFUSED...), absent when it had none. */
  readonly errno?: string;
  constructor(message: string, cause?: unknown) {
    const errno = (cause as { code?: unknown } | undefined)?.code;
    super('ERR_TRANSPORT', message, { cause, code: typeof errno === 'string' ? errno : 'ERR_TRANSPORT' });
    if (typeof errno === 'string') this.errno = errno;
  }
}

/**
 * A FileStore could not open its directory: another FileStore holds the directory's lock file,
 * in this process or in another one that is still alive. Two stores appending to one log would
 * corrupt it. `ownerPid` is the pid written in the lock file (absent if it could not be read).
 */
export class StoreLockedError extends MqttError {
  override name = 'StoreLockedError';
  /** The FileStore directory that is locked. */
  readonly dir: string;
  /** The pid written in the lock file; absent when it could not be read. */
  readonly ownerPid?: number;
  constructor(dir: string, ownerPid: number | undefined, lockPath: string) {
    const owner = ownerPid === undefined ? 'another process' : `process ${ownerPid}`;
    super('ERR_STORE_LOCKED', `FileStore directory ${dir} is locked by ${owner} (${lockPath}): one process per directory`);
    this.dir = dir;
    if (ownerPid !== undefined) this.ownerPid = ownerPid;
  }
}

/** What a durable store was asked to do when it failed. */
export type StoreOperation = 'open' | 'put' | 'get' | 'del' | 'read';

/**
 * An IndexedDBStore could not do what it was asked: IndexedDB is unavailable, the database cannot
 * be opened (blocked by a tab holding an older version, a newer version on disk), a packet cannot
 * be stored (not cloneable), or its transaction aborted. It reaches the callback of the put, get or
 * del (so a publish's callback, or the client's 'error' event), or the stream's 'error'. The
 * IndexedDB DOMException is the `cause`; the message names its kind, never a payload.
 */
export class StoreError extends MqttError {
  override name = 'StoreError';
  /** The IndexedDB database's name. */
  readonly database: string;
  /** What the store was doing when it failed. */
  readonly operation: StoreOperation;
  constructor(database: string, operation: StoreOperation, message: string, cause?: unknown, kind: 'ERR_STORE' | 'ERR_STORE_QUOTA' = 'ERR_STORE') {
    super(kind, `IndexedDBStore "${database}": ${message}`, { cause });
    this.database = database;
    this.operation = operation;
  }
}

/**
 * The browser refused to store more for this origin (IndexedDB's QuotaExceededError): the packets
 * of the failed transaction were not stored, and their callbacks say so. Free space, or ask for
 * persistent storage (`navigator.storage.persist()`), and publish again.
 */
export class StoreQuotaError extends StoreError {
  override name = 'StoreQuotaError';
  constructor(database: string, operation: StoreOperation, cause?: unknown) {
    super(database, operation, `the storage quota of this origin is exhausted: the ${operation} was not stored`, cause, 'ERR_STORE_QUOTA');
  }
}

/** A bad argument passed to a public method; delivered through the API's usual channel. */
export class InvalidArgumentError extends TypeError {
  /** Always 'ERR_INVALID_ARGUMENT', as `MqttError`'s `kind` would be. */
  readonly kind = 'ERR_INVALID_ARGUMENT' as const;
  /** Always 'ERR_INVALID_ARGUMENT'. */
  readonly code = 'ERR_INVALID_ARGUMENT' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidArgumentError';
  }
}
