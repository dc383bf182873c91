/**
 * The `offlineQueue` connect option: bounds on the publishes that wait while the client is not
 * connected, and what gives way when one more does not fit. Resolved to the session's
 * `OfflineQueueLimits`, or to undefined when nothing is bounded (MQTT.js: no limit).
 */
import { InvalidArgumentError } from '../errors.js';
import type { OfflineQueueLimits, OverflowPolicy } from '../session/types.js';

export type { OfflineQueueLimits, OverflowPolicy };

/**
 * rxmqtt: a bounded offline queue. Publishes of any QoS issued before CONNACK or while
 * disconnected wait in order; these limits cap them. Subscribes and unsubscribes are not counted
 * and never dropped (they are small and their order matters). Each dropped publish fails with a
 * `QueueFullError` (`ERR_QUEUE_FULL`) and is reported as a `dropped` event on `events$`.
 *
 * @example
 * connect(url, { offlineQueue: { maxMessages: 1000, overflow: 'drop-oldest' } });
 */
export interface OfflineQueueOptions {
  /** Publishes that may wait. @default Infinity */
  maxMessages?: number;
  /** Payload bytes the waiting publishes may hold together. @default Infinity */
  maxBytes?: number;
  /**
   * When a publish does not fit: 'drop-oldest' evicts the oldest waiting publishes until it does;
   * 'drop-newest' refuses the new one; 'error' refuses the new one and also reports an 'error'
   * event on the client. A publish larger than `maxBytes` on its own is always refused.
   * @default 'error'
   */
  overflow?: OverflowPolicy;
}

const POLICIES: readonly OverflowPolicy[] = ['drop-oldest', 'drop-newest', 'error'];

/** The option with its defaults, or undefined when it bounds nothing. Throws InvalidArgumentError for a bad value. */
export function resolveOfflineQueue(option: OfflineQueueOptions | OfflineQueueLimits | undefined): OfflineQueueLimits | undefined {
  if (option === undefined) return undefined;
  if (option === null || typeof option !== 'object') throw new InvalidArgumentError('offlineQueue must be an object');
  const { maxMessages = Infinity, maxBytes = Infinity, overflow = 'error' } = option;
  checkLimit('offlineQueue.maxMessages', maxMessages);
  checkLimit('offlineQueue.maxBytes', maxBytes);
  if (!POLICIES.includes(overflow)) {
    throw new InvalidArgumentError(`offlineQueue.overflow must be one of ${POLICIES.join(', ')}, got ${String(overflow)}`);
  }
  if (maxMessages === Infinity && maxBytes === Infinity) return undefined;
  return { maxMessages, maxBytes, overflow };
}

function checkLimit(name: string, value: unknown): void {
  if (value === Infinity || (typeof value === 'number' && Number.isInteger(value) && value >= 0)) return;
  throw new InvalidArgumentError(`${name} must be a non-negative integer or Infinity, got ${String(value)}`);
}
