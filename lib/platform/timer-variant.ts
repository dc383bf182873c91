/**
 * MQTT.js's `timerVariant` option as an RxJS scheduler for the connection's timers (keepalive,
 * connect timeout, reconnect delay). rxmqtt's timers all go through a scheduler, so the variant
 * chooses one: `native` setTimeout, `worker` timers (kept by an inline Web Worker where one can
 * start, setTimeout otherwise), or the `{ set, clear }` timers of the caller.
 */
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { workerTimerScheduler, type Timers } from './worker-timer-scheduler.js';

/** MQTT.js `TimerVariant`: `'auto'` (the platform's choice), `'worker'`, `'native'`, or timers of your own. */
export type TimerVariant = 'auto' | 'worker' | 'native' | Timers;

/** One worker for every client that asks for worker timers, as MQTT.js shares worker-timers'. */
let sharedWorkerScheduler: SchedulerLike | undefined;

/**
 * The scheduler a `timerVariant` stands for; undefined for `'auto'` (and when absent): the
 * platform default then applies (setTimeout in Node, worker timers in the browser build).
 * Throws a TypeError for anything else, which MQTT.js would silently read as `'auto'`.
 *
 * @param variant the option's value
 */
export function schedulerOfTimerVariant(variant: unknown): SchedulerLike | undefined {
  if (variant === undefined || variant === 'auto') return undefined;
  if (variant === 'native') return asyncScheduler;
  if (variant === 'worker') return (sharedWorkerScheduler ??= workerTimerScheduler());
  if (typeof (variant as Timers)?.set === 'function' && typeof (variant as Timers).clear === 'function') return workerTimerScheduler(variant as Timers);
  throw new TypeError(`Bad timerVariant: ${String(variant)}`);
}
