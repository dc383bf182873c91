/**
 * mqtt-packet's encoding of a PUBLISH up to its payload memoised per topic, and of the QoS 1/2
 * acknowledgements per type (AckHeaders, below).
 *
 * A publisher sends the same topic with the same flags and payload size over and over, and
 * encoding that header is most of what a QoS 0 publish costs: mqtt-packet's `writeToStream`
 * makes a write and one or two `debug()` calls per field. The bytes stay mqtt-packet's: a miss
 * encodes the whole packet with it and keeps what comes before the payload; between hits only
 * the 2-byte Packet Identifier of a QoS 1/2 PUBLISH changes, and that comes from mqtt-packet's
 * own number table. A property spec checks every hit against `generate`, byte for byte.
 */
import type { IPublishPacket } from 'mqtt-packet';

/** What a packet encodes to, in order, as the codec hands it out: Buffers and strings. */
export type EncodeChunks = (packet: IPublishPacket, version: 3 | 4 | 5) => Array<Buffer | string>;
/** Joins chunks into one buffer (strings as UTF-8), as mqtt-packet's `generate` does. */
export type JoinChunks = (chunks: Array<Buffer | string>, from: number, to: number) => Buffer;

/** One topic's header: valid for one protocol version, QoS, retain and dup flags and payload size. */
interface Entry {
  readonly version: number;
  readonly flags: number;
  readonly payloadLength: number;
  /** Fixed header, Remaining Length, topic (the whole header at QoS 0). */
  readonly beforeId: Buffer;
  /** QoS 1/2: what follows the Packet Identifier (the empty MQTT 5 property length), if anything. */
  readonly afterId: Buffer | undefined;
}

/**
 * Topics remembered at most. A publisher spreading over more topics than this still works (it
 * re-encodes the misses); the table is emptied when full, so it never grows without bound.
 */
const MAX_TOPICS = 512;

/**
 * A copy of `bytes` in memory of its own. A small Buffer is usually a slice of Node's shared 8 KiB
 * pool, and a kept slice keeps its whole slab alive: 512 remembered headers could pin 4 MiB.
 */
function unpooled(bytes: Buffer): Buffer {
  const own = Buffer.alloc(bytes.length);
  bytes.copy(own);
  return own;
}

export class PublishHeaders {
  private readonly entries = new Map<string, Entry>();

  /**
   * @param encode the codec's full encoding of a packet (mqtt-packet's writeToStream, collected)
   * @param join the codec's join of collected chunks
   * @param packetId the 2 bytes of a Packet Identifier, from mqtt-packet's number table
   */
  constructor(
    private readonly encode: EncodeChunks,
    private readonly join: JoinChunks,
    private readonly packetId: (id: number) => Buffer,
  ) {}

  /**
   * The packet's bytes as chunks in wire order, ending with the payload buffer itself (not
   * copied), or undefined when the packet is not one this table handles: a payload that is not a
   * Buffer, properties (MQTT 5 properties differ per message), an empty topic (a Topic Alias
   * alone), or a Packet Identifier out of range (left to the codec, which reports the error).
   */
  chunks(packet: IPublishPacket, version: 3 | 4 | 5): Buffer[] | undefined {
    const { topic, payload, qos, messageId } = packet;
    if (!Buffer.isBuffer(payload) || packet.properties !== undefined || typeof topic !== 'string' || topic === '') return undefined;
    const id = qos > 0 ? messageId : 0;
    if (qos > 0 && !(typeof id === 'number' && id >= 1 && id <= 0xffff && Number.isInteger(id))) return undefined;
    const flags = qos | (packet.retain ? 4 : 0) | (packet.dup ? 8 : 0);
    let entry = this.entries.get(topic);
    if (entry === undefined || entry.version !== version || entry.flags !== flags || entry.payloadLength !== payload.length) {
      entry = this.learn(packet, version, flags);
      if (entry === undefined) return undefined;
    }
    if (qos === 0) return [entry.beforeId, payload];
    return entry.afterId ? [entry.beforeId, this.packetId(id!), entry.afterId, payload] : [entry.beforeId, this.packetId(id!), payload];
  }

