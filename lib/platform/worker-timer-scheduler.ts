/**
 * An RxJS scheduler whose timers run in a tiny inline Web Worker, for the browser build's
 * connection timers (keepalive, connect timeout, reconnect delay).
 *
 * Why: browsers throttle `setTimeout` in background tabs to once a second, and Chrome's
 * "intensive throttling" (a tab hidden for 5 minutes) to once a minute. A PINGREQ due at 60 s can
 * then leave at 119 s, after the broker's 1.5 x keepalive deadline has dropped the connection.
 * Timers inside a dedicated worker are not throttled that way, so the worker keeps the time and
 * posts a message to the page when a timer is due (message tasks are not timer tasks).
 *
 * Where a worker cannot start (no `Worker`, a Content-Security-Policy without `worker-src blob:`),
 * it falls back to `setTimeout`, re-arming timers already handed to a worker that failed.
 *
 * ```ts
 * const client = connect('wss://broker.example/mqtt', { scheduler: workerTimerScheduler() });
 * ```
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/** Starts and cancels one-shot timers (MQTT.js's `timerVariant` object); `set` returns a handle for `clear`. */
export interface Timers {
  /** Calls `callback` once after `ms` milliseconds; returns the timer's handle. */
  set(callback: () => void, ms: number): number;
  /** Cancels the timer `set` returned `handle` for. */
  clear(handle: number): void;
}

/** The members of the DOM `Worker` used here (tests pass a fake). */
export interface TimerWorker {
  postMessage(message: [op: 'set' | 'clear', id: number, ms?: number]): void;
  onmessage: ((event: { data: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** What starts the worker; throws when the runtime or its CSP forbids one. */
export type WorkerFactory = (source: string) => TimerWorker;

/** The worker's whole program: run setTimeout there and post the timer's id back when it fires. */
const WORKER_SOURCE = `const t=new Map();onmessage=(e)=>{const[op,id,ms]=e.data;if(op==='set')t.set(id,setTimeout(()=>{t.delete(id);postMessage(id)},ms));else{clearTimeout(t.get(id));t.delete(id)}}`;

const fallbackTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms) as unknown as number,
  clear: (handle) => clearTimeout(handle),
};

/** A Worker from a Blob URL, or a throw where that is not possible. */
function blobWorker(source: string): TimerWorker {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  try {
    return new (globalThis as unknown as { Worker: new (url: string) => TimerWorker }).Worker(url);
  } finally {
    // The worker has fetched its script (or failed to): the URL is no longer needed.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}

/**
 * Timers kept by a worker, started on the first `set`; `setTimeout` when no worker can start.
 *
 * @param createWorker starts the worker @default a Blob-URL `Worker`
 */
export function workerTimers(createWorker: WorkerFactory = blobWorker): Timers {
  let worker: TimerWorker | undefined;
  let failed = createWorker === blobWorker && (globalThis as { Worker?: unknown }).Worker === undefined;
  let nextId = 1;
  const pending = new Map<number, { callback: () => void; due: number; fallback?: number }>();

  const fallBack = () => {
    failed = true;
    worker = undefined;
    for (const timer of pending.values()) timer.fallback = fallbackTimers.set(timer.callback, Math.max(0, timer.due - Date.now()));
  };
  const start = (): TimerWorker | undefined => {
    if (worker || failed) return worker;
    try {
      worker = createWorker(WORKER_SOURCE);
    } catch {
      failed = true;
      return undefined;
    }
    worker.onmessage = (event) => {
      const timer = pending.get(event.data);
      pending.delete(event.data);
      timer?.callback();
    };
    worker.onerror = fallBack;
    return worker;
  };

  return {
    set: (callback, ms) => {
      const id = nextId++;
      const timer: { callback: () => void; due: number; fallback?: number } = { callback: () => undefined, due: Date.now() + ms };
      timer.callback = () => {
        pending.delete(id);
        callback();
      };
      pending.set(id, timer);
      const target = start();
      if (target) target.postMessage(['set', id, ms]);
      else timer.fallback = fallbackTimers.set(timer.callback, ms);
      return id;
    },
    clear: (id) => {
      const timer = pending.get(id);
      if (!timer) return;
      pending.delete(id);
      if (timer.fallback !== undefined) fallbackTimers.clear(timer.fallback);
      else worker?.postMessage(['clear', id]);
    },
  };
}

/** One scheduled piece of work; `schedule()` again from inside the work re-arms it (as RxJS timers do). */
class TimerAction<T> extends Subscription implements SchedulerAction<T> {
  private handle?: number;
  private state?: T;

  constructor(
    private readonly timers: Timers,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
    this.add(() => this.cancel());
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.cancel();
    this.handle = this.timers.set(() => this.run(), delay);
    return this;
  }

  private run(): void {
    this.handle = undefined;
    if (this.closed) return;
    try {
      this.work.call(this, this.state);
    } catch (error) {
      this.unsubscribe();
      throw error;
    }
  }

  private cancel(): void {
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = undefined;
  }
}

/**
 * A `SchedulerLike` over `timers` (worker timers by default); `now()` is `Date.now()`, as for
 * RxJS's `asyncScheduler`.
 *
 * @param timers where the delays are kept @default workerTimers()
 * @returns a scheduler for the `scheduler` client option, or any RxJS time-based operator
 */
export function workerTimerScheduler(timers: Timers = workerTimers()): SchedulerLike {
  return {
    now: () => Date.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      return new TimerAction<T>(timers, work).schedule(state, delay);
    },
  };
}
