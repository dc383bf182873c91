/**
 * The fuzz oracle for issue 15: what a decoded packet must not be let through with. Written apart
 * from the session's checks (lib/session/validate-inbound.ts, remaining-length.ts): values are
 * judged one by one, and the Remaining Length against mqtt-packet's own encoder, which knows how
 * many bytes each field takes.
 */
import { encodePacket, type Packet } from '../../lib/protocol/codec.js';
import type { FuzzVersion } from './corpus.js';

const WITH_ID = new Set(['puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback']);
const OPTIONAL_PROPERTY_LENGTH = new Set(['puback', 'pubrec', 'pubrel', 'pubcomp', 'disconnect', 'auth']);

/** A property value no wire bytes decode to: the -1, null or undefined of a field cut short. */
function sentinel(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(sentinel);
  return value === null || value === undefined || (typeof value === 'number' && !(value >= 0));
}

function badProperty(properties: Record<string, unknown> | undefined): string | undefined {
  for (const name in properties) {
    const value = properties[name];
    if (name === 'userProperties' && typeof value === 'object' && value !== null) {
      if (Object.values(value).some(sentinel)) return 'a User Property value cut short';
    } else if (sentinel(value) || (name === 'subscriptionIdentifier' && typeof value === 'boolean')) {
      return `property ${name} = ${String(value)}`;
    }
  }
  return undefined;
}

/** The Remaining Length of an encoded packet (after its type byte). */
function remainingLength(bytes: Buffer): number {
  let length = 0;
  for (let n = 0; n < 4; n++) {
    const byte = bytes[1 + n]!;
    length += (byte & 0x7f) * 2 ** (7 * n);
    if ((byte & 0x80) === 0) break;
  }
  return length;
}

/**
 * Why the client must end the connection on `packet` as decoded, or undefined when it may take it
 * (it may still refuse it for other reasons). One-sided on length: fields that need more bytes
 * than the packet has must have been read from beyond it; fewer may be what the spec lets a
 * sender leave out.
 */
export function mustRefuse(packet: Packet, version: FuzzVersion): string | undefined {
  const decoded = packet as Packet & { length?: number; messageId?: unknown; properties?: Record<string, unknown> };
  const id = decoded.messageId;
  const hasId = WITH_ID.has(packet.cmd) || (packet.cmd === 'publish' && packet.qos > 0);
  if (hasId && !(Number.isInteger(id) && (id as number) >= 1 && (id as number) <= 0xffff)) return `packet id ${String(id)}`;
  const property = version === 5 ? badProperty(decoded.properties) : undefined;
  if (property !== undefined) return property;
  if (packet.cmd === 'connack') {
    if (version !== 5 && !((packet.returnCode as number) <= 5)) return `CONNACK return code ${packet.returnCode}`;
    const p = packet.properties;
    if (p?.maximumQoS !== undefined && p.maximumQoS > 1) return `Maximum QoS ${p.maximumQoS}`;
    if (p?.maximumPacketSize === 0 || p?.receiveMaximum === 0) return 'a CONNACK limit of 0';
    // An MQTT 5 CONNACK without a Property Length is let through (nothing after it can be misread).
    if (version === 5 && decoded.length === 2 && p === undefined) return undefined;
  }
  if (packet.cmd === 'publish' && version === 5 && [packet.properties?.subscriptionIdentifier].flat().includes(0)) return 'Subscription Identifier 0';
  // [MQTT-3.8.3-3] / [MQTT-3.10.3-2] a SUBSCRIBE or UNSUBSCRIBE has a filter: its ack a code for it.
  if ((packet.cmd === 'suback' || (packet.cmd === 'unsuback' && version === 5)) && !(packet.granted!.length > 0)) return `a ${packet.cmd} without codes`;
  // A PUBLISH's payload is what is left after its fields: only an empty one may hide a field read from beyond.
  if (decoded.length === undefined || (packet.cmd === 'publish' && packet.payload.length > 0 && decoded.properties === undefined)) return undefined;
  let encoded: number;
  try {
    encoded = remainingLength(encodePacket(packet, version));
  } catch (err) {
    return `fields the encoder refuses: ${(err as Error).message}`;
  }
  // MQTT 5 acks, DISCONNECT and AUTH may leave out a Property Length of 0 (3.4.2.2, 3.14.2.2, 3.15.2.2); the encoder writes it.
  const omitted = version === 5 && OPTIONAL_PROPERTY_LENGTH.has(packet.cmd) && decoded.properties === undefined ? 1 : 0;
  return encoded - omitted > decoded.length ? `fields of ${encoded} bytes in a Remaining Length of ${decoded.length}` : undefined;
}
