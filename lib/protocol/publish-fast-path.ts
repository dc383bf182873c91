/**
 * The one hand-written decoder: inbound PUBLISH, the packet a subscriber receives once per message.
 *
 * Why it exists: mqtt-packet's parser was about 60% of the JavaScript per inbound QoS 0 message
 * (K2 in bench/): its `bl` buffer list appends and consumes every chunk, and a PUBLISH runs about
 * ten `debug()` calls that build their arguments with logging off. This reads the fixed header,
 * the topic, the packet id and an MQTT 5 property block that is empty or holds one Subscription
 * Identifier straight from the chunk, and hands the payload over as a `subarray` of it, no copy.
 * Measured (64 B QoS 0 PUBLISHes, medians, busy
 * machine): the decoder alone, 100,000 in 64 KiB chunks, 1.29 -> 0.06 us per message; the whole
 * receive path in-process (client.topic() on an in-memory duplex), 64 KiB chunks 1.62 -> 0.57 us,
 * 3 messages per chunk (as reads through mosquitto come) 3.45 -> 1.96 us, of which 1.23 us are
 * the harness's own stream and setImmediate.
 *
 * What keeps it honest: it decodes only what it can decode exactly as mqtt-packet's parser.js
 * (v9) does, and says "not mine" (undefined) for everything else: another packet type, QoS 3, a
 * Remaining Length over 4 bytes, a field that runs past the packet, MQTT 5 properties other than
 * one Subscription Identifier, a packet not yet complete. mqtt-packet decodes those, so it stays the codec and
 * every error comes from it. spec/protocol/publish-fast-path.spec.ts feeds the fuzz corpus,
 * generated PUBLISHes and their mutations, cut into random chunks, to the decoder and to a plain
 * mqtt-packet parser, and requires the same packets (class, keys and payload bytes), the same
 * errors at the same chunk and the same bytes left buffered.
 *
 * Payload aliasing: the payload shares memory with the chunk, and keeps it alive as long as the
 * app keeps the payload (mqtt-packet's `bl` slices the same way when a payload lies within one
 * chunk, so nothing changes there). That is safe because no transport reuses a buffer it handed
 * over: Node gives each socket read (net, tls) its own Buffer, `ws` each message its own (through
 * createWebSocketStream), the browser and mini-program adapters wrap each event's own ArrayBuffer,
 * and a Node stream (a user's `streamBuilder`) gives up a chunk once it pushed it. A PUBLISH that
 * spans chunks is joined into a buffer of its own (PublishTail). A transport that read into one
 * reused buffer (net's `onread` option) would have to copy each chunk before the decoder sees it.
 */
import MqttPacketObject from 'mqtt-packet/packet.js';
import type { IPublishPacket } from 'mqtt-packet';
import type { ProtocolVersion } from './codec.js';

/** The type number of PUBLISH in the high nibble of the first byte (2.1.2). */
const PUBLISH = 3;
/** The fixed header cut short by the end of the bytes. */
const HEADER_INCOMPLETE = -1;
/** A Remaining Length whose 4th byte still has the continuation bit: mqtt-packet reports it. */
const HEADER_MALFORMED = -2;

/** Where the last header or packet read ended: module state, read right after the call that set it. */
const reading = { headerEnd: 0, end: 0 };

/**
 * The Remaining Length of the packet at `offset`, read as mqtt-packet reads it: 1-4 bytes, 7 bits
 * each, a non-minimal encoding accepted (1.5.5). Sets `reading.headerEnd`.
 * @returns the length, HEADER_INCOMPLETE or HEADER_MALFORMED
 */
function remainingLength(bytes: Uint8Array, offset: number): number {
  let value = 0;
  let multiplier = 1;
  for (let i = offset + 1; i <= offset + 4; i++) {
    if (i >= bytes.length) return HEADER_INCOMPLETE;
    const byte = bytes[i]!;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      reading.headerEnd = i + 1;
      return value;
    }
    multiplier *= 0x80;
  }
  return HEADER_MALFORMED;
}

/** The Subscription Identifier property (2.2.2.2, Table 2-4): a Variable Byte Integer. */
const SUBSCRIPTION_IDENTIFIER = 0x0b;

