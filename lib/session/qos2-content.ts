/**
 * What an inbound QoS 2 message carried, kept with its packet id so that the session can tell a
 * broker's re-delivery of that message from a different message that reuses the id, and a bounded
 * memory of the QoS 2 exchanges completed last, so that a stale replay of one is not delivered
 * twice. Against a conforming broker neither is ever consulted ([MQTT-2.2.1-3]: a broker must not
 * reuse an id before the exchange completes; [MQTT-3.3.1-1]: a re-delivery carries DUP=1).
 */
import type { IPublishPacket } from '../protocol/codec.js';

/** A message's topic plus a cheap fingerprint of its payload. */
export interface Qos2Content {
  topic: string;
  length: number;
  hash: number;
}

/**
 * FNV-1a's step (32 bits) over the payload taken as little-endian 32-bit words, then its last
 * bytes. Not cryptographic and need not be: it tells a re-delivery (the same bytes,
 * [MQTT-4.3.3-10]) from a different message, where nobody gains by forging a collision, and a
 * collision only falls back to the old answer (taken for a duplicate). It is pure arithmetic, so
 * the session stays free of node:crypto and runs in the browser build. Each step
 * `h = (h ^ word) * prime` is a bijection of `h` and of `word`, so payloads that differ in a
 * single word (a counter, a timestamp) never collide; topic and length are compared as they are.
 * Words rather than bytes because every inbound QoS 2 message pays for it: about a third of the
 * byte-wise loop's cost, a tenth when the payload sits 4-byte aligned and an Int32Array view (no
 * copy) can read it. The words are the same either way, so the hash does not depend on where the
 * decoder put the bytes.
 */
export function fingerprint(packet: IPublishPacket, topic = packet.topic): Qos2Content {
  const payload = packet.payload;
  const hash = typeof payload === 'string' ? hashString(payload) : hashBytes(payload);
  return { topic, length: payload.length, hash };
}

const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;
/** An Int32Array reads words in the platform's byte order: the fast path needs little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function hashBytes(bytes: Uint8Array): number {
  let hash = OFFSET_BASIS;
  const length = bytes.length;
  const words = length >>> 2;
  const tail = words << 2;
  if (LITTLE_ENDIAN && (bytes.byteOffset & 3) === 0) {
    const view = new Int32Array(bytes.buffer, bytes.byteOffset, words);
    for (let w = 0; w < words; w++) hash = Math.imul(hash ^ view[w]!, PRIME);
  } else {
    for (let i = 0; i < tail; i += 4) {
      hash = Math.imul(hash ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)), PRIME);
    }
  }
  for (let i = tail; i < length; i++) hash = Math.imul(hash ^ bytes[i]!, PRIME);
  return hash >>> 0;
}

function hashString(text: string): number {
  let hash = OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), PRIME);
  return hash >>> 0;
}

export function sameContent(a: Qos2Content, b: Qos2Content): boolean {
  return a.hash === b.hash && a.length === b.length && a.topic === b.topic;
}

/**
 * How many completed exchanges are remembered. A stale replay comes from a broker re-sending what
 * it believes is still in flight, so it falls within the broker's in-flight window (mosquitto's
 * max_inflight_messages defaults to 20, aedes and most brokers stay below 64); 64 covers that with
 * room to spare for a few bytes each. A larger memory would only raise the odds of taking a
 * genuinely new, byte-identical message for a replay (see `RecentCompletions.isReplay`).
 */
export const RECENT_COMPLETIONS = 64;

/** A ring of the last `RECENT_COMPLETIONS` completed QoS 2 exchanges: packet id and content. */
export class RecentCompletions {
  // Made at the first completion: a client that never receives QoS 2 keeps no arrays.
  private ids?: number[];
  private contents?: Qos2Content[];
  private next = 0;

  remember(messageId: number, content: Qos2Content): void {
    (this.ids ??= [])[this.next] = messageId;
    (this.contents ??= [])[this.next] = content;
    this.next = (this.next + 1) % RECENT_COMPLETIONS;
  }

  /**
   * True when `packet` re-sends (DUP=1) an id and content completed lately. Only a DUP=1 PUBLISH
   * can be one: the same bytes under the same id with DUP=0 are a new message. The id is checked
   * before any hashing, so a re-delivery of an unknown id costs one scan of 64 numbers.
   * `topic`: the packet's full topic (it may have come by Topic Alias).
   */
  isReplay(packet: IPublishPacket, topic = packet.topic): boolean {
    const { ids, contents } = this;
    if (!packet.dup || !ids || !contents) return false;
    const messageId = packet.messageId;
    let content: Qos2Content | undefined;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== messageId) continue;
      content ??= fingerprint(packet, topic);
      if (sameContent(contents[i]!, content)) return true;
    }
    return false;
  }

  clear(): void {
    this.ids = undefined;
    this.contents = undefined;
    this.next = 0;
  }
}
