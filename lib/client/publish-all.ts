/**
 * `client.publishAll(source$)`: publishes every message of an Observable, a bounded number at a
 * time, and emits each one's result.
 */
import { map, mergeMap, type Observable } from 'rxjs';
import type { PublishResult } from './client-types.js';
import { InvalidArgumentError } from '../errors.js';
import type { PublishOptions } from '../options/validate.js';

/** One message for `publishAll`. */
export interface OutgoingMessage {
  /** The topic to publish to (no wildcards). */
  topic: string;
  /** The payload, sent as is: a string goes out as its UTF-8 bytes. */
  payload: string | Buffer | Uint8Array;
  /** @default 0 */
  qos?: 0 | 1 | 2;
  /** @default false */
  retain?: boolean;
  /** MQTT 5 PUBLISH properties. */
  properties?: PublishOptions['properties'];
}

/** The options of `publishAll`. */
export interface PublishAllOptions {
  /**
   * Publishes started and not completed at once. The session also never has more QoS 1/2
   * publishes unacknowledged than the broker's Receive Maximum (MQTT 5; the others wait in its
   * queue), so what is in flight on the wire is at most the smaller of the two.
   * @default 100
   */
  concurrency?: number;
}

/** What `publishAll` emits per message: the message and its completed QoS flow. */
export interface PublishAllResult extends PublishResult {
  /** The source message this result is for (the same object). */
  message: OutgoingMessage;
}

export const DEFAULT_PUBLISH_CONCURRENCY = 100;

type Publish = (topic: string, payload: OutgoingMessage['payload'], options: PublishOptions) => Observable<PublishResult>;

/**
 * Subscribes to `source$` and publishes each message with `publish$`, at most `concurrency` at a
 * time (`mergeMap`): the source is read no faster than the broker acknowledges. Results come in
 * completion order. The first failed publish errors the stream (and stops reading the source).
 *
 * @param publish$ The client's cold publish.
 * @throws InvalidArgumentError when `concurrency` is not a positive integer (or Infinity).
 */
export function publishAll(publish$: Publish, source$: Observable<OutgoingMessage>, options: PublishAllOptions = {}): Observable<PublishAllResult> {
  const concurrency = options.concurrency ?? DEFAULT_PUBLISH_CONCURRENCY;
  if (concurrency !== Infinity && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new InvalidArgumentError(`concurrency must be a positive integer, got ${String(concurrency)}`);
  }
  return source$.pipe(
    mergeMap((message) => {
      const { qos, retain, properties } = message;
      return publish$(message.topic, message.payload, { qos, retain, properties }).pipe(
        map((result) => ({ message, messageId: result.messageId, packet: result.packet })),
      );
    }, concurrency),
  );
}
