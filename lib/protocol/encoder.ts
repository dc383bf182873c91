/**
 * Packets -> bytes with mqtt-packet's `writeToStream`, byte for byte what its `generate` returns,
 * without `generate`'s per-packet EventEmitter, and with a large PUBLISH payload left uncopied.
 * Reached through `codec.ts`, the codec's entry point.
 */
import writeToStream from 'mqtt-packet/writeToStream.js';
import mqttPacketNumbers from 'mqtt-packet/numbers.js';
import type { Packet } from 'mqtt-packet';
import { ProtocolError } from '../errors.js';
import type { ProtocolVersion } from './codec.js';
import { AckHeaders, PublishHeaders, type AckPacket } from './packet-headers.js';

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
const packetIdBytes = (id: number): Buffer =>
  (writeToStream.cacheNumbers ? mqttPacketNumbers.cache[id] : undefined) ?? mqttPacketNumbers.generateNumber(id);

/**
 * MQTT.js's `writeCache: false`: mqtt-packet allocates each 2-byte number as it writes it instead
 * of taking it from its pre-generated table. Process-wide, as in MQTT.js: the switch is
 * mqtt-packet's own (`writeToStream.cacheNumbers`), shared by every client of the process.
 *
 * @param enabled false to stop using the number table
 */
export function useNumberCache(enabled: boolean): void {
  writeToStream.cacheNumbers = enabled;
}

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
    writeToStream(packet, collector as unknown as NodeJS.WritableStream, WRITE_OPTIONS[protocolVersion] ?? { protocolVersion });
  } catch (err) {
    collector.error ??= err as Error;
  }
  if (collector.error) {
    throw new ProtocolError(`Cannot encode ${packet.cmd} packet: ${collector.error.message}`, { cause: collector.error });
  }
  return collector.chunks;
}
