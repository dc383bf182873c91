/**
 * Whether the fields mqtt-packet decoded fit the packet's Remaining Length exactly.
 *
 * mqtt-packet reads two-byte numbers, reason codes and properties from its whole buffer, not from
 * the packet: a field cut short reads as a sentinel (-1 for a number, null for a string, undefined
 * for a byte) when nothing follows, or as the first bytes of the next packet when something does.
 * A PUBACK `40 01 00` followed by a PINGRESP `d0 00` decodes as PUBACK 208. Only the Remaining
 * Length tells, so each decoded packet is measured again: a packet that does not add up is a
 * Malformed Packet (MQTT 5 1.2, 2.1.4; 3.1.1 2.2.3).
 */
import type { Packet } from '../protocol/codec.js';
import { propertyType, type PropertyType } from '../protocol/property-types.js';

/** Bytes of a Variable Byte Integer (1.5.5), NaN outside 0..268,435,455. */
export function variableSize(value: unknown): number {
  if (!isUint(value, 268_435_455)) return NaN;
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : 4;
}

function isUint(value: unknown, max: number): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max;
}

/** A UTF-8 Encoded String (1.5.4): two length bytes, then the bytes. */
export function stringSize(value: unknown): number {
  return typeof value === 'string' ? 2 + Buffer.byteLength(value) : NaN;
}

/** One property value without its identifier byte; NaN for a value no wire bytes decode to. */
function valueSize(type: PropertyType | undefined, value: unknown): number {
  switch (type) {
    case 'byte': // mqtt-packet decodes the 0/1 properties to booleans
      return typeof value === 'boolean' || isUint(value, 0xff) ? 1 : NaN;
    case 'int8':
      return isUint(value, 0xff) ? 1 : NaN;
    case 'int16':
      return isUint(value, 0xffff) ? 2 : NaN;
    case 'int32':
      return isUint(value, 0xffffffff) ? 4 : NaN;
    case 'var':
      return variableSize(value);
    case 'string':
      return stringSize(value);
    case 'binary':
      return Buffer.isBuffer(value) ? 2 + value.length : NaN;
    case 'pair':
    case undefined:
      return NaN;
  }
}

/** User Properties: one name/value pair per entry, a name decoded twice or more holding a list. */
function userPropertiesSize(value: unknown): number {
  if (typeof value !== 'object' || value === null) return NaN;
  let size = 0;
  for (const [name, values] of Object.entries(value)) {
    for (const one of Array.isArray(values) ? values : [values]) size += 1 + stringSize(name) + stringSize(one);
  }
  return size;
}

/** The Property Length and the properties (2.2.2): 1 byte (length 0) when there are none. */
export function propertiesSize(properties: Record<string, unknown> | undefined): number {
  let size = 0;
  for (const name in properties) {
    const value = properties[name];
    if (name === 'userProperties') {
      size += userPropertiesSize(value);
      continue;
    }
    // A property decoded twice is a list (the decoder refuses those but a PUBLISH's Subscription Identifiers).
    for (const one of Array.isArray(value) ? value : [value]) size += 1 + valueSize(propertyType(name), one);
  }
  return variableSize(size) + size;
}

type Decoded = Packet & { length?: number; properties?: Record<string, unknown>; reasonCode?: number };

/**
 * The Remaining Length the decoded fields of `packet` take, or NaN when they cannot come from any
 * bytes (a sentinel); `length` is the packet's own Remaining Length, which decides where MQTT 5
 * lets a sender stop early (a reason code 0x00 and no properties may be left out).
 */
function fieldsLength(version: 3 | 4 | 5, packet: Decoded, length: number): number {
  const v5 = version === 5;
  switch (packet.cmd) {
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      // 3.4.2.1 (5.0): Remaining Length 2 is id only, 3 adds the Reason Code; 3.1.1 has id only.
      return !v5 ? 2 : length === 2 || length === 3 ? length : 3 + propertiesSize(packet.properties);
    case 'connack':
      // 3.2.2.3.1 (5.0) makes the Property Length part of every CONNACK; one that stops after the
      // Reason Code, with nothing decoded beyond, is accepted: it leaves nothing to misread.
      if (v5 && length === 2 && packet.properties === undefined) return 2;
      return v5 ? 2 + propertiesSize(packet.properties) : 2;
    case 'suback':
      return 2 + (v5 ? propertiesSize(packet.properties) : 0) + packet.granted.length;
    case 'unsuback':
      return v5 ? 2 + propertiesSize(packet.properties) + (packet.granted?.length ?? 0) : 2;
    case 'disconnect':
    case 'auth':
      // 3.14.2.1 / 3.15.2.1: Remaining Length 0 means Reason Code 0x00 and no properties; below 2,
      // no properties.
      if (!v5) return 0;
      if (length === 0) return packet.reasonCode === 0 && packet.properties === undefined ? 0 : NaN;
      if (length === 1) return packet.properties === undefined ? 1 : NaN;
      return 1 + propertiesSize(packet.properties);
    case 'publish':
      return publishLength(v5, packet);
    case 'pingresp':
    case 'pingreq':
      return 0; // 3.13: no variable header, no payload
    case 'connect':
    case 'subscribe':
    case 'unsubscribe':
      return length; // never valid from a server: the session refuses them as such
  }
}

/** PUBLISH: topic, packet id for QoS 1/2, properties on MQTT 5, then the payload (3.3.2). */
function publishLength(v5: boolean, packet: Extract<Decoded, { cmd: 'publish' }>): number {
  const payload = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
  return stringSize(packet.topic) + (packet.qos > 0 ? 2 : 0) + (v5 ? propertiesSize(packet.properties) : 0) + payload;
}

/**
 * True when a decoded packet's fields do not add up to its Remaining Length. Packets built in
 * code have no `length` and pass. A PUBLISH is measured only when it could have been misread:
 * mqtt-packet gives it the bytes between its last field and its end as payload, so a field that
 * ran past the end leaves the payload empty; a property, if cut short, reads as a sentinel.
 */
export function overrunsRemainingLength(version: 3 | 4 | 5, packet: Packet): boolean {
  const decoded = packet as Decoded;
  const length = decoded.length;
  if (length === undefined) return false;
  if (decoded.cmd === 'publish' && decoded.properties === undefined && decoded.payload.length > 0) return false;
  return fieldsLength(version, decoded, length) !== length;
}
