import { asyncScheduler, Observable } from 'rxjs';
import type { Observer, OperatorFunction, SchedulerAction, SchedulerLike, Subscriber, Subscription, Unsubscribable } from 'rxjs';
import { InvalidArgumentError, TimeoutError } from '../lib/errors.js';
import { reportAsSubscriberError } from '../lib/platform/report-unhandled.js';

/**
 * What the connection tells `keepalive`: `'sent'` = any packet was written, `'pong'` = a PINGRESP
 * arrived, `'probe'` = check the connection now (ping at once, as if the interval had passed).
 */
export type KeepaliveSignal = 'sent' | 'pong' | 'probe';

/** The configuration of `keepalive`: the interval, the PINGRESP timeout, the rescheduling policy and the scheduler. */
export interface KeepaliveConfig {
  /**
   * The keepalive interval in milliseconds: a ping is due after this long without sending
   * anything. 0 disables keepalive.
   */
  intervalMs: number;
  /**
   * How long to wait for the PINGRESP after a ping before failing.
   * @default intervalMs
   */
  timeoutMs?: number;
  /**
   * Whether every sent packet postpones the next ping (MQTT.js `reschedulePings`). When `false`,
   * pings are due every `intervalMs` whatever else is sent.
   * @default true
   */
  reschedulePings?: boolean;
  /**
   * The scheduler that times pings and timeouts.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Tells the connection when to send a PINGREQ, and fails when the PINGRESP does not come.
 *
 * The source reports traffic: `'sent'` whenever the client writes a packet (including the
 * PINGREQ written for an emitted `'ping'`), `'pong'` when a PINGRESP arrives. The result emits
 * `'ping'` after `intervalMs` without a `'sent'`, then errors with a `TimeoutError` whose kind is
 * `ERR_KEEPALIVE_TIMEOUT` unless a `'pong'` arrives within `timeoutMs`. Only `'pong'` stops that
 * timeout; the `'sent'` echoing the ping restarts the interval. A `'probe'` pings at once (a page
 * that woke from a freeze learns within `timeoutMs` whether its socket survived, not an interval
 * later); it is ignored while a PINGRESP is awaited, and when `intervalMs` is 0. Completes with
 * the source.
 *
 * ```
 * intervalMs = 3, timeoutMs = 2
 * source: --s---p-------
 * result: -----P--P-#
 *
 * source: -x----
 * result: -P-#
 * ```
 * (`s` = 'sent', `p` = 'pong', `x` = 'probe', `P` = 'ping', `#` = ERR_KEEPALIVE_TIMEOUT; pings not echoed as 'sent' here)
 *
 * @example
 * const signals = new Subject<KeepaliveSignal>();
 * signals.pipe(keepalive({ intervalMs: 60_000 })).subscribe({
 *   next: () => writePacket({ cmd: 'pingreq' }), // the writer reports signals.next('sent')
 *   error: (err) => closeConnection(err),        // err.kind === 'ERR_KEEPALIVE_TIMEOUT'
 * });
 *
 * @param config Interval, timeout, rescheduling policy and scheduler; see `KeepaliveConfig`.
 * @returns An operator turning traffic signals into `'ping'` requests.
 * @throws InvalidArgumentError when `intervalMs` or `timeoutMs` is not a non-negative finite number.
 */
export function keepalive(config: KeepaliveConfig): OperatorFunction<KeepaliveSignal, 'ping'> {
  const { intervalMs, timeoutMs = intervalMs, reschedulePings = true, scheduler = asyncScheduler } = config;
  checkDuration('intervalMs', intervalMs);
  checkDuration('timeoutMs', timeoutMs);

  return (source) =>
    new Observable<'ping'>((subscriber) => {
      const pinger = new Pinger(subscriber, scheduler, reschedulePings, intervalMs, timeoutMs);
      pinger.upstream = source.subscribe(pinger);
      return pinger;
    });
}

/**
 * One `keepalive` subscription, which the client runs per connection: the source's observer, the
 * two timers and the teardown in one object (prototype methods; the scheduler actions are module
 * functions with the pinger as their state), so an idle connected client holds no closures for it.
 */
class Pinger implements Observer<KeepaliveSignal>, Unsubscribable {
  upstream?: Unsubscribable;
  private stopped = false;
  /** Scheduler time of the last write (with `reschedulePings`) or ping. */
  private lastSent: number;
  /** One action for the subscription's lifetime: it reschedules itself when it wakes early. */
  private pingAction?: Subscription;
  /** Armed by a ping, cancelled by the PINGRESP. */
  private pongTimeout?: Subscription;

