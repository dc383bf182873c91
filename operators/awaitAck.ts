import { asyncScheduler, Observable } from 'rxjs';
import type { MonoTypeOperatorFunction, SchedulerLike } from 'rxjs';
import { AckTimeoutError, InvalidArgumentError } from '../lib/errors.js';

/** The configuration of `awaitAck` (a bare number is the `timeout`). */
export interface AwaitAckConfig {
  /** How long, in milliseconds from the subscription, the acknowledgement may take. */
  timeout: number;
  /**
   * The scheduler that times the wait.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Bounds the time an acknowledged operation may take: errors with an `AckTimeoutError` when the
 * source has not completed within `timeout` milliseconds of the subscription.
 *
 * Made for the cold operations of `RxMqttClient` that complete when the broker acknowledges them:
 * `publish$` (QoS 1: the PUBACK, QoS 2: the PUBCOMP, QoS 0: once written), `subscribe$` (the
 * SUBACK), `unsubscribe$` (the UNSUBACK). Values pass through as they come and the result
 * completes with the source; the timer stops at completion (or a source error, passed through).
 * A source still running at `timeout` is unsubscribed from and the result errors with an
 * `AckTimeoutError` (kind `ERR_ACK_TIMEOUT`, carrying `timeoutMs`). Those operations' own
 * `ackTimeout` option is this operator, on the client's `scheduler`.
 *
 * The timer starts at the subscription, which is when `publish$` hands the message to the client:
 * it covers the wait for a connection too when the client is offline (the message then waits in
 * the offline queue). Timing out, like any unsubscription, does not un-send anything: the publish
 * stays queued or in flight, and the client goes on waiting for its acknowledgement and re-sends
 * it after a reconnect like any unacknowledged publish [MQTT-4.4.0-1]; only this wait stops. To
 * give up on the message itself, call `removeOutgoingMessage(messageId)` on the client.
 *
 * ```
 * awaitAck({ timeout: 5 })
 * source: ---(r|)       the PUBACK arrives after 3 ms
 * result: ---(r|)
 *
 * source: ---------(r|) the PUBACK would arrive after 9 ms
 * result: -----#        # = AckTimeoutError after 5 ms
 * ```
 *
 * @example
 * client.publish$('orders/42', JSON.stringify(order), { qos: 1 }).pipe(
 *   awaitAck({ timeout: 5000 }),
 * ).subscribe({
 *   next: ({ messageId }) => console.log('acknowledged', messageId),
 *   error: (err) => err.kind === 'ERR_ACK_TIMEOUT' ? console.warn('no PUBACK yet') : console.error(err),
 * });
 *
 * @param config The timeout in milliseconds, or `{ timeout, scheduler }`; see `AwaitAckConfig`.
 * @returns An operator that mirrors the source, or errors when it takes longer than `timeout`.
 * @throws InvalidArgumentError at the call when `timeout` is not a non-negative finite number.
 */
export function awaitAck<T>(config: number | AwaitAckConfig): MonoTypeOperatorFunction<T> {
  const { timeout, scheduler = asyncScheduler } = typeof config === 'number' ? { timeout: config } : (config ?? ({} as AwaitAckConfig));
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new InvalidArgumentError(`awaitAck timeout must be a non-negative finite number, got ${String(timeout)}`);
  }

  return (source) =>
    new Observable<T>((subscriber) => {
      // Scheduled first, so that a source that completes synchronously cancels it at once.
      const timer = scheduler.schedule(() => subscriber.error(new AckTimeoutError(timeout)), timeout);
      subscriber.add(timer);
      // Returned as the teardown: the timeout's error unsubscribes from the source too.
      return source.subscribe({
        next: (value) => subscriber.next(value),
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
