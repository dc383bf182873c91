/**
 * Checks on what the broker sends us that the codec does not make. Each returns undefined when
 * all is well, or the reason code and text for the protocol error.
 */
import type { IConnackPacket, IPublishPacket, ISubackPacket, IUnsubackPacket, Packet } from '../protocol/codec.js';
import { overrunsRemainingLength } from './remaining-length.js';
import { REASON } from './state.js';

export interface Violation {
  reasonCode: number;
  message: string;
}

/** Any character that can make a topic name invalid; one regex test keeps the happy path cheap. */
const SUSPECT = /[+#\u0000\uFFFD]/;

/**
 * A non-empty PUBLISH topic name. (Emptiness depends on topic aliases and is checked by the caller.)
 *
 * mqtt-packet decodes topics with `Buffer#toString('utf8')`, which turns ill-formed UTF-8 into
 * U+FFFD. A broker has no business sending U+FFFD itself, so we take it as the trace of invalid
 * UTF-8 ([MQTT-1.5.3-1] in 3.1.1, [MQTT-1.5.4-1] in 5.0) rather than decode the bytes a second time.
 */
export function checkTopicName(topic: string): Violation | undefined {
  if (!SUSPECT.test(topic)) return undefined;
  if (topic.includes('\u0000')) {
    // [MQTT-1.5.3-2] / [MQTT-1.5.4-2] a UTF-8 string MUST NOT include U+0000.
    return { reasonCode: REASON.malformedPacket, message: 'PUBLISH topic contains U+0000' };
  }
  if (topic.includes('\uFFFD')) {
    return { reasonCode: REASON.malformedPacket, message: 'PUBLISH topic is not valid UTF-8' };
  }
  // [MQTT-3.3.2-2] the Topic Name in a PUBLISH MUST NOT contain wildcard characters.
  return { reasonCode: REASON.topicNameInvalid, message: `PUBLISH topic "${topic}" contains a wildcard` };
}

/** A Packet Identifier is a Two Byte Integer, never 0 ([MQTT-2.3.1-1] in 3.1.1, [MQTT-2.2.1-4] in 5.0). */
export function isPacketId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 0xffff;
}

/** CONNACK Reason Codes (5.0 3.2.2.2, Table 3-1): 0x00 Success, then the refusals. */
const CONNACK_V5_CODES = new Set([
  0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
]);
/** CONNACK return codes 0-5 (3.1.1 3.2.2.3, Table 3.1); 6-255 are reserved. */
const CONNACK_V3_MAX_CODE = 5;

/**
 * The fields of any packet from the broker that mqtt-packet decodes without judging: packet ids
 * (it yields -1 for one cut short), the Remaining Length they must fill (`remaining-length.ts`),
 * CONNACK codes and property values. Reason codes of the other packets it checks itself.
 */
export function checkFields(version: 3 | 4 | 5, packet: Packet): Violation | undefined {
  const id = idViolation(packet);
  if (id !== undefined) return id;
  if (overrunsRemainingLength(version, packet)) {
    return malformed(`${packet.cmd.toUpperCase()} fields do not match its Remaining Length of ${(packet as { length?: number }).length}`);
  }
  const stray = version === 5 ? strayProperty(packet) : undefined;
  if (stray !== undefined) return malformed(`${packet.cmd.toUpperCase()} carries a ${stray} property, which it may not have`);
  if (packet.cmd === 'suback' || (packet.cmd === 'unsuback' && version === 5)) return checkAckCodes(packet);
  if (packet.cmd === 'connack') return checkConnack(version, packet);
  if (packet.cmd === 'publish' && version === 5) return checkPublishProperties(packet);
  return undefined;
}

const ACK_PROPERTIES = new Set(['reasonString', 'userProperties']);
/**
 * The properties each packet from a server may carry (2.2.2.2, Table 2-4). DISCONNECT keeps
 * Session Expiry Interval, which a server must not send [MQTT-3.14.2-2]: it ends the connection anyway.
 */
const PROPERTIES_OF: Partial<Record<Packet['cmd'], ReadonlySet<string>>> = {
  publish: new Set(['payloadFormatIndicator', 'messageExpiryInterval', 'contentType', 'responseTopic', 'correlationData', 'subscriptionIdentifier', 'topicAlias', 'userProperties']),
  connack: new Set([
    'sessionExpiryInterval', 'assignedClientIdentifier', 'serverKeepAlive', 'authenticationMethod', 'authenticationData', 'responseInformation',
    'serverReference', 'reasonString', 'receiveMaximum', 'topicAliasMaximum', 'maximumQoS', 'retainAvailable', 'userProperties',
    'maximumPacketSize', 'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable', 'sharedSubscriptionAvailable',
  ]),
  puback: ACK_PROPERTIES,
  pubrec: ACK_PROPERTIES,
  pubrel: ACK_PROPERTIES,
  pubcomp: ACK_PROPERTIES,
  suback: ACK_PROPERTIES,
  unsuback: ACK_PROPERTIES,
  disconnect: new Set(['sessionExpiryInterval', 'serverReference', 'reasonString', 'userProperties']),
  auth: new Set(['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties']),
};

