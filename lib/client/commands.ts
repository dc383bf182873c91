/**
 * What `RxMqttClient` sends through its connection: the cold acknowledged commands (`publish$`,
 * `subscribe$`, `unsubscribe$`, `reauthenticate$`), the settler that turns a command's outcome into
 * one value and a completion, their `ackTimeout` (the `awaitAck` operator), and the publish a
 * facade call and `publish$` share.
 */
import { Observable, throwError, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber } from 'rxjs';
import { awaitAck } from '../../operators/awaitAck.js';
import type { Connection, Settler } from '../connection/connection.js';
import { InvalidArgumentError } from '../errors.js';
import { checkPublish, checkSubscriptions, checkUnsubscribe, toBuffer, type PublishOptions, type SubscribeOptions } from '../options/validate.js';
import type { ISubscription, Packet } from '../protocol/codec.js';
import { platformScheduler } from '../platform/platform-scheduler.js';
import { isCodec, type Codec } from '../protocol/payload-codecs.js';
import type { SettleResult } from '../session/types.js';
import type { ClientStreams } from './client-streams.js';
import type { PublishResult, SubscribeResult } from './client-types.js';

/** What settles one command: a result, or an error. */
export interface Outcome<R> {
  resolve(result: R): void;
  reject(error: Error): void;
}

/** Emits `value(result)` on `subscriber` then completes it when the command succeeds; errors it when it fails. */
export function settleInto<R, T>(subscriber: Subscriber<T>, value: (result: R) => T): Outcome<R> {
  return {
    resolve: (result) => {
      subscriber.next(value(result));
      subscriber.complete();
    },
    reject: (error) => subscriber.error(error),
  };
}

/**
 * `command$` bounded by `ackTimeout` with the `awaitAck` operator, or `command$` itself without
 * one. At the timeout the result errors with an AckTimeoutError and unsubscribes, which cancels
 * nothing: the command stays with the session (see `AckOptions`). An invalid `ackTimeout` gives an
 * Observable that errors with an InvalidArgumentError on subscribe, without subscribing `command$`.
 *
 * @param scheduler The client's `scheduler` option; the connection's timers' default without one.
 */
export function withAckTimeout<T>(command$: Observable<T>, ackTimeout: number | undefined, scheduler: SchedulerLike = platformScheduler): Observable<T> {
  if (ackTimeout === undefined) return command$;
  let bounded: MonoTypeOperatorFunction<T>;
  try {
    bounded = awaitAck<T>({ timeout: ackTimeout, scheduler });
  } catch (cause) {
    // awaitAck's own check, reported in the option's name.
    const error = new InvalidArgumentError(`ackTimeout must be a non-negative finite number of milliseconds, got ${String(ackTimeout)}`, { cause });
    return throwError(() => error);
  }
  return command$.pipe(bounded);
}

/** `subscribe$`: one SUBSCRIBE on subscribe; emits the SUBACK's codes, then completes. */
export function subscribeCommand(connection: Connection, streams: ClientStreams, subscriptions: ISubscription[], properties: SubscribeOptions['properties']): Observable<SubscribeResult> {
  return new Observable((subscriber) => {
    const invalid = checkSubscriptions(subscriptions);
    if (invalid) return subscriber.error(invalid);
    connection.submit(
      { type: 'subscribe', subscriptions, properties },
      {
        resolve: (result) => {
          if (result?.type === 'subscribe') {
            // A granted filter replaced any topic() stream's subscription of the same filter, and
            // counts as one more holder of it (so a topic() stream ending does not UNSUBSCRIBE it).
            const id = properties?.subscriptionIdentifier;
            const routes = streams.routes;
            result.granted.forEach((code, i) => code < 0x80 && routes.subscribedElsewhere(subscriptions[i]!.topic, id));
            subscriber.next({ granted: result.granted, packet: result.packet, refused: result.refused });
          }
          subscriber.complete();
        },
        reject: (error) => subscriber.error(error),
      },
    );
  });
}

/**
 * `unsubscribe$`: one UNSUBSCRIBE on subscribe; emits the UNSUBACK, then completes. Filters a
 * `topic()` stream still has stay at the broker (they are left out of the UNSUBSCRIBE, and
 * reported as unsubscribed, reason 0x00): `subscribe()` and the streams share one subscription.
 */
export function unsubscribeCommand(connection: Connection, streams: ClientStreams, topics: string[], properties: { userProperties?: Record<string, string | string[]> } | undefined): Observable<Packet | undefined> {
  return new Observable((subscriber) => {
    const invalid = checkUnsubscribe(topics);
    if (invalid) return subscriber.error(invalid);
    const sent = streams.routesIfAny?.unsubscribedElsewhere(topics) ?? topics;
    const answer = (packet: Packet | undefined) => (sent.length === topics.length ? packet : keptUnsuback(topics, sent, packet));
    if (sent.length === 0) {
      subscriber.next(answer(undefined));
      subscriber.complete();
      return;
    }
    connection.submit(
      { type: 'unsubscribe', topics: sent, properties },
      settleInto(subscriber, (result) => answer(result?.type === 'unsubscribe' ? result.packet : undefined)),
    );
  });
}

/** The UNSUBACK for `topics` when only `sent` went to the broker: the kept ones read as success (0x00). */
function keptUnsuback(topics: string[], sent: string[], packet: Packet | undefined): Packet {
  const codes = packet?.cmd === 'unsuback' && Array.isArray(packet.granted) ? packet.granted : [];
  const granted = topics.map((topic) => {
    const i = sent.indexOf(topic);
    return i === -1 ? 0x00 : (codes[i] ?? 0x00);
  });
  return packet?.cmd === 'unsuback' ? { ...packet, granted } : { cmd: 'unsuback', granted };
}

/** The callback-style publish the facade and `publish$` share: checks, then hands it to the connection. */
export function submitPublish(connection: Connection, topic: string, payload: string | Buffer | Uint8Array, options: PublishOptions, settler: Settler): void {
  const invalid = checkPublish(topic, payload, options);
  if (invalid) {
    queueMicrotask(() => settler.reject(invalid));
    return;
  }
  // MQTT.js cbStorePut: fired once a QoS 1/2 message is in the outgoing store (put callback of
  // `outgoingStore`, e.g. a FileStore's fsync; without one, the session's in-flight table).
  const stored = options.cbStorePut;
  connection.submit(
    {
      type: 'publish',
      topic,
      payload: toBuffer(payload),
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      dup: options.dup ?? false,
      properties: options.properties,
    },
    stored ? withStored(settler, stored) : settler,
  );
}

/** `settler` that also hears `cbStorePut`; delegating, since a settler may keep its methods on a prototype (no spread). */
function withStored(settler: Settler, stored: () => void): Settler {
  return { resolve: (result) => settler.resolve(result), reject: (error) => settler.reject(error), stored };
}

/** The payload of a `publish$`: the value itself, or what the options' codec makes of it. */
export function encodePayload(topic: string, value: unknown, options: { codec?: Codec<unknown> }): string | Buffer | Uint8Array | InvalidArgumentError {
  const codec = options?.codec;
  if (codec === undefined) return value as string | Buffer | Uint8Array;
  if (!isCodec(codec)) return new InvalidArgumentError('codec must have decode and encode functions');
  try {
    return codec.encode(value);
  } catch (cause) {
    return new InvalidArgumentError(`codec could not encode the payload for "${topic}"`, { cause });
  }
}

export function toPublishResult(result: SettleResult | undefined): PublishResult {
  if (result?.type !== 'publish') return {};
  return { messageId: result.messageId, packet: result.packet };
}
