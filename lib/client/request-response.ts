/**
 * MQTT 5 request/response (4.10): a request is a PUBLISH carrying a Response Topic and
 * Correlation Data; the responder publishes its reply to that topic with the same Correlation
 * Data. Requests share one reply subscription per client, made through `topic()` (so it survives
 * reconnects) on the first request and kept until `end()`: many requests cost one SUBSCRIBE.
 */
import {
  asyncScheduler,
  defer,
  EMPTY,
  map,
  mergeMap,
  Observable,
  of,
  ReplaySubject,
  share,
  switchMap,
  take,
  throwError,
  timeout,
  type SchedulerLike,
} from 'rxjs';
import type { PublishResult } from './client-types.js';
import type { QoS } from '../protocol/codec.js';
import { ClientClosedError, InvalidArgumentError, RequestTimeoutError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';
import type { ResolvedOptions } from '../options/options.js';
import type { TopicOptions } from '../routing/routes.js';
import type { PublishProperties } from '../session/types.js';
import type { ConnectionState } from '../connection/connection-state.js';
import { validateTopic } from '../protocol/topic.js';
import type { AckableMessage } from '../inbound/ack-holds.js';
import { respond, type RespondOptions, type ResponseHandler, type ResponseOutcome } from './responder.js';
import { checkPublish, type PublishOptions } from '../options/validate.js';

/** The payload of a `request()`: a string goes out as its UTF-8 bytes. */
export type RequestPayload = string | Buffer | Uint8Array;

/** The options of `request()` (MQTT 5 request/response, 4.10). */
export interface RequestOptions {
  /**
   * Milliseconds to wait for the reply, counted from the subscribe (so including the reply
   * subscription's SUBACK); then the request fails with a RequestTimeoutError (kind
   * `ERR_REQUEST_TIMEOUT`). From 1 to 2^31 - 1 (setTimeout's largest delay), else the request
   * fails with an InvalidArgumentError.
   * @default 30000
   */
  timeout?: number;
  /** QoS of the request PUBLISH. @default 0 */
  qos?: QoS;
  /** More PUBLISH properties (user properties, content type...); Response Topic and Correlation Data are set by request(). */
  properties?: PublishProperties;
  /**
   * Where the responder should reply, instead of the client's shared reply topic. It is
   * subscribed (shared with `topic()` streams of the same filter) while the request waits.
   * @default the shared reply topic
   */
  responseTopic?: string;
  /** Scheduler of the timeout. @default the client's `scheduler` option, else asyncScheduler */
  scheduler?: SchedulerLike;
}

export type { Reply, ResponseHandler, RespondOptions, ResponseOutcome } from './responder.js';

/** What request/response needs from the client. */
export interface RequestHost {
  readonly options: ResolvedOptions;
  readonly state$: Observable<ConnectionState>;
  /** `topic()`, with a callback for the moment the broker granted the SUBSCRIBE. */
  observe(filter: string, options: TopicOptions, onSubscribed?: () => void): Observable<MqttMessage>;
  /** `topic(filter, { ...options, ack: 'manual' })`: the requests `respond()` acknowledges itself. */
  observeAcked(filter: string, options: TopicOptions): Observable<AckableMessage>;
  publish$(topic: string, payload: RequestPayload, options: PublishOptions): Observable<PublishResult>;
}

/** @default of RequestOptions.timeout */
export const DEFAULT_REQUEST_TIMEOUT = 30_000;
/** The prefix of the shared reply topic when the broker gave no Response Information. */
export const DEFAULT_REPLY_PREFIX = 'rxmqtt/reply';
/** setTimeout's largest delay: a longer one would fire at once. */
const MAX_TIMEOUT = 2 ** 31 - 1;
/** Replies arrive at the QoS their responder chose: the broker grants at most this. */
const REPLY_QOS: QoS = 2;

export class RequestResponse {
  /** The shared reply channel, made on the first request and kept. */
  private shared?: ReplyChannel;

  constructor(private readonly host: RequestHost) {}

  /** See RxMqttClient#request. */
  request(topic: string, payload: RequestPayload, options: RequestOptions = {}): Observable<MqttMessage> {
    return defer(() => {
      const invalid = this.checkRequest(topic, payload, options);
      if (invalid) return throwError(() => invalid);
      const ms = options.timeout ?? DEFAULT_REQUEST_TIMEOUT;
      const scheduler = options.scheduler ?? this.host.options.scheduler ?? asyncScheduler;
      const channel = options.responseTopic === undefined ? this.sharedChannel() : new ReplyChannel(this.host, of(options.responseTopic), false);
      return channel.exchange(topic, payload, options).pipe(
        timeout({ first: ms, with: () => throwError(() => new RequestTimeoutError(topic, ms)), scheduler }),
      );
    });
  }

  /** See RxMqttClient#respond. */
  respond(topicFilter: string, handler: ResponseHandler, options: RespondOptions = {}): Observable<ResponseOutcome> {
    const invalid = this.checkVersion('respond');
    return invalid ? throwError(() => invalid) : respond(this.host, topicFilter, handler, options);
  }

  private sharedChannel(): ReplyChannel {
    this.shared ??= new ReplyChannel(this.host, this.replyTopic$(), true);
    return this.shared;
  }

  /**
   * The shared reply topic: `<prefix>/<random>`. The prefix is the CONNACK's Response Information
   * when the client asked for it (`properties.requestResponseInformation`, 4.10), so brokers that
   * only let a client subscribe below a topic of their choosing work.
   */
  private replyTopic$(): Observable<string> {
    const unique = toHex(randomBytes(8));
    if (!this.host.options.properties?.requestResponseInformation) return of(`${DEFAULT_REPLY_PREFIX}/${unique}`);
    return this.host.state$.pipe(
      mergeMap((state) => (state.status === 'connected' ? of(state) : state.status === 'closed' ? throwError(() => new ClientClosedError()) : EMPTY)),
      take(1),
      map((state) => `${trimSlash(state.connack.properties?.responseInformation) ?? DEFAULT_REPLY_PREFIX}/${unique}`),
    );
  }

  private checkRequest(topic: string, payload: RequestPayload, options: RequestOptions): Error | undefined {
    const invalid = this.checkVersion('request') ?? checkPublish(topic, payload, options);
    if (invalid) return invalid;
    const ms = options.timeout;
    if (ms !== undefined && !(typeof ms === 'number' && ms > 0 && ms <= MAX_TIMEOUT)) {
      return new InvalidArgumentError(`timeout must be a number of milliseconds from 1 to ${MAX_TIMEOUT}, got ${String(ms)}`);
    }
    const topicError = options.responseTopic === undefined ? undefined : validateTopic(options.responseTopic);
    return topicError ? new InvalidArgumentError(`Invalid responseTopic: ${topicError}`) : undefined;
  }

  private checkVersion(method: string): InvalidArgumentError | undefined {
    const version = this.host.options.protocolVersion;
    if (version === 5) return undefined;
    return new InvalidArgumentError(`${method}() needs MQTT 5 (protocolVersion: 5): Response Topic and Correlation Data are MQTT 5 properties, this client uses protocolVersion ${version}`);
  }
}

/**
 * One reply topic and the requests waiting on it, keyed by Correlation Data. A reply nobody waits
 * for (late, cancelled, duplicated, or forged by another client) is dropped.
 */
class ReplyChannel {
  private readonly waiters = new Map<string, (reply: MqttMessage) => void>();
  /**
   * Emits the reply topic once the broker granted its SUBSCRIBE, errors if it refused it, completes
   * when the client ends. Shared by the requests; `keep` holds the subscription after the last one
   * left, and a failure or an end resets it so the next request subscribes again.
   */
  private readonly ready$: Observable<string>;

  constructor(
    private readonly host: RequestHost,
    topic$: Observable<string>,
    keep: boolean,
  ) {
    this.ready$ = topic$.pipe(
      switchMap(
        (topic) =>
          new Observable<string>((subscriber) =>
            this.host.observe(topic, { qos: REPLY_QOS }, () => subscriber.next(topic)).subscribe({
              next: (message) => this.deliver(message),
              error: (error: unknown) => subscriber.error(error),
              complete: () => subscriber.complete(),
            }),
          ),
      ),
      share({ connector: () => new ReplaySubject<string>(1), resetOnError: true, resetOnComplete: true, resetOnRefCountZero: !keep }),
    );
  }

  /** One request: waits for the reply topic, registers the waiter, then publishes. */
  exchange(topic: string, payload: RequestPayload, options: RequestOptions): Observable<MqttMessage> {
    return new Observable<MqttMessage>((subscriber) => {
      const correlationData = randomBytes(16);
      const key = toHex(correlationData);
      // ready$ emits once: when the reply topic is subscribed (at once if it already is).
      const ready = this.ready$.subscribe({
        next: (responseTopic) => {
          // The waiter is in place before the request leaves: no reply can come before it.
          this.waiters.set(key, (reply) => {
            subscriber.next(reply);
            subscriber.complete();
          });
          const properties = { ...options.properties, responseTopic, correlationData };
          subscriber.add(this.host.publish$(topic, payload, { qos: options.qos ?? 0, properties }).subscribe({ error: (error: unknown) => subscriber.error(error) }));
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.error(new ClientClosedError()),
      });
      return () => {
        // Cancelled, timed out or answered: a reply from now on finds no waiter.
        this.waiters.delete(key);
        ready.unsubscribe();
      };
    });
  }

  private deliver(message: MqttMessage): void {
    const correlation = message.properties?.correlationData;
    if (!correlation) return;
    const key = toHex(correlation);
    const waiter = this.waiters.get(key);
    if (!waiter) return;
    this.waiters.delete(key);
    waiter(message);
  }
}

/** Resolves a request$ into a Promise; aborting `signal` cancels the request and rejects with its reason. */
export function requestPromise(request$: Observable<MqttMessage>, signal?: AbortSignal): Promise<MqttMessage> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const abort = () => {
      subscription.unsubscribe();
      reject(signal!.reason);
    };
    const done = () => signal?.removeEventListener('abort', abort);
    const subscription = request$.subscribe({
      next: (reply) => (done(), resolve(reply)),
      error: (error: unknown) => (done(), reject(error)),
    });
    if (!subscription.closed) signal?.addEventListener('abort', abort, { once: true });
  });
}

/** Web Crypto, so that browsers get the same unguessable correlation ids as Node. */
function randomBytes(size: number): Buffer {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(size)));
}

function toHex(bytes: Buffer | Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function trimSlash(prefix: string | undefined): string | undefined {
  const trimmed = prefix?.replace(/\/+$/, '');
  return trimmed ? trimmed : undefined;
}

