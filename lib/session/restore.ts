/**
 * Resuming from a durable store: the QoS 1/2 PUBLISHes and PUBRELs a previous process left in its
 * outgoing store become in-flight entries again, before the first CONNECT. From there the usual
 * resume applies at CONNACK ([MQTT-4.4.0-1]): with a session present, PUBLISH again with DUP=1
 * and the same packet id, or PUBREL for a QoS 2 message that got PUBREC; without one, the
 * PUBLISHes go out as new deliveries and the PUBREC'd messages count as delivered.
 *
 * The incoming store's QoS 2 PUBLISHes (stored as their PUBREC went out) become inbound ids
 * awaiting PUBREL again, so that the broker's re-sent PUBLISH (DUP=1) of a message the previous
 * process delivered is answered with PUBREC and not delivered twice ([MQTT-4.3.3-10]).
 */
import type { IPublishPacket, IPubrelPacket, Packet } from '../protocol/codec.js';
import { withoutAlias } from './outbound-aliases.js';
import { fingerprint } from './qos2-content.js';
import type { PublishEntry, SessionState } from './state.js';

/**
 * Adds `packets` (in store order) to the in-flight table with no caller token. Packets that are
 * not a QoS 1/2 PUBLISH or a PUBREL, or whose packet id is invalid or already in use, are skipped.
 * Returns how many entries were restored.
 */
export function restore(state: SessionState, packets: readonly Packet[]): number {
  let restored = 0;
  for (const packet of packets) {
    if (packet.cmd === 'publish' && restorePublish(state, packet)) restored++;
    else if (packet.cmd === 'pubrel' && restorePubrel(state, packet)) restored++;
  }
  return restored;
}

/**
 * Marks the packet ids of the incoming store's QoS 2 PUBLISHes as delivered and PUBREC'd, awaiting
 * PUBREL. Without a session present at CONNACK they are dropped with the rest of the inbound state.
 * Returns how many ids were restored.
 */
export function restoreIncoming(state: SessionState, packets: readonly Packet[]): number {
  let restored = 0;
  for (const packet of packets) {
    if (packet.cmd !== 'publish' || packet.qos !== 2 || packet.messageId === undefined) continue;
    if (state.inboundQos2.has(packet.messageId)) continue;
    state.inboundQos2.set(packet.messageId, true);
    // Its content too: a broker that reuses the id for another message is told apart (qos2-content.ts).
    state.inboundQos2Content.set(packet.messageId, fingerprint(packet));
    restored++;
  }
  return restored;
}

function restorePublish(state: SessionState, packet: IPublishPacket): boolean {
  const messageId = packet.messageId;
  if ((packet.qos !== 1 && packet.qos !== 2) || messageId === undefined) return false;
  // A PUBLISH stored with '' + Topic Alias names its topic through a connection that is gone
  // [MQTT-3.3.2-7]: it can never be resent. (rxmqtt itself stores the full topic.)
  if (packet.topic === '' || !state.ids.register(messageId)) return false;
  // The session sets DUP itself when it re-sends within a present session ([MQTT-3.3.1-1]); an
  // alias from the old connection is dropped for the same reason as above.
  const restored: IPublishPacket = { ...packet, dup: false };
  const properties = withoutAlias(packet.properties);
  if (properties === undefined) delete restored.properties;
  else restored.properties = properties;
  addEntry(state, messageId, restored, false);
  return true;
}

/**
 * [MQTT-4.3.3-2] the broker answered PUBREC, so the message is its own now and only PUBREL may
 * follow. The store keeps the PUBREL in place of the PUBLISH, so the entry gets a placeholder
 * QoS 2 PUBLISH that is never sent again: with a session the PUBREL is, without one it settles.
 */
function restorePubrel(state: SessionState, packet: IPubrelPacket): boolean {
  const messageId = packet.messageId;
  if (messageId === undefined) return false;
  const entry = state.inflight.get(messageId);
  if (entry?.kind === 'publish' && entry.token === undefined && entry.packet.qos === 2 && entry.pubrec === undefined) {
    // A store that kept both, PUBLISH then PUBREL: the later record wins, as it would in a Map.
    entry.pubrec = { cmd: 'pubrec', messageId };
    return false;
  }
  if (!state.ids.register(messageId)) return false;
  const placeholder: IPublishPacket = { cmd: 'publish', topic: '', payload: Buffer.alloc(0), qos: 2, retain: false, dup: false, messageId };
  addEntry(state, messageId, placeholder, true);
  return true;
}

function addEntry(state: SessionState, messageId: number, packet: IPublishPacket, pubrec: boolean): void {
  const entry: PublishEntry = {
    kind: 'publish',
    token: undefined,
    packet,
    pubrec: pubrec ? { cmd: 'pubrec', messageId } : undefined,
    onWire: false,
  };
  state.inflight.set(messageId, entry);
}
