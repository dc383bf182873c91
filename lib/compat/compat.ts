/**
 * The MQTT.js v5-compatible `MqttClient`: callbacks, Promises and EventEmitter events, plus the
 * Observable API (`topic()`, `publish$()`, `state$`...) on the same object. It holds no protocol
 * logic: every call is translated to the Observable client underneath.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Subscription } from 'rxjs';
import type { AckableMessage } from '../inbound/ack-holds.js';
import { RxMqttClient, type ClientHooks, type ClientTopicOptions, type MessagesOptions, type PublishResult } from '../client/client.js';
import type { IAuthPacket, IPublishPacket, ISubscription, Packet } from '../protocol/codec.js';
import { normaliseEnd, normalisePublish, normaliseSubscribe, normaliseUnsubscribe, type Callback } from './compat-args.js';
import type { Codec } from '../protocol/payload-codecs.js';
import type { DecodeError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';
import { createLogger } from '../log.js';
import { resolveOptions, type ResolvedOptions } from '../options/options.js';
import type { ClientOptions } from '../options/client-options.js';
import type { AuthAnswer, HandleAuth, HandleMessage } from '../options/handlers.js';
import { requestPromise, type RequestOptions, type RequestPayload, type RespondOptions, type ResponseHandler } from '../client/request-response.js';
import type { AuthProperties } from '../session/types.js';
import type { OutgoingMessage, PublishAllOptions, PublishAllResult } from '../client/publish-all.js';
import type { ClientEvent, ConnectionState } from '../connection/connection-state.js';
import { streamBuilderTransport } from '../transport/select.js';
import type { TransportFactory } from '../transport/transport.js';
import type { PublishOptions } from '../options/validate.js';
import type { Observable } from 'rxjs';

const log = createLogger('client');

/** MQTT.js streamBuilder: returns a connected (or connecting) duplex for each attempt. */
export type StreamBuilder = (client: MqttClient) => Duplex;

/** One granted entry of a SUBACK, as MQTT.js's subscribe callback reports it. */
export interface ISubscriptionGrant {
  topic: string;
  /** Granted QoS, or the failure code (128, or an MQTT 5 reason code >= 0x80). */
  qos: number;
  nl?: boolean;
  rap?: boolean;
  rh?: number;
}

/** Transport factories made by `connect()` (as opposed to user stream builders). */
const transportFactories = new WeakSet<TransportFactory>();

export function asTransportFactory(factory: TransportFactory): TransportFactory {
  transportFactories.add(factory);
  return factory;
}

export class MqttClient extends EventEmitter {
  readonly options: ResolvedOptions;
  private readonly client: RxMqttClient;
  /** The Observable subscriptions behind 'message', 'packetsend' and 'packetreceive' listeners, made for the first one. */
  private lazy?: Map<string, Subscription>;

  constructor(streamBuilder: StreamBuilder | TransportFactory, options: ClientOptions = {}) {
    super();
    this.options = resolveOptions(undefined, options);
    const transport = transportFactories.has(streamBuilder as TransportFactory)
      ? (streamBuilder as TransportFactory)
      : streamBuilderTransport(() => (streamBuilder as StreamBuilder)(this));
    this.client = new RxMqttClient(this.options, transport, new FacadeHooks(this));
    // Shared functions, called with the emitter as `this`: no closures per client.
    this.on('newListener', listenLazily);
    this.on('removeListener', unlistenWhenLast);
    if (!this.options.manualConnect) this.connect();
  }

  /** The Observable client underneath (state$, topic(), publish$...). */
  get rx(): RxMqttClient {
    return this.client;
  }

  get state$(): Observable<ConnectionState> {
    return this.client.state$;
  }

  get state(): ConnectionState {
    return this.client.state;
  }

  /** See RxMqttClient#connected$. */
  get connected$(): Observable<boolean> {
    return this.client.connected$;
  }

  get messages$(): Observable<MqttMessage> {
    return this.client.messages$;
  }

