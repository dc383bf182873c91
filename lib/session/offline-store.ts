/**
 * QoS 1/2 publishes issued while not connected, when there is an outgoing store. MQTT.js gives
 * such a publish its packet id and puts it into its outgoingStore at once, so that `cbStorePut`
 * means "survives a restart", and sends the stored ones before the queued commands on reconnect.
 *
 * Here it waits in the pending queue like any offline command (the queue limits, eviction,
 * message expiry and end() treat it as before) but holds its packet id and the PUBLISH as it was
 * stored, announced by a `store` output. At CONNACK the stored ones leave the queue for the
 * in-flight table, oldest first, and go out like publishes resumed from a store: as Receive
 * Maximum allows [MQTT-4.9.0-2], before the queued commands, but with DUP=0 since they were never
 * sent [MQTT-3.3.1-1]. After a restart the store gives them back as any in-flight publish.
 */
import { MqttError } from '../errors.js';
import { expireQueued } from './message-expiry.js';
import { dequeueWhere, unstore } from './offline-queue.js';
import { publishPacket } from './publish-packet.js';
import { publishRefusal } from './server-limits.js';
import { settleError } from './state.js';
import type { SessionState } from './state.js';
import type { Command, PublishCommand, SessionOutput } from './types.js';

/** A QoS 1/2 publish about to wait offline: it takes a packet id and is stored, if an id is free. */
export function storeOffline(state: SessionState, command: PublishCommand, out: SessionOutput[]): void {
  // A topic given by alias alone cannot be stored: the alias names it on one connection only.
  if (command.qos === 0 || command.topic === '') return;
  const messageId = state.ids.allocate();
  if (messageId === null) return; // it waits without an id, as it would without a store
  const packet = publishPacket(state, command, command.topic, messageId);
  command.stored = packet;
  out.push({ type: 'store', packet, token: command.token });
}

/**
 * The outgoing store was read (a `restore` input): its packets hold their ids now, so the
 * publishes issued meanwhile (and those after) may take theirs without taking one of a stored message.
 */
export function storeWaiting(state: SessionState, out: SessionOutput[]): void {
  if (state.options.storeOfflinePublishes !== true) return;
  state.storeOffline = true;
  if (state.status === 'connected') return;
  const pending = state.pending;
  for (let i = 0, command = pending.at(0); command !== undefined; command = pending.at(++i)) {
    if (command.type === 'publish' && command.stored === undefined) storeOffline(state, command, out);
  }
}

/**
 * At CONNACK, before the in-flight publishes are resumed: the stored publishes leave the queue
 * for the in-flight table in the order they were issued. One whose Message Expiry Interval ran
 * out, or that the new connection's limits rule out, fails instead, and leaves the store.
 */
export function promoteStored(state: SessionState, out: SessionOutput[]): void {
  if (!state.storeOffline || state.queuedPublishes === 0) return;
  const stored = dequeueWhere(state, isStored) as PublishCommand[];
  for (const command of stored) {
    const packet = command.stored!;
    const messageId = packet.messageId!;
    const refusal = state.version === 5 ? (expireQueued(state, command) ?? publishRefusal(state, command)) : undefined;
    if (refusal !== undefined) {
      settleError(out, command.token, refusal, unstore(state, command));
      continue;
    }
    // expireQueued lowered its Message Expiry Interval by the time it waited.
    const sendable = command.queued === undefined ? packet : publishPacket(state, command, packet.topic, messageId);
    state.inflight.set(messageId, { kind: 'publish', token: command.token, packet: sendable, pubrec: undefined, onWire: false, neverSent: true });
  }
}

/**
 * MQTT.js removeOutgoingMessage(messageId), or a put into the store that failed (`error`), for a
 * publish waiting offline with that id: it fails and leaves the queue and the store.
 */
export function removeStored(state: SessionState, messageId: number, error: MqttError | undefined, out: SessionOutput[]): void {
  if (!state.storeOffline) return;
  const [command] = dequeueWhere(state, (c) => isStored(c) && c.stored!.messageId === messageId) as PublishCommand[];
  if (command === undefined) return;
  settleError(out, command.token, error ?? new MqttError('ERR_MESSAGE_REMOVED', 'Message removed'), unstore(state, command));
}

function isStored(command: Command): command is PublishCommand {
  return command.type === 'publish' && command.stored !== undefined;
}
