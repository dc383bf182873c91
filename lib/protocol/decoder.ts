/**
 * Bytes -> packets: an incremental decoder over mqtt-packet's parser that reports every fault as
 * one MqttError (malformed input, a repeated MQTT 5 property, a packet over the size limit, a
 * throw of our own handler). Reached through `codec.ts`, the codec's entry point.
 */
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { MqttError, ProtocolError } from '../errors.js';
import type { ProtocolVersion } from './codec.js';
import { FixedHeaderScanner, MAX_MQTT_PACKET_SIZE } from './fixed-header-scanner.js';

/**
 * An incremental decoder: feed it chunks as they arrive, it calls `onPacket` for each complete
 * packet and `onError` once for malformed input (after which it must not be fed again).
 */
export interface PacketDecoder {
  push(chunk: Buffer): void;
  /** Switches the wire format, e.g. to MQTT 5 properties once CONNECT was sent with level 5. */
  setProtocolVersion(version: ProtocolVersion): void;
}

/** MQTT 5 reason code 0x81 (Malformed Packet), carried by every decoding error. */
const MALFORMED_PACKET = 0x81;
/** MQTT 5 reason code 0x95 (Packet too large), carried by the error for a packet over the limit. */
const PACKET_TOO_LARGE = 0x95;
/** MQTT 5 reason code 0x82 (Protocol Error), carried by the error for a property sent twice. */
const PROTOCOL_ERROR = 0x82;
/** MQTT 5 reason code 0x83 (Implementation specific error): our own fault, not the broker's. */
const IMPLEMENTATION_SPECIFIC_ERROR = 0x83;

/**
 * The MQTT 5 property a packet carries more than once where the spec allows one ("It is a
 * Protocol Error to include the ... more than once", 3.x.2.x), if any. mqtt-packet decodes a
 * repeated property into an array, which the rest of the client would take for a number or a
 * string (a Server Keep Alive of [5, 5] is NaN seconds). User Properties may repeat (an object
 * here), and so may a PUBLISH's Subscription Identifiers (3.3.2.3.8).
 */
function repeatedProperty(packet: Packet): string | undefined {
  const properties = (packet as { properties?: Record<string, unknown> }).properties;
  if (properties === undefined) return undefined;
  for (const name in properties) {
    if (Array.isArray(properties[name]) && !(name === 'subscriptionIdentifier' && packet.cmd === 'publish')) return name;
  }
  return undefined;
}

/**
 * @param maxPacketSize The largest inbound packet (header included): a larger one is refused from
 * its fixed header with a ProtocolError 0x95, before its body is read. @default MAX_MQTT_PACKET_SIZE
 */
export function createDecoder(
  protocolVersion: ProtocolVersion,
  onPacket: (packet: Packet) => void,
  onError: (error: MqttError) => void,
  maxPacketSize = MAX_MQTT_PACKET_SIZE,
): PacketDecoder {
  const parser = mqttPacket.parser({ protocolVersion });
  const scanner = maxPacketSize < MAX_MQTT_PACKET_SIZE ? new FixedHeaderScanner(maxPacketSize) : undefined;
  let failed = false;
  const fail = (error: MqttError) => {
    if (failed) return;
    failed = true;
    onError(error);
  };
  parser.on('packet', (packet: Packet) => {
    if (failed) return;
    const repeated = repeatedProperty(packet);
    if (repeated !== undefined) {
      fail(new ProtocolError(`Malformed packet from broker: ${packet.cmd} carries the ${repeated} property more than once`, { reasonCode: PROTOCOL_ERROR }));
      return;
    }
    try {
      onPacket(packet);
    } catch (cause) {
      // A throw from handling a well-formed packet is a bug of ours: say so rather than blame the
      // broker with "malformed packet" (the connection is dropped all the same, state unknown).
      fail(new MqttError('ERR_INTERNAL', `rxmqtt failed to handle a ${packet.cmd} packet (a client bug, not a broker fault)`, { cause, reasonCode: IMPLEMENTATION_SPECIFIC_ERROR }));
    }
  });
  parser.on('error', (err: Error) => {
    fail(new ProtocolError(`Malformed packet from broker: ${err.message}`, { cause: err, reasonCode: MALFORMED_PACKET }));
  });
  const parse = (bytes: Buffer) => {
    try {
      parser.parse(bytes);
    } catch (err) {
      // mqtt-packet reports most faults through 'error', but a corrupt property block can throw.
      fail(new ProtocolError(`Malformed packet from broker: ${(err as Error).message}`, { cause: err, reasonCode: MALFORMED_PACKET }));
    }
  };
  return {
    push(chunk) {
      if (failed) return;
      const cut = scanner ? scanner.scan(chunk) : -1;
      if (cut < 0) return parse(chunk);
      // The packets before the oversized one are delivered; its body never reaches the parser.
      parse(chunk.subarray(0, cut));
      const message = `Packet of ${scanner!.size} bytes from broker exceeds the maximum packet size of ${maxPacketSize} bytes`;
      fail(new ProtocolError(message, { reasonCode: PACKET_TOO_LARGE }));
    },
    setProtocolVersion(version) {
      (parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = version;
    },
  };
}