  get packetsIn$(): Observable<Packet> {
    return this.client.packetsIn$;
  }

  get packetsOut$(): Observable<Packet> {
    return this.client.packetsOut$;
  }

  /** See RxMqttClient#topic. */
  topic<T>(filter: string, options: ClientTopicOptions<T> & { codec: Codec<T>; ack: 'manual' }): Observable<AckableMessage<T>>;
  topic<T>(filter: string, options: ClientTopicOptions<T> & { codec: Codec<T> }): Observable<MqttMessage<T>>;
  topic(filter: string, options: ClientTopicOptions & { ack: 'manual' }): Observable<AckableMessage>;
  topic(filter: string, options?: ClientTopicOptions): Observable<MqttMessage>;
  topic<T>(filter: string, options?: ClientTopicOptions<T>): Observable<MqttMessage<T>> {
    return this.client.topic(filter, options as ClientTopicOptions<T> & { codec: Codec<T> });
  }

  /** See RxMqttClient#decodeErrors$. */
  get decodeErrors$(): Observable<DecodeError> {
    return this.client.decodeErrors$;
  }

  /** See RxMqttClient#messages: `for await (const m of client.messages('a/#')) ...` */
  messages(filter: string, options?: MessagesOptions): AsyncIterableIterator<MqttMessage> {
    return this.client.messages(filter, options);
  }

  /** See RxMqttClient#publishAll. */
  publishAll(source$: Observable<OutgoingMessage>, options?: PublishAllOptions): Observable<PublishAllResult> {
    return this.client.publishAll(source$, options);
  }

  /** See RxMqttClient#publish$. */
  publish$<T>(topic: string, value: T, options: PublishOptions & { codec: Codec<T> }): Observable<PublishResult>;
  publish$(topic: string, payload: string | Buffer | Uint8Array, options?: PublishOptions): Observable<PublishResult>;
  publish$(topic: string, value: unknown, options?: PublishOptions & { codec?: Codec<unknown> }): Observable<PublishResult> {
    return this.client.publish$(topic, value, options as PublishOptions & { codec: Codec<unknown> });
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
    return requestPromise(this.client.request(topic, payload, rest), signal);
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
    return this.client.respond(filter, handler, rest).subscribe({
      next: (outcome) => outcome.type === 'failed' && report(outcome.error, outcome.request),
      error: (error: Error) => report(error),
    });
  }

  get connected(): boolean {
    return this.state.status === 'connected';
  }

  get reconnecting(): boolean {
    const state = this.state;
    return state.status === 'reconnecting' || (state.status === 'connecting' && state.attempt > 1);
  }

  get disconnecting(): boolean {
    return this.state.status === 'disconnecting';
  }

  get disconnected(): boolean {
    const { status } = this.state;
    return status === 'offline' || status === 'closed' || status === 'reconnecting';
  }

  connect(): this {
    this.client.connect();
    return this;
  }

  publish(topic: string, message: string | Buffer, options?: PublishOptions | Callback, callback?: Callback): this {
    const args = normalisePublish<PublishOptions>(options, callback);
    const cb = args.callback;
    this.client.publish(topic, message, args.options, {
      resolve: (result) => cb?.(null, result?.type === 'publish' ? result.packet : undefined),
      reject: (error) => (cb ? cb(error) : log('publish failed: %s', error.message)),
    });
    return this;
  }

  publishAsync(topic: string, message: string | Buffer, options?: PublishOptions): Promise<Packet | undefined> {
    return new Promise((resolve, reject) =>
      this.publish(topic, message, options ?? {}, (error, packet) => (error ? reject(error) : resolve(packet as Packet | undefined))),
    );
  }

