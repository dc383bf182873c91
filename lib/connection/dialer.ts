/**
 * The IO half of the connection shell: it dials brokers and keeps the socket of the moment. Built
 * from the exported operators, per connection and not per message:
 *
 *   loop$   = defer(attempt$).pipe(retryBackoff({ policy, upFrom: 'firstValue', onRetry }))
 *   attempt$ = beforeConnect -> transport -> CONNACK; its handshake signal under timeout({ first: connectTimeout })
 *   pings   = traffic signals.pipe(keepalive({ intervalMs, reschedulePings }))   while connected (heartbeat.ts)
 *
 * It decides nothing: every event goes to the lifecycle machine through `advance`, and the
 * machine's effects come back as calls (connect, askBackoff, destroy, closed...).
 */
import { defer, Observable, Subscription, type SchedulerLike, type Subject, type Subscriber } from 'rxjs';
import { retryBackoff } from '../../operators/retryBackoff.js';
import { MqttError, TimeoutError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ResolvedOptions } from '../options/options.js';
import { failedTransport } from '../transport/failed.js';
import type { Transport, TransportFactory, TransportTarget } from '../transport/transport.js';
import { fixedBackoff } from './backoff-policy.js';
import { connectDeadline } from './connect-deadline.js';
import { Heartbeat, type HeartbeatHost } from './heartbeat.js';
import { runBeforeConnect, type BeforeConnectContext } from './before-connect.js';
import type { LifecycleInput } from './lifecycle.js';
import { redirectTarget } from './server-reference.js';
import type { LifecycleDriver, LinkHost } from './link-types.js';
import type { SessionLink } from './session-link.js';
import { OptionCredentials } from './option-credentials.js';
import { LoopEnd } from './loop-end.js';
import { Wire, type WireHost } from './wire.js';