  /** Encodes `packet` with mqtt-packet and keeps its header, if its chunks have the expected shape. */
  private learn(packet: IPublishPacket, version: 3 | 4 | 5, flags: number): Entry | undefined {
    const chunks = this.encode(packet, version);
    const last = chunks.length - 1;
    // mqtt-packet writes the payload last, and the topic as one string chunk just before the
    // Packet Identifier; anything else is left to the codec's plain path.
    if (chunks[last] !== packet.payload) return undefined;
    let entry: Entry;
    if (packet.qos === 0) {
      entry = { version, flags, payloadLength: packet.payload.length, beforeId: unpooled(this.join(chunks, 0, last)), afterId: undefined };
    } else {
      const idAt = chunks.indexOf(packet.topic) + 1;
      const idChunk = chunks[idAt];
      if (idAt === 0 || !Buffer.isBuffer(idChunk) || idChunk.length !== 2 || idChunk.readUInt16BE(0) !== packet.messageId) return undefined;
      const afterId = idAt + 1 < last ? unpooled(this.join(chunks, idAt + 1, last)) : undefined;
      entry = { version, flags, payloadLength: packet.payload.length, beforeId: unpooled(this.join(chunks, 0, idAt)), afterId };
    }
    if (this.entries.size >= MAX_TOPICS) this.entries.clear();
    this.entries.set(packet.topic, entry);
    return entry;
  }
}

/** A PUBACK, PUBREC, PUBREL or PUBCOMP, as the codec's packet types have it. */
export interface AckPacket {
  cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';
  messageId?: number;
  dup?: boolean;
  reasonCode?: number;
  properties?: object;
}

/** One acknowledgement type's bytes around its Packet Identifier. */
interface AckEntry {
  readonly version: number;
  readonly dup: boolean;
  readonly reasonCode: number | undefined;
  readonly beforeId: Buffer;
  readonly afterId: Buffer | undefined;
}

/**
 * mqtt-packet's encoding of the acknowledgements of the QoS 1/2 flows, memoised per type: every
 * message in or out at QoS 1/2 costs one or two of them, and they differ only in their Packet
 * Identifier (and the rare DUP flag, reason code or properties, which are keys or left to the
 * codec). Same contract as PublishHeaders: a miss encodes with mqtt-packet; the identifier comes
 * from mqtt-packet's number table, and is found in a miss's chunks by identity.
 */
export class AckHeaders {
  private readonly entries = new Map<string, AckEntry>();

  constructor(
    private readonly encode: (packet: AckPacket, version: 3 | 4 | 5) => Array<Buffer | string>,
    private readonly join: JoinChunks,
    private readonly packetId: (id: number) => Buffer,
  ) {}

  /** The packet's bytes as chunks in wire order, or undefined when it carries properties or a bad identifier. */
  chunks(packet: AckPacket, version: 3 | 4 | 5): Buffer[] | undefined {
    const id = packet.messageId;
    if (packet.properties !== undefined || !(typeof id === 'number' && id >= 1 && id <= 0xffff && Number.isInteger(id))) return undefined;
    const dup = packet.cmd === 'pubrel' && packet.dup === true;
    let entry = this.entries.get(packet.cmd);
    if (entry === undefined || entry.version !== version || entry.dup !== dup || entry.reasonCode !== packet.reasonCode) {
      entry = this.learn(packet, version, dup);
      if (entry === undefined) return undefined;
    }
    return entry.afterId ? [entry.beforeId, this.packetId(id), entry.afterId] : [entry.beforeId, this.packetId(id)];
  }

  private learn(packet: AckPacket, version: 3 | 4 | 5, dup: boolean): AckEntry | undefined {
    const chunks = this.encode(packet, version);
    const idAt = chunks.indexOf(this.packetId(packet.messageId!));
    if (idAt <= 0) return undefined;
    const afterId = idAt + 1 < chunks.length ? unpooled(this.join(chunks, idAt + 1, chunks.length)) : undefined;
    const entry: AckEntry = { version, dup, reasonCode: packet.reasonCode, beforeId: unpooled(this.join(chunks, 0, idAt)), afterId };
    this.entries.set(packet.cmd, entry);
    return entry;
  }
}
