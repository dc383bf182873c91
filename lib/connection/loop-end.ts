/**
 * The observer of the end of the dialer's reconnect loop: a class (on a prototype, not a closure,
 * so an idle client pays for no function object), kept apart to hold dialer.ts within 300 lines.
 */
import { MqttError } from '../errors.js';
import type { Dialer } from './dialer.js';

/** The end of a reconnect loop: it gave up (`maxAttempts` retries failed, or the error is not retried). */
export class LoopEnd {
  constructor(
    private readonly dialer: Dialer,
    private readonly maxAttempts: number | undefined,
  ) {}

  error(cause: Error): void {
    const error = new MqttError('ERR_RECONNECT_EXHAUSTED', `Gave up reconnecting after ${this.maxAttempts} attempts: ${cause.message}`, { cause });
    this.dialer.advance({ type: 'gaveUp', error });
  }
}
