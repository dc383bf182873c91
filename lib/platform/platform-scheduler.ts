/**
 * The scheduler a connection's timers use when the `scheduler` option is not given. In Node it is
 * RxJS's `asyncScheduler`; the browser build swaps this file for `platform-scheduler.browser.ts`.
 */
import { asyncScheduler, type SchedulerLike } from 'rxjs';

export const platformScheduler: SchedulerLike = asyncScheduler;