  subscribe(topics: string | string[] | Record<string, unknown>, options?: unknown, callback?: Callback<ISubscriptionGrant[]>): this {
    const args = normaliseSubscribe(topics, options, callback);
    const cb = args.callback as Callback<ISubscriptionGrant[]> | undefined;
    if (args.error) {
      const error = args.error;
      queueMicrotask(() => (cb ? cb(error) : log('subscribe failed: %s', error.message)));
      return this;
    }
    this.client.subscribe$(args.subscriptions, args.properties).subscribe({
      next: ({ granted, refused }) => {
        // MQTT.js v5 calls back with an error when the SUBACK refuses a filter, so `if (err)` sees
        // the refusal; the grants still say which filters were refused, and how.
        if (cb) cb(refused ?? null, toGrants(args.subscriptions, granted));
        else if (refused) log('subscribe failed: %s', refused.message);
      },
      error: (error: Error) => (cb ? cb(error) : log('subscribe failed: %s', error.message)),
    });
    return this;
  }

  subscribeAsync(topics: string | string[] | Record<string, unknown>, options?: unknown): Promise<ISubscriptionGrant[]> {
    return new Promise((resolve, reject) =>
      this.subscribe(topics, options ?? {}, (error, granted) => (error ? reject(error) : resolve(granted ?? []))),
    );
  }

  unsubscribe(topics: string | string[], options?: unknown, callback?: Callback<Packet | undefined>): this {
    const args = normaliseUnsubscribe(topics, options, callback);
    const cb = args.callback as Callback<Packet | undefined> | undefined;
    if (args.error) {
      const error = args.error;
      queueMicrotask(() => (cb ? cb(error) : log('unsubscribe failed: %s', error.message)));
      return this;
    }
    this.client.unsubscribe$(args.topics, args.properties).subscribe({
      next: (packet) => cb?.(null, packet),
      error: (error: Error) => (cb ? cb(error) : log('unsubscribe failed: %s', error.message)),
    });
    return this;
  }

  unsubscribeAsync(topics: string | string[], options?: unknown): Promise<Packet | undefined> {
    return new Promise((resolve, reject) =>
      this.unsubscribe(topics, options ?? {}, (error, packet) => (error ? reject(error) : resolve(packet))),
    );
  }

  /** `end([force], [options], [callback])`: the callback runs first, then the 'end' event. */
  end(force?: unknown, options?: unknown, callback?: unknown): this {
    const args = normaliseEnd(force, options, callback);
    // 'end' is announced once per ending, by the call that started it: a second end() while the
    // first is in progress (or after it) only gets its callback, as in MQTT.js.
    const { status } = this.state;
    const announce = status !== 'disconnecting' && status !== 'closed';
    void this.client
      .end({ force: args.force, reasonCode: args.options.reasonCode, properties: args.options.properties })
      .then(() => {
        args.callback?.();
        if (announce) this.emit('end');
      });
    return this;
  }

  endAsync(force?: boolean, options?: { reasonCode?: number; properties?: Record<string, unknown> }): Promise<void> {
    return new Promise((resolve) => this.end(force ?? false, options ?? {}, () => resolve()));
  }

  removeOutgoingMessage(messageId: number): this {
    this.client.removeOutgoingMessage(messageId);
    return this;
  }

  reconnect(): this {
    this.client.reconnect();
    return this;
  }

  /** Override to process messages one at a time; call `callback` when done (MQTT.js backpressure). */
  handleMessage(_packet: IPublishPacket, callback: (error?: Error | null) => void): void {
    callback();
  }

  /**
   * MQTT.js: override to answer the broker's AUTH 0x18 challenges (enhanced authentication):
   * `callback(null, { properties: { authenticationData } })` continues, `callback(error)` gives up.
   * Not overridden: the `handleAuth` option, if any, answers; with neither, a challenge fails the
   * connection with an AuthError.
   */
  handleAuth(_packet: IAuthPacket, callback: (error?: Error | null, packet?: AuthAnswer) => void): void {
    callback();
  }

