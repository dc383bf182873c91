/**
 * MQTT 5 Message Expiry Interval for publishes that waited in the pending queue. The interval is
 * the message's lifetime from the moment the application published it; a publish that waited
 * offline longer than that is not sent at all (nobody wants a stale command), and one that waited
 * less goes out with the lifetime it has left, as a broker forwards it (3.3.2.3.3).
 *
 * The session has no clock: the connection passes the time with each step (`step(input, now)`).
 * Without a time (pure session tests, or a caller that gives none) nothing expires.
 * Publishes already in flight are re-sent as they are: the broker may have them already.
 */
import { MessageExpiredError } from '../errors.js';
import type { SessionState } from './state.js';
import type { PublishCommand } from './types.js';

/** Stamps a publish that is about to wait in the queue, if it has a lifetime. */
export function stampQueued(state: SessionState, command: PublishCommand): void {
  if (state.version !== 5 || state.now === undefined) return;
  if (command.properties?.messageExpiryInterval === undefined) return;
  command.queued = { at: state.now, interval: command.properties.messageExpiryInterval };
}

/**
 * For a queued publish about to go out: a MessageExpiredError if its lifetime is over, otherwise
 * undefined, after lowering its Message Expiry Interval by the whole seconds it waited.
 */
export function expireQueued(state: SessionState, command: PublishCommand): MessageExpiredError | undefined {
  const queued = command.queued;
  if (queued === undefined || state.now === undefined) return undefined;
  const { at, interval } = queued;
  const waitedMs = Math.max(0, state.now - at);
  if (waitedMs >= interval * 1000) return new MessageExpiredError(command.topic, interval);
  // Always from the original interval: a command may be looked at several times before it goes.
  const remaining = interval - Math.floor(waitedMs / 1000);
  command.properties = { ...command.properties, messageExpiryInterval: remaining };
  return undefined;
}
