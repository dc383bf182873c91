/**
 * Bytes <-> packets: the codec's entry point. mqtt-packet is imported only in this folder
 * (encoder.ts, decoder.ts, packet-headers.ts); everything else sees the packet types re-exported
 * here and the encode and decode functions below.
 */
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

export { encodePacket, encodePacketChunks, useNumberCache, ZERO_COPY_PAYLOAD_BYTES, type EncodedPacket } from './encoder.js';
export { createDecoder, type PacketDecoder } from './decoder.js';
export { MAX_MQTT_PACKET_SIZE } from './fixed-header-scanner.js';
