/**
 * Messages the broker publishes to us: validation, v5 topic aliases, delivery, and acks that go
 * out only once the application acknowledges, in the order the PUBLISHes arrived.
 */
import type { IPubackPacket, IPublishPacket, IPubrecPacket, IPubrelPacket } from '../protocol/codec.js';
import { DEFAULT_RECEIVE_MAXIMUM, protocolError, REASON } from './state.js';
import type { InboundEntry, SessionState } from './state.js';
import type { SessionOutput } from './types.js';
import { fingerprint, sameContent } from './qos2-content.js';
import type { Qos2Content } from './qos2-content.js';
import { checkTopicName } from './validate-inbound.js';

export function handlePublish(state: SessionState, packet: IPublishPacket, out: SessionOutput[]): void {
  if (!validPublish(state, packet, out)) return;
  const topic = resolveTopic(state, packet, out);
  if (topic === undefined) return;
  const qos = packet.qos;
  if (qos > 0 && receiveMaximumExceeded(state, packet, out)) return;
  if (qos === 0) {
    out.push(topic === packet.topic ? { type: 'deliver', packet } : { type: 'deliver', packet, topic });
  } else if (qos === 1) {
    deliverWithAck(state, packet, topic, 1, out);
  } else {
    receiveQos2(state, packet, topic, out);
  }
}

function validPublish(state: SessionState, packet: IPublishPacket, out: SessionOutput[]): boolean {
  // Its packet id and Remaining Length were checked with every packet (`checkFields`).
  if (packet.topic === '') return true; // resolveTopic decides (v5 topic alias)
  const violation = checkTopicName(packet.topic);
  if (violation === undefined) return true;
  protocolError(state, out, violation.message, violation.reasonCode);
  return false;
}

/**
 * MQTT 5 3.3.4: the broker may have at most our Receive Maximum QoS 1/2 PUBLISHes unacknowledged
 * (QoS 1 until our PUBACK, QoS 2 until our PUBCOMP or a failed PUBREC). One more is a protocol
 * violation answered with DISCONNECT 0x93. A QoS 2 PUBLISH re-sent with an id still in flight is
 * not a new one and does not count. MQTT 3 has no such limit.
 */
function receiveMaximumExceeded(state: SessionState, packet: IPublishPacket, out: SessionOutput[]): boolean {
  if (state.version !== 5) return false;
  if (packet.qos === 2 && state.inboundQos2.has(packet.messageId as number)) return false;
  const maximum = state.options.enforcedReceiveMaximum ?? state.options.properties?.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM;
  const unacknowledged = state.inboundQos1Unacked + state.inboundQos2.size;
  if (unacknowledged < maximum) return false;
  const message = `The broker sent more than our Receive Maximum of ${maximum} unacknowledged QoS 1/2 PUBLISHes`;
  protocolError(state, out, message, REASON.receiveMaximumExceeded);
  return true;
}

/**
 * v5 topic aliases (`inbound-aliases.ts`): the full topic of the PUBLISH, or undefined after a
 * protocol error. The packet is left as it arrived (an aliased one keeps its empty topic, as in
 * MQTT.js's 'message' event); its delivery carries the full topic, so subscribers never see aliases.
 */
function resolveTopic(state: SessionState, packet: IPublishPacket, out: SessionOutput[]): string | undefined {
  const alias = state.version === 5 ? packet.properties?.topicAlias : undefined;
  const topic = state.topicAliases.resolve(packet.topic, alias, state.options.properties?.topicAliasMaximum ?? 0);
  if (typeof topic !== 'string') {
    protocolError(state, out, topic.message, topic.reasonCode);
    return undefined;
  }
  return topic;
}

function deliverWithAck(state: SessionState, packet: IPublishPacket, topic: string, qos: 1 | 2, out: SessionOutput[]): void {
  const ackId = state.nextAckId++;
  if (qos === 1) state.inboundQos1Unacked++;
  state.acks.push({ ackId, messageId: packet.messageId as number, qos, acked: false, reasonCode: undefined });
  out.push(topic === packet.topic ? { type: 'deliver', packet, ackId } : { type: 'deliver', packet, ackId, topic });
}

function receiveQos2(state: SessionState, packet: IPublishPacket, topic: string, out: SessionOutput[]): void {
  const messageId = packet.messageId as number;
  const pubrecSent = state.inboundQos2.get(messageId);
  if (pubrecSent === undefined) {
    if (state.recentQos2.isReplay(packet, topic)) return answerStaleReplay(state, packet, topic, out);
    holdQos2(state, packet, fingerprint(packet, topic));
    deliverWithAck(state, packet, topic, 2, out);
    return;
  }
  const held = state.inboundQos2Content.get(messageId);
  if (held !== undefined) {
    const content = fingerprint(packet, topic);
    // Other content under a held id: a replay of what the id carried before, or a new message.
    if (!sameContent(held, content)) {
      if (state.recentQos2.isReplay(packet, topic)) return answerStaleReplay(state, packet, topic, out);
      return receiveOnReusedId(state, packet, topic, held, content, out);
    }
  }
  // [MQTT-4.3.3-10] until PUBREL, a PUBLISH with the same id is answered with PUBREC and not
  // delivered again. If the first PUBREC has not gone out yet, it answers both.
  if (!pubrecSent) return;
  answerWithPubrec(state, messageId, out);
}

function holdQos2(state: SessionState, packet: IPublishPacket, content: Qos2Content): void {
  const messageId = packet.messageId as number;
  state.inboundQos2.set(messageId, false);
  state.inboundQos2Content.set(messageId, content);
}

