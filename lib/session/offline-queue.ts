/**
 * The pending queue's bookkeeping and its bounds while offline. Every command that cannot go out
 * at once waits in `state.pending`; the publishes among it are counted (and their payload bytes
 * summed) so that `offlineQueue` limits cost O(1) per publish. The limits apply only to a publish
 * issued while not connected: traffic held back on a live connection (no free packet id, Receive
 * Maximum) is bounded by the broker, not by us. Subscribes and unsubscribes are never dropped.
 */
import { QueueFullError, type QueueLimit } from '../errors.js';
import { stampQueued } from './message-expiry.js';
import { settleError } from './state.js';
import type { SessionState } from './state.js';
import type { Command, OfflineQueueLimits, PublishCommand, SessionOutput, SettleResult } from './types.js';

/** Appends a command to the pending queue. */
export function enqueue(state: SessionState, command: Command): void {
  state.pending.push(command);
  if (command.type !== 'publish') return;
  stampQueued(state, command);
  state.queuedPublishes++;
  state.queuedBytes += payloadBytes(command);
}

/** Removes the head of the pending queue (it was sent). */
export function dequeue(state: SessionState): void {
  const command = state.pending.shift();
  if (command?.type === 'publish') forget(state, command);
}

/** Empties the pending queue, returning what it held in order. */
export function dequeueAll(state: SessionState): Command[] {
  state.queuedPublishes = 0;
  state.queuedBytes = 0;
  return state.pending.drain();
}

/** Takes the commands `take` picks out of the pending queue, in order; the others keep their places. */
export function dequeueWhere(state: SessionState, take: (command: Command) => boolean): Command[] {
  const taken: Command[] = [];
  state.pending.retain((command) => {
    if (!take(command)) return true;
    taken.push(command);
    if (command.type === 'publish') forget(state, command);
    return false;
  });
  return taken;
}

/**
 * Whether a publish issued while not connected may join the pending queue. When it does not fit,
 * the overflow policy picks what is dropped: the oldest waiting publishes ('drop-oldest', as many
 * as it takes) or the new one ('drop-newest', 'error', and any policy when the new one could not
 * fit even alone). Each dropped publish settles with a QueueFullError and is reported.
 */
export function admitOffline(state: SessionState, command: PublishCommand, out: SessionOutput[]): boolean {
  const limits = state.options.offlineQueue;
  if (limits === undefined) return true;
  const bytes = payloadBytes(command);
  let limit = exceeded(state, limits, bytes);
  if (limit === undefined) return true;
  if (limits.overflow !== 'drop-oldest' || limits.maxMessages < 1 || bytes > limits.maxBytes) {
    drop(out, command, limits, limit, 'refused');
    return false;
  }
  for (; limit !== undefined; limit = exceeded(state, limits, bytes)) {
    const oldest = removeOldestPublish(state);
    if (oldest === undefined) break; // cannot happen while the counters are right
    drop(out, oldest, limits, limit, 'evicted', unstore(state, oldest));
  }
  return true;
}

/** The limit that one more publish of `bytes` would break, if any. */
function exceeded(state: SessionState, limits: OfflineQueueLimits, bytes: number): QueueLimit | undefined {
  if (state.queuedPublishes + 1 > limits.maxMessages) return 'maxMessages';
  if (state.queuedBytes + bytes > limits.maxBytes) return 'maxBytes';
  return undefined;
}

/** The oldest waiting publish, taken out of the queue; subscribes and unsubscribes before it stay. */
function removeOldestPublish(state: SessionState): PublishCommand | undefined {
  const pending = state.pending;
  let i = 0;
  for (let command = pending.at(0); command !== undefined; command = pending.at(++i)) {
    if (command.type !== 'publish') continue;
    pending.removeAt(i);
    forget(state, command);
    return command;
  }
  return undefined;
}

function drop(
  out: SessionOutput[],
  command: PublishCommand,
  limits: OfflineQueueLimits,
  limit: QueueLimit,
  outcome: 'refused' | 'evicted',
  stored?: SettleResult,
): void {
  const error = new QueueFullError(command.topic, limit, outcome);
  // An evicted publish that was stored offline names its packet id: it leaves the store too.
  settleError(out, command.token, error, stored);
  const { topic, qos } = command;
  out.push({ type: 'dropped', topic, qos, bytes: payloadBytes(command), policy: limits.overflow, error });
}

/**
 * A publish stored offline (`offline-store.ts`) leaves the queue unsent: its packet id is free
 * again. Returns the settle result that names it (so that the outgoing store forgets it), if stored.
 */
export function unstore(state: SessionState, command: PublishCommand): SettleResult | undefined {
  const messageId = command.stored?.messageId;
  if (messageId === undefined) return undefined;
  command.stored = undefined;
  state.ids.deallocate(messageId);
  return { type: 'publish', messageId };
}

function forget(state: SessionState, command: PublishCommand): void {
  state.queuedPublishes--;
  state.queuedBytes -= payloadBytes(command);
}

function payloadBytes(command: PublishCommand): number {
  const { payload } = command;
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}
