/**
 * The MQTT.js v5-compatible `MqttClient`: callbacks, Promises and EventEmitter events, plus the
 * Observable API (`topic()`, `publish$()`, `state$`...) on the same object. It holds no protocol
 * logic: every call is translated to the Observable client underneath.
 */
import type { Duplex } from 'node:stream';
import { RxMqttClient, type ClientHooks } from '../client/client.js';
import { useNumberCache, type IAuthPacket, type IPublishPacket, type Packet } from '../protocol/codec.js';
import { normaliseEnd, normalisePublish, type Callback } from './compat-args.js';
import type { ClientSubscribeCallback, DoneCallback, IClientEndOptions, IClientOptions, IClientReconnectOptions, IClientPublishOptions, IClientUnsubscribeProperties, ISubscriptionGrant, ISubscriptionMap, PacketCallback } from './compat-types.js';
import { ObservableSurface } from './observable-surface.js';
import { BuiltStreams } from './built-streams.js';
import { CallbackTiming } from './callback-timing.js';
import { subscribeWithCallback, unsubscribeWithCallback } from './compat-subscribe.js';
import { PublishError } from '../errors.js';
import { createLogger } from '../log.js';
import { resolveOptions, type ResolvedOptions } from '../options/options.js';
import type { ClientOptions } from '../options/client-options.js';
import type { AuthAnswer, HandleAuth, HandleMessage } from '../options/handlers.js';
import type { AuthProperties, SettleResult } from '../session/types.js';
import type { ClientEvent } from '../connection/connection-state.js';
import type { TransportFactory } from '../transport/transport.js';
import type { PublishOptions, SubscribeOptions } from '../options/validate.js';

const log = createLogger('client');

/** MQTT.js streamBuilder: returns a connected (or connecting) duplex for each attempt. */
export type StreamBuilder = (client: MqttClient) => Duplex;

/**
 * Transport factories made by `connect()` (as opposed to user stream builders), each with the
 * options `connect()` resolved for it, if it gave them: the client keeps that object rather than
 * resolving a copy (one options object per client, not two).
 */
const transportFactories = new WeakMap<TransportFactory, ResolvedOptions | undefined>();

export function asTransportFactory(factory: TransportFactory, resolved?: ResolvedOptions): TransportFactory {
  transportFactories.set(factory, resolved);
  return factory;
}

/**
 * The MQTT.js v5-compatible client that `connect()` returns: MQTT.js's methods (callbacks and
 * `*Async` Promises) and EventEmitter events, plus the Observable API (`topic()`, `publish$()`,
 * `state$`...) on the same object. Every call goes to the Observable client in {@link MqttClient.rx}.
 */
export class MqttClient extends ObservableSurface {
  /**
   * MQTT.js's `client.options`: the options with their defaults applied and the URL merged in.
   * As in MQTT.js, the CONNACK's Assigned Client Identifier replaces `clientId` and an MQTT 5
   * Server Keep Alive replaces `keepalive`.
   */
  override readonly options: ResolvedOptions;
  private readonly client: RxMqttClient;
  /** Keeps every callback out of the call that registered it. */
  private readonly timing = new CallbackTiming();

  /** Each attempt's duplex, and a throwing stream builder's error for `connect()`. */
  private readonly streams = new BuiltStreams();

  /**
   * As MQTT.js's: connects at once unless `options.manualConnect`, and throws what
   * `streamBuilder` throws when it is called for that first connection.
   */
  constructor(streamBuilder: StreamBuilder | TransportFactory, options: IClientOptions = {}) {
    super();
    const resolved = transportFactories.get(streamBuilder as TransportFactory);
    this.options = resolved !== undefined && resolved === options ? resolved : resolveOptions(undefined, options as ClientOptions);
    // MQTT.js turns mqtt-packet's number cache off for the whole process; so does this.
    if (this.options.writeCache === false) useNumberCache(false);
    const transport = transportFactories.has(streamBuilder as TransportFactory)
      ? this.streams.factory(streamBuilder as TransportFactory)
      : this.streams.factory(undefined, () => (streamBuilder as StreamBuilder)(this));
    this.client = new RxMqttClient(this.options, transport, new FacadeHooks(this));
    if (!this.options.manualConnect) this.connect();
  }