/** How long a half-closed socket may linger after DISCONNECT before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

/** Also the session link's host: what the link asks of the IO side comes straight here. */
export class Dialer implements LinkHost, HeartbeatHost, WireHost {
  /** Set once by the connection, right after it made the link (the link needs this dialer first). */
  link!: SessionLink;
  private socket?: Transport;
  /** Increments per attempt and per close, so that late events of a dropped socket are ignored. */
  private gen = 0;
  private loop?: Subscription;
  /** Counts connect() and stop() calls, so a stop during a loop's first, synchronous attempt is seen. */
  private loopRun = 0;
  private loopEnd?: LoopEnd;
  /** The current attempt in the loop: it emits at CONNACK and errors to ask the backoff for a delay. */
  private attempt?: Subscriber<void>;
  /** Completes at CONNACK (or with its attempt); the connect timeout watches it. */
  private handshake?: Subject<void>;
  private heartbeat?: Heartbeat;
  /** One timer slot: the end timeout, then the grace given to a half-closed socket. */
  private timer?: Subscription;
  private paused = false;
  /** Where the next sockets connect, once `beforeConnect` or a Server Reference said so. */
  private target?: TransportTarget;
  private readonly credentials: OptionCredentials;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly openTransport: TransportFactory,
    private readonly scheduler: SchedulerLike,
    /** The connection: it steps the lifecycle machine. */
    private readonly driver: LifecycleDriver,
    private readonly log: Logger,
  ) {
    this.credentials = new OptionCredentials(options);
  }

  advance(input: LifecycleInput): void {
    this.driver.advance(input);
  }

  /** After every session step (the connection checks whether end() may DISCONNECT now). */
  stepped(): void {
    this.driver.stepped();
  }

  transport(): Transport | undefined {
    return this.socket;
  }

  hasTransport(): boolean {
    return this.socket !== undefined;
  }

  /** The outbox's sink: a batch of bytes for the current socket (none: the bytes are lost). */
  write(bytes: Buffer): void {
    this.socket?.write(bytes);
  }

  writev(chunks: Buffer[]): void {
    const socket = this.socket;
    if (socket) socket.writev ? socket.writev(chunks) : socket.write(Buffer.concat(chunks));
  }

  /** The socket of the current attempt is open: the options' credentials carry over, the CONNECT may go. */
  opened(): void {
    this.credentials.carryOver(this.link);
    this.link.step({ type: 'open' });
  }

  generation(): number {
    return this.gen;
  }

  /** A fresh reconnect loop: its backoff count starts at zero; its first attempt starts now. */
  connect(): void {
    this.stop();
    const run = this.loopRun;
    const policy = this.options.reconnect ?? fixedBackoff(this.options.reconnectPeriod);
    // Built per loop, not kept: the subscription holds what it needs, and an idle client does not
    // keep the Observables and the operator's closure besides (about 0.2 KB).
    const loop$ = defer(() => this.attempt$()).pipe(
      retryBackoff({ ...policy, scheduler: this.scheduler, upFrom: 'firstValue', onRetry: ({ delayMs }) => this.advance({ type: 'retrying', delayMs }) }),
    );
    const loop = loop$.subscribe((this.loopEnd ??= new LoopEnd(this, policy.maxAttempts)));
    // A stop (or a new loop) during the first attempt, which runs inside subscribe(): this loop is over.
    if (run === this.loopRun) this.loop = loop;
    else loop.unsubscribe();
  }

  /** No retry is pending any more; an attempt under way is abandoned. */
  stop(): void {
    this.loopRun++;
    this.loop?.unsubscribe();
    this.loop = undefined;
    this.endAttempt();
  }

  /** retryBackoff answers at once: its onRetry ('retrying'), or the loop's error ('gaveUp'). */
  askBackoff(cause: Error): void {
    const attempt = this.attempt;
    if (!attempt) return this.advance({ type: 'retrying', delayMs: 0 });
    this.endAttempt();
    attempt.error(cause);
  }

  /**
   * One attempt: emits at CONNACK; errors when the lifecycle asks the backoff for a delay. It has
   * no teardown: `askBackoff` and `stop` end it themselves (one teardown fewer per idle client).
   */
  private attempt$(): Observable<void> {
    return new Observable<void>((subscriber) => {
      this.attempt = subscriber;
      this.startDeadline();
      this.advance({ type: 'attempt' });
    });
  }

  private endAttempt(): void {
    this.attempt = undefined;
    this.handshake?.complete();
    this.handshake = undefined;
  }

  /** The connect timeout (connect-deadline.ts): a CONNACK in time completes the handshake signal first. */
  private startDeadline(): void {
    const connectTimeout = this.options.connectTimeout;
    this.handshake = connectDeadline(connectTimeout, this.scheduler, (handshake) => {
      if (this.handshake === handshake) this.advance({ type: 'connectTimedOut', error: new TimeoutError('ERR_CONNECT_TIMEOUT', 'connack timeout', connectTimeout) });
    });
  }

  /** `beforeConnect` (if any), then a socket. */
  open(context: BeforeConnectContext, ending: () => boolean): void {
    const generation = ++this.gen;
    const hook = this.options.beforeConnect;
    if (!hook) return this.connectTransport(generation);
    runBeforeConnect(
      hook,
      context,
      ({ username, password, server }) => {
        // end(), reconnect() or a lost network while the hook ran: this attempt is abandoned.
        if (generation !== this.gen || ending() || !this.attempt) return;
        if (username !== undefined || password !== undefined) this.link.step({ type: 'configure', username, password });
        if (server) this.target = server;
        this.connectTransport(generation);
      },
      (error) => generation === this.gen && this.advance({ type: 'attemptFailed', error }),
    );
  }

  private connectTransport(generation: number): void {
    const handlers = new Wire(this, generation, this.options);
    let socket: Transport;
    try {
      socket = this.openTransport(handlers, this.target);
    } catch (error) {
      // Reported a microtask later, as a socket's own error: see failedTransport.
      socket = failedTransport(error as Error, handlers);
    }
    // A transport that failed while being created has already been handled as closed.
    if (generation !== this.gen) return;
    this.socket = socket;
    this.advance({ type: 'transportCreated' });
  }

  /** CONNACK: the attempt counts as up, and the keepalive starts with `seconds` (the broker's, if it set one). */
  connected(seconds: number): void {
    const handshake = this.handshake;
    this.handshake = undefined;
    handshake?.complete();
    this.attempt?.next();
    this.startKeepalive(seconds);
    this.applyPause();
  }

  private startKeepalive(seconds: number): void {
    this.heartbeat ??= new Heartbeat(this, this.options.reschedulePings, this.scheduler);
    this.heartbeat.start(seconds);
  }

  pingDue(): void {
    this.link.step({ type: 'pingDue' });
  }

  /**
   * No PINGRESP in time. While the socket is paused (a slow handleMessage, unacknowledged
   * manual-ack messages, a full iterator), PINGRESPs wait unread in it: their absence proves
   * nothing. Keep pinging on time instead, so that the broker, which only needs to hear from us
   * within 1.5 keepalive periods, keeps us [MQTT-3.1.2-24].
   */
  pingTimedOut(error: MqttError, seconds: number): void {
    if (!this.paused) return this.advance({ type: 'drop', error });
    this.startKeepalive(seconds);
    this.link.step({ type: 'pingDue' });
  }

  /** A PINGRESP arrived: only it proves the broker alive. */
  pong(): void {
    this.heartbeat?.pong();
    this.advance({ type: 'pingAnswered' });
  }

  /** Bytes went out: the keepalive interval starts again (with `reschedulePings`). */
  wrote(): void {
    this.heartbeat?.wrote();
  }

  /** The page woke up: the keepalive checks the socket now instead of an interval later. */
  probe(): void {
    this.heartbeat?.probe();
  }

  /** Fills the one timer slot (replacing what was there). */
  setTimer(action: () => void, ms: number): void {
    this.timer?.unsubscribe();
    this.timer = this.scheduler.schedule(action, ms);
  }

  clearTimer(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  stopTimers(): void {
    this.clearTimer();
    this.heartbeat?.stop();
  }

  destroy(flush: boolean): void {
    if (flush) this.link.flush();
    this.socket?.destroy();
  }

  /** Half-close after a DISCONNECT; a broker that does not close its side is not waited for long. */
  closeTransport(): void {
    const socket = this.socket;
    if (!socket) return;
    this.link.flush();
    socket.end();
    this.setTimer(() => socket.destroy(), CLOSE_GRACE_MS);
  }

  /** The socket is gone: its timers stop, its unwritten bytes are lost, the session hears of it. */
  closed(ending: boolean): void {
    this.gen++;
    this.socket = undefined;
    this.paused = false;
    this.stopTimers();
    this.link.closed(ending);
  }

  /** MQTT 5 4.11: a Server Reference the user lets us follow picks the broker of the next attempts. */
  redirect(reasonCode: number | undefined, reference: string | undefined): void {
    const server = redirectTarget(this.options, reasonCode, reference);
    if (!server) return;
    this.log('redirected by the broker (reason 0x%s) to %s:%d', (reasonCode ?? 0).toString(16), server.host, server.port);
    this.target = server;
  }

  /** Reading pauses while a delivery holds it, and only on a connected socket: a CONNACK must always be read. */
  applyPause(): void {
    const pause = this.link.readingHeld && this.link.session.status === 'connected';
    if (pause === this.paused || !this.socket) return;
    this.paused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }
}
