import { asyncScheduler, Observable } from 'rxjs';
import type { OperatorFunction, SchedulerLike } from 'rxjs';
import { InvalidArgumentError } from '../lib/errors.js';
import { KeepaliveTimer } from './internal/keepalive-timer.js';

/** What the connection tells `keepalive`: `'sent'` = any packet was written, `'pong'` = a PINGRESP arrived. */
export type KeepaliveSignal = 'sent' | 'pong';

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
 * `'ping'` after `intervalMs` without a `'sent'`, then errors with a `TimeoutError` whose code is
 * `ERR_KEEPALIVE_TIMEOUT` unless a `'pong'` arrives within `timeoutMs`. Only `'pong'` stops that
 * timeout; the `'sent'` echoing the ping restarts the interval. Completes with the source.
 *
 * ```
 * intervalMs = 3, timeoutMs = 2
 * source: --s---p-------
 * result: -----P--P-#
 * ```
 * (`s` = 'sent', `p` = 'pong', `P` = 'ping', `#` = ERR_KEEPALIVE_TIMEOUT; pings not echoed as 'sent' here)
 *
 * @example
 * const signals = new Subject<KeepaliveSignal>();
 * signals.pipe(keepalive({ intervalMs: 60_000 })).subscribe({
 *   next: () => writePacket({ cmd: 'pingreq' }), // the writer reports signals.next('sent')
 *   error: (err) => closeConnection(err),        // err.code === 'ERR_KEEPALIVE_TIMEOUT'
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
      // One implementation for the operator and the client's own keepalive: the timer core.
      const timer = new KeepaliveTimer(scheduler, reschedulePings);
      // MQTT 3.1.2.10: a Keep Alive of zero turns the mechanism off (the timer never starts);
      // the source's end still passes through.
      timer.startMs(intervalMs, timeoutMs, {
        ping: () => subscriber.next('ping'),
        timeout: (error) => subscriber.error(error),
      });
      const upstream = source.subscribe({
        next: (signal) => {
          switch (signal) {
            case 'sent':
              return timer.sent();
            case 'pong':
              // Only a PINGRESP proves the broker is alive: the 'sent' echoing a ping must not count.
              return timer.pong();
            default:
              return assertNever(signal);
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        upstream.unsubscribe();
        timer.stop();
      };
    });
}

/** Compile-time exhaustiveness; at run time an unknown signal from untyped callers is ignored. */
function assertNever(_signal: never): void {}

function checkDuration(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`keepalive ${name} must be a non-negative finite number, got ${String(value)}`);
  }
}
