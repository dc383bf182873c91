/**
 * The connection shell: the one place where sockets and timers meet the two pure machines. The
 * lifecycle machine (lifecycle.ts) decides, the session link (session-link.ts) runs the MQTT
 * session; this file executes their decisions with RxJS, composed per connection, not per message:
 *
 *   loop$    = defer(attempt).pipe(retryBackoff({ policy, onRetry, upFrom: 'firstValue' }))
 *   attempt  = beforeConnect -> transport -> CONNACK, under timeout({ first: connectTimeout })
 *   pings    = traffic signals -> keepalive({ intervalMs, reschedulePings })   (while connected)
 */
import { defer, Observable, Subject, Subscription, timeout, type SchedulerLike, type Subscriber } from 'rxjs';
import { keepalive, type KeepaliveSignal } from '../../operators/keepalive.js';
import { retryBackoff } from '../../operators/retryBackoff.js';
import { ClientClosedError, MqttError, TimeoutError } from '../errors.js';
import type { AckHolds } from '../inbound/ack-holds.js';
import { createLogger, customLogger, type Logger } from '../log.js';
import type { ResolvedOptions } from '../options/options.js';
import { incomingPacketLimit } from '../session/connect-properties.js';
import { platformScheduler } from '../platform/platform-scheduler.js';
import { createDecoder, type IConnackPacket } from '../protocol/codec.js';
import type { MqttSession } from '../session/session.js';
import type { AuthProperties } from '../session/types.js';
import { readStore } from '../stores/read-store.js';
import { failedTransport } from '../transport/failed.js';
import type { Transport, TransportFactory, TransportHandlers, TransportTarget } from '../transport/transport.js';
import type { AuthSettler } from './auth-flow.js';
import { fixedBackoff } from './backoff-policy.js';
import { runBeforeConnect } from './before-connect.js';
import type { ConnectionState } from './connection-state.js';
import { initialLifecycle, isEnding, publicState, step, type Effect, type Lifecycle, type LifecycleConfig, type LifecycleInput } from './lifecycle.js';
import type { ConnectionHooks, EndOptions, LinkHost, Settler } from './link-types.js';
import { redirectTarget } from './server-reference.js';
import { aborted, SessionLink, type CommandRequest } from './session-link.js';

export type { CommandRequest } from './session-link.js';
export type { ConnectionHooks, EndOptions, Settler } from './link-types.js';

const defaultLog = createLogger('conn');

