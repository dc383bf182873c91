// Event-driven waiting helpers for tests. Nothing here sleeps: every wait ends on an event or
// emission, and the timeout is only a deadline that turns a hang into a clear failure.
import { firstValueFrom, map, type Observable, take, tap, throwError, timeout, toArray } from 'rxjs';

/** Anything with Node-style listener methods (EventEmitter, streams, sockets, MQTT.js clients). */
export interface EmitterLike {
  on(event: string | symbol, listener: (...args: any[]) => void): unknown;
  off?(event: string | symbol, listener: (...args: any[]) => void): unknown;
  removeListener?(event: string | symbol, listener: (...args: any[]) => void): unknown;
}

export interface OnceOptions {
  /** Deadline in milliseconds; default 5000. */
  timeoutMs?: number;
}

/**
 * Resolves with the arguments of the next `event` (an array, like Node's `events.once`).
 * Rejects if the emitter emits 'error' first (unless `event` is 'error'), or on timeout with a
 * message naming the event and the emitter.
 */
export function once<T extends unknown[] = any[]>(
  emitter: EmitterLike,
  event: string | symbol,
  { timeoutMs = 5000 }: OnceOptions = {},
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
 * completes early, or has not emitted `n` values within `timeoutMs` (default 5000) overall.
 */
export function collect<T>(observable: Observable<T>, n: number, timeoutMs = 5000): Promise<T[]> {
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
