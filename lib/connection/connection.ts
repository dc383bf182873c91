/**
 * The connection shell: the one place where the two pure machines meet IO. The lifecycle machine
 * (lifecycle.ts) decides what the connection does, the session link (session-link.ts) runs the
 * MQTT session, and the dialer (dialer.ts) does the IO with RxJS composed from the exported
 * operators: retryBackoff for the reconnect loop, timeout for the connect timeout, keepalive per
 * connection. This class routes between them and is what the Observable client talks to.
 */
import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import { ClientClosedError, MqttError } from '../errors.js';
import type { AckHolds } from '../inbound/ack-holds.js';
import { createLogger, customLogger, type Logger } from '../log.js';
import { connectOptionsError, type ResolvedOptions } from '../options/options.js';
import { pageLifecycle, type PageSignal } from '../platform/page-lifecycle.js';
import { platformScheduler } from '../platform/platform-scheduler.js';
import type { MqttSession } from '../session/session.js';
import type { AuthProperties } from '../session/types.js';
import { closeStores } from '../stores/close-stores.js';
import { readStore } from '../stores/read-store.js';
import type { IStore, StorePacket } from '../stores/store.js';
import type { TransportFactory } from '../transport/transport.js';
import type { AuthSettler } from './auth-flow.js';
import type { ConnectionState } from './connection-state.js';
import { Dialer } from './dialer.js';
import { initialLifecycle, isEnding, publicState, step, type Effect, type Lifecycle, type LifecycleConfig, type LifecycleInput } from './lifecycle.js';
import type { ConnectionHooks, EndOptions, LifecycleDriver, Settler } from './link-types.js';
import { aborted, SessionLink } from './session-link.js';
import type { CommandRequest } from './link-types.js';

export type { CommandRequest } from './link-types.js';
export type { ConnectionHooks, EndOptions, Settler } from './link-types.js';

/** The stores `reconnect()` may bring (MQTT.js `IClientReconnectOptions`). */
export type ReconnectStores = Pick<ResolvedOptions, 'incomingStore' | 'outgoingStore'>;

const defaultLog = createLogger('conn');

/** The four lifecycle configurations, shared by every client (the machine only reads them). */
const CONFIGS: readonly (readonly LifecycleConfig[])[] = [false, true].map((autoReconnect) =>
  [false, true].map((reconnectOnConnackError) => Object.freeze({ autoReconnect, reconnectOnConnackError })),
);

export class Connection implements LifecycleDriver {
  private lifecycle: Lifecycle;
  private readonly config: LifecycleConfig;
  private readonly link: SessionLink;
  private readonly dialer: Dialer;
  private readonly log: Logger;
  private ending?: { promise: Promise<Error | undefined>; resolve: (storeError?: Error) => void };
  /** The keepalive every CONNECT asks for (the MQTT.js facade rewrites `options.keepalive` to the one in use). */
  private readonly keepalive: number;
  /** The browser's network and page events (`watchNetwork`), watched from the first connect until end(). */
  private readonly pageSignals?: Observable<PageSignal>;
  private pageWatch?: Subscription;

  constructor(
    private readonly options: ResolvedOptions,
    openTransport: TransportFactory,
    private readonly hooks: ConnectionHooks,
  ) {
    const scheduler: SchedulerLike = options.scheduler ?? platformScheduler;
    this.log = options.log ? customLogger('conn', options.log) : defaultLog;
    this.keepalive = options.keepalive;
    this.config = CONFIGS[options.reconnectPeriod > 0 ? 1 : 0][options.reconnectOnConnackError ? 1 : 0];
    this.lifecycle = initialLifecycle(!options.outgoingStore && !options.incomingStore);
    this.dialer = new Dialer(options, openTransport, scheduler, this, this.log);
    this.link = new SessionLink(options, hooks, this.dialer, scheduler, this.log);
    this.dialer.link = this.link;
    if (options.watchNetwork !== false) this.pageSignals = pageLifecycle();
  }

  get session(): MqttSession {
    return this.link.session;
  }

  /** Deliveries held by manual-ack streams (`topic(f, { ack: 'manual' })`). */
  get holds(): AckHolds {
    return this.link.deliveries.holds;
  }

