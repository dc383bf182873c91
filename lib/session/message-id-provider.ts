/**
 * Packet identifier allocators, MQTT.js-compatible (`allocate`/`getLastAllocated`/`register`/
 * `deallocate`/`clear`).
 *
 * Unlike MQTT.js's default provider, both of these track which ids are in flight and never hand
 * one out twice: [MQTT-2.2.1-3] a Client MUST NOT reuse a Packet Identifier that is still in use.
 *
 * @example
 * const ids = new DefaultMessageIdProvider();
 * ids.allocate(); // 1
 * ids.allocate(); // 2
 * ids.deallocate(1);
 * ids.allocate(); // 3 (sequential, 1 comes back after the wrap at 65535)
 */
import type { MessageIdProvider } from './types.js';
import { LazySet } from './lazy-map.js';

/** The largest packet identifier; 0 is not a valid identifier ([MQTT-2.2.1-3]). */
export const MAX_MESSAGE_ID = 65535;

function isValidId(id: number): boolean {
  return Number.isInteger(id) && id >= 1 && id <= MAX_MESSAGE_ID;
}

/**
 * Hands out ids sequentially from 1, wrapping after 65535 and skipping ids still in use.
 * `allocate()` is amortised O(1): the cursor only moves forward over ids that are in flight.
 */
export class DefaultMessageIdProvider implements MessageIdProvider {
  /**
   * The ids in flight. A Set costs memory in proportion to what is in flight (usually a handful),
   * where a 65,536-entry table cost 64 KiB per client, idle or not (K6 in bench/).
   */
  private readonly used = new LazySet<number>();
  private next = 1;
  private last: number | null = null;

  allocate(): number | null {
    const used = this.used;
    if (used.size >= MAX_MESSAGE_ID) return null;
    let id = this.next;
    while (used.has(id)) id = id === MAX_MESSAGE_ID ? 1 : id + 1;
    used.add(id);
    this.last = id;
    this.next = id === MAX_MESSAGE_ID ? 1 : id + 1;
    return id;
  }

  /** The id the last `allocate()` returned; null before the first. */
  getLastAllocated(): number | null {
    return this.last;
  }

  register(id: number): boolean {
    if (!isValidId(id) || this.used.has(id)) return false;
    this.used.add(id);
    return true;
  }

  /** Frees `id` (its acknowledgement came); an id that is not in use, or not in 1..65535, is ignored. */
  deallocate(id: number): void {
    if (isValidId(id)) this.used.delete(id);
  }

  /** Frees every id. The cursor keeps going, so recently used ids are not reused at once. */
  clear(): void {
    this.used.clear();
  }
}

const WORDS = (MAX_MESSAGE_ID + 1) / 32;
const FULL = 0xffffffff;

/**
 * Hands out the lowest free id (MQTT.js `UniqueMessageIdProvider` semantics), using a bitset of
 * 65536 bits and a hint to the lowest word that may hold a free bit.
 */
export class UniqueMessageIdProvider implements MessageIdProvider {
  private readonly words = new Uint32Array(WORDS);
  private count = 0;
  private lowWord = 0;
  private last: number | null = null;

  constructor() {
    this.words[0] = 1; // id 0 is not a packet identifier
  }

  allocate(): number | null {
    if (this.count >= MAX_MESSAGE_ID) return null;
    let w = this.lowWord;
    while (this.words[w] === FULL) w++;
    const free = ~this.words[w];
    const bit = 31 - Math.clz32(free & -free);
    this.words[w] |= 1 << bit;
    this.count++;
    this.lowWord = w;
    this.last = w * 32 + bit;
    return this.last;
  }

  /** The id the last `allocate()` returned; null before the first. */
  getLastAllocated(): number | null {
    return this.last;
  }

  register(id: number): boolean {
    if (!isValidId(id) || this.isUsed(id)) return false;
    this.words[id >>> 5] |= 1 << (id & 31);
    this.count++;
    return true;
  }

  /** Frees `id` (its acknowledgement came), so the next `allocate()` may return it; an id not in use is ignored. */
  deallocate(id: number): void {
    if (!isValidId(id) || !this.isUsed(id)) return;
    const w = id >>> 5;
    this.words[w] &= ~(1 << (id & 31));
    this.count--;
    if (w < this.lowWord) this.lowWord = w;
  }

  /** Frees every id: the next `allocate()` returns 1. */
  clear(): void {
    this.words.fill(0);
    this.words[0] = 1;
    this.count = 0;
    this.lowWord = 0;
  }

  private isUsed(id: number): boolean {
    return (this.words[id >>> 5] & (1 << (id & 31))) !== 0;
  }
}
