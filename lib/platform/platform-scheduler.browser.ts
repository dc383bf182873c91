/**
 * The browser build's default scheduler for connection timers (swapped in by scripts/bundle.mjs):
 * timers kept by an inline worker, so keepalive survives background-tab timer throttling.
 * See worker-timer-scheduler.ts; a `scheduler` option still wins (tests pass virtual time).
 */
import type { SchedulerLike } from 'rxjs';
import { workerTimerScheduler } from './worker-timer-scheduler.js';

export const platformScheduler: SchedulerLike = workerTimerScheduler();