  get currentState(): ConnectionState {
    return publicState(this.lifecycle);
  }

  /** Opens the first connection (or the next one after `offline`/`closed`). */
  start(): void {
    // Options no CONNECT can be built from end the client and are reported on 'error', as MQTT.js does.
    const invalid = connectOptionsError(this.options);
    if (invalid) return void this.end({ force: true }).then(() => this.hooks.onEvent({ type: 'error', error: invalid }));
    this.run({ type: 'start' });
  }

  /** Hands a command to the session; `settler` is called once when it completes or fails. */
  submit(request: CommandRequest, settler: Settler): void {
    this.hooks.beforeCommand?.();
    const refusal = this.refusal();
    if (refusal) return void queueMicrotask(() => settler.reject(refusal));
    this.link.submit(request, settler);
  }

  /** MQTT 5 re-authentication (AUTH 0x19); settles with the server's AUTH 0x00, or an AuthError. */
  reauthenticate(properties: AuthProperties | undefined, settler: AuthSettler): void {
    // end() is about to DISCONNECT: an exchange started now could only be interrupted.
    const refusal = this.refusal();
    if (refusal) return void queueMicrotask(() => settler.reject(refusal));
    this.link.reauthenticate(properties, settler);
  }

  /** Stops reading the socket while any `key` holds it (`held` true), reads again once none does. */
  holdReading(key: unknown, held: boolean): void {
    this.link.deliveries.hold(key, held);
  }

  removeOutgoing(messageId: number): void {
    this.link.step({ type: 'removeOutgoing', messageId });
  }

  /**
   * Drops the current connection (if any) and connects again at once. `stores` (MQTT.js
   * `reconnect({ incomingStore, outgoingStore })`) replace the client's; when they are other
   * stores, their packets join the session before the CONNECT, as a store's do at the first start.
   * The session itself (what is in flight, with its callers) carries over either way.
   */
  reconnect(stores?: ReconnectStores): void {
    this.run({ type: 'reconnect', readStores: stores !== undefined && this.useStores(stores) });
  }

  /** Whether `stores` differ from the client's (and now replace them). */
  private useStores({ incomingStore, outgoingStore }: ReconnectStores): boolean {
    const options = this.options;
    if (incomingStore === options.incomingStore && outgoingStore === options.outgoingStore) return false;
    // The options object is what the store mirror writes to and the store read reads from.
    options.incomingStore = incomingStore;
    options.outgoingStore = outgoingStore;
    return true;
  }

  /**
   * Ends the client: waits for in-flight acks (unless forced), sends DISCONNECT, closes, then
   * closes the stores; resolves with the error a store's close() gave, if any. With clean: false
   * the QoS 1/2 publishes still unacknowledged stay in the session for reconnect().
   */
  end(options: EndOptions = {}): Promise<Error | undefined> {
    if (this.lifecycle.phase.status === 'closed') return Promise.resolve(undefined);
    if (this.ending && isEnding(this.lifecycle)) return this.ending.promise;
    let resolve!: (storeError?: Error) => void;
    const promise = new Promise<Error | undefined>((r) => (resolve = r));
    this.ending = { promise, resolve };
    this.run({ type: 'end', force: options.force === true, request: { reasonCode: options.reasonCode, properties: options.properties } });
    return promise;
  }

  private refusal(): ClientClosedError | undefined {
    if (!isEnding(this.lifecycle)) return undefined;
    // MQTT.js's text for a call after end(), whether the ending is over or not (`kind` is the same).
    return new ClientClosedError('client disconnecting');
  }

