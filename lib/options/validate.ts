/**
 * Checks of user input done before anything reaches the session, so that a bad call fails with
 * an InvalidArgumentError through the caller's channel and nothing is sent.
 */
import type { ISubscription, QoS } from '../protocol/codec.js';
import { InvalidArgumentError } from '../errors.js';
import type { PublishProperties } from '../session/types.js';
import { validateFilter, validateTopic } from '../protocol/topic.js';

/** The options of a publish (MQTT.js `IClientPublishOptions`), for `publish`, `publishAsync` and `publish$`. */
export interface PublishOptions {
  /** @default 0 */
  qos?: QoS;
  /** @default false */
  retain?: boolean;
  /** @default false */
  dup?: boolean;
  /** MQTT 5 PUBLISH properties. */
  properties?: PublishProperties;
  /** MQTT.js: called when a QoS 1/2 message was put into the outgoing store. */
  cbStorePut?: () => void;
}

/** The options of a subscription (MQTT.js `IClientSubscribeOptions`, `qos` optional), for `subscribe` and `subscribeAsync`. */
export interface SubscribeOptions {
  /** @default 0 */
  qos?: QoS;
  /** MQTT 5 No Local. */
  nl?: boolean;
  /** MQTT 5 Retain As Published. */
  rap?: boolean;
  /** MQTT 5 Retain Handling (0, 1, 2). */
  rh?: number;
  /** MQTT 5 SUBSCRIBE properties (3.8.2.1). */
  properties?: {
    /** The Subscription Identifier (1 to 268,435,455) the broker returns with each message this subscription matches. */
    subscriptionIdentifier?: number;
    /** User Properties: name/value pairs, a name may repeat (an array of values). */
    userProperties?: Record<string, string | string[]>;
  };
}

export function checkPublish(topic: unknown, payload: unknown, options: PublishOptions): InvalidArgumentError | undefined {
  const aliasError = checkTopicAlias(options?.properties?.topicAlias);
  if (aliasError) return aliasError;
  // 3.3.2.3.4: an MQTT 5 PUBLISH may name its topic by alias alone (the session knows the version
  // and whether the alias is registered on the connection it goes out on).
  const byAlias = topic === '' && options?.properties?.topicAlias !== undefined;
  const topicError = byAlias ? undefined : validateTopic(topic);
  if (topicError) return new InvalidArgumentError(`Invalid topic: ${topicError}`);
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload) && !(payload instanceof Uint8Array)) {
    return new InvalidArgumentError(`payload must be a string or a Buffer, got ${describe(payload)}`);
  }
  if (options === null || typeof options !== 'object') return new InvalidArgumentError('options must be an object');
  if (options.qos !== undefined && !checkQos(options.qos)) {
    return new InvalidArgumentError(`qos must be 0, 1 or 2, got ${String(options.qos)}`);
  }
  if (options.properties !== undefined && (options.properties === null || typeof options.properties !== 'object')) {
    return new InvalidArgumentError('properties must be an object');
  }
  return checkPublishSize(topic as string, payload as string | Uint8Array, options.qos ?? 0);
}

/** 2.1.4: a packet's Remaining Length is at most 268,435,455 bytes (4 bytes of Variable Byte Integer). */
const MAX_REMAINING_LENGTH = 268_435_455;

/**
 * A payload that cannot fit in one MQTT packet fails here, as bad input, instead of in the codec.
 * The bound counts the topic (2-byte length + UTF-8 bytes) and the packet id; properties are the
 * codec's to measure. Cheap on the hot path: the topic is measured only near the limit.
 */
function checkPublishSize(topic: string, payload: string | Uint8Array, qos: number): InvalidArgumentError | undefined {
  // A string needs at most 3 UTF-8 bytes per UTF-16 code unit: measure only a large one.
  const size = typeof payload !== 'string' ? payload.byteLength : payload.length * 3 > MAX_REMAINING_LENGTH ? Buffer.byteLength(payload) : payload.length;
  const overhead = 2 + (qos > 0 ? 2 : 0);
  if (size + overhead + topic.length * 3 <= MAX_REMAINING_LENGTH) return undefined;
  const total = size + overhead + Buffer.byteLength(topic);
  if (total <= MAX_REMAINING_LENGTH) return undefined;
  return new InvalidArgumentError(`payload of ${size} bytes does not fit in an MQTT packet (at most ${MAX_REMAINING_LENGTH} bytes after the fixed header, topic included)`);
}

/** UNSUBSCRIBE takes the same topic filters as SUBSCRIBE (3.10.3). */
export function checkUnsubscribe(topics: unknown): InvalidArgumentError | undefined {
  if (!Array.isArray(topics) || topics.length === 0) return new InvalidArgumentError('unsubscribe needs a topic or a non-empty array of topics');
  for (const topic of topics) {
    const filterError = validateFilter(topic);
    if (filterError) return new InvalidArgumentError(`Invalid topic filter "${String(topic)}": ${filterError}`);
  }
  return undefined;
}

/** The subscriptions of one SUBSCRIBE (3.8.3): at least one, each a valid filter and options. */
export function checkSubscriptions(subscriptions: unknown): InvalidArgumentError | undefined {
  if (!Array.isArray(subscriptions) || subscriptions.length === 0) return new InvalidArgumentError('subscribe needs a non-empty array of subscriptions');
  for (const sub of subscriptions) {
    if (sub === null || typeof sub !== 'object') return new InvalidArgumentError(`a subscription must be an object, got ${describe(sub)}`);
    const error = checkSubscription(sub as ISubscription);
    if (error) return error;
  }
  return undefined;
}

/** 3.3.2.3.4: a Topic Alias is a Two Byte Integer, and 0 is not a permitted value. */
function checkTopicAlias(alias: unknown): InvalidArgumentError | undefined {
  if (alias === undefined || (Number.isInteger(alias) && (alias as number) >= 1 && (alias as number) <= 65535)) return undefined;
  return new InvalidArgumentError(`properties.topicAlias must be an integer from 1 to 65535, got ${String(alias)}`);
}

export function checkSubscription(sub: ISubscription): InvalidArgumentError | undefined {
  const filterError = validateFilter(sub.topic);
  if (filterError) return new InvalidArgumentError(`Invalid topic filter "${String(sub.topic)}": ${filterError}`);
  if (!checkQos(sub.qos)) return new InvalidArgumentError(`qos must be 0, 1 or 2, got ${String(sub.qos)}`);
  if (sub.rh !== undefined && sub.rh !== 0 && sub.rh !== 1 && sub.rh !== 2) {
    return new InvalidArgumentError(`rh (retain handling) must be 0, 1 or 2, got ${String(sub.rh)}`);
  }
  return undefined;
}

/** The subscription entry for one filter, with only the flags the caller set. */
export function toSubscription(topic: string, options: SubscribeOptions): ISubscription {
  const sub: ISubscription = { topic, qos: options.qos ?? 0 };
  if (options.nl !== undefined) sub.nl = options.nl;
  if (options.rap !== undefined) sub.rap = options.rap;
  if (options.rh !== undefined) sub.rh = options.rh;
  return sub;
}

export function toBuffer(payload: string | Buffer | Uint8Array): Buffer | string {
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) return payload;
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function checkQos(qos: unknown): qos is QoS {
  return qos === 0 || qos === 1 || qos === 2;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
