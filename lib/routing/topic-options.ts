/**
 * The options of `topic()` streams and of the routes behind them, and their checks.
 */
import type { Codec } from '../protocol/payload-codecs.js';
import { InvalidArgumentError } from '../errors.js';
import type { SchedulerLike } from 'rxjs';
import { checkSubscription, toSubscription, type SubscribeOptions } from '../options/validate.js';
import { isSubscriptionIdentifier } from './subscription-ids.js';

/** The SUBSCRIBE options of a `topic()` stream, and how long its broker subscription outlives it and what it replays. */
export interface RouteOptions extends SubscribeOptions {
  /**
   * Milliseconds the filter stays subscribed after this stream, the last of its route, left:
   * a stream of the same filter opened meanwhile takes the route over without a new SUBSCRIBE.
   * @default the client's `topicLinger` (0: UNSUBSCRIBE at once)
   */
  linger?: number;
  /**
   * 'retained': on joining a route that is already open, first emit the last retained message the
   * route received for each topic (see RetainedMessages). The route keeps them from when its
   * first stream with `replay` joined, until it closes. @default undefined (no replay)
   */
  replay?: 'retained';
}

/**
 * `topic()` options: the route's options, and how this stream turns messages into values.
 *
 * A `properties.subscriptionIdentifier` of the caller's replaces the one rxmqtt would pick and
 * routes the stream the same way. It must not be taken by another subscription of the client (a
 * `topic()` stream, also one whose UNSUBSCRIBE is unacknowledged, or a `subscribe()`): the stream
 * errors with an InvalidArgumentError. A broker without identifiers refuses it
 * (ServerCapabilityError); over MQTT 3.1.1 it is not sent and the stream is routed by topic.
 *
 * Several streams of one filter share one broker subscription; its QoS is the highest any of
 * them asked for (a higher one re-SUBSCRIBEs the filter, and the QoS is not lowered when that
 * stream leaves), while No Local, Retain As Published, Retain Handling and `properties` are those
 * of the stream that opened it.
 */
export interface TopicOptions<T = void> extends RouteOptions {
  /**
   * Decodes each payload into the message's `value`. A payload it cannot decode is skipped by
   * this stream and reported on `client.decodeErrors$`. @default undefined (no `value`)
   */
  codec?: Codec<T>;
  /** false: levels starting with `:` are literal, not named parameters. @default true */
  params?: boolean;
}

/** How the routes behave, from the client's options. */
export interface RouteSettings {
  /** @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** The `linger` of streams that set none. @default 0 */
  linger?: number;
  /**
   * Runs `flush` at the end of the current turn, when the SUBSCRIBEs of the streams opened in it
   * go out together (see SubscribeQueue). Specs without a broker pass `(flush) => flush()` to see
   * each SUBSCRIBE at once. @default queueMicrotask
   */
  endOfTurn?: (flush: () => void) => void;
}

/** Checks the route options `checkSubscription` does not cover. */
function checkRouteOptions(options: RouteOptions): InvalidArgumentError | undefined {
  const { linger, replay } = options;
  if (linger !== undefined && !(typeof linger === 'number' && Number.isInteger(linger) && linger >= 0 && linger < 2 ** 31)) {
    return new InvalidArgumentError(`linger must be an integer number of milliseconds >= 0, got ${String(linger)}`);
  }
  if (replay !== undefined && replay !== 'retained') return new InvalidArgumentError(`replay must be 'retained', got ${String(replay)}`);
  return undefined;
}

/** Checks a `topic()` stream's filter and options: the error the stream fails with, if any. */
export function checkTopicOptions(filter: string, options: RouteOptions): InvalidArgumentError | undefined {
  if (options === null || typeof options !== 'object') return new InvalidArgumentError('options must be an object');
  const invalid = checkRouteOptions(options);
  if (invalid) return invalid;
  const id = options.properties?.subscriptionIdentifier;
  if (id !== undefined && !isSubscriptionIdentifier(id)) {
    return new InvalidArgumentError(`subscriptionIdentifier must be an integer from 1 to 268435455, got ${String(id)}`);
  }
  return checkSubscription(toSubscription(filter, options));
}