  /** MQTT 5 re-authentication (AUTH 0x19); the callback gets the broker's AUTH 0x00. See RxMqttClient#reauthenticate. */
  reauthenticate(properties?: AuthProperties, callback?: Callback<IAuthPacket>): this {
    this.client.reauthenticate(properties).then(
      (packet) => callback?.(null, packet),
      (error: Error) => (callback ? callback(error) : log('reauthenticate failed: %s', error.message)),
    );
    return this;
  }

  reauthenticateAsync(properties?: AuthProperties): Promise<IAuthPacket> {
    return this.client.reauthenticate(properties);
  }

  getLastMessageId(): number | null {
    return this.client.getLastMessageId();
  }

  private onEvent(event: ClientEvent): void {
    switch (event.type) {
      case 'connect': {
        // MQTT.js reports a v5 Assigned Client Identifier in client.options.clientId.
        const assigned = event.connack.properties?.assignedClientIdentifier;
        if (assigned) this.options.clientId = assigned;
        this.emit('connect', event.connack);
        return;
      }
      case 'error':
        // An 'error' with no listener would crash the host process: log it instead.
        if (this.listenerCount('error') > 0) this.emit('error', event.error);
        else log('error (no listener): %s', event.error.message);
        return;
      case 'disconnect':
        this.emit('disconnect', event.packet);
        return;
      case 'end':
        return; // emitted by end() after its callback, as MQTT.js does
      case 'dropped':
        // rxmqtt: the bounded offline queue dropped a publish (MQTT.js has no such queue).
        this.emit('dropped', event.error);
        return;
      case 'reconnect':
      case 'close':
      case 'offline':
        this.emit(event.type);
        return;
      default: {
        const unexpected: never = event;
        log('unknown event %o', unexpected);
      }
    }
  }

  /** The last listener of a lazily wired event left: stop paying for it (and let the Subject go unobserved). */
  private unlisten(event: string): void {
    this.lazy?.get(event)?.unsubscribe();
    this.lazy?.delete(event);
  }

  /** Packet and message events cost something per packet: wire them only when someone listens. */
  private listenLazily(event: string): void {
    if (this.lazy?.has(event)) return;
    if (event === 'message') {
      (this.lazy ??= new Map()).set(event, this.client.messages$.subscribe((m) => this.emit('message', m.topic, m.payload, m.packet)));
    } else if (event === 'packetsend') {
      (this.lazy ??= new Map()).set(event, this.client.packetsOut$.subscribe((p) => this.emit('packetsend', p)));
    } else if (event === 'packetreceive') {
      (this.lazy ??= new Map()).set(event, this.client.packetsIn$.subscribe((p) => this.emit('packetreceive', p)));
    }
  }
}

/** What the Observable client asks the facade: prototype methods, not a closure per hook for every client. */
class FacadeHooks implements ClientHooks {
  constructor(private readonly facade: MqttClient) {}

  /** An overridden `handleMessage` (MQTT.js style), looked up per message. */
  handleMessage(): HandleMessage | undefined {
    const facade = this.facade;
    return facade.handleMessage === MqttClient.prototype.handleMessage ? undefined : facade.handleMessage.bind(facade);
  }

  /** An overridden `handleAuth`, looked up per challenge. */
  handleAuth(): HandleAuth | undefined {
    const facade = this.facade;
    return facade.handleAuth === MqttClient.prototype.handleAuth ? undefined : facade.handleAuth.bind(facade);
  }

  onEvent(event: ClientEvent): void {
    this.facade['onEvent'](event);
  }
}

/** The 'newListener' listener of every client (EventEmitter calls it with the client as `this`). */
function listenLazily(this: MqttClient, event: string): void {
  this['listenLazily'](event);
}

/** The 'removeListener' listener of every client. */
function unlistenWhenLast(this: MqttClient, event: string): void {
  if (this.listenerCount(event) === 0) this['unlisten'](event);
}

function toGrants(subscriptions: ISubscription[], granted: number[]): ISubscriptionGrant[] {
  return subscriptions.map((sub, i) => ({ ...sub, qos: granted[i] ?? 0x80 }));
}
