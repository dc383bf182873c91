/**
 * One `topic()` route: a broker subscription of one filter and the streams that share it. The
 * record and the small functions on it that need no `TopicRoutes` state.
 */
import type { Subscriber, Subscription } from 'rxjs';
import { ServerCapabilityError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';
import type { RetainedMessages } from './route-retained.js';
import type { SubscribeOptions } from '../options/validate.js';
import type { QueuedSubscribe } from './subscribe-queue.js';

export type SubscribeProperties = SubscribeOptions['properties'];

export interface Route {
  readonly filter: string;
  /** The filter's levels without a `$share/{group}/` prefix, to check copies routed by id. */
  readonly levels: readonly string[];
  readonly subscribers: Set<Subscriber<MqttMessage>>;
  /**
   * The SUBSCRIBE options: the first stream's, with the highest QoS any stream asked for (see
   * `mergeQos`). `properties` are the caller's, without the identifier rxmqtt adds.
   */
  options: SubscribeOptions;
  /** The properties the last SUBSCRIBE carried (with its Subscription Identifier), sent again by an upgrade. */
  properties?: SubscribeProperties;
  /** The route's SUBSCRIBE while it waits for the end of the turn (or its SUBACK); see SubscribeQueue. */
  queued?: QueuedSubscribe;
  /** The SUBSCRIBE to send once an earlier UNSUBSCRIBE of the same filter is acknowledged. */
  deferred?: () => void;
  /** True once the broker granted the SUBSCRIBE; until then, who waits for it (`observe`'s `onSubscribed`). */
  granted: true | Array<() => void>;
  /** The Subscription Identifier its SUBSCRIBE carried; taken in `ids` while copies may name it. */
  id?: number;
  /** 'id': gets the copies naming `id`; 'topic': gets copies without identifier, by topic. */
  routing: 'id' | 'topic';
  /** Kept when a stream asked for `replay: 'retained'`. */
  retained?: RetainedMessages;
  /** The pending UNSUBSCRIBE of a route whose last stream left with a `linger`. */
  lingering?: Subscription;
}

export function newRoute(filter: string, levels: readonly string[], first: Subscriber<MqttMessage>, options: SubscribeOptions): Route {
  return { filter, levels, subscribers: new Set([first]), options, routing: 'topic', granted: [] };
}

/**
 * The route's options raised to `qos` if that is higher, or undefined when they stay as they
 * are. Only the QoS is merged: No Local, Retain As Published, Retain Handling and the properties
 * stay those of the stream that opened the route. A QoS is never lowered while the route lives.
 */
export function mergeQos(route: Route, qos: SubscribeOptions['qos']): SubscribeOptions | undefined {
  return (qos ?? 0) > (route.options.qos ?? 0) ? { ...route.options, qos } : undefined;
}

/**
 * The subscription entry of an upgrade: a SUBSCRIBE of a filter the client holds replaces that
 * subscription [MQTT-3.8.4-3], which with Retain Handling 0 would make the broker send the
 * retained messages again to streams that had them; 1 sends them only for a new subscription
 * (MQTT 5; earlier versions have no Retain Handling and resend them [MQTT-3.8.4-3, v3.1.1]).
 */
export function upgradeOptions(options: SubscribeOptions): SubscribeOptions {
  return options.rh === undefined || options.rh === 0 ? { ...options, rh: 1 } : options;
}

/** `properties` without a Subscription Identifier (for a route routed by topic). */
export function withoutIdentifier(properties: SubscribeProperties): SubscribeProperties {
  if (properties?.subscriptionIdentifier === undefined) return properties;
  const { subscriptionIdentifier: _, ...rest } = properties;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

export function whenGranted(route: Route, callback: () => void): void {
  if (route.granted === true) callback();
  else route.granted.push(callback);
}

export function grant(route: Route): void {
  const waiting = route.granted;
  route.granted = true;
  if (waiting !== true) for (const callback of waiting) callback();
}

/** Hands `message` to every stream of the route (and to its retained messages, if kept). */
export function deliver(route: Route, message: MqttMessage): void {
  route.retained?.record(message);
  for (const subscriber of route.subscribers) subscriber.next(message);
}

export function isIdentifierRefusal(error: Error | undefined): boolean {
  return error instanceof ServerCapabilityError && error.capability === 'subscriptionIdentifiersAvailable';
}
