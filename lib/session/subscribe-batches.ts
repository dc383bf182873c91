/**
 * MQTT.js's `subscribeBatchSize`: a subscribe of more filters than that goes out as several
 * SUBSCRIBE packets of at most that many filters each (AWS IoT Core, for one, refuses a SUBSCRIBE
 * of more than 8), automatic resubscribes included. The caller still sees one subscribe: it is
 * settled once, when the last of its SUBACKs is in, with every filter's code in the order given.
 */
import type { SubackError } from '../errors.js';
import type { ISubscription } from '../protocol/codec.js';
import { propertiesSize, stringSize, variableSize } from './remaining-length.js';

/** The SUBACKs of one subscribe sent as several SUBSCRIBE packets. */
export interface SubscribeBatch {
  /** One code per filter of the whole subscribe, filled in as the SUBACKs arrive. */
  readonly granted: number[];
  /** SUBACKs still awaited. */
  waiting: number;
  /** The first refused filter among the SUBACKs in so far. */
  refused?: SubackError;
}

/** One SUBSCRIBE packet's share of a batched subscribe: its batch, and where its filters start in it. */
export interface SubscribePart {
  readonly batch: SubscribeBatch;
  readonly offset: number;
}

/** `items` cut into runs of at most `size` (all of them in one run when `size` is undefined). */
export function inBatches<T>(items: readonly T[], size: number | undefined): T[][] {
  if (size === undefined || items.length <= size) return [items as T[]];
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/** What bounds one SUBSCRIBE packet. */
export interface SubscribeLimits {
  /** `subscribeBatchSize`: the most filters in one packet. */
  readonly filters: number | undefined;
  /** The broker's Maximum Packet Size (MQTT 5 CONNACK), in bytes. */
  readonly bytes: number | undefined;
  /** The packet's v5 properties, in every packet of the subscribe; undefined before MQTT 5. */
  readonly properties: Record<string, unknown> | undefined;
  readonly v5: boolean;
}

/**
 * `subscriptions` cut into the SUBSCRIBE packets they go out in, in order: at most
 * `limits.filters` filters each, and no packet over the broker's Maximum Packet Size, which the
 * client must not exceed [MQTT-3.2.2-15] (a filter too long to fit alone gets a packet of its own,
 * which the connection then refuses to send). Every packet repeats the properties.
 */
export function subscribeBatches(subscriptions: readonly ISubscription[], limits: SubscribeLimits): ISubscription[][] {
  if (limits.bytes === undefined) return inBatches(subscriptions, limits.filters);
  const maxFilters = limits.filters ?? Infinity;
  // Packet Identifier (2 bytes), then the properties on MQTT 5 (3.8.2).
  const header = 2 + (limits.v5 ? propertiesSize(limits.properties) : 0);
  const batches: ISubscription[][] = [];
  let batch: ISubscription[] = [];
  let length = header;
  for (const subscription of subscriptions) {
    // The filter as a UTF-8 string, then its Subscription Options byte (3.8.3).
    const size = stringSize(subscription.topic) + 1;
    if (batch.length > 0 && (batch.length >= maxFilters || packetSize(length + size) > limits.bytes)) {
      batches.push(batch);
      batch = [];
      length = header;
    }
    batch.push(subscription);
    length += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** The whole packet for a Remaining Length: the first byte and the length's own bytes too (2.1.4). */
function packetSize(remaining: number): number {
  return 1 + variableSize(remaining) + remaining;
}

/**
 * Records one part's SUBACK codes; returns the whole subscribe's outcome once every part is in,
 * undefined while SUBACKs are still awaited.
 */
export function completePart(part: SubscribePart, granted: number[], refused: SubackError | undefined): { granted: number[]; refused?: SubackError } | undefined {
  const { batch, offset } = part;
  for (let i = 0; i < granted.length; i++) batch.granted[offset + i] = granted[i] as number;
  batch.refused ??= refused;
  if (--batch.waiting > 0) return undefined;
  return { granted: batch.granted, refused: batch.refused };
}
