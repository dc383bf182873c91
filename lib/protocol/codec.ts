/**
 * Bytes <-> packets. The only module that imports mqtt-packet: everything else sees the packet
 * types re-exported here and the two small functions below.
 */
import mqttPacket from 'mqtt-packet';
import mqttPacketNumbers from 'mqtt-packet/numbers.js';
import type { Packet } from 'mqtt-packet';
import { MqttError, ProtocolError } from '../errors.js';
import { AckHeaders, PublishHeaders, type AckPacket } from './packet-headers.js';

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

/**
 * Serialises one packet: mqtt-packet's `writeToStream` into a plain collector, joined into one
 * buffer, byte for byte what mqtt-packet's `generate` returns. (`generate` builds an EventEmitter
 * and two arrays per packet, which showed in the publish path's profile.) Throws a ProtocolError
 * (never a bare Error) when the packet cannot be encoded.
 */
export function encodePacket(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  const chunks = writeChunks(packet, protocolVersion);
  return chunks.length === 1 && typeof chunks[0] !== 'string' ? chunks[0] : join(chunks, 0, chunks.length);
}

/**
 * A PUBLISH payload at least this large goes out as its own chunk (not copied); smaller packets
 * are one buffer, where one copy costs less than handing the writer another chunk.
 */
export const ZERO_COPY_PAYLOAD_BYTES = 1024;

/**
 * Collects what mqtt-packet's `writeToStream` writes (the stream shape its own `generate` uses)
 * so that a large payload can stay a chunk of its own instead of being copied.
 */
class ChunkCollector {
  chunks: Array<Buffer | string> = [];
  error: Error | undefined = undefined;
  private ended = false;
  write(chunk: Buffer | string | undefined): boolean {
    // mqtt-packet writes `undefined` for a number it has no encoding for (a packet id out of
    // range); `generate` stops at the first one, and so does this, to stay byte for byte the same.
    if (chunk === undefined) this.ended = true;
    if (!this.ended) this.chunks.push(chunk as Buffer | string);
    return true;
  }
  destroy(error?: Error): void {
    this.error ??= error;
  }
}

/** Joins `chunks[from..to)` into one buffer (strings as UTF-8), as mqtt-packet's `generate` does. */
function join(chunks: Array<Buffer | string>, from: number, to: number): Buffer {
  let length = 0;
  for (let i = from; i < to; i++) {
    const c = chunks[i];
    length += typeof c === 'string' ? Buffer.byteLength(c) : c.length;
  }
  const out = Buffer.allocUnsafe(length);
  let pos = 0;
  for (let i = from; i < to; i++) {
    const c = chunks[i];
    pos += typeof c === 'string' ? out.write(c, pos) : c.copy(out, pos);
  }
  return out;
}

/**
 * One packet's bytes: one buffer, or chunks to write in order (a PUBLISH's header pieces, then
 * its payload buffer itself).
 */
export type EncodedPacket = Buffer | Buffer[];

/** The 2 bytes of a Packet Identifier, from mqtt-packet's own table (filled by its first encode). */
const packetIdBytes = (id: number): Buffer => mqttPacketNumbers.cache[id] ?? mqttPacketNumbers.generateNumber(id);

/** PUBLISH headers memoised per topic, shared by every connection: they depend on nothing else. */
const publishHeaders = new PublishHeaders(writeChunks, join, packetIdBytes);
/** The same for PUBACK, PUBREC, PUBREL and PUBCOMP. */
const ackHeaders = new AckHeaders((packet, version) => writeChunks(packet as Packet, version), join, packetIdBytes);

/**
 * Serialises one packet: one buffer, or chunks in wire order. A PUBACK/PUBREC/PUBREL/PUBCOMP
 * without properties comes as the pieces around its Packet Identifier (memoised per type, see
 * AckHeaders). A PUBLISH with a Buffer payload and
 * no properties comes as its header pieces (memoised per topic, see PublishHeaders) and the
 * payload buffer itself: nothing is copied until the outbox joins the turn's packets, so, as with
 * MQTT.js, the caller must not change a payload until it is written. A PUBLISH whose Buffer
 * payload has at least {@link ZERO_COPY_PAYLOAD_BYTES} bytes is the header and the payload.
 * Still mqtt-packet's encoding, byte for byte what `generate` returns. Throws a ProtocolError
 * when the packet cannot be encoded.
 */
