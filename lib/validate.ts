/**
 * Checks of user input done before anything reaches the session, so that a bad call fails with
 * an InvalidArgumentError through the caller's channel and nothing is sent.
 */
import type { ISubscription, QoS } from './codec.js';
import { InvalidArgumentError } from './errors.js';
import { checkQos } from './options.js';
import type { PublishProperties } from './session/types.js';
import { validateFilter, validateTopic } from './topic.js';

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

export interface SubscribeOptions {
  /** @default 0 */
  qos?: QoS;
  /** MQTT 5 No Local. */
  nl?: boolean;
  /** MQTT 5 Retain As Published. */
  rap?: boolean;
  /** MQTT 5 Retain Handling (0, 1, 2). */
  rh?: number;
  properties?: { subscriptionIdentifier?: number; userProperties?: Record<string, string | string[]> };
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

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
