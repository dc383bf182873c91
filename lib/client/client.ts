import { Observable } from 'rxjs';
import { manualAck, type AckableMessage } from '../inbound/ack-holds.js';
import type { IAuthPacket, ISubscription, Packet } from '../protocol/codec.js';
import { Connection, type EndOptions, type Settler } from '../connection/connection.js';
import type { Codec } from '../protocol/payload-codecs.js';
import { InvalidArgumentError, type DecodeError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';
import type { ResolvedOptions } from '../options/options.js';
import { DEFAULT_HIGH_WATER_MARK, messageIterator } from './message-iterator.js';
import { publishAll, type OutgoingMessage, type PublishAllOptions, type PublishAllResult } from './publish-all.js';
import { RequestResponse, type RequestOptions, type RequestPayload, type RespondOptions, type ResponseHandler, type ResponseOutcome } from './request-response.js';
import type { AuthProperties } from '../session/types.js';
import type { ClientEvent, ConnectionState } from '../connection/connection-state.js';
import { topicStream } from '../routing/topic-stream.js';
import type { TransportFactory } from '../transport/transport.js';
import type { PublishOptions, SubscribeOptions } from '../options/validate.js';
import { ClientStreams } from './client-streams.js';
import type { AckOptions, ClientHooks, ClientTopicOptions, MessagesOptions, PublishResult, SubscribeResult } from './client-types.js';
import { encodePayload, settleInto, submitPublish, subscribeCommand, toPublishResult, unsubscribeCommand, withAckTimeout } from './commands.js';

export type { AckOptions, ClientHooks, ClientTopicOptions, DisconnectProperties, MessagesOptions, PublishResult, SubscribeResult } from './client-types.js';

/**
 * The Observable API of one MQTT client (state, topic streams, cold publishes, request/response). Every `MqttClient` wraps one, as its `rx`: use `connect(url).rx`.
 */
export class RxMqttClient {
  /** The client's options with their defaults applied and the URL merged in. */
  readonly options: ResolvedOptions;

  private readonly connection: Connection;
  /** The Subjects and routes the connection reports to; every stream below is read from it. */
  private readonly streams: ClientStreams;
  /** The request/response machinery, made on the first `request()` or `respond()`. */
  private requestResponse?: RequestResponse;

  /** @internal Made by `MqttClient` (its `rx`); `hooks` are the facade's. */ constructor(options: ResolvedOptions, transport: TransportFactory, hooks: ClientHooks = {}) {
    this.options = options;
    this.streams = new ClientStreams(hooks, options);
    this.connection = new Connection(options, transport, this.streams);
    this.streams.attach(this.connection);
  }

  /** The connection status; replays the current value to new subscribers. */
  get state$(): Observable<ConnectionState> {
    return this.streams.state$;
  }

  /** Every inbound application message. */
  get messages$(): Observable<MqttMessage> {
    return this.streams.messages$;
  }

  /**
   * Whether the MQTT.js `'message'` event reports a message on `topic`: not when only a filter
   * `unsubscribe$` let go of (kept at the broker by a `topic()` stream) matches it.
   * @internal
   */
  reportsMessage(topic: string): boolean {
    return this.streams.routesIfAny?.interest.reports(topic) ?? true;
  }

  /** Every packet received from the broker. */
  get packetsIn$(): Observable<Packet> {
    return this.streams.packetsIn$;
  }

  /** Every packet sent to the broker. */
  get packetsOut$(): Observable<Packet> {
    return this.streams.packetsOut$;
  }

  /** Lifecycle events (connect, close, offline, reconnect, error, disconnect, end). */
  get events$(): Observable<ClientEvent> {
    return this.streams.events$;
  }

  /** The payloads `topic(filter, { codec })` streams could not decode (each stream went on). */
  get decodeErrors$(): Observable<DecodeError> {
    return this.streams.decodeErrors$;
  }

  /** Whether the client is connected (status 'connected'), for templates; replays the current value, emits on changes only. */
  get connected$(): Observable<boolean> {
    return this.streams.connected$;
  }

  private get requests(): RequestResponse {
    return (this.requestResponse ??= new RequestResponse({
      options: this.options,
      state$: this.state$,
      observe: (filter, topicOptions, onSubscribed) => this.streams.routes.observe(filter, topicOptions, onSubscribed),
      observeAcked: (filter, topicOptions) => this.topic(filter, { ...topicOptions, ack: 'manual' }),
      publish$: (topic, payload, publishOptions) => this.publish$(topic, payload, publishOptions),
    }));
  }

  /** The current connection status, read synchronously. */
  get state(): ConnectionState {
    return this.streams.state;
  }

  /** Starts connecting (done by `connect()` unless `manualConnect` is set). */
  connect(): this {
    this.connection.start();
    return this;
  }

  /**
   * Messages whose topic matches `filter` (`+` and `#` wildcards, `$share/group/` prefixes).
   * Cold: the first subscriber sends SUBSCRIBE, later ones share it, the last to unsubscribe
   * sends UNSUBSCRIBE. Errors with a SubackError when the broker refuses the filter, also when it
   * refuses the automatic resubscribe after a reconnect without a session; completes on `end()`;
   * survives reconnects. Over MQTT 5 each filter's SUBSCRIBE carries a Subscription Identifier
   * (unless the broker has none) so that overlapping streams get one copy each.
   *
   * Streams of one filter share its subscription at the highest QoS they ask for; `linger` keeps
   * it a while after the last one left; `replay: 'retained'` gives a stream joining late the
   * retained messages the subscription received. Levels written `:name` (or a last `:name#`) are
   * wildcards whose values each message carries in `params`; a `codec` decodes payloads into
   * `value` (those it cannot decode are skipped and reported on `decodeErrors$`). See TopicOptions.
   *
   * With `ack: 'manual'` each message comes with an idempotent `ack()`. A QoS 1/2 message's
   * PUBACK/PUBREC goes out once every manual stream that received it called `ack()` (and after
   * any `handleMessage`/`customHandleAcks`), in the order the messages arrived; QoS 0 messages
   * get a no-op `ack()`. A message the stream emitted is the app's until its `ack()`, even after
   * the stream unsubscribed (`firstValueFrom` does at once): a crash before `ack()` gets it
   * redelivered; one never acknowledged holds its ack, and those after it, until the connection
   * ends. A `next` handler that throws before `ack()` keeps its hold too.
   * Unacknowledged messages are bounded by `maxUnackedMessages` (reading pauses above it)
   * and, on MQTT 5 when that option is set, by the Receive Maximum it announces. Both act on the
   * whole connection, as MQTT flow control does: a manual consumer that falls behind slows every
   * stream of the client (the keepalive goes on). Streams without `ack: 'manual'` hold nothing back.
   *
   * @example
   * client.topic<Reading>('sensors/:id/reading', { codec: json<Reading>(), qos: 1 })
   *   .subscribe((m) => console.log(m.params?.id, m.value.celsius));
   * client.topic('jobs/#', { qos: 1, ack: 'manual' })
   *   .pipe(concatMap(async (m) => { await work(m); m.ack(); }))
   *   .subscribe();
   */
  topic<T>(filter: string, options: ClientTopicOptions<T> & { codec: Codec<T>; ack: 'manual' }): Observable<AckableMessage<T>>;
  topic<T>(filter: string, options: ClientTopicOptions<T> & { codec: Codec<T> }): Observable<MqttMessage<T>>;
  topic(filter: string, options: ClientTopicOptions & { ack: 'manual' }): Observable<AckableMessage>;
  topic(filter: string, options?: ClientTopicOptions): Observable<MqttMessage>;
  topic<T>(filter: string, options?: ClientTopicOptions<T>): Observable<MqttMessage<T>> {
    const ack = options?.ack;
    if (ack === undefined) return topicStream(this.streams, filter, options);
    const { ack: _ack, ...topicOptions } = options as ClientTopicOptions<T>;
    if (ack === 'auto') return topicStream(this.streams, filter, topicOptions);
    if (ack !== 'manual') throw new InvalidArgumentError(`ack must be 'auto' or 'manual', got ${String(ack)}`);
    return topicStream(this.streams, filter, topicOptions).pipe(manualAck<T>(this.connection.holds));
  }

  /**
   * The messages matching `filter` as an async iterator, each acknowledged when the next one is
   * pulled (or the loop ends): a manual-ack `topic()` stream, subscribed on the first `next()`.
   * At `highWaterMark` buffered messages the socket is paused until half of them were pulled.
   * `break` (or a throw in the loop) unsubscribes, acknowledging what was buffered; a refused
   * SUBSCRIBE is thrown from `next()`; `end()` finishes the loop after the buffered messages. An
   * iterator neither pulled nor returned keeps its messages unacknowledged and, once full, the
   * socket paused: leave loops with `break`/`return`, or call `return()`.
   *
   * @example
   * for await (const m of client.messages('jobs/#', { qos: 1 })) await work(m);
   * @throws InvalidArgumentError for a `highWaterMark` that is not a positive integer.
   */
  messages(filter: string, options: MessagesOptions = {}): AsyncIterableIterator<MqttMessage> {
    const { highWaterMark = DEFAULT_HIGH_WATER_MARK, ...topicOptions } = options ?? {};
    const key = {};
    const source = this.topic(filter, { ...topicOptions, ack: 'manual' });
    return messageIterator(source, highWaterMark, (paused) => this.connection.holdReading(key, paused));
  }

  /**
   * Publishes every message of `source$`, at most `concurrency` (100) at a time, and emits each
   * one's result, in completion order. On the wire QoS 1/2 publishes are further limited to the
   * broker's Receive Maximum. The first failure errors the stream.
   *
   * @example
   * client.publishAll(from(readings).pipe(map((r) => ({ topic: 'sensors/1', payload: JSON.stringify(r), qos: 1 }))), { concurrency: 10 })
   *   .subscribe((result) => log(result.messageId));
   */
  publishAll(source$: Observable<OutgoingMessage>, options?: PublishAllOptions): Observable<PublishAllResult> {
    return publishAll((topic, payload, publishOptions) => this.publish$(topic, payload, publishOptions), source$, options);
  }

  /**
   * Publishes on subscribe; emits the result and completes when the QoS flow completes
   * (QoS 0: when written). Errors with an InvalidArgumentError for bad input (nothing is sent),
   * a PublishError carrying the reason code when an MQTT 5 broker refuses it, or a
   * ClientClosedError when the client ends first. With a `codec`, `payload` is a value the codec
   * encodes (an InvalidArgumentError, with what it threw as `cause`, when it cannot). With an
   * `ackTimeout`, errors with an AckTimeoutError when the flow has not completed that many ms after
   * the subscription; the publish itself goes on and is resent after a reconnect (see AckOptions).
   *
   * @example
   * client.publish$('sensors/a1/reading', { celsius: 21.5 }, { codec: json<Reading>(), qos: 1, ackTimeout: 5000 }).subscribe();
   */
  publish$<T>(topic: string, value: T, options: PublishOptions & AckOptions & { codec: Codec<T> }): Observable<PublishResult>;
  publish$(topic: string, payload: string | Buffer | Uint8Array, options?: PublishOptions & AckOptions): Observable<PublishResult>;
  publish$(topic: string, value: unknown, options: PublishOptions & AckOptions & { codec?: Codec<unknown> } = {}): Observable<PublishResult> {
    const publish$ = new Observable<PublishResult>((subscriber) => {
      const payload = encodePayload(topic, value, options);
      if (payload instanceof InvalidArgumentError) return subscriber.error(payload);
      this.publish(topic, payload, options, settleInto(subscriber, toPublishResult));
    });
    return withAckTimeout(publish$, options?.ackTimeout, this.options.scheduler);
  }

  /**
   * MQTT 5 request/response: publishes `payload` to `topic` with a Response Topic and fresh random
   * Correlation Data, and emits the one reply carrying that Correlation Data, then completes.
   * Cold: every subscription sends its own request; unsubscribing cancels it (a reply arriving
   * later is ignored). The replies of all requests come through one subscription to the client's
   * reply topic (Response Information as prefix when `properties.requestResponseInformation` is
   * set), made on the first request and kept until `end()`; each request is published only after
   * that SUBSCRIBE was granted. Errors with a RequestTimeoutError after `options.timeout` (30 s), an
   * InvalidArgumentError for bad input or a client older than MQTT 5, a SubackError if the reply
   * topic is refused, a ClientClosedError if the client ends first.
   *
   * @example
   * const reply = await firstValueFrom(client.request('svc/time', 'now?', { timeout: 5000 }));
   */
  request(topic: string, payload: RequestPayload, options?: RequestOptions): Observable<MqttMessage> {
    return this.requests.request(topic, payload, options);
  }

  /**
   * MQTT 5 request/response, the answering side: each message on `filter` with a Response Topic
   * goes to `handler`; its reply (a value, Promise or Observable) is published there with the
   * request's Correlation Data and QoS. At most `concurrency` (16) handlers run at once, the other
   * requests wait with their PUBACK/PUBREC held (see responder.ts). Emits 'replied' or 'failed' per
   * request; errors if the subscription fails, or on bad options or MQTT 3 (InvalidArgumentError).
   *
   * @example
   * client.respond('svc/time', () => new Date().toISOString()).subscribe();
   */
  respond(filter: string, handler: ResponseHandler, options?: RespondOptions): Observable<ResponseOutcome> {
    return this.requests.respond(filter, handler, options);
  }

  /** Sends one SUBSCRIBE for `subscriptions` (several, with `subscribeBatchSize`); emits the granted codes (one per filter). `ackTimeout`: see AckOptions. */
  subscribe$(subscriptions: ISubscription[], properties?: SubscribeOptions['properties'], options?: AckOptions): Observable<SubscribeResult> {
    return withAckTimeout(subscribeCommand(this.connection, this.streams, subscriptions, properties), options?.ackTimeout, this.options.scheduler);
  }

  /** Sends one UNSUBSCRIBE for `topics`; emits the UNSUBACK. `ackTimeout`: see AckOptions. */
  unsubscribe$(topics: string[], properties?: { userProperties?: Record<string, string | string[]> }, options?: AckOptions): Observable<Packet | undefined> {
    return withAckTimeout(unsubscribeCommand(this.connection, this.streams, topics, properties), options?.ackTimeout, this.options.scheduler);
  }

  /** The callback-style publish the facade and `publish$` share. @internal */
  publish(topic: string, payload: string | Buffer | Uint8Array, options: PublishOptions, settler: Settler): void {
    submitPublish(this.connection, topic, payload, options, settler);
  }

  /** Ends the client: waits for in-flight acks (unless `force`), sends DISCONNECT, closes, closes the stores (resolving with a close() error, if any). With clean: false the unacknowledged QoS 1/2 publishes wait for a reconnect(). */
  end(options: EndOptions = {}): Promise<Error | undefined> {
    return this.connection.end(options);
  }

  /**
   * MQTT 5 re-authentication (4.12.1): sends AUTH 0x19 with the CONNECT's Authentication Method and
   * `properties.authenticationData`; the broker's AUTH 0x18 challenges go to `handleAuth`. Resolves
   * with the broker's AUTH 0x00 (Success). Rejects with an AuthError when it cannot start (not
   * connected, no method in the CONNECT, another one under way: nothing is sent) or when the
   * connection ends first (a DISCONNECT 0x87 from the broker: `reasonCode` 0x87). Publishing and
   * subscribing go on meanwhile. A broker that does not answer within `reauthTimeout` (default:
   * `connectTimeout`) fails it with a TimeoutError (`ERR_REAUTH_TIMEOUT`) and the connection is
   * closed with DISCONNECT 0x80 [MQTT-4.12.1-2].
   * @example
   * await client.reauthenticate({ authenticationData: Buffer.from(freshToken) });
   */
  reauthenticate(properties?: AuthProperties): Promise<IAuthPacket> {
    return new Promise((resolve, reject) => this.connection.reauthenticate(properties, { resolve, reject }));
  }

  /** `reauthenticate` as a cold Observable: AUTH 0x19 goes out on subscribe; emits the AUTH 0x00. */
  reauthenticate$(properties?: AuthProperties): Observable<IAuthPacket> {
    return new Observable((subscriber) => {
      this.connection.reauthenticate(properties, settleInto(subscriber, (packet: IAuthPacket) => packet));
    });
  }

  /** Drops the current connection, if any, and connects again now; also after end(). `stores`: see Connection#reconnect. */
  reconnect(stores?: Pick<ResolvedOptions, 'incomingStore' | 'outgoingStore'>): void {
    this.connection.reconnect(stores);
  }

  /** MQTT.js removeOutgoingMessage: forget an in-flight QoS 1/2 publish; its callback gets an error. */
  removeOutgoingMessage(messageId: number): void {
    this.connection.removeOutgoing(messageId);
  }

  /** MQTT.js getLastMessageId: the packet id last allocated to a PUBLISH, SUBSCRIBE or UNSUBSCRIBE; null before the first. */
  getLastMessageId(): number | null {
    return this.connection.session.lastMessageId;
  }
}
