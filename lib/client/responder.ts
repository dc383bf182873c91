/**
 * The answering side of MQTT 5 request/response (4.10): `respond()`. Requests arrive on a
 * manual-ack stream, so a request's PUBACK/PUBREC waits until its handler is done and its reply
 * is published; at most `concurrency` handlers run at once, and the requests behind them wait
 * unacknowledged. That makes a slow responder slow the broker down (its Receive Maximum window,
 * [MQTT-3.3.4-9], fills up; on 3.1.1 the client's `maxUnackedMessages` pauses reading) instead
 * of piling requests up in memory, and a responder that crashes mid-request gets it redelivered
 * [MQTT-4.4.0-1].
 */
import { catchError, defer, EMPTY, filter, finalize, from, isObservable, map, mergeMap, Observable, of, take, throwError } from 'rxjs';
import { InvalidArgumentError } from '../errors.js';
import type { AckableMessage } from '../inbound/ack-holds.js';
import type { MqttMessage } from '../inbound/message.js';
import type { PublishOptions } from '../options/validate.js';
import type { QoS } from '../protocol/codec.js';
import type { TopicOptions } from '../routing/routes.js';
import type { PublishProperties } from '../session/types.js';
import type { PublishResult } from './client-types.js';

/** The payload of a reply: text (sent as UTF-8) or bytes. */
export type ReplyPayload = string | Buffer | Uint8Array;

/**
 * What a responder answers: a payload, or a payload with PUBLISH properties (user properties...).
 * The reply goes to the request's Response Topic at the request's QoS, with its Correlation Data.
 */
export type Reply =
  | ReplyPayload
  | {
      /** The reply's payload. */
      payload: ReplyPayload;
      /** More PUBLISH properties of the reply; its Correlation Data is set to the request's. */
      properties?: PublishProperties;
    };

/**
 * Answers one request. May return the reply, a Promise of it, or an Observable (its first value is
 * the reply); `undefined`, or an Observable that completes empty, sends no reply.
 */
export type ResponseHandler = (request: MqttMessage) => Reply | undefined | PromiseLike<Reply | undefined> | Observable<Reply | undefined>;

/** The options of `respond()`. */
export interface RespondOptions {
  /** QoS of the subscription to the request filter (replies go out at the QoS the request arrived with). @default 1 */
  qos?: QoS;
  /**
   * How many handlers may run at once. Further requests wait, their PUBACK/PUBREC held, until one
   * finishes. 16 hides the latency of a typical async handler (a database or HTTP call) while
   * keeping a flood of requests at the broker rather than in this process; it stays under the
   * smallest in-flight windows brokers use by default (mosquitto: 20), so the window, not our
   * buffer, is what fills. QoS 0 requests have no acknowledgement to hold: past `concurrency`
   * they wait in memory. `Infinity`: no limit.
   * @default 16
   */
  concurrency?: number;
}

/** @default of RespondOptions.concurrency */
export const DEFAULT_RESPOND_CONCURRENCY = 16;

/** What `respond()` emits for each request it handled. */
export type ResponseOutcome =
  /** The handler's reply was published. A handler that answers nothing (`undefined`) gets no outcome. */
  | {
      /** The request was answered. */
      type: 'replied';
      /** The request message (its Response Topic and Correlation Data in `properties`). */
      request: MqttMessage;
      /** The reply's publish result: completed at the request's QoS (the PUBACK or PUBCOMP for QoS 1/2). */
      result: PublishResult;
    }
  /** The handler threw or failed, or the reply could not be published; the responder goes on. */
  | {
      /** The request was not answered. */
      type: 'failed';
      /** The request message. */
      request: MqttMessage;
      /** What the handler threw or failed with (a non-Error wrapped in an Error), or the publish's error. */
      error: Error;
    };

/** What a responder needs from the client. */
export interface ResponderHost {
  /** `topic(filter, { ...options, ack: 'manual' })`. */
  observeAcked(filter: string, options: TopicOptions): Observable<AckableMessage>;
  publish$(topic: string, payload: ReplyPayload, options: PublishOptions): Observable<PublishResult>;
}

/**
 * See RxMqttClient#respond. Unsubscribing cancels the running handlers' replies and acknowledges
 * every request it still holds (running or waiting), unanswered: a hold never released would
 * keep back every later acknowledgement of the connection, sent in arrival order [MQTT-4.6.0-2].
 * When the client ends, its connection is gone first: those acks go nowhere, and a persistent
 * session gets the unanswered requests again.
 */
export function respond(host: ResponderHost, topicFilter: string, handler: ResponseHandler, options: RespondOptions = {}): Observable<ResponseOutcome> {
  return defer(() => {
    const invalid = typeof handler === 'function' ? checkConcurrency(options.concurrency) : new InvalidArgumentError('handler must be a function');
    if (invalid) return throwError(() => invalid);
    const held = new Set<AckableMessage>();
    return host.observeAcked(topicFilter, { qos: options.qos ?? 1 }).pipe(
      // 4.10.1: a message without a Response Topic expects no reply; it is not a request.
      filter((message) => {
        if (typeof message.properties?.responseTopic === 'string') return held.add(message), true;
        message.ack();
        return false;
      }),
      mergeMap(
        (request) =>
          answer(host, request, handler).pipe(
            // Acknowledged once the reply is published (or failed): a crash before then gets the request redelivered.
            finalize(() => {
              held.delete(request);
              request.ack();
            }),
          ),
        options.concurrency ?? DEFAULT_RESPOND_CONCURRENCY,
      ),
      finalize(() => {
        for (const request of held) request.ack();
        held.clear();
      }),
    );
  });
}

function answer(host: ResponderHost, request: MqttMessage, handler: ResponseHandler): Observable<ResponseOutcome> {
  const { responseTopic, correlationData } = request.properties!;
  return defer(() => toObservable(handler(request))).pipe(
    take(1),
    mergeMap((reply) => {
      if (reply === undefined) return EMPTY;
      const { payload, properties } = typeof reply === 'object' && 'payload' in reply ? reply : { payload: reply, properties: undefined };
      // 4.10.1: the reply carries the request's Correlation Data, which is how the requester matches it.
      const replyProperties = correlationData === undefined ? properties : { ...properties, correlationData };
      return host.publish$(responseTopic!, payload, { qos: request.qos, properties: replyProperties });
    }),
    map((result): ResponseOutcome => ({ type: 'replied', request, result })),
    catchError((error: unknown) => of<ResponseOutcome>({ type: 'failed', request, error: error instanceof Error ? error : new Error(String(error)) })),
  );
}

function checkConcurrency(concurrency: number | undefined): InvalidArgumentError | undefined {
  if (concurrency === undefined || concurrency === Infinity || (Number.isInteger(concurrency) && concurrency >= 1)) return undefined;
  return new InvalidArgumentError(`concurrency must be a positive integer or Infinity, got ${String(concurrency)}`);
}

function toObservable<T>(value: T | PromiseLike<T> | Observable<T>): Observable<T> {
  if (isObservable(value)) return value;
  if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<T>).then === 'function') return from(value as PromiseLike<T>);
  return of(value as T);
}