/** A PUBREC that needs no acknowledgement from the app, queued behind those that do [MQTT-4.6.0-3]. */
function answerWithPubrec(state: SessionState, messageId: number, out: SessionOutput[]): void {
  const ackId = state.nextAckId++;
  state.acks.push({ ackId, messageId, qos: 2, acked: true, reasonCode: undefined });
  flushAcks(state, out);
}

/**
 * The broker sent other content under an id still awaiting PUBREL: it lost that PUBREL and reused
 * the id ([MQTT-2.2.1-3] forbids it), so this cannot be a re-delivery, which carries the same
 * message ([MQTT-4.3.3-10]). It is delivered as new. The held message was delivered already, so
 * it counts as completed (a later replay of it is then stale), and the id now waits for the new
 * message's PUBREL.
 */
function receiveOnReusedId(state: SessionState, packet: IPublishPacket, topic: string, held: Qos2Content, content: Qos2Content, out: SessionOutput[]): void {
  const messageId = packet.messageId as number;
  out.push({ type: 'protocolAnomaly', kind: 'packetIdReused', messageId, topic });
  state.recentQos2.remember(messageId, held);
  holdQos2(state, packet, content);
  deliverWithAck(state, packet, topic, 2, out);
}

/**
 * A DUP=1 re-send of a message whose exchange completed moments ago: the broker replays state it
 * should have discarded at PUBCOMP. The protocol still wants a PUBREC for it (the broker then
 * sends PUBREL, answered with PUBCOMP like any unknown id), but the app has had the message.
 */
function answerStaleReplay(state: SessionState, packet: IPublishPacket, topic: string, out: SessionOutput[]): void {
  const messageId = packet.messageId as number;
  out.push({ type: 'protocolAnomaly', kind: 'staleReplay', messageId, topic });
  answerWithPubrec(state, messageId, out);
}

/** The application is done with delivery `ackId`: its PUBACK/PUBREC may go out. */
export function acknowledge(state: SessionState, ackId: number, reasonCode: number | undefined, out: SessionOutput[]): void {
  const entry = findAck(state, ackId);
  if (entry === undefined || entry.acked) return; // unknown or repeated: acknowledging is idempotent
  entry.acked = true;
  if (state.version === 5) entry.reasonCode = reasonCode;
  flushAcks(state, out);
}

/** Binary search: ackIds are handed out increasing and the queue keeps arrival order. */
function findAck(state: SessionState, ackId: number): InboundEntry | undefined {
  const acks = state.acks;
  let low = 0;
  let high = acks.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const entry = acks.at(mid) as InboundEntry;
    if (entry.ackId === ackId) return entry;
    if (entry.ackId < ackId) low = mid + 1;
    else high = mid - 1;
  }
  return undefined;
}

/**
 * [MQTT-4.6.0-2] PUBACKs and [MQTT-4.6.0-3] PUBRECs go out in the order the PUBLISHes arrived:
 * send from the head of the queue while the head is acknowledged.
 */
export function flushAcks(state: SessionState, out: SessionOutput[]): void {
  if (state.status !== 'connected') return;
  const acks = state.acks;
  for (let entry = acks.peek(); entry !== undefined && entry.acked; entry = acks.peek()) {
    acks.shift();
    if (entry.qos === 1) {
      state.inboundQos1Unacked--;
      sendPuback(entry, out);
    }
    else sendPubrec(state, entry, out);
  }
}

function sendPuback(entry: InboundEntry, out: SessionOutput[]): void {
  const packet: IPubackPacket = { cmd: 'puback', messageId: entry.messageId };
  if (entry.reasonCode !== undefined) packet.reasonCode = entry.reasonCode;
  out.push({ type: 'send', packet });
}

function sendPubrec(state: SessionState, entry: InboundEntry, out: SessionOutput[]): void {
  const packet: IPubrecPacket = { cmd: 'pubrec', messageId: entry.messageId };
  const reasonCode = entry.reasonCode;
  if (reasonCode !== undefined) packet.reasonCode = reasonCode;
  if (reasonCode !== undefined && reasonCode >= 0x80) {
    // [MQTT-4.3.3-9] after a failed PUBREC the next PUBLISH with this id is a new message.
    state.inboundQos2.delete(entry.messageId);
    state.inboundQos2Content.delete(entry.messageId);
  } else if (state.inboundQos2.has(entry.messageId)) {
    state.inboundQos2.set(entry.messageId, true);
  }
  out.push({ type: 'send', packet });
}

/**
 * QoS 2 step 3: forget the id and answer PUBCOMP. An unknown id gets a plain success PUBCOMP in
 * every version rather than v5's 0x92: either way the broker can only discard its state, and a
 * success keeps it quiet (MQTT.js does the same).
 */
export function handlePubrel(state: SessionState, packet: IPubrelPacket, out: SessionOutput[]): void {
  const messageId = packet.messageId as number;
  state.inboundQos2.delete(messageId);
  const content = state.inboundQos2Content.get(messageId);
  if (content !== undefined) {
    state.inboundQos2Content.delete(messageId);
    state.recentQos2.remember(messageId, content);
  }
  out.push({ type: 'send', packet: { cmd: 'pubcomp', messageId } });
}

/** A CONNACK without session: the broker forgot every inbound QoS 2 exchange, so do we. */
export function clearInboundQos2(state: SessionState): void {
  state.inboundQos2.clear();
  state.inboundQos2Content.clear();
  state.recentQos2.clear();
  state.acks.clear();
  state.inboundQos1Unacked = 0;
}
