/**
 * Outgoing commands: send at once when connected and a packet id (and, for QoS 1/2, Receive
 * Maximum) allows, otherwise wait in one FIFO so no command overtakes an earlier one.
 */
import type { IPublishPacket, ISubscribePacket, ISubscription, IUnsubscribePacket } from '../protocol/codec.js';
import { MqttError } from '../errors.js';
import { expireQueued } from './message-expiry.js';
import { admitOffline, dequeue, enqueue } from './offline-queue.js';
import { storeOffline } from './offline-store.js';
import { aliasedPublish, resolveTopic } from './outbound-aliases.js';
import { publishPacket } from './publish-packet.js';
import { publishRefusal, subscribeRefusal } from './server-limits.js';
import { assertNever, settleError, settleOk } from './state.js';
import type { PublishEntry, ResubscribeGroup, SessionState } from './state.js';
import { subscribeBatches, type SubscribeBatch, type SubscribeLimits } from './subscribe-batches.js';
import type { Command, PublishCommand, SessionOutput, SubscribeCommand, UnsubscribeCommand } from './types.js';

/** A publish, subscribe or unsubscribe issued by the application. */
export function handleCommand(state: SessionState, command: Command, out: SessionOutput[]): void {
  if (state.status === 'connected' && nothingWaiting(state) && trySend(state, command, out)) return;
  if (state.status !== 'connected' && command.type === 'publish') {
    if (command.qos === 0 && !state.options.queueQoSZero) {
      settleError(out, command.token, new MqttError('ERR_CONNECTION_CLOSED', 'Cannot publish QoS 0 while disconnected'));
      return;
    }
    if (!admitOffline(state, command, out)) return;
    if (state.storeOffline) storeOffline(state, command, out);
  }
  enqueue(state, command);
}

function nothingWaiting(state: SessionState): boolean {
  return state.pending.length === 0 && state.resend.length === 0 && state.resubscribe.length === 0;
}

/**
 * Sends whatever can go now, oldest first: in-flight publishes held back by Receive Maximum after
 * a reconnect, automatic resubscribes, then pending commands. Stops at the first that must wait.
 */
export function drain(state: SessionState, out: SessionOutput[]): void {
  if (state.status !== 'connected') return;
  drainResend(state, out);
  drainResubscribe(state, out);
  if (state.resend.length > 0 || state.resubscribe.length > 0) return;
  const pending = state.pending;
  for (let command = pending.peek(); command !== undefined; command = pending.peek()) {
    if (!trySend(state, command, out)) return;
    dequeue(state);
  }
}

/**
 * Sends one command if an id and the quota allow; false when it has to wait. A command the
 * broker's CONNACK rules out is settled with its error instead (true: it is done with).
 */
function trySend(state: SessionState, command: Command, out: SessionOutput[]): boolean {
  const refusal = refusalOf(state, command);
  if (refusal !== undefined) {
    settleError(out, command.token, refusal);
    return true;
  }
  switch (command.type) {
    case 'publish':
      return sendPublish(state, command, out);
    case 'subscribe':
      return sendSubscribe(state, command, out);
    case 'unsubscribe':
      return sendUnsubscribe(state, command, out);
    default:
      return assertNever(command);
  }
}

/** Checked here, at send time, so a command queued offline meets the limits of the connection it goes out on. */
function refusalOf(state: SessionState, command: Command): MqttError | undefined {
  if (state.version !== 5) return undefined;
  if (command.type === 'publish') return expireQueued(state, command) ?? publishRefusal(state, command);
  if (command.type === 'subscribe') return subscribeRefusal(state, command);
  return undefined;
}

function sendPublish(state: SessionState, command: PublishCommand, out: SessionOutput[]): boolean {
  // [MQTT-4.9.0-2] no more unacknowledged QoS 1/2 PUBLISHes than the broker's Receive Maximum.
  if (command.qos !== 0 && state.quotaUsed >= state.receiveMaximum) return false;
  const alias = state.version === 5 ? command.properties?.topicAlias : undefined;
  const topic = resolveTopic(state.outboundAliases, command.topic, alias);
  if (typeof topic !== 'string') {
    settleError(out, command.token, topic);
    return true;
  }
  if (command.qos === 0) {
    out.push({ type: 'send', packet: wirePacket(state, publishPacket(state, command, topic, undefined), command, alias), token: command.token });
    settleOk(out, command.token, { type: 'publish' });
    return true;
  }
  const messageId = state.ids.allocate();
  if (messageId === null) return false;
  // The in-flight entry (and the outgoing store) keeps the full topic without alias: a resend
  // goes out on another connection, where this one's aliases mean nothing [MQTT-3.3.2-7].
  const packet = publishPacket(state, command, topic, messageId);
  const entry: PublishEntry = { kind: 'publish', token: command.token, packet, pubrec: undefined, onWire: true };
  state.inflight.set(messageId, entry);
  state.quotaUsed++;
  out.push({ type: 'send', packet: wirePacket(state, packet, command, alias) });
  return true;
}