export function encodePacketChunks(packet: Packet, protocolVersion: ProtocolVersion): EncodedPacket {
  if (packet.cmd === 'puback' || packet.cmd === 'pubrec' || packet.cmd === 'pubrel' || packet.cmd === 'pubcomp') {
    return ackHeaders.chunks(packet as AckPacket, protocolVersion) ?? encodePacket(packet, protocolVersion);
  }
  if (packet.cmd !== 'publish') return encodePacket(packet, protocolVersion);
  const memoised = publishHeaders.chunks(packet, protocolVersion);
  if (memoised) return memoised;
  const payload = packet.payload;
  if (!Buffer.isBuffer(payload) || payload.length < ZERO_COPY_PAYLOAD_BYTES) return encodePacket(packet, protocolVersion);
  const chunks = writeChunks(packet, protocolVersion);
  // mqtt-packet writes the payload last; anything else (it never is) falls back to one buffer.
  if (chunks[chunks.length - 1] !== payload) return join(chunks, 0, chunks.length);
  return [join(chunks, 0, chunks.length - 1), payload];
}

/** One options object per protocol version, not one per packet. */
const WRITE_OPTIONS = { 3: { protocolVersion: 3 }, 4: { protocolVersion: 4 }, 5: { protocolVersion: 5 } } as const;

/** What `writeToStream` writes for `packet`, in order; a ProtocolError when it cannot encode it. */
function writeChunks(packet: Packet, protocolVersion: ProtocolVersion): Array<Buffer | string> {
  // A fresh collector per packet: encoding is synchronous, but a packet's chunks outlive the call.
  const collector = new ChunkCollector();
  try {
    mqttPacket.writeToStream(packet, collector as unknown as NodeJS.WritableStream, WRITE_OPTIONS[protocolVersion] ?? { protocolVersion });
  } catch (err) {
    collector.error ??= err as Error;
  }
  if (collector.error) {
    throw new ProtocolError(`Cannot encode ${packet.cmd} packet: ${collector.error.message}`, { cause: collector.error });
  }
  return collector.chunks;
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

/** The largest packet MQTT can express: 1 byte of type and flags, 4 of length, 268,435,455 of body. */
export const MAX_MQTT_PACKET_SIZE = 1 + 4 + 268_435_455;

/**
 * Walks packet boundaries through a byte stream using only the fixed headers (type byte, then the
 * 1-4 byte Remaining Length), skipping the bodies arithmetically: no copy, no allocation. A header
 * split across chunks is carried over in three numbers. It finds where an oversized packet is
 * announced, so that the decoder refuses it before mqtt-packet buffers a single body byte.
 *
 * ```ts
 * const scanner = new FixedHeaderScanner(1024);
 * scanner.scan(Buffer.from([0xd0, 0x00, 0x30]));  // -1: a PINGRESP, then a PUBLISH header begins
 * scanner.scan(Buffer.from([0xff, 0x7f]));        // 2: that PUBLISH is 16,386 bytes, its header ends at 2
 * scanner.size;                                   // 16386
 * ```
 */
export class FixedHeaderScanner {
  /** Body bytes of the current packet still to skip. */
  private skip = 0;
  /** Header bytes seen of the current packet: 0 before its type byte, then 1 + length bytes. */
  private headerBytes = 0;
  private length = 0;
  /** A Remaining Length over 4 bytes: malformed, left to mqtt-packet to report. */
  private broken = false;
  /** The size in bytes (header included) of the packet that exceeded the limit. */
  size = 0;

  /** @param maxPacketSize The largest packet accepted, header included. */
  constructor(private readonly maxPacketSize: number) {}

  /**
   * @returns -1 when every packet announced so far fits, else the offset in `chunk` just past the
   * header of the first packet over the limit (its size is then in `size`); the scanner stops there.
   */
  scan(chunk: Uint8Array): number {
    const end = chunk.length;
    let i = 0;
    while (i < end && !this.broken) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.headerBytes === 0) {
        this.headerBytes = 1;
        this.length = 0;
        continue;
      }
      this.length += (byte & 0x7f) * 2 ** (7 * (this.headerBytes - 1));
      this.headerBytes++;
      if (byte & 0x80) {
        if (this.headerBytes > 4) this.broken = true;
        continue;
      }
      const size = this.headerBytes + this.length;
      if (size > this.maxPacketSize) {
        this.size = size;
        this.broken = true;
        return i;
      }
      this.skip = this.length;
      this.headerBytes = 0;
    }
    return -1;
  }
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
