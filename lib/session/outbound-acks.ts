/**
 * Acknowledgements of what we sent (PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK), plus the two
 * commands that cut in-flight work short: removeOutgoing and abort. Acks for an unknown packet
 * id, or for an id of another kind, are ignored: nobody waits for them.
 */
import type { IPubackPacket, IPubcompPacket, IPubrecPacket, IPubrelPacket, ISubackPacket, IUnsubackPacket } from '../protocol/codec.js';
import { MqttError, PublishError, SubackError } from '../errors.js';
import { dequeueAll, dequeueWhere, unstore } from './offline-queue.js';
import { removeStored } from './offline-store.js';
import { completePart } from './subscribe-batches.js';
import { drain } from './outbound.js';
import { isFailure, NO_RESUBSCRIBES, protocolError, REASON, release, settleError, settleOk } from './state.js';
import type { PublishEntry, SessionState, SubscribeEntry } from './state.js';
import type { SessionOutput } from './types.js';

/** The in-flight publish of the given QoS under `messageId`, if there is one. */
function inflightPublish(state: SessionState, messageId: number | undefined, qos: 1 | 2): PublishEntry | undefined {
  const entry = messageId === undefined ? undefined : state.inflight.get(messageId);
  return entry?.kind === 'publish' && entry.packet.qos === qos ? entry : undefined;
}

/** Frees the entry, settles its publish with `ack` (error for a v5 failure code), sends what waited. */
function finishPublish(
  state: SessionState,
  messageId: number,
  entry: PublishEntry,
  ack: IPubackPacket | IPubrecPacket | IPubcompPacket,
  out: SessionOutput[],
): void {
  release(state, messageId, entry);
  if (isFailure(state, ack.reasonCode)) {
    const error = new PublishError(ack.reasonCode as number, ack.properties?.reasonString, ack);
    settleError(out, entry.token, error, { type: 'publish', messageId, packet: ack });
  } else {
    settleOk(out, entry.token, { type: 'publish', messageId, packet: ack });
  }
  drain(state, out);
}

/** QoS 1 done: the broker owns the message. */
export function handlePuback(state: SessionState, packet: IPubackPacket, out: SessionOutput[]): void {
  const entry = inflightPublish(state, packet.messageId, 1);
  if (entry !== undefined) finishPublish(state, packet.messageId as number, entry, packet, out);
}

/** QoS 2 step 2: answer PUBREL, or settle a v5 refusal (no PUBREL then, [MQTT-4.3.3-4]). */
export function handlePubrec(state: SessionState, packet: IPubrecPacket, out: SessionOutput[]): void {
  const messageId = packet.messageId as number;
  const entry = inflightPublish(state, messageId, 2);
  if (entry === undefined) {
    // Unknown id: release it anyway so the broker can finish its side; v5 says why.
    if (!isFailure(state, packet.reasonCode)) out.push({ type: 'send', packet: pubrel(state, messageId, REASON.packetIdNotFound) });
    return;
  }
  if (isFailure(state, packet.reasonCode)) {
    finishPublish(state, messageId, entry, packet, out);
    return;
  }
  entry.pubrec = packet;
  // [MQTT-4.6.0-4] PUBRELs go out in PUBREC order: each is sent as its PUBREC arrives.
  out.push({ type: 'send', packet: pubrel(state, messageId, undefined) });
}

export function pubrel(state: SessionState, messageId: number, reasonCode: number | undefined): IPubrelPacket {
  const packet: IPubrelPacket = { cmd: 'pubrel', messageId };
  if (state.version === 5 && reasonCode !== undefined) packet.reasonCode = reasonCode;
  return packet;
}

/**
 * QoS 2 done. A PUBCOMP 0x92 (Packet Identifier not found) answering a PUBREL re-sent as the
 * session resumed means the broker completed the exchange before the connection dropped: MQTT 5
 * (3.7.2.1, PUBCOMP Reason Codes) says 0x92 "is not an error during recovery", so the publish
 * succeeds with the code in its result (`result.packet.reasonCode`). At other times 0x92 means
 * the two session states disagree, and the publish fails with it as before.
 */
export function handlePubcomp(state: SessionState, packet: IPubcompPacket, out: SessionOutput[]): void {
  const messageId = packet.messageId as number;
  const entry = inflightPublish(state, messageId, 2);
  if (entry === undefined) return;
  if (entry.pubrelResent && packet.reasonCode === REASON.packetIdNotFound) {
    release(state, messageId, entry);
    settleOk(out, entry.token, { type: 'publish', messageId, packet });
    drain(state, out);
    return;
  }
  finishPublish(state, messageId, entry, packet, out);
}

/**
 * Settles a SUBSCRIBE with one code per filter. Failure codes are not an error settle (MQTT.js
 * compatibility): callers inspect `granted`. Accepted filters are remembered for resubscribe;
 * refused ones are forgotten, and those of an automatic resubscribe reported as 'resubscribeFailed'.
 */
export function handleSuback(state: SessionState, packet: ISubackPacket, out: SessionOutput[]): void {
  const messageId = packet.messageId as number;
  const entry = state.inflight.get(messageId);
  if (entry?.kind !== 'subscribe') return;
  const granted = packet.granted.map((code) => (typeof code === 'number' ? code : 0x80));
  const filters = entry.packet.subscriptions.length;
  // [MQTT-3.9.3-1] one return code per Topic Filter of the SUBSCRIBE, in order.
  if (granted.length !== filters) {
    protocolError(state, out, `SUBACK has ${granted.length} codes for ${filters} filters`, REASON.protocolError);
    return;
  }
  release(state, messageId, entry);
  recordSubscriptions(state, entry, granted);
  if (entry.token !== undefined) settleSubscribe(entry, packet, granted, out);
  else for (const error of refusals(entry, packet, granted)) out.push({ type: 'resubscribeFailed', topic: error.topic, reasonCode: error.reasonCode!, error });
  drain(state, out);
}