/** What goes on the wire: the canonical PUBLISH with this connection's Topic Alias applied, if any. */
function wirePacket(state: SessionState, packet: IPublishPacket, command: PublishCommand, alias: number | undefined): IPublishPacket {
  if (state.version !== 5) return packet;
  return aliasedPublish(state.outboundAliases, state.options, packet, { topic: command.topic, alias });
}

function sendSubscribe(state: SessionState, command: SubscribeCommand, out: SessionOutput[]): boolean {
  const parts = subscribeBatches(command.subscriptions, subscribeLimits(state, command.properties));
  // A subscribe goes out whole or waits: its packets are sent together, one id each.
  const ids = allocateIds(state, parts.length);
  if (ids === undefined) return false;
  const batch: SubscribeBatch | undefined = parts.length > 1 ? { granted: [], waiting: parts.length } : undefined;
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    const subscriptions = parts[i] as ISubscription[];
    const packet = subscribePacket(state, ids[i] as number, subscriptions, command.properties);
    const part = batch && { batch, offset };
    state.inflight.set(ids[i] as number, part ? { kind: 'subscribe', token: command.token, packet, part } : { kind: 'subscribe', token: command.token, packet });
    offset += subscriptions.length;
    out.push({ type: 'send', packet });
  }
  return true;
}

/** What bounds each SUBSCRIBE packet of a subscribe with `properties` on this connection. */
export function subscribeLimits(state: SessionState, properties: SubscribeCommand['properties']): SubscribeLimits {
  const v5 = state.version === 5;
  return { filters: state.options.subscribeBatchSize, bytes: state.connack?.properties?.maximumPacketSize, properties: v5 ? properties : undefined, v5 };
}

/** `count` free packet ids, or none (those taken are given back) when fewer are free. */
function allocateIds(state: SessionState, count: number): number[] | undefined {
  const ids: number[] = [];
  while (ids.length < count) {
    const id = state.ids.allocate();
    if (id === null) {
      for (const taken of ids) state.ids.deallocate(taken);
      return undefined;
    }
    ids.push(id);
  }
  return ids;
}

function subscribePacket(
  state: SessionState,
  messageId: number,
  subscriptions: SubscribeCommand['subscriptions'],
  properties: SubscribeCommand['properties'],
): ISubscribePacket {
  const packet: ISubscribePacket = { cmd: 'subscribe', messageId, subscriptions };
  if (state.version === 5 && properties !== undefined) packet.properties = properties;
  return packet;
}

function sendUnsubscribe(state: SessionState, command: UnsubscribeCommand, out: SessionOutput[]): boolean {
  const messageId = state.ids.allocate();
  if (messageId === null) return false;
  const packet: IUnsubscribePacket = { cmd: 'unsubscribe', messageId, unsubscriptions: command.topics };
  if (state.version === 5 && command.properties !== undefined) packet.properties = command.properties;
  state.inflight.set(messageId, { kind: 'unsubscribe', token: command.token, packet });
  out.push({ type: 'send', packet });
  return true;
}

/** Sends automatic resubscribes (no caller waits for them) while packet ids are free. */
export function drainResubscribe(state: SessionState, out: SessionOutput[]): void {
  while (state.resubscribe.length > 0) {
    const messageId = state.ids.allocate();
    if (messageId === null) return;
    const group = state.resubscribe.shift() as ResubscribeGroup;
    const packet = subscribePacket(state, messageId, group.subscriptions, group.properties);
    state.inflight.set(messageId, { kind: 'subscribe', token: undefined, packet });
    out.push({ type: 'send', packet });
  }
}

/** Re-sends held-back in-flight publishes as Receive Maximum frees up. */
function drainResend(state: SessionState, out: SessionOutput[]): void {
  while (state.resend.length > 0 && state.quotaUsed < state.receiveMaximum) {
    const entry = state.inflight.get(state.resend.shift() as number);
    // Skip ids removed or settled meanwhile (a reused id belongs to an entry already on the wire).
    if (entry?.kind !== 'publish' || entry.onWire) continue;
    resendPublish(state, entry, out);
  }
}

/**
 * [MQTT-4.4.0-1] re-sends an unacknowledged PUBLISH with its original packet id. It carries the
 * full topic and no Topic Alias: the entry never holds one, since the connection that knew the
 * alias is gone [MQTT-3.3.2-7].
 */
export function resendPublish(state: SessionState, entry: PublishEntry, out: SessionOutput[]): void {
  // [MQTT-3.3.1-1] DUP=1 when it is a re-delivery attempt within the broker's session; a new
  // session never saw it, so it is a first delivery and goes out as originally built.
  // One stored while offline was never sent: DUP=0 on its first send.
  const packet = state.resendDup && entry.neverSent !== true ? { ...entry.packet, dup: true } : entry.packet;
  if (entry.neverSent) entry.neverSent = false;
  entry.onWire = true;
  state.quotaUsed++;
  out.push({ type: 'send', packet });
}
