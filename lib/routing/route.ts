/**
 * One `topic()` route: a broker subscription of one filter and the streams that share it. The
 * record and the small functions on it that need no `TopicRoutes` state.
 *
 * An app may hold 10,000 routes, so a route holds only what every route needs; the rest is made
 * when first needed (`levels`, `waiting`, `retained`) or shared (the options of streams that set
 * nothing but a QoS). Measured with bench/k3-heap.mjs: see that script for the breakdown.
 */
import type { Subscriber, Subscription } from 'rxjs';
import { ServerCapabilityError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';
import type { RetainedMessages } from './route-retained.js';
import { toSubscription, type SubscribeOptions } from '../options/validate.js';
import { SubscribeQueue, type QueuedSubscribe } from './subscribe-queue.js';

export type SubscribeProperties = SubscribeOptions['properties'];

/** One `topic()` stream, as the route sees it: the subscriber its Observable was subscribed with. */
export type Stream = Subscriber<MqttMessage>;

/** Who a route reports to when a stream leaves (`TopicRoutes`). */
export interface RouteOwner {
  /** A stream of `route` unsubscribed (it is closed now); see `takeClosed`. */
  leave(route: Route): void;
}

export interface Route {
  readonly filter: string;
  /** The filter's levels without a `$share/{group}/` prefix, made by the first copy routed by id (see IdRoutes). */
  levels?: readonly string[];
  /** The streams: see route-streams.ts. */
  streams: Stream | readonly Stream[];
  /** The `linger` of each stream that set its own, made by the first one. */
  lingers?: Map<Stream, number>;
  readonly owner: RouteOwner;
  /**
   * The route is the teardown of each of its streams (one object for all of them, instead of one
   * per stream): a stream that unsubscribes is closed when this runs, which is how the route tells
   * which one left.
   */
  unsubscribe(): void;
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
  /** True once the broker granted the SUBSCRIBE. */
  granted: boolean;
  /** Who waits for the grant (`observe`'s `onSubscribed`), made by the first one. */
  waiting?: Array<() => void>;
  /** The Subscription Identifier its SUBSCRIBE carried; taken in `ids` while copies may name it. */
  id?: number;
  /** 'id': gets the copies naming `id`; 'topic': gets copies without identifier, by topic. */
  routing: 'id' | 'topic';
  /** Kept when a stream asked for `replay: 'retained'`. */
  retained?: RetainedMessages;
  /** The pending UNSUBSCRIBE of a route whose last stream left with a `linger`. */
  lingering?: Subscription;
}

export function newRoute(filter: string, options: SubscribeOptions, owner: RouteOwner): Route {
  return { filter, streams: [], options, routing: 'topic', granted: false, owner, unsubscribe: leaveRoute };
}

function leaveRoute(this: Route): void {
  this.owner.leave(this);
}

/** The options of routes whose streams set nothing but (perhaps) a QoS, one object per QoS for all of them. */
const PLAIN_OPTIONS: readonly SubscribeOptions[] = [0, 1, 2].map((qos) => Object.freeze({ qos: qos as 0 | 1 | 2 }));
const NO_OPTIONS: SubscribeOptions = Object.freeze({});

/** A route's SUBSCRIBE options from its first stream's: shared when it set nothing but a QoS (routes never mutate them, see `mergeQos`). */
export function routeOptions(options: SubscribeOptions): SubscribeOptions {
  const { qos, nl, rap, rh, properties } = options;
  if (nl === undefined && rap === undefined && rh === undefined && properties === undefined) {
    if (qos === undefined) return NO_OPTIONS;
    if (qos === 0 || qos === 1 || qos === 2) return PLAIN_OPTIONS[qos]!;
  }
  return { qos, nl, rap, rh, properties };
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
  if (route.granted) callback();
  else (route.waiting ??= []).push(callback);
}

export function grant(route: Route): void {
  const waiting = route.waiting;
  route.granted = true;
  route.waiting = undefined;
  if (waiting) for (const callback of waiting) callback();
}


export function isIdentifierRefusal(error: Error | undefined): boolean {
  return error instanceof ServerCapabilityError && error.capability === 'subscriptionIdentifiersAvailable';
}


/** Whether no SUBSCRIBE of the route has left yet (it waits behind an UNSUBSCRIBE, or for the end of the turn). */
export function unsent(route: Route): boolean {
  return route.deferred !== undefined || (SubscribeQueue.isWaiting(route.queued) && route.queued.opens);
}

/** A SUBSCRIBE still waiting for the end of the turn takes the raised options instead (true), rather than a second SUBSCRIBE. */
export function raiseQueued(route: Route, raised: SubscribeOptions): boolean {
  if (!SubscribeQueue.isWaiting(route.queued)) return false;
  route.queued.subscription = toSubscription(route.filter, route.queued.opens ? raised : upgradeOptions(raised));
  return true;
}

/** Takes back a SUBSCRIBE not sent yet; true when the broker has nothing of the route's to undo. */
export function cancelSubscribe(route: Route): boolean {
  const nothingSent = unsent(route);
  route.deferred = undefined;
  if (route.queued) route.queued.cancelled = true;
  route.queued = undefined;
  return nothingSent;
}
