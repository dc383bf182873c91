/**
 * The Observable API on the MQTT.js-compatible `MqttClient` (`topic()`, `publish$()`, `state$`,
 * `request()`...): each member hands the call to the Observable client underneath. A base class
 * of `MqttClient`, so that `compat.ts` holds the MQTT.js methods and nothing else.
 */
import type { Observable, Subscription } from 'rxjs';
import type { AckableMessage } from '../inbound/ack-holds.js';
import type { ClientTopicOptions, MessagesOptions, PublishResult, AckOptions } from '../client/client.js';
import type { Packet } from '../protocol/codec.js';
import { CompatEventEmitter } from './compat-events.js';
import type { Codec } from '../protocol/payload-codecs.js';
import type { DecodeError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';
import { requestPromise, type RequestOptions, type RequestPayload, type RespondOptions, type ResponseHandler } from '../client/request-response.js';
import type { OutgoingMessage, PublishAllOptions, PublishAllResult } from '../client/publish-all.js';
import type { ConnectionState } from '../connection/connection-state.js';
import type { PublishOptions } from '../options/validate.js';
import type { WithTopicParams } from '../routing/topic-params.js';

export abstract class ObservableSurface extends CompatEventEmitter {
  /** See {@link RxMqttClient.state$}: the connection state, replaying the current one to each new subscriber. */
  get state$(): Observable<ConnectionState> {
    return this.rx.state$;
  }

  /** The current connection state (the latest value of `state$`). */
  get state(): ConnectionState {
    return this.rx.state;
  }

  /** See RxMqttClient#connected$. */
  get connected$(): Observable<boolean> {
    return this.rx.connected$;
  }

  /** See {@link RxMqttClient.messages$}: every inbound application message. */
  get messages$(): Observable<MqttMessage> {
    return this.rx.messages$;
  }

  /** See {@link RxMqttClient.packetsIn$}: every packet received from the broker (MQTT.js's 'packetreceive'). */
  get packetsIn$(): Observable<Packet> {
    return this.rx.packetsIn$;
  }

  /** See {@link RxMqttClient.packetsOut$}: every packet sent to the broker (MQTT.js's 'packetsend'). */
  get packetsOut$(): Observable<Packet> {
    return this.rx.packetsOut$;
  }

  /**
   * See RxMqttClient#topic. A literal pattern types `params` by its names: `topic('s/:id')` gives
   * messages whose `params.id` is a string; a pattern typed `string` leaves `params` optional.
   */
  topic<T, F extends string = string, N extends boolean = true>(filter: F, options: ClientTopicOptions<T> & { codec: Codec<T>; ack: 'manual'; params?: N }): Observable<WithTopicParams<AckableMessage<T>, F, N>>;
  topic<T, F extends string = string, N extends boolean = true>(filter: F, options: ClientTopicOptions<T> & { codec: Codec<T>; params?: N }): Observable<WithTopicParams<MqttMessage<T>, F, N>>;
  topic<F extends string = string, N extends boolean = true>(filter: F, options: ClientTopicOptions & { ack: 'manual'; params?: N }): Observable<WithTopicParams<AckableMessage, F, N>>;
  topic<F extends string = string, N extends boolean = true>(filter: F, options?: ClientTopicOptions & { params?: N }): Observable<WithTopicParams<MqttMessage, F, N>>;
  topic<T>(filter: string, options?: ClientTopicOptions<T>): Observable<MqttMessage<T>> {
    return this.rx.topic(filter, options as ClientTopicOptions<T> & { codec: Codec<T> });
  }

  /** See RxMqttClient#decodeErrors$. */
  get decodeErrors$(): Observable<DecodeError> {
    return this.rx.decodeErrors$;
  }

  /** See RxMqttClient#messages: `for await (const m of client.messages('a/#')) ...` */
  messages(filter: string, options?: MessagesOptions): AsyncIterableIterator<MqttMessage> {
    return this.rx.messages(filter, options);
  }

  /** See RxMqttClient#publishAll. */
  publishAll(source$: Observable<OutgoingMessage>, options?: PublishAllOptions): Observable<PublishAllResult> {
    return this.rx.publishAll(source$, options);
  }

  /** See RxMqttClient#publish$. */
  publish$<T>(topic: string, value: T, options: PublishOptions & AckOptions & { codec: Codec<T> }): Observable<PublishResult>;
  publish$(topic: string, payload: string | Buffer | Uint8Array, options?: PublishOptions & AckOptions): Observable<PublishResult>;
  publish$(topic: string, value: unknown, options?: PublishOptions & AckOptions & { codec?: Codec<unknown> }): Observable<PublishResult> {
    return this.rx.publish$(topic, value, options as PublishOptions & AckOptions & { codec: Codec<unknown> });
  }

  /**
   * MQTT 5 request/response: publishes `payload` to `topic` with a Response Topic and Correlation
   * Data and resolves with the reply (see RxMqttClient#request). Rejects with a RequestTimeoutError
   * after `options.timeout` (default 30 s); aborting `options.signal` cancels the request and
   * rejects with the signal's reason.
   *
   * @example
   * const reply = await client.request('svc/time', 'now?', { timeout: 5000 });
   */
  request(topic: string, payload: RequestPayload, options: RequestOptions & { signal?: AbortSignal } = {}): Promise<MqttMessage> {
    const { signal, ...rest } = options ?? {};
    return requestPromise(this.rx.request(topic, payload, rest), signal);
  }

  /**
   * MQTT 5 request/response, the answering side (see RxMqttClient#respond): answers every request
   * on `filter` with what `handler` returns, until the returned Subscription is unsubscribed. A
   * handler failure or a refused subscription goes to `options.onError`, else to the 'error'
   * event (logged when nobody listens); the responder keeps answering after a handler failure.
   */
  respond(filter: string, handler: ResponseHandler, options: RespondOptions & { onError?: (error: Error, request?: MqttMessage) => void } = {}): Subscription {
    const { onError, ...rest } = options ?? {};
    const report = (error: Error, request?: MqttMessage) => (onError ? onError(error, request) : this.onEvent({ type: 'error', error }));
    return this.rx.respond(filter, handler, rest).subscribe({
      next: (outcome) => outcome.type === 'failed' && report(outcome.error, outcome.request),
      error: (error: Error) => report(error),
    });
  }
}
