/**
 * The `reconnect` option's types, apart from `client-options.ts` so that it stays short: the
 * backoff between reconnect attempts, as given and as resolved.
 */
import type { BackoffOptions, BackoffPolicy } from '../connection/backoff-policy.js';

/**
 * rxmqtt: exponential backoff between reconnect attempts (the `reconnect` option). The fields and
 * their defaults are `BackoffOptions`'s: 1 s doubling to a 30 s cap, jitter 0.5, no attempt
 * limit, reset after a connection stayed up 10 s.
 */
export interface ReconnectOptions extends BackoffOptions {
  /** The random source of the jitter, a number in [0, 1); tests inject a fixed one. @default Math.random */
  random?: () => number;
}

/** The `reconnect` option resolved: every field set. */
export type ReconnectPolicy = BackoffPolicy & Pick<ReconnectOptions, 'random'>;