  /**
   * MQTT.js's `client.stream`: the duplex of the latest connection attempt (TCP, TLS, Unix
   * socket, WebSocket or a stream builder's), still the last one after it closed. Destroying it
   * drops the connection, which then reconnects per the policy. Undefined before the first
   * attempt (as in MQTT.js) and for transports without a duplex (browser and mini-program
   * sockets); typed as MQTT.js types it.
   */
  get stream(): Duplex {
    return this.streams.current as Duplex;
  }

  /** The Observable client underneath (state$, topic(), publish$...). */
  override get rx(): RxMqttClient {
    return this.client;
  }

  /** Starts connecting; throws what a stream builder threw for this attempt (see the constructor). */
  connect(): this {
    this.streams.whileConnecting(
      () => this.timing.during(() => this.client.connect()),
      // Nothing may retry a connection whose caller got the error (a constructor's is unreachable).
      () => void this.client.end({ force: true }),
    );
    return this;
  }

  /**
   * MQTT.js `publish(topic, message, [options], [callback])`. The callback gets `null` (not
   * undefined) on success, as MQTT.js passes at run time, with the PUBACK or PUBCOMP of a QoS 1/2
   * publish; a broker's refusal is a {@link PublishError}, passed with its acknowledgement.
   * Without a callback, a failure is logged.
   */
  publish(topic: string, message: string | Buffer, callback?: PacketCallback): this;
  publish(topic: string, message: string | Buffer, options?: IClientPublishOptions, callback?: PacketCallback): this;
  publish(topic: string, message: string | Buffer, options?: IClientPublishOptions | PacketCallback, callback?: PacketCallback): this {
    const args = normalisePublish<PublishOptions>(options, callback);
    const cb = args.callback;
    const timing = this.timing;
    const stored = args.options.cbStorePut;
    const publishOptions = stored ? { ...args.options, cbStorePut: timing.deferred(stored) } : args.options;
    timing.during(() =>
      this.client.publish(topic, message, publishOptions, {
        // `null` on success, as MQTT.js passes (see PacketCallback).
        resolve: timing.deferred((result?: SettleResult) => cb?.(null as unknown as undefined, result?.type === 'publish' ? result.packet : undefined)),
        // A broker's refusal comes with its PUBACK/PUBREC, as MQTT.js passes it: `callback(err, packet)`.
        reject: timing.deferred((error: Error) => (cb ? cb(error, error instanceof PublishError ? error.packet : undefined) : log('publish failed: %s', error.message))),
      }),
    );
    return this;
  }

  /** MQTT.js `publishAsync`: {@link MqttClient.publish} as a Promise of the PUBACK/PUBCOMP (undefined for QoS 0). */
  publishAsync(topic: string, message: string | Buffer, options?: PublishOptions): Promise<Packet | undefined> {
    return new Promise((resolve, reject) =>
      this.publish(topic, message, options ?? {}, (error, packet) => (error ? reject(error) : resolve(packet as Packet | undefined))),
    );
  }

  /** `subscribe(filter | filters | { filter: qos or options }, [options], [callback])`. */
  subscribe(topics: string | string[] | ISubscriptionMap, callback?: ClientSubscribeCallback): this;
  subscribe(topics: string | string[] | ISubscriptionMap, options?: SubscribeOptions, callback?: ClientSubscribeCallback): this;
  subscribe(topics: string | string[] | ISubscriptionMap, options?: SubscribeOptions | ClientSubscribeCallback, callback?: ClientSubscribeCallback): this {
    this.timing.during(() => subscribeWithCallback(this.client, this.timing, topics, options, callback));
    return this;
  }

  /** MQTT.js `subscribeAsync`: {@link MqttClient.subscribe} as a Promise of the grants. */
  subscribeAsync(topics: string | string[] | ISubscriptionMap, options?: SubscribeOptions): Promise<ISubscriptionGrant[]> {
    return new Promise((resolve, reject) =>
      this.subscribe(topics, options ?? {}, (error, granted) => (error ? reject(error) : resolve(granted ?? []))),
    );
  }

  /**
   * MQTT.js `unsubscribe(filter | filters, [options], [callback])`; `options.properties` are the
   * MQTT 5 UNSUBSCRIBE properties. The callback gets `null` on success, with the UNSUBACK.
   */
  unsubscribe(topics: string | string[], callback?: PacketCallback): this;
  unsubscribe(topics: string | string[], options?: IClientUnsubscribeProperties, callback?: PacketCallback): this;
  unsubscribe(topics: string | string[], options?: IClientUnsubscribeProperties | PacketCallback, callback?: PacketCallback): this {
    this.timing.during(() => unsubscribeWithCallback(this.client, this.timing, topics, options, callback as Callback<Packet | undefined> | undefined)); // null on success, as MQTT.js
    return this;
  }