/**
 * A property the packet's type does not have. mqtt-packet decodes any known property in any
 * packet; 2.2.2.2: "A Control Packet which contains an Identifier which is not valid for its
 * packet type ... is a Malformed Packet."
 */
function strayProperty(packet: Packet): string | undefined {
  const properties = (packet as { properties?: object }).properties;
  const allowed = PROPERTIES_OF[packet.cmd];
  if (properties === undefined || allowed === undefined) return undefined;
  for (const name in properties) if (!allowed.has(name)) return name;
  return undefined;
}

function malformed(message: string): Violation {
  return { reasonCode: REASON.malformedPacket, message };
}

function protocol(message: string): Violation {
  return { reasonCode: REASON.protocolError, message };
}

function idViolation(packet: Packet): Violation | undefined {
  switch (packet.cmd) {
    case 'publish':
      if (packet.qos === 0) return undefined;
      break;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'suback':
    case 'unsuback':
      break;
    default:
      return undefined;
  }
  if (isPacketId(packet.messageId)) return undefined;
  // [MQTT-2.3.1-1] (3.1.1) / [MQTT-2.2.1-4] (5.0) a QoS 1/2 PUBLISH has a non-zero Packet
  // Identifier; an ack carries the id of what it acknowledges ([MQTT-2.3.1-6] / [MQTT-2.2.1-5]),
  // and we never send 0.
  const what = packet.cmd === 'publish' ? 'QoS 1/2 PUBLISH' : packet.cmd.toUpperCase();
  return malformed(`${what} without a valid packet identifier (${String(packet.messageId)})`);
}

/**
 * A SUBSCRIBE or UNSUBSCRIBE has at least one filter (3.1.1 [MQTT-3.8.3-3], [MQTT-3.10.3-2]; 5.0
 * [MQTT-3.8.3-2], [MQTT-3.10.3-2]) and its ack one code per filter, so an ack without codes is
 * malformed, whatever it acknowledges (mqtt-packet lets it through).
 */
function checkAckCodes(packet: ISubackPacket | IUnsubackPacket): Violation | undefined {
  if ((packet.granted?.length ?? 0) > 0) return undefined;
  return malformed(`${packet.cmd.toUpperCase()} without reason codes`);
}

function checkConnack(version: 3 | 4 | 5, packet: IConnackPacket): Violation | undefined {
  if (version !== 5) {
    const code = packet.returnCode;
    if (!Number.isInteger(code) || (code as number) < 0 || (code as number) > CONNACK_V3_MAX_CODE) {
      return malformed(`CONNACK with reserved return code ${String(code)}`);
    }
    return undefined;
  }
  // A broker without MQTT 5 answers its CONNECT the 3.1.1 way, return code 0x01 (unacceptable
  // protocol level) in a two-byte CONNACK, and closes ([MQTT-3.1.2-2], 3.1.1): a refusal to report
  // as one (ConnackError 1, as MQTT.js reports it), not a malformed packet.
  if (packet.reasonCode === 0x01 && packet.length === 2) return undefined;
  if (!CONNACK_V5_CODES.has(packet.reasonCode as number)) return malformed(`CONNACK with unknown reason code ${String(packet.reasonCode)}`);
  const properties = packet.properties;
  if (properties === undefined) return undefined;
  // 3.2.2.3.4: "It is a Protocol Error to ... have a value other than 0 or 1".
  if (properties.maximumQoS !== undefined && properties.maximumQoS !== 0 && properties.maximumQoS !== 1) {
    return protocol(`CONNACK with Maximum QoS ${String(properties.maximumQoS)}`);
  }
  // 3.2.2.3.6: "It is a Protocol Error ... for the value to be set to zero".
  if (properties.maximumPacketSize === 0) return protocol('CONNACK with Maximum Packet Size 0');
  return undefined;
}

/** 3.3.2.3.8: "It is a Protocol Error if the Subscription Identifier has a value of 0". */
function checkPublishProperties(packet: IPublishPacket): Violation | undefined {
  const ids = packet.properties?.subscriptionIdentifier;
  if (ids === undefined) return undefined;
  if (Array.isArray(ids) ? ids.includes(0) : ids === 0) return protocol('PUBLISH with Subscription Identifier 0');
  return undefined;
}
