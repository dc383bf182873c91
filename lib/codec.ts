/**
 * Bytes <-> packets. The only module that imports mqtt-packet: everything else sees the packet
 * types re-exported here and the two small functions below.
 */
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { ProtocolError } from './errors.js';

export type {
  IAuthPacket,
  IConnackPacket,
  IConnectPacket,
  IDisconnectPacket,
  IPingreqPacket,
  IPingrespPacket,
  IPubackPacket,
  IPubcompPacket,
  IPublishPacket,
  IPubrecPacket,
  IPubrelPacket,
  ISubackPacket,
  ISubscribePacket,
  ISubscription,
  IUnsubackPacket,
  IUnsubscribePacket,
  Packet,
  QoS,
  UserProperties,
} from 'mqtt-packet';

export type ProtocolVersion = 3 | 4 | 5;

/** Serialises one packet. Throws a ProtocolError (never a bare Error) when the packet cannot be encoded. */
export function encodePacket(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  try {
    return mqttPacket.generate(packet, { protocolVersion });
  } catch (err) {
    throw new ProtocolError(`Cannot encode ${packet.cmd} packet: ${(err as Error).message}`, { cause: err });
  }
}

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

export function createDecoder(
  protocolVersion: ProtocolVersion,
  onPacket: (packet: Packet) => void,
  onError: (error: ProtocolError) => void,
): PacketDecoder {
  const parser = mqttPacket.parser({ protocolVersion });
  let failed = false;
  parser.on('packet', (packet: Packet) => {
    if (!failed) onPacket(packet);
  });
  parser.on('error', (err: Error) => {
    if (failed) return;
    failed = true;
    onError(new ProtocolError(`Malformed packet from broker: ${err.message}`, { cause: err, reasonCode: MALFORMED_PACKET }));
  });
  return {
    push(chunk) {
      if (failed) return;
      try {
        parser.parse(chunk);
      } catch (err) {
        // mqtt-packet reports most faults through 'error', but a corrupt property block can throw.
        if (!failed) {
          failed = true;
          onError(new ProtocolError(`Malformed packet from broker: ${(err as Error).message}`, { cause: err, reasonCode: MALFORMED_PACKET }));
        }
      }
    },
    setProtocolVersion(version) {
      (parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = version;
    },
  };
}