/**
 * The Variable Byte Integer (1.5.5) that fills `bytes` from `start` to exactly `end`, read as
 * mqtt-packet reads it (up to 4 bytes, a non-minimal encoding accepted), else -1.
 */
function variableByteInteger(bytes: Uint8Array, start: number, end: number): number {
  let value = 0;
  let multiplier = 1;
  for (let i = start; i < end && i < start + 4; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return i + 1 === end ? value : -1;
    multiplier *= 0x80;
  }
  return -1;
}

/** The bytes of the last topic decoded (when it had at most TOPIC_CACHE_BYTES), and its string. */
const TOPIC_CACHE_BYTES = 64;
const lastTopicBytes = new Uint8Array(TOPIC_CACHE_BYTES);
let lastTopicLength = -1;
let lastTopic = '';
let topicMisses = 0;

/**
 * The topic in `bytes` from `start` to `end`, decoded as mqtt-packet decodes it: UTF-8, not
 * validated (malformed sequences become U+FFFD). A subscriber mostly receives runs of one topic:
 * the same bytes as the last topic give the last string, without a decode or a new string (the
 * decode was about a tenth of the receive path's CPU in a profile of K2's stream). With 1,000
 * topics in turn, the comparison costs about 0.02 us per message.
 */
function topicAt(bytes: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length === lastTopicLength) {
    let i = 0;
    while (i < length && bytes[start + i] === lastTopicBytes[i]) i++;
    if (i === length) return lastTopic;
  }
  const topic = bytes.toString('utf8', start, end);
  // Kept on every 16th miss only: a stream of many topics pays the comparison, seldom the copy.
  if (length <= TOPIC_CACHE_BYTES && (topicMisses++ & 15) === 0) {
    for (let i = 0; i < length; i++) lastTopicBytes[i] = bytes[start + i]!;
    lastTopicLength = length;
    lastTopic = topic;
  }
  return topic;
}

/**
 * The body of a PUBLISH with first byte `first`, from `start` to `end` of `bytes`, as mqtt-packet
 * decodes it (parser.js `_parseHeader`, `_parsePublish`), or undefined where mqtt-packet would
 * fail or read past `end`: it reads a missing packet id or property length from the next packet.
 */
function publishBody(first: number, bytes: Buffer, start: number, end: number, version: ProtocolVersion): IPublishPacket | undefined {
  const qos = (first >> 1) & 3;
  if (end - start < 2) return undefined;
  const topicStart = start + 2;
  const topicEnd = topicStart + ((bytes[start]! << 8) | bytes[start + 1]!);
  if (topicEnd > end) return undefined;
  let position = topicEnd;
  let messageId = 0;
  if (qos > 0) {
    if (end - position < 2) return undefined;
    messageId = (bytes[position]! << 8) | bytes[position + 1]!;
    position += 2;
  }
  let subscriptionIdentifier = -1;
  if (version === 5) {
    if (position >= end) return undefined;
    const propertiesEnd = position + 1 + bytes[position]!;
    // An empty property block (mqtt-packet then sets no `properties`), or one Subscription
    // Identifier alone, which every message of an MQTT 5 topic() stream carries; a longer Property
    // Length (over 127) or anything else in the block is mqtt-packet's.
    if (propertiesEnd > position + 1) {
      if (propertiesEnd > end || bytes[position]! >= 0x80 || bytes[position + 1] !== SUBSCRIPTION_IDENTIFIER) return undefined;
      subscriptionIdentifier = variableByteInteger(bytes, position + 2, propertiesEnd);
      if (subscriptionIdentifier < 0) return undefined;
    }
    position = propertiesEnd;
  }
  // mqtt-packet's own Packet class, fields in its order, so that the packet is the same object shape.
  const packet = new MqttPacketObject() as unknown as IPublishPacket & { length: number };
  packet.cmd = 'publish';
  packet.retain = (first & 0x01) !== 0;
  packet.qos = qos as 0 | 1 | 2;
  packet.dup = (first & 0x08) !== 0; // kept on QoS 0 too, as mqtt-packet does
  packet.length = end - start;
  packet.topic = topicAt(bytes, topicStart, topicEnd);
  if (qos > 0) packet.messageId = messageId;
  if (subscriptionIdentifier >= 0) packet.properties = { subscriptionIdentifier };
  packet.payload = bytes.subarray(position, end);
  reading.end = end;
  return packet;
}

