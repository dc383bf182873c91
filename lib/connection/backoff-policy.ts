/**
 * Exponential backoff with jitter, as plain functions: the `retryBackoff` operator and the
 * connection's reconnect loop share them, so both wait exactly the same way. No clock, no timer:
 * callers say how long the last try stayed up and schedule the delay themselves.
 */
import { InvalidArgumentError } from '../errors.js';

/** How long to wait between tries. Every field is optional; see `DEFAULT_BACKOFF`. */
export interface BackoffOptions {
  /**
   * Milliseconds before the first retry.
   * @default 1000
   */
  initialDelay?: number;
  /**
   * Upper bound of every delay, in milliseconds (at most 2^31 - 1, the longest timer Node allows).
   * @default 30000
   */
  maxDelay?: number;
  /**
   * Each retry waits `factor` times longer than the one before (1 keeps the delay fixed).
   * @default 2
   */
  factor?: number;
  /**
   * How much of each delay is random, 0..1: the delay is drawn from
   * `[base * (1 - jitter), base]`. 0 disables jitter, 1 is "full jitter" (0..base), 0.5 keeps
   * at least half of the delay. Jitter never makes a delay longer than `maxDelay`.
   * @default 0.5
   */
  jitter?: number;
  /**
   * Consecutive retries before giving up (the first try is not a retry); `Infinity` never gives up.
   * @default Infinity
   */
  maxAttempts?: number;
  /**
   * A try that stayed up this many milliseconds before failing resets the count: the next retry
   * waits `initialDelay` again. `Infinity` never resets.
   * @default 10000
   */
  resetAfter?: number;
}

/** Backoff options with every default applied. */
export type BackoffPolicy = Required<BackoffOptions>;

/** The defaults of {@link BackoffOptions}: 1 s doubling to a 30 s cap, jitter 0.5, no attempt limit, reset after 10 s up. */
export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  initialDelay: 1000,
  maxDelay: 30_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
  resetAfter: 10_000,
});

/** Longest delay a Node timer honours; a longer one fires at once. */
const MAX_TIMER = 2 ** 31 - 1;

/**
 * The delay before retry number `attempt` (1 for the first retry):
 *
 * ```
 * base  = min(maxDelay, initialDelay * factor ^ (attempt - 1))
 * delay = round(base * (1 - jitter * random()))
 * ```
 *
 * e.g. the defaults give 1 s, 2 s, 4 s, 8 s, 16 s, 30 s, 30 s... each shortened by up to half.
 *
 * @param attempt The retry number, from 1.
 * @param policy The initial delay, cap, factor and jitter.
 * @param random A number in [0, 1); inject a fixed one in tests. @default Math.random
 * @returns Whole milliseconds in `[round(base * (1 - jitter)), base]`.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<BackoffPolicy, 'initialDelay' | 'maxDelay' | 'factor' | 'jitter'>,
  random: () => number = Math.random,
): number {
  const { initialDelay, maxDelay, factor, jitter } = policy;
  // initialDelay 0 stays 0 (0 * an overflowed Infinity would be NaN).
  const base = initialDelay === 0 ? 0 : Math.min(maxDelay, initialDelay * factor ** Math.max(0, attempt - 1));
  if (jitter === 0) return Math.round(base);
  // Clamped so a random source that strays out of [0, 1) cannot leave the documented range.
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(base * (1 - jitter * r));
}

/** The last policy `fixedBackoff` made: clients of one process mostly share one `reconnectPeriod`. */
let lastFixed: Readonly<BackoffPolicy> | undefined;

/**
 * A fixed delay (MQTT.js `reconnectPeriod`) as a backoff policy: no growth, no jitter, no limit.
 * Frozen and shared by the calls with the same period (every client made one).
 */
export function fixedBackoff(period: number): BackoffPolicy {
  if (lastFixed?.initialDelay === period) return lastFixed;
  lastFixed = Object.freeze({ initialDelay: period, maxDelay: period, factor: 1, jitter: 0, maxAttempts: Infinity, resetAfter: Infinity });
  return lastFixed;
}

/**
 * Applies the defaults (and `defaults`, for callers with their own) and checks every field.
 * @throws InvalidArgumentError for a field out of range.
 */
export function resolveBackoff(options: BackoffOptions = {}, defaults: BackoffOptions = {}, label = 'backoff'): BackoffPolicy {
  const policy: BackoffPolicy = { ...DEFAULT_BACKOFF, ...defined(defaults), ...defined(options) };
  const check = (name: keyof BackoffPolicy, min: number, max: number) => {
    const value: unknown = policy[name];
    if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
      throw new InvalidArgumentError(`${label} ${name} must be a number in ${min}..${max}, got ${String(value)}`);
    }
  };
  check('initialDelay', 0, MAX_TIMER);
  check('maxDelay', 0, MAX_TIMER);
  check('factor', 1, Number.MAX_VALUE);
  check('jitter', 0, 1);
  check('maxAttempts', 0, Infinity);
  check('resetAfter', 0, Infinity);
  if (policy.maxAttempts !== Infinity && !Number.isInteger(policy.maxAttempts)) {
    throw new InvalidArgumentError(`${label} maxAttempts must be a whole number or Infinity, got ${String(policy.maxAttempts)}`);
  }
  return policy;
}

/**
 * Counts consecutive failed tries and turns each failure into the delay before the next try.
 * Shared by `retryBackoff` (one per subscription) and the connection (one per client).
 */
export class BackoffCounter {
  /** Retries since the last reset; the next delay is for retry `attempt + 1`. */
  attempt = 0;

  constructor(
    readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * A try failed after staying up `upForMs` (undefined: it never came up).
   * @returns The delay before the next try, or undefined when `maxAttempts` retries all failed.
   */
  next(upForMs?: number): number | undefined {
    if (upForMs !== undefined) this.stayedUp(upForMs);
    if (this.attempt >= this.policy.maxAttempts) return undefined;
    this.attempt++;
    return backoffDelay(this.attempt, this.policy, this.random);
  }

  /** A try stayed up `upForMs` before it failed: long enough (`resetAfter`), and the count starts over. */
  stayedUp(upForMs: number): void {
    if (upForMs >= this.policy.resetAfter) this.attempt = 0;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** The known fields that are set (a stray key such as `random` or `scheduler` is not a policy field). */
function defined(options: BackoffOptions): BackoffOptions {
  return Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k in DEFAULT_BACKOFF));
}