  /**
   * One lifecycle step, its effects executed in order. Past a `guard`, the effects run only if no
   * listener (one that called end() or reconnect()) changed the state meanwhile; `ended` always runs.
   */
  private run(input: LifecycleInput): void {
    const { state, effects } = step(this.lifecycle, input, this.config);
    this.lifecycle = state;
    let guarded = false;
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i];
      if (effect.type === 'guard') guarded ||= this.lifecycle !== state;
      else if (!guarded || effect.type === 'ended') this.execute(effect);
    }
  }

  /** A store's packets (none without a store); a read error is reported, and what was read is used. */
  private readStore(store: IStore | undefined, done: (packets: StorePacket[]) => void): void {
    if (!store) return done([]);
    readStore(store, (packets, error) => {
      if (error) this.hooks.onEvent({ type: 'error', error });
      done(packets);
    });
  }

  /** Restores what the stores hold into the session, then tells the lifecycle the read is done. */
  private readStores(): void {
    const { outgoingStore, incomingStore } = this.options;
    this.readStore(outgoingStore, (outgoing) =>
      this.readStore(incomingStore, (incoming) => {
        this.link.restore(outgoing as never, incoming as never);
        // reconnect() brought other stores while these were read: they are read too.
        if (this.options.outgoingStore !== outgoingStore || this.options.incomingStore !== incomingStore) return this.readStores();
        this.run({ type: 'storeRead' });
      }),
    );
  }

  private execute(effect: Exclude<Effect, { type: 'guard' }>): void {
    const { dialer, link } = this;
    switch (effect.type) {
      case 'state':
        return this.hooks.onState(publicState(this.lifecycle));
      case 'event':
        if (effect.event.type === 'error') this.log('connection error: %s', effect.event.error.message);
        return this.hooks.onEvent(effect.event);
      case 'input':
        return this.run(effect.input);
      case 'readStore':
        return this.readStores();
      case 'connect':
        this.watchPage();
        return dialer.connect();
      case 'stopConnecting':
        return dialer.stop();
      case 'backoff':
        return dialer.askBackoff(effect.cause);
      case 'openTransport':
        return dialer.open({ attempt: this.lifecycle.attempt, cause: this.lifecycle.lastCause }, () => isEnding(this.lifecycle));
      case 'destroyTransport':
        return dialer.destroy(effect.flush);
      case 'closeLink':
        return dialer.closed(isEnding(this.lifecycle));
      case 'lost':
        return link.lost(effect.cause);
      case 'abortCommands':
        return link.step({ type: 'abort', error: aborted() });
      case 'sendDisconnect':
        dialer.clearTimer();
        return link.step({ type: 'disconnect', ...effect.request });
      case 'startEndTimer':
        return dialer.setTimer(() => this.run({ type: 'drained' }), this.options.endTimeout);
      case 'checkDrained':
        return this.stepped(false);
      case 'startKeepalive':
        // [MQTT-3.2.2-21] the broker's Server Keep Alive, if it sent one, over the one CONNECT asked for.
        return dialer.connected(effect.connack.properties?.serverKeepAlive ?? this.keepalive);
      case 'probe':
        return dialer.probe();
      case 'stopTimers':
        return dialer.stopTimers();
      case 'ended': {
        const ending = this.ending;
        this.ending = undefined;
        this.pageWatch?.unsubscribe();
        this.pageWatch = undefined;
        // MQTT.js closes both stores at the end of every end(); their error goes to its callback.
        return closeStores(this.options, (storeError) => ending?.resolve(storeError));
      }
      default: {
        const unexpected: never = effect;
        throw new Error(`unhandled lifecycle effect ${JSON.stringify(unexpected)}`);
      }
    }
  }

  /** Feeds the page's signals to the lifecycle machine while the client is not ended (no-op in Node). */
  private watchPage(): void {
    if (this.pageWatch || !this.pageSignals) return;
    this.pageWatch = this.pageSignals.subscribe((signal) => {
      this.log('page: %s', signal);
      if (signal !== 'networkLost') return this.run({ type: signal });
      this.run({ type: 'networkLost', cause: new MqttError('ERR_NETWORK_OFFLINE', 'The network went offline') });
    });
  }

  /** The dialer's and the session link's lifecycle inputs. */
  advance(input: LifecycleInput): void {
    this.run(input);
  }

  /**
   * After every session step (`acked`; or when end() starts): with end() under way, DISCONNECT
   * once nothing is in flight, announced as 'outgoingEmpty' when end() had to wait for it.
   */
  stepped(acked = true): void {
    const phase = this.lifecycle.phase;
    if (phase.status !== 'disconnecting' || phase.sent) return;
    if (this.link.session.inflightCount !== 0 || this.link.session.pendingCount !== 0) return;
    if (acked) this.hooks.onEvent({ type: 'outgoingEmpty' });
    this.run({ type: 'drained' });
  }
}