/**
 * Decodes the PUBLISH that starts at `offset` of `bytes` if it is complete and mqtt-packet would
 * decode it the same way; afterwards `publishEnd()` is where it ended.
 *
 * ```ts
 * const bytes = Buffer.from([0x30, 0x05, 0x00, 0x01, 0x74, 0x68, 0x69, 0xd0, 0x00]);
 * readPublish(bytes, 0, 4); // { cmd: 'publish', topic: 't', payload: <68 69>, qos: 0, length: 5, ... }
 * publishEnd();             // 7: a PINGRESP follows, for mqtt-packet
 * readPublish(bytes, 7, 4); // undefined
 * ```
 * @returns the packet, or undefined: not mine, for mqtt-packet
 */
export function readPublish(bytes: Buffer, offset: number, version: ProtocolVersion): IPublishPacket | undefined {
  const first = bytes[offset]!;
  if (first >> 4 !== PUBLISH || ((first >> 1) & 3) === 3) return undefined;
  const length = remainingLength(bytes, offset);
  if (length < 0) return undefined;
  const start = reading.headerEnd;
  if (start + length > bytes.length) return undefined;
  return publishBody(first, bytes, start, start + length, version);
}

/** Where the packet the last successful `readPublish` returned ended (an offset into its bytes). */
export function publishEnd(): number {
  return reading.end;
}

/**
 * The start of a PUBLISH that a chunk ended in, held until the rest arrives so that the fast path
 * can decode it too (with a stream of small messages, most reads end inside one). Held only while
 * mqtt-packet, fed the same bytes, would have reported nothing yet: a PUBLISH type byte without
 * QoS 3 and a Remaining Length that is complete or has fewer than 4 bytes so far.
 */
export class PublishTail {
  /** The bytes as they came, one per chunk: replayed to mqtt-packet as the same chunks if not ours. */
  readonly parts: Buffer[];
  private bytes: number;
  /** The whole packet's size once its fixed header is in, else 0. */
  private size = 0;
  private headerLength = 1;

  private constructor(first: Buffer) {
    this.parts = [first];
    this.bytes = first.length;
    this.measure(first);
  }

  /** A tail for `bytes` from `offset` to their end, if they begin a PUBLISH worth waiting for. */
  static of(bytes: Buffer, offset: number): PublishTail | undefined {
    const first = bytes[offset]!;
    if (first >> 4 !== PUBLISH || ((first >> 1) & 3) === 3) return undefined;
    const length = remainingLength(bytes, offset);
    if (length === HEADER_MALFORMED || (length !== HEADER_INCOMPLETE && reading.headerEnd + length <= bytes.length)) return undefined;
    return new PublishTail(bytes.subarray(offset));
  }

  /** The bytes mqtt-packet would hold in its buffer list: those after the fixed header it has read. */
  get buffered(): number {
    return this.bytes - this.headerLength;
  }

  /**
   * Takes the next chunk: `'wait'` when the packet is still incomplete (the chunk is held), else
   * the packet decoded (the rest of `chunk` starts at `publishEnd()`), else undefined: not mine,
   * replay `parts` and then `chunk` to mqtt-packet.
   */
  add(chunk: Buffer, version: ProtocolVersion): IPublishPacket | 'wait' | undefined {
    if (this.size === 0 && !this.measure(Buffer.concat([...this.parts, chunk.subarray(0, 4)]))) return undefined;
    if (this.size === 0 || this.bytes + chunk.length < this.size) {
      this.parts.push(chunk);
      this.bytes += chunk.length;
      return 'wait';
    }
    const taken = this.size - this.bytes;
    const packet = Buffer.concat([...this.parts, chunk.subarray(0, taken)], this.size);
    const body = publishBody(packet[0]!, packet, this.headerLength, this.size, version);
    reading.end = taken;
    return body;
  }

  /** Reads the fixed header from the packet's first bytes: false once it is malformed. */
  private measure(head: Buffer): boolean {
    const length = remainingLength(head, 0);
    if (length === HEADER_MALFORMED) return false;
    if (length !== HEADER_INCOMPLETE) {
      this.headerLength = reading.headerEnd;
      this.size = reading.headerEnd + length;
    } else {
      this.headerLength = 1;
    }
    return true;
  }
}
