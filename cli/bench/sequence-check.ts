/**
 * Loss, duplicates and order of the messages of each publisher, from the sequence numbers in the
 * bench payloads. Pure. One stream per (subscriber, publisher): a broker delivers one client's
 * messages to each subscriber in the order it received them, per topic and QoS ([MQTT-4.6.0-6]).
 *
 * A number below the highest seen is "late" (out of order) if it was missing, a duplicate
 * otherwise. Missing numbers are kept as ranges, so a large gap costs no memory.
 */

/** What the check found, over every stream. */
export interface SequenceSummary {
  /** Distinct (subscriber, publisher) streams seen. */
  streams: number;
  /** Distinct publishers seen. */
  publishers: number;
  /**
   * Streams whose publisher announced no total (bounded by time): a loss after the last message
   * received cannot be told from a message still on its way.
   */
  openEnded: number;
  /** Numbers never received: gaps, and the tail up to a publisher's announced total. */
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

interface Stream {
  /** Highest number received, -1 before the first. */
  highest: number;
  /** Announced total (0: unknown). */
  total: number;
  /** Missing numbers below `highest`, as sorted, disjoint [from, to) ranges. */
  missing: Array<[number, number]>;
}

/** How one received number compares with what came before it. */
export type Arrival = 'next' | 'skipped' | 'late' | 'duplicate';

export class SequenceCheck {
  private readonly streams = new Map<string, Stream>();
  private readonly publishers = new Set<string>();
  private duplicated = 0;
  private outOfOrder = 0;

  /**
   * Records message `seq` of `publisherId` as received by `subscriber`.
   *
   * @param total The publisher's announced total (0: unknown), for loss at the tail.
   */
  record(subscriber: number, publisherId: string, seq: number, total: number): Arrival {
    const key = `${subscriber}\u0000${publisherId}`;
    let stream = this.streams.get(key);
    if (!stream) {
      stream = { highest: -1, total, missing: [] };
      this.streams.set(key, stream);
      this.publishers.add(publisherId);
    }
    if (seq > stream.highest) {
      const skipped = seq > stream.highest + 1;
      if (skipped) stream.missing.push([stream.highest + 1, seq]);
      stream.highest = seq;
      return skipped ? 'skipped' : 'next';
    }
    if (takeMissing(stream.missing, seq)) {
      this.outOfOrder++;
      return 'late';
    }
    this.duplicated++;
    return 'duplicate';
  }

  summary(): SequenceSummary {
    let lost = 0;
    let openEnded = 0;
    for (const stream of this.streams.values()) {
      if (stream.total === 0) openEnded++;
      for (const [from, to] of stream.missing) lost += to - from;
      if (stream.total > stream.highest + 1) lost += stream.total - (stream.highest + 1);
    }
    return { streams: this.streams.size, publishers: this.publishers.size, openEnded, lost, duplicated: this.duplicated, outOfOrder: this.outOfOrder };
  }
}

/** Removes `seq` from the missing ranges; false if it was not missing. */
function takeMissing(missing: Array<[number, number]>, seq: number): boolean {
  const index = missing.findIndex(([from, to]) => seq >= from && seq < to);
  if (index < 0) return false;
  const [from, to] = missing[index]!;
  const rest: Array<[number, number]> = [];
  if (from < seq) rest.push([from, seq]);
  if (seq + 1 < to) rest.push([seq + 1, to]);
  missing.splice(index, 1, ...rest);
  return true;
}