  /** MQTT.js `unsubscribeAsync`: {@link MqttClient.unsubscribe} as a Promise of the UNSUBACK. */
  unsubscribeAsync(topics: string | string[], options?: IClientUnsubscribeProperties): Promise<Packet | undefined> {
    return new Promise((resolve, reject) =>
      this.unsubscribe(topics, options ?? {}, (error, packet) => (error ? reject(error) : resolve(packet))),
    );
  }

  /** `end([force], [options], [callback])`: the 'end' event, then the callback, as MQTT.js. */
  end(callback?: DoneCallback): this;
  end(force?: boolean, callback?: DoneCallback): this;
  end(options?: IClientEndOptions, callback?: DoneCallback): this;
  end(force?: boolean, options?: IClientEndOptions, callback?: DoneCallback): this;
  end(force?: boolean | IClientEndOptions | DoneCallback, options?: IClientEndOptions | DoneCallback, callback?: DoneCallback): this {
    const args = normaliseEnd(force, options, callback);
    // 'end' is announced once per ending, by the call that started it: a second end() while the
    // first is in progress (or after it) only gets its callback, as in MQTT.js.
    const { status } = this.state;
    const announce = status !== 'disconnecting' && status !== 'closed';
    void this.timing
      .during(() => this.client.end({ force: args.force, reasonCode: args.options.reasonCode, properties: args.options.properties }))
      .then((storeError) => {
        // MQTT.js's order: 'end', then the callback; a store's close() error goes to the callback,
        // never to 'end' listeners.
        if (announce) this.emit('end');
        args.callback?.(storeError);
      });
    return this;
  }

  /**
   * MQTT.js `endAsync([force], [options])`: {@link MqttClient.end} as a Promise, rejected with the
   * error of a store's `close()`, if any.
   */
  endAsync(options?: IClientEndOptions): Promise<void>;
  endAsync(force?: boolean, options?: IClientEndOptions): Promise<void>;
  endAsync(force?: boolean | IClientEndOptions, options?: IClientEndOptions): Promise<void> {
    // end() takes its arguments in any order: `force` may be the options.
    return new Promise((resolve, reject) => this.end(force as boolean, options ?? {}, (error) => (error ? reject(error) : resolve())));
  }

  /**
   * MQTT.js `removeOutgoingMessage(messageId)`: forgets the in-flight QoS 1/2 publish with that
   * packet id (its packet id becomes free again); its callback gets an `MqttError` of kind
   * 'ERR_MESSAGE_REMOVED', message 'Message removed'.
   */
  removeOutgoingMessage(messageId: number): this {
    this.timing.during(() => this.client.removeOutgoingMessage(messageId));
    return this;
  }

  /**
   * MQTT.js `reconnect([{ incomingStore, outgoingStore }])`, also after `end()`: with clean: false
   * the QoS 1/2 publishes left unacknowledged are resent at the CONNACK and their callbacks fire
   * on their acks. Without arguments the client keeps its stores (MQTT.js swaps in empty ones).
   */
  reconnect(opts?: IClientReconnectOptions): this {
    this.timing.during(() => this.client.reconnect(opts && { incomingStore: opts.incomingStore, outgoingStore: opts.outgoingStore }));
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
  reauthenticate(properties?: AuthProperties, callback?: (error?: Error | null, packet?: IAuthPacket) => void): this {
    this.timing.during(() => this.client.reauthenticate(properties)).then(
      (packet) => callback?.(null, packet),
      (error: Error) => (callback ? callback(error) : log('reauthenticate failed: %s', error.message)),
    );
    return this;
  }

  /** {@link MqttClient.reauthenticate} as a Promise of the broker's AUTH 0x00 (see {@link RxMqttClient.reauthenticate}). */
  reauthenticateAsync(properties?: AuthProperties): Promise<IAuthPacket> {
    return this.client.reauthenticate(properties);
  }

  /** MQTT.js `getLastMessageId()`: the last packet id given to a PUBLISH, SUBSCRIBE or UNSUBSCRIBE; null before the first. */
  getLastMessageId(): number | null {
    return this.client.getLastMessageId();
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