/** How long a half-closed socket may linger after DISCONNECT before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

export class Connection implements LinkHost {
  private lifecycle: Lifecycle;
  private readonly config: LifecycleConfig;
  private readonly link: SessionLink;
  private readonly scheduler: SchedulerLike;
  private readonly log: Logger;
  private socket?: Transport;
  /** Increments per attempt and per close, so that late events of a dropped socket are ignored. */
  private gen = 0;
  private loop$?: Observable<void>;
  private loop?: Subscription;
  /** The current attempt in the loop: it emits at CONNACK and errors to ask the backoff for a delay. */
  private attempt?: Subscriber<void>;
  private signals?: Subject<KeepaliveSignal>;
  private pings?: Subscription;
  /** The end timeout, or the grace given to a half-closed socket. */
  private timer?: Subscription;
  private paused = false;
  /** Where the next transports connect, once `beforeConnect` or a Server Reference said so. */
  private target?: TransportTarget;
  private ending?: { promise: Promise<void>; resolve: () => void };

  constructor(
    private readonly options: ResolvedOptions,
    private readonly openTransport: TransportFactory,
    private readonly hooks: ConnectionHooks,
  ) {
    this.scheduler = options.scheduler ?? platformScheduler;
    this.log = options.log ? customLogger('conn', options.log) : defaultLog;
    this.config = { autoReconnect: options.reconnectPeriod > 0, reconnectOnConnackError: options.reconnectOnConnackError };
    this.lifecycle = initialLifecycle(!options.outgoingStore);
    this.link = new SessionLink(options, hooks, this, this.scheduler, this.log);
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
    this.run({ type: 'start' });
  }

  /** Hands a command to the session; `settler` is called once when it completes or fails. */
  submit(request: CommandRequest, settler: Settler): void {
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

  /** Drops the current connection (if any) and connects again at once. */
  reconnect(): void {
    this.run({ type: 'reconnect' });
  }

  /** Ends the client: waits for in-flight acks (unless forced), sends DISCONNECT, closes. */
  end(options: EndOptions = {}): Promise<void> {
    if (this.lifecycle.phase.status === 'closed') return Promise.resolve();
    if (this.ending && isEnding(this.lifecycle)) return this.ending.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.ending = { promise, resolve };
    this.run({ type: 'end', force: options.force === true, request: { reasonCode: options.reasonCode, properties: options.properties } });
    return promise;
  }

  private refusal(): ClientClosedError | undefined {
    if (!isEnding(this.lifecycle)) return undefined;
    return new ClientClosedError(this.currentState.status === 'closed' ? 'Client is closed' : 'Client is disconnecting');
  }

  /** One lifecycle step. A `guard` effect stops the rest when a listener (end(), reconnect()) took over. */
  private run(input: LifecycleInput): void {
    const { state, effects } = step(this.lifecycle, input, this.config);
    this.lifecycle = state;
    let guarded = false;
    for (const effect of effects) {
      if (effect.type === 'guard') guarded ||= this.lifecycle !== state;
      else if (!guarded || effect.type === 'ended') this.execute(effect);
    }
  }

  private execute(effect: Effect): void {
    switch (effect.type) {
      case 'state':
        return this.hooks.onState(publicState(this.lifecycle));
      case 'event':
        if (effect.event.type === 'error') this.log('connection error: %s', effect.event.error.message);
        return this.hooks.onEvent(effect.event);
      case 'input':
        return this.run(effect.input);
      case 'guard':
        return;
      case 'readStore':
        return readStore(this.options.outgoingStore!, (packets, error) => {
          if (error) this.hooks.onEvent({ type: 'error', error });
          if (packets.length > 0) this.link.step({ type: 'restore', packets: packets as never });
          this.run({ type: 'storeRead' });
        });
      case 'connect':
        return this.connectLoop();
      case 'stopConnecting':
        this.loop?.unsubscribe();
        this.loop = undefined;
        return;
      case 'backoff':
        // retryBackoff answers synchronously: onRetry ('retrying'), or the loop's error ('gaveUp').
        if (this.attempt) return this.attempt.error(effect.cause);
        return this.run({ type: 'retrying', delayMs: 0 });
      case 'openTransport':
        return this.open();
      case 'destroyTransport':
        if (effect.flush) this.link.flush();
        return this.socket?.destroy();
      case 'closeLink':
        return this.closeLink();
      case 'lost':
        return this.link.lost(effect.cause);
      case 'abortCommands':
        return this.link.step({ type: 'abort', error: aborted() });
      case 'sendDisconnect':
        this.timer?.unsubscribe();
        return this.link.step({ type: 'disconnect', ...effect.request });
      case 'startEndTimer':
        this.timer?.unsubscribe();
        this.timer = this.scheduler.schedule(() => this.run({ type: 'drained' }), this.options.endTimeout);
        return;
      case 'checkDrained':
        return this.stepped();
      case 'startKeepalive':
        return this.connected(effect.connack);
      case 'stopTimers':
        return this.stopTimers();
      case 'ended': {
        const ending = this.ending;
        this.ending = undefined;
        return ending?.resolve();
      }
      default: {
        const unexpected: never = effect;
        throw new Error(`unhandled lifecycle effect ${JSON.stringify(unexpected)}`);
      }
    }
  }

  /** A fresh reconnect loop: its backoff count starts at zero. */
  private connectLoop(): void {
    this.loop?.unsubscribe();
    const loop = (this.loop = new Subscription());
    const policy = this.options.reconnect ?? fixedBackoff(this.options.reconnectPeriod);
    this.loop$ ??= defer(() => this.attempt$()).pipe(
      retryBackoff({ ...policy, scheduler: this.scheduler, upFrom: 'firstValue', onRetry: ({ delayMs }) => this.run({ type: 'retrying', delayMs }) }),
    );
    // A stop during the first attempt (a socket that fails at once) closes `loop` first: add() then unsubscribes.
    loop.add(this.loop$.subscribe({ error: (cause: Error) => this.run({ type: 'gaveUp', error: exhausted(policy.maxAttempts, cause) }) }));
  }

  /** One attempt: emits at CONNACK; errors when the lifecycle asks the backoff for a delay. */
  private attempt$(): Observable<void> {
    const connectTimeout = this.options.connectTimeout;
    return new Observable<void>((subscriber) => this.attach(subscriber, { type: 'attempt' })).pipe(
      timeout({
        first: connectTimeout,
        scheduler: this.scheduler,
        // Past the deadline the same attempt goes on under the lifecycle's timeout handling.
        with: () => new Observable<void>((subscriber) =>
          this.attach(subscriber, { type: 'connectTimedOut', error: new TimeoutError('ERR_CONNECT_TIMEOUT', `No CONNACK within ${connectTimeout} ms`) })),
      }),
    );
  }

  private attach(subscriber: Subscriber<void>, input: LifecycleInput): () => void {
    this.attempt = subscriber;
    this.run(input);
    return () => void (this.attempt === subscriber && (this.attempt = undefined));
  }

  /** `beforeConnect` (if any), then a transport. */
  private open(): void {
    const generation = ++this.gen;
    const hook = this.options.beforeConnect;
    if (!hook) return this.connectTransport(generation);
    const context = { attempt: this.lifecycle.attempt, cause: this.lifecycle.lastCause };
    runBeforeConnect(
      hook,
      context,
      ({ username, password, server }) => {
        // end() or reconnect() while the hook ran: this attempt is abandoned.
        if (generation !== this.gen || isEnding(this.lifecycle)) return;
        if (username !== undefined || password !== undefined) this.link.step({ type: 'configure', username, password });
        if (server) this.target = server;
        this.connectTransport(generation);
      },
      (error) => generation === this.gen && this.run({ type: 'attemptFailed', error }),
    );
  }

  private connectTransport(generation: number): void {
    const { options, link } = this;
    const live = () => generation === this.gen;
    const decoder = createDecoder(
      options.protocolVersion,
      (packet) => live() && link.received(packet),
      (error) => live() && this.socket && link.step({ type: 'malformed', error }),
      incomingPacketLimit(options),
    );
    const handlers: TransportHandlers = {
      onOpen: () => live() && link.step({ type: 'open' }),
      onData: (chunk) => live() && decoder.push(chunk),
      onClose: (error) => live() && this.run({ type: 'transportClosed', error }),
    };
    let socket: Transport;
    try {
      socket = this.openTransport(handlers, this.target);
    } catch (error) {
      // Reported a microtask later, as a socket's own error: see failedTransport.
      socket = failedTransport(error as Error, handlers);
    }
    // A transport that failed while being created has already been handled as closed.
    if (!live()) return;
    this.socket = socket;
    this.run({ type: 'transportCreated' });
  }

  /** CONNACK: the attempt counts as up, and the keepalive starts with the broker's interval. */
  private connected(connack: IConnackPacket): void {
    this.attempt?.next();
    this.startKeepalive(connack.properties?.serverKeepAlive ?? this.options.keepalive);
    this.applyPause();
  }

  private startKeepalive(seconds: number): void {
    this.pings?.unsubscribe();
    if (seconds <= 0) return; // [MQTT-3.1.2-10] a Keep Alive of 0 turns the mechanism off
    const intervalMs = seconds * 1000;
    this.pings = (this.signals ??= new Subject()).pipe(keepalive({ intervalMs, reschedulePings: this.options.reschedulePings, scheduler: this.scheduler })).subscribe({
      next: () => this.link.step({ type: 'pingDue' }),
      error: (error: MqttError) => {
        // While the socket is paused (a slow handleMessage, unacknowledged manual-ack messages, a
        // full iterator), PINGRESPs wait unread in it: their absence proves nothing. Keep pinging
        // on time instead, so that the broker, which only needs to hear from us within 1.5
        // keepalive periods, keeps us [MQTT-3.1.2-24].
        if (!this.paused) return this.run({ type: 'drop', error });
        this.startKeepalive(seconds);
        this.link.step({ type: 'pingDue' });
      },
    });
  }

  private stopTimers(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.pings?.unsubscribe();
    this.pings = undefined;
  }

  /** The socket is gone: its timers stop, its unwritten bytes are lost, the session hears of it. */
  private closeLink(): void {
    this.gen++;
    this.socket = undefined;
    this.paused = false;
    this.stopTimers();
    this.link.closed(isEnding(this.lifecycle));
  }

  // LinkHost: what the session link asks of the shell.

  advance(input: LifecycleInput): void {
    this.run(input);
  }

  transport(): Transport | undefined {
    return this.socket;
  }

  closeTransport(): void {
    const socket = this.socket;
    if (!socket) return;
    this.link.flush();
    socket.end();
    // A broker should close its side after DISCONNECT; do not let one that doesn't keep us open.
    this.timer?.unsubscribe();
    this.timer = this.scheduler.schedule(() => socket.destroy(), CLOSE_GRACE_MS);
  }

  redirect(reasonCode: number | undefined, reference: string | undefined): void {
    const server = redirectTarget(this.options, reasonCode, reference);
    if (!server) return;
    this.log('redirected by the broker (reason 0x%s) to %s:%d', (reasonCode ?? 0).toString(16), server.host, server.port);
    this.target = server;
  }

  pong(): void {
    this.signals?.next('pong');
  }

  wrote(): void {
    this.signals?.next('sent');
  }

  /** Reading pauses while a delivery holds it, and only on a connected socket: a CONNACK must always be read. */
  applyPause(): void {
    const pause = this.link.deliveries.readingHeld && this.link.session.status === 'connected';
    if (pause === this.paused || !this.socket) return;
    this.paused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  stepped(): void {
    const phase = this.lifecycle.phase;
    if (phase.status !== 'disconnecting' || phase.sent) return;
    if (this.link.session.inflightCount === 0 && this.link.session.pendingCount === 0) this.run({ type: 'drained' });
  }

  generation(): number {
    return this.gen;
  }
}

function exhausted(attempts: number, cause: Error): MqttError {
  return new MqttError('ERR_RECONNECT_EXHAUSTED', `Gave up reconnecting after ${attempts} attempts: ${cause.message}`, { cause });
}
