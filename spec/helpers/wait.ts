// Event-driven waiting helpers for tests. Nothing here sleeps: every wait ends on an event or
// emission, and the timeout is only a deadline that turns a hang into a clear failure.
import { firstValueFrom, map, type Observable, take, tap, throwError, timeout, toArray } from 'rxjs';

/**
 * Multiplies every wall-clock deadline in the suite: `RXMQTT_TIMEOUT_SCALE=4 npm test` on a very
 * slow machine. A deadline here never decides a result, it only turns a hang into a failure, so
 * a larger factor can only make a hanging test fail later, never make a broken one pass.
 * jest.config.ts reads the same variable for jest's own per-test timeout.
 * @default 1
 */
export const TIMEOUT_SCALE = timeoutScale(process.env.RXMQTT_TIMEOUT_SCALE);

/**
 * The deadline for a wait that should end on an event: generous (30 s times the scale), because
 * on a loaded 2-core machine a connect or a child process start can take seconds, and a test
 * that passes only when the machine is idle is a flaky test. Still well below jest's timeout
 * (120 s times the scale), so a hang fails with the helper's message, which names what it awaited.
 */
export const HANG_DEADLINE_MS = scaled(30_000);

/** `ms` times RXMQTT_TIMEOUT_SCALE: for the few deadlines that must exceed HANG_DEADLINE_MS. */
export function scaled(ms: number): number {
  return Math.round(ms * TIMEOUT_SCALE);
}

function timeoutScale(value: string | undefined): number {
  const scale = Number(value ?? 1);
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`RXMQTT_TIMEOUT_SCALE must be a positive number, got ${value}`);
  return scale;
}

/** Anything with Node-style listener methods (EventEmitter, streams, sockets, MQTT.js clients). */
export interface EmitterLike {
  on(event: string | symbol, listener: (...args: any[]) => void): unknown;
  off?(event: string | symbol, listener: (...args: any[]) => void): unknown;
  removeListener?(event: string | symbol, listener: (...args: any[]) => void): unknown;
}

export interface OnceOptions {
  /** Deadline in milliseconds; only a test of the deadline itself should pass a short one. @default HANG_DEADLINE_MS */
  timeoutMs?: number;
}

/**
 * `promise`, or a rejection naming `what` once `ms` passed: for waits on a promise rather than an
 * event. The deadline only turns a hang into a failure.
 */
export function within<T>(promise: Promise<T>, what: string, ms = HANG_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Resolves with the arguments of the next `event` (an array, like Node's `events.once`).
 * Rejects if the emitter emits 'error' first (unless `event` is 'error'), or on timeout with a
 * message naming the event and the emitter.
 */
export function once<T extends unknown[] = any[]>(
  emitter: EmitterLike,
  event: string | symbol,
  { timeoutMs = HANG_DEADLINE_MS }: OnceOptions = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const remove = (name: string | symbol, listener: (...args: any[]) => void) => {
      if (emitter.off) emitter.off(name, listener);
      else emitter.removeListener?.(name, listener);
    };
    const cleanup = () => {
      clearTimeout(timer);
      remove(event, onEvent);
      if (event !== 'error') remove('error', onError);
    };
    const onEvent = (...args: unknown[]) => {
      cleanup();
      resolve(args as T);
    };
    const onError = (error: unknown) => {
      cleanup();
      reject(error);
    };
    const timer = setTimeout(() => {
      cleanup();
      const name = (emitter as object).constructor?.name ?? 'emitter';
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${name} to emit "${String(event)}"`));
    }, timeoutMs);
    emitter.on(event, onEvent);
    if (event !== 'error') emitter.on('error', onError);
  });
}

/**
 * Subscribes to `observable` and resolves with its first `n` emissions. Rejects if it errors,
 * completes early, or has not emitted `n` values within `timeoutMs` (default HANG_DEADLINE_MS) overall.
 */
export function collect<T>(observable: Observable<T>, n: number, timeoutMs = HANG_DEADLINE_MS): Promise<T[]> {
  let received = 0;
  return firstValueFrom(
    observable.pipe(
      take(n),
      tap(() => received++),
      toArray(),
      map((values) => {
        if (values.length < n) {
          throw new Error(`collect: observable completed after ${values.length} of ${n} emissions`);
        }
        return values;
      }),
      timeout({
        first: timeoutMs,
        with: () =>
          throwError(() => new Error(`collect: timed out after ${timeoutMs} ms with ${received} of ${n} emissions`)),
      }),
    ),
  );
}