  constructor(
    private readonly subscriber: Subscriber<'ping'>,
    private readonly scheduler: SchedulerLike,
    private readonly reschedulePings: boolean,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {
    this.lastSent = scheduler.now();
    // MQTT 3.1.2.10: a Keep Alive of zero turns the mechanism off (no timer); the source's end still passes through.
    if (intervalMs > 0) this.pingAction = scheduler.schedule(pingWhenDue, intervalMs, this);
  }

  next(signal: KeepaliveSignal): void {
    switch (signal) {
      case 'sent':
        if (this.reschedulePings) this.lastSent = this.scheduler.now();
        return;
      case 'pong':
        // Only a PINGRESP proves the broker is alive: the 'sent' echoing a ping must not count.
        return this.pong();
      case 'probe':
        if (this.intervalMs > 0 && this.pongTimeout === undefined) this.ping(this.scheduler.now());
        return;
      default:
        return assertNever(signal);
    }
  }

  error(err: unknown): void {
    this.subscriber.error(err);
  }

  complete(): void {
    this.subscriber.complete();
  }

  unsubscribe(): void {
    this.stopped = true;
    this.upstream?.unsubscribe();
    this.pingAction?.unsubscribe();
    this.pong();
  }

  private pong(): void {
    this.pongTimeout?.unsubscribe();
    this.pongTimeout = undefined;
  }

  /** The ping action woke up: ping if the interval passed, else sleep until it does. */
  wake(action: SchedulerAction<Pinger>): void {
    if (this.stopped) return;
    const now = this.scheduler.now();
    const due = this.lastSent + this.intervalMs;
    if (now < due) {
      // Clamped so a wall clock set backwards cannot postpone the ping beyond one interval.
      action.schedule(this, Math.min(due - now, this.intervalMs));
      return;
    }
    // [MQTT-3.1.2-23] idle clients MUST send PINGREQ; the next is due one interval after this one.
    action.schedule(this, this.intervalMs);
    this.ping(now);
  }

  /** Pings now (unless a PINGRESP is still awaited); the next ping is due one interval later. */
  private ping(now: number): void {
    this.lastSent = now;
    if (this.pongTimeout !== undefined) return; // still waiting for the previous PINGRESP
    // Armed before pinging, so a PINGRESP fed back synchronously finds the timer to cancel.
    this.pongTimeout = this.scheduler.schedule(pongTimedOut, this.timeoutMs, this);
    // A subscriber that throws must not kill the ping action.
    try {
      this.subscriber.next('ping');
    } catch (error) {
      reportAsSubscriberError(error);
    }
  }

  /** MQTT 3.1.2.10: no PINGRESP within a reasonable time means the connection is dead. */
  timedOut(): void {
    if (this.stopped) return;
    this.pongTimeout = undefined;
    try {
      this.subscriber.error(new TimeoutError('ERR_KEEPALIVE_TIMEOUT', 'Keepalive timeout', this.timeoutMs));
    } catch (error) {
      reportAsSubscriberError(error);
    }
  }
}

function pingWhenDue(this: SchedulerAction<Pinger>, pinger?: Pinger): void {
  pinger?.wake(this);
}

function pongTimedOut(pinger?: Pinger): void {
  pinger?.timedOut();
}

/** Compile-time exhaustiveness; at run time an unknown signal from untyped callers is ignored. */
function assertNever(_signal: never): void {}

function checkDuration(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`keepalive ${name} must be a non-negative finite number, got ${String(value)}`);
  }
}