/** A caller's SUBSCRIBE is done: settle it, or, for one packet of a batched subscribe, once its last SUBACK is in. */
function settleSubscribe(entry: SubscribeEntry, packet: ISubackPacket, granted: number[], out: SessionOutput[]): void {
  const refused = refusals(entry, packet, granted)[0];
  if (entry.part === undefined) return settleOk(out, entry.token, { type: 'subscribe', packet, granted, refused });
  // The result carries the last SUBACK, as MQTT.js's callback does.
  const whole = completePart(entry.part, granted, refused);
  if (whole) settleOk(out, entry.token, { type: 'subscribe', packet, granted: whole.granted, refused: whole.refused });
}

/**
 * One SubackError per filter the broker refused (code >= 0x80). A caller's SUBSCRIBE gets the
 * first as `refused`; nobody waits for an automatic resubscribe, so each is an output of its own.
 */
function refusals(entry: SubscribeEntry, packet: ISubackPacket, granted: number[]): SubackError[] {
  const errors: SubackError[] = [];
  const subscriptions = entry.packet.subscriptions;
  for (let i = 0; i < subscriptions.length; i++) {
    const reasonCode = granted[i] as number;
    if (reasonCode >= 0x80) errors.push(new SubackError(subscriptions[i]!.topic, reasonCode, packet.properties?.reasonString, packet));
  }
  return errors;
}

function recordSubscriptions(state: SessionState, entry: SubscribeEntry, granted: number[]): void {
  const subscriptions = entry.packet.subscriptions;
  const properties = state.version === 5 ? entry.packet.properties : undefined;
  for (let i = 0; i < subscriptions.length; i++) {
    const subscription = subscriptions[i]!;
    const topic = subscription.topic;
    if ((granted[i] as number) < 0x80) {
      state.subscriptions.set(topic, subscription);
      if (properties !== undefined) state.subscriptionProperties.set(topic, properties);
      else state.subscriptionProperties.delete(topic);
    } else {
      state.subscriptions.delete(topic);
      state.subscriptionProperties.delete(topic);
    }
  }
}

/**
 * Settles an UNSUBSCRIBE. Filters leave `subscriptions` here rather than on send: if the
 * connection drops first, the UNSUBSCRIBE is re-sent after the resubscribe, so the end state holds.
 */
export function handleUnsuback(state: SessionState, packet: IUnsubackPacket, out: SessionOutput[]): void {
  const messageId = packet.messageId as number;
  const entry = state.inflight.get(messageId);
  if (entry?.kind !== 'unsubscribe') return;
  const filters = entry.packet.unsubscriptions.length;
  // [MQTT-3.11.3-1] (5.0) one Reason Code per Topic Filter of the UNSUBSCRIBE, in order; 3.1.1 has none.
  if (state.version === 5 && packet.granted?.length !== filters) {
    protocolError(state, out, `UNSUBACK has ${packet.granted?.length ?? 0} codes for ${filters} filters`, REASON.protocolError);
    return;
  }
  release(state, messageId, entry);
  for (const topic of entry.packet.unsubscriptions) {
    state.subscriptions.delete(topic);
    state.subscriptionProperties.delete(topic);
  }
  settleOk(out, entry.token, { type: 'unsubscribe', packet });
  drain(state, out);
}

/** MQTT.js removeOutgoingMessage: give up on an in-flight QoS 1/2 publish. */
export function removeOutgoing(state: SessionState, messageId: number, error: MqttError | undefined, out: SessionOutput[]): void {
  const entry = state.inflight.get(messageId);
  if (!entry) return removeStored(state, messageId, error, out);
  if (entry.kind !== 'publish' && !error) return;
  release(state, messageId, entry);
  const reason = error ?? new MqttError('ERR_MESSAGE_REMOVED', 'Message removed');
  // A publish's settle names it (restored ones too, with no token) so the outgoing store forgets it.
  if (entry.kind === 'publish') settleError(out, entry.token, reason, { type: 'publish', messageId });
  else if (entry.token !== undefined) settleError(out, entry.token, reason);
  drain(state, out);
}

/**
 * The client ends. Without a persistent session (clean: true) every in-flight and pending command
 * fails with `error` and every packet id is freed: [MQTT-3.1.2-6] the broker discards the session
 * at the next CONNECT, so nothing could be resumed. With clean: false the session outlives the
 * network connection ([MQTT-3.1.2-4]): the QoS 1/2 publishes, in flight (PUBREC'd ones too) or
 * waiting to be sent, stay with their callers, for a later reconnect() to resume at its CONNACK
 * ([MQTT-4.4.0-1]) as MQTT.js does. Subscribes, unsubscribes and QoS 0 publishes fail either way.
 */
export function abort(state: SessionState, error: MqttError, out: SessionOutput[]): void {
  const persistent = state.options.clean === false;
  for (const [messageId, entry] of state.inflight) {
    if (persistent && entry.kind === 'publish') continue;
    release(state, messageId, entry);
    if (entry.token !== undefined) settleError(out, entry.token, error);
  }
  if (!persistent) state.quotaUsed = 0;
  state.resend.clear();
  state.resubscribe = NO_RESUBSCRIBES;
  const failed = persistent ? dequeueWhere(state, (command) => command.type !== 'publish' || command.qos === 0) : dequeueAll(state);
  // Publishes stored offline stay in the store, as in-flight ones do: their ids are freed alike.
  for (const command of failed) {
    if (command.type === 'publish') unstore(state, command);
    settleError(out, command.token, error);
  }
}
