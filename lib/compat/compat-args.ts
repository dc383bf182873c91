/**
 * MQTT.js's flexible call shapes (`subscribe('a')`, `subscribe(['a','b'], {qos:1}, cb)`,
 * `subscribe({a: {qos: 1}})`, `end(cb)`, `end(true, {reasonCode}, cb)`...) normalised into one
 * form each, so the facade stays free of argument juggling.
 */
import type { ISubscription, QoS } from '../protocol/codec.js';
import { InvalidArgumentError } from '../errors.js';
import type { SubscribeOptions } from '../options/validate.js';
import { checkSubscription, checkUnsubscribe, toSubscription } from '../options/validate.js';

export type Callback<T = unknown> = (error?: Error | null, result?: T) => void;

export type SubscriptionMap = Record<string, QoS | SubscribeOptions>;

export interface NormalisedSubscribe {
  subscriptions: ISubscription[];
  properties?: SubscribeOptions['properties'];
  error?: InvalidArgumentError;
}

/** `(topic | topics | map, [options], [callback])` -> subscriptions + callback. */
export function normaliseSubscribe(
  topics: unknown,
  options: unknown,
  callback: unknown,
): NormalisedSubscribe & { callback?: Callback } {
  if (typeof options === 'function') return normaliseSubscribe(topics, {}, options);
  const opts = (options ?? {}) as SubscribeOptions;
  const cb = typeof callback === 'function' ? (callback as Callback) : undefined;
  let subscriptions: ISubscription[];
  if (typeof topics === 'string') {
    subscriptions = [toSubscription(topics, opts)];
  } else if (Array.isArray(topics)) {
    subscriptions = topics.map((topic) => toSubscription(topic as string, opts));
  } else if (topics !== null && typeof topics === 'object') {
    subscriptions = Object.entries(topics as SubscriptionMap).map(([topic, value]) =>
      toSubscription(topic, typeof value === 'number' ? { ...opts, qos: value } : { ...opts, ...value }),
    );
  } else {
    return { subscriptions: [], callback: cb, error: new InvalidArgumentError('topic must be a string, an array or an object') };
  }
  if (subscriptions.length === 0) return { subscriptions, callback: cb, error: new InvalidArgumentError('No topic to subscribe to') };
  const error = subscriptions.map(checkSubscription).find(Boolean);
  return { subscriptions, properties: opts.properties, callback: cb, error };
}

/** `(topic | topics, [options], [callback])` for unsubscribe. */
export function normaliseUnsubscribe(
  topics: unknown,
  options: unknown,
  callback: unknown,
): { topics: string[]; properties?: { userProperties?: Record<string, string | string[]> }; callback?: Callback; error?: InvalidArgumentError } {
  if (typeof options === 'function') return normaliseUnsubscribe(topics, {}, options);
  const cb = typeof callback === 'function' ? (callback as Callback) : undefined;
  const list = typeof topics === 'string' ? [topics] : Array.isArray(topics) ? topics : undefined;
  const properties = (options as { properties?: { userProperties?: Record<string, string | string[]> } } | undefined)?.properties;
  const error = checkUnsubscribe(list);
  if (error) return { topics: [], callback: cb, error };
  return { topics: list as string[], properties, callback: cb };
}

export interface EndArgs {
  force: boolean;
  options: { reasonCode?: number; properties?: Record<string, unknown> };
  callback?: (error?: Error) => void;
}

/** `end([force], [options], [callback])` in any of MQTT.js's accepted orders. */
export function normaliseEnd(a?: unknown, b?: unknown, c?: unknown): EndArgs {
  const args = [a, b, c];
  const callback = args.find((x) => typeof x === 'function') as EndArgs['callback'];
  const force = args.find((x) => typeof x === 'boolean') === true;
  const options = (args.find((x) => x !== null && typeof x === 'object') ?? {}) as EndArgs['options'];
  return { force, options, callback };
}

/** `(topic, message, [options], [callback])` for publish. */
export function normalisePublish<O extends object>(options: unknown, callback: unknown): { options: O; callback?: Callback } {
  if (typeof options === 'function') return { options: {} as O, callback: options as Callback };
  return { options: (options ?? {}) as O, callback: typeof callback === 'function' ? (callback as Callback) : undefined };
}
