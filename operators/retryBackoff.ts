import { asyncScheduler, Observable } from 'rxjs';
import type { MonoTypeOperatorFunction, Observer, SchedulerLike, Subscriber, Subscription, Unsubscribable } from 'rxjs';
import { BackoffCounter, resolveBackoff, type BackoffOptions } from '../lib/connection/backoff-policy.js';

/** The configuration of `retryBackoff`: the backoff policy (`BackoffOptions`), plus the classifier, random source, scheduler and hooks. */
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
  /**
   * Called synchronously when a retry is scheduled, before the wait: which retry it is (from 1),
   * the delay chosen, and the error that caused it. A connection uses it to announce
   * "reconnecting in `delayMs`" before the wait starts.
   * @default none
   */
  onRetry?: (retry: RetryInfo) => void;
  /**
   * When a try counts as up for `resetAfter`: `'subscribe'` from its subscription, `'firstValue'`
   * from its first value (a try that emitted nothing never resets the count: a connection that
   * never got its CONNACK has not been up, however long it tried).
   * @default 'subscribe'
   */
  upFrom?: 'subscribe' | 'firstValue';
}

/** What `onRetry` is told. */
export interface RetryInfo {
  /** The retry number since the count last started over, from 1. */
  attempt: number;
  /** The wait before this retry resubscribes, in milliseconds (jitter applied). */
  delayMs: number;
  /** The error the source failed with, which caused this retry. */
  error: unknown;
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
  const { shouldRetry = retryAll, random = Math.random, scheduler = asyncScheduler, onRetry, upFrom = 'subscribe', ...options } = config;
  const policy = resolveBackoff(options);

  return (source) =>
    new Observable<T>((subscriber) => {
      // Per subscription: every subscriber backs off on its own.
      const loop = new RetryLoop<T>(subscriber, { source, shouldRetry, scheduler, onRetry, upFrom }, new BackoffCounter(policy, random));
      loop.subscribeSource();
      return loop;
    });
}

/** The default classifier: every error is worth a retry (one function for all loops). */
const retryAll = (): boolean => true;

interface RetrySettings<T> extends Required<Pick<BackoffConfig, 'shouldRetry' | 'scheduler' | 'upFrom'>>, Pick<BackoffConfig, 'onRetry'> {
  source: Observable<T>;
}

/**
 * One `retryBackoff` subscription: the source's observer, the retries and the teardown in one
 * object (prototype methods, no closures), since a client keeps one per connection loop.
 */
class RetryLoop<T> implements Observer<T>, Unsubscribable {
  private upstream?: Subscription;
  private timer?: Subscription;
  /** When the current try counted as up (`upFrom`), on the scheduler. */
  private since?: number;

  constructor(
    private readonly subscriber: Subscriber<T>,
    private readonly settings: RetrySettings<T>,
    private readonly counter: BackoffCounter,
  ) {}

  subscribeSource(): void {
    const { settings } = this;
    this.since = settings.upFrom === 'subscribe' ? settings.scheduler.now() : undefined;
    this.upstream = settings.source.subscribe(this);
  }

  next(value: T): void {
    this.since ??= this.settings.scheduler.now();
    this.subscriber.next(value);
  }

  error(error: unknown): void {
    const { settings, since } = this;
    const delay = this.retryDelay(error, since === undefined ? undefined : settings.scheduler.now() - since);
    if (delay === undefined) return this.subscriber.error(error);
    // The retry is due: tell, then wait (a teardown during onRetry cancels the wait).
    settings.onRetry?.({ attempt: this.counter.attempt, delayMs: delay, error });
    if (!this.subscriber.closed) this.timer = settings.scheduler.schedule(resubscribe, delay, this as RetryLoop<unknown>);
  }

  complete(): void {
    this.subscriber.complete();
  }

  unsubscribe(): void {
    this.upstream?.unsubscribe();
    this.timer?.unsubscribe();
  }

  private retryDelay(error: unknown, upForMs: number | undefined): number | undefined {
    try {
      return this.settings.shouldRetry(error) ? this.counter.next(upForMs) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The scheduled retry (a module function with the loop as its state: no closure per retry). */
function resubscribe(loop?: RetryLoop<unknown>): void {
  loop?.subscribeSource();
}
