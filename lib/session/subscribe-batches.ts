/**
 * MQTT.js's `subscribeBatchSize`: a subscribe of more filters than that goes out as several
 * SUBSCRIBE packets of at most that many filters each (AWS IoT Core, for one, refuses a SUBSCRIBE
 * of more than 8), automatic resubscribes included. The caller still sees one subscribe: it is
 * settled once, when the last of its SUBACKs is in, with every filter's code in the order given.
 */
import type { SubackError } from '../errors.js';

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
