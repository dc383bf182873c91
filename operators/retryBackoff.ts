import { asyncScheduler, Observable } from 'rxjs';
import type { MonoTypeOperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import { BackoffCounter, resolveBackoff, type BackoffOptions } from '../lib/connection/backoff-policy.js';

export interface BackoffConfig extends BackoffOptions {
  /**
   * Decides whether an error is worth a retry; when it returns false (or throws) the error is
   * passed through at once and does not count as an attempt.
   * @default () => true
   */
  shouldRetry?: (error: unknown) => boolean;
  /**
   * The random source of the jitter, returning a number in [0, 1). Tests inject a fixed one.
   * @default Math.random
   */
  random?: () => number;
  /**
   * The scheduler that waits out the delays and tells how long the source stayed up.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Resubscribes to the source after an error, waiting longer each time: exponential backoff with
 * jitter.
 *
 * Retry `n` (from 1) waits `min(maxDelay, initialDelay * factor^(n-1)) * (1 - jitter * random())`
 * milliseconds, rounded (see `backoffDelay`). After `maxAttempts` consecutive retries have failed,
 * or when `shouldRetry(error)` says no, the error is passed through. A subscription that stayed up
 * `resetAfter` ms (measured on the scheduler, from the resubscription to its error) resets the
 * count, so the next retry waits `initialDelay` again. Values and completion pass through.
 *
 * ```
 * initialDelay = 10, factor = 2, jitter = 0, maxAttempts = 2
 * source (cold): a-#
 * result:        a 11ms a 21ms a-#
 * ```
 * (the first error waits 10 ms, the second 20 ms, the third passes through)
 *
 * @example
 * connectToSomething().pipe(
 *   retryBackoff({ initialDelay: 500, maxDelay: 10_000, maxAttempts: 8, shouldRetry: (err) => !isFatal(err) }),
 * ).subscribe(handle);
 *
 * @param config Delays, jitter, attempts, reset window, classifier and scheduler; see `BackoffConfig`
 * and `DEFAULT_BACKOFF` for the defaults (1 s doubling to 30 s, jitter 0.5, forever, reset after 10 s).
 * @returns An operator that retries the source with backoff.
 * @throws InvalidArgumentError when a delay, factor, jitter or count is out of range.
 */
export function retryBackoff<T>(config: BackoffConfig = {}): MonoTypeOperatorFunction<T> {
  const { shouldRetry = () => true, random = Math.random, scheduler = asyncScheduler, ...options } = config;
  const policy = resolveBackoff(options);

  return (source) =>
    new Observable<T>((subscriber) => {
      // Per subscription: every subscriber backs off on its own.
      const counter = new BackoffCounter(policy, random);
      let upstream: Subscription | undefined;
      let timer: Subscription | undefined;

      const retryDelay = (error: unknown, upForMs: number): number | undefined => {
        try {
          return shouldRetry(error) ? counter.next(upForMs) : undefined;
        } catch {
          return undefined;
        }
      };

      const subscribe = (): void => {
        const since = scheduler.now();
        upstream = source.subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            const delay = retryDelay(error, scheduler.now() - since);
            if (delay === undefined) subscriber.error(error);
            else timer = scheduler.schedule(subscribe, delay);
          },
          complete: () => subscriber.complete(),
        });
      };
      subscribe();

      return () => {
        upstream?.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
