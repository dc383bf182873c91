/**
 * `client.messages(filter)`: a manual-ack topic stream as an async iterator, for
 * `for await (const m of client.messages('a/#')) { ... }`.
 *
 * Acknowledging on pull: the message handed out by `next()` is acknowledged when the consumer
 * pulls the next one (or leaves the loop), that is once the loop body that handled it finished.
 * Up to `highWaterMark` messages wait in a buffer; at that many the socket is paused (for QoS 0
 * too), and it reads again once half of them were pulled. Messages already decoded keep arriving
 * meanwhile, so the buffer may go somewhat past the mark; nothing is dropped.
 */
import type { Observable, Subscription } from 'rxjs';
import type { AckableMessage } from '../inbound/ack-holds.js';
import { InvalidArgumentError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';

/** @default 16 (as a Node.js object-mode stream) */
export const DEFAULT_HIGH_WATER_MARK = 16;

interface Waiter {
  resolve(result: IteratorResult<MqttMessage, undefined>): void;
  reject(error: unknown): void;
}

/**
 * @param source A manual-ack stream; subscribed on the first `next()`.
 * @param highWaterMark Buffered messages at which `pause(true)` is called.
 * @param pause Stops (true) or resumes (false) reading the socket on behalf of this iterator.
 */
export function messageIterator(
  source: Observable<AckableMessage>,
  highWaterMark: number,
  pause: (paused: boolean) => void,
): AsyncIterableIterator<MqttMessage> {
  if (!Number.isInteger(highWaterMark) || highWaterMark < 1) {
    throw new InvalidArgumentError(`highWaterMark must be a positive integer, got ${String(highWaterMark)}`);
  }
  const buffer: AckableMessage[] = [];
  const waiting: Waiter[] = [];
  /** Handed out and not acknowledged yet (more than one only if `next()` calls overlap). */
  const handed: AckableMessage[] = [];
  let subscription: Subscription | undefined;
  let finished: { error?: unknown; failed: boolean } | undefined;
  let paused = false;

  const setPaused = (value: boolean) => {
    if (paused === value) return;
    paused = value;
    pause(value);
  };
  const ackHanded = () => {
    for (const message of handed.splice(0)) message.ack();
  };
  const hand = (message: AckableMessage): IteratorResult<MqttMessage, undefined> => {
    handed.push(message);
    return { value: message, done: false };
  };
  const end = (state: { error?: unknown; failed: boolean }) => {
    if (finished) return;
    // Nothing more will come: a full buffer no longer needs the socket paused.
    setPaused(false);
    const waiters = waiting.splice(0);
    // An error is thrown once: to the first waiting next(), else to the first next() after the buffer.
    finished = state.failed && waiters.length > 0 ? { failed: false } : state;
    waiters.forEach((waiter, i) => (state.failed && i === 0 ? waiter.reject(state.error) : waiter.resolve({ value: undefined, done: true })));
  };
  const start = () => {
    subscription = source.subscribe({
      next: (message) => {
        const waiter = waiting.shift();
        if (waiter) return waiter.resolve(hand(message));
        buffer.push(message);
        if (buffer.length >= highWaterMark) setPaused(true);
      },
      error: (error: unknown) => end({ error, failed: true }),
      complete: () => end({ failed: false }),
    });
  };
  const close = () => {
    subscription?.unsubscribe();
    // Buffered messages never reached the loop: they are acknowledged (released) here, since
    // unsubscribing keeps the holds of what the stream emitted (see `manualAck`).
    for (const message of buffer.splice(0)) message.ack();
    setPaused(false);
    end({ failed: false });
  };

  const iterator: AsyncIterableIterator<MqttMessage> = {
    next() {
      ackHanded();
      const message = buffer.shift();
      if (message) {
        if (paused && buffer.length <= highWaterMark >> 1) setPaused(false);
        return Promise.resolve(hand(message));
      }
      if (finished) {
        const { error, failed } = finished;
        finished = { failed: false };
        return failed ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
      }
      if (!subscription) start();
      if (buffer.length > 0 || finished) return iterator.next();
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      ackHanded();
      close();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
