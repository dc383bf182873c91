/**
 * The filters the MQTT.js-style `subscribe()` API holds, counted as one more reference to the
 * broker subscription `topic()` streams of the same filter share. MQTT.js's `unsubscribe('a')`
 * must not cancel an Angular component's `topic('a')` stream, nor a `topic('a')` stream ending
 * cancel the app's `subscribe('a')`: UNSUBSCRIBE goes out only when neither wants the filter.
 *
 * `subscribe()` does not count its calls: as in MQTT.js, one `unsubscribe()` undoes any number of
 * `subscribe()` calls of a filter.
 */
import { matchTopic } from '../protocol/topic.js';

export class SubscribeInterest {
  /** @param streamFilters the filters `topic()` streams hold at the broker. */
  constructor(private readonly streamFilters: () => Iterable<string>) {}

  /** Filters `subscribe()` was granted and `unsubscribe()` has not let go of. */
  private readonly held = new Set<string>();
  /** Filters `unsubscribe()` let go of while a `topic()` stream kept them at the broker. */
  private readonly released = new Set<string>();

  /** `subscribe()` had `filter` granted. */
  hold(filter: string): void {
    this.held.add(filter);
    this.released.delete(filter);
  }

  has(filter: string): boolean {
    return this.held.has(filter);
  }

  /** `unsubscribe()` let go of `filter`; `kept` when a `topic()` stream still needs it at the broker. Returns `kept`. */
  release(filter: string, kept: boolean): boolean {
    this.held.delete(filter);
    if (kept) this.released.add(filter);
    else this.released.delete(filter);
    return kept;
  }

  /** The broker subscription of `filter` is gone (its last stream unsubscribed, or failed). */
  forget(filter: string): void {
    this.released.delete(filter);
  }

  /**
   * Whether the `'message'` event reports a message on `topic`: not when it arrives only because
   * of a filter `unsubscribe()` let go of (a `topic()` stream kept it), as it would not with
   * MQTT.js, where that subscription would be gone. A message another filter also matches (one
   * `subscribe()` holds, or a `topic()` stream's own) is reported, as every other message is.
   * Costs nothing while no filter is released.
   */
  reports(topic: string): boolean {
    if (this.released.size === 0 || !matchesAny(this.released, topic)) return true;
    if (matchesAny(this.held, topic)) return true;
    for (const filter of this.streamFilters()) if (!this.released.has(filter) && matchTopic(filter, topic)) return true;
    return false;
  }
}

function matchesAny(filters: Set<string>, topic: string): boolean {
  for (const filter of filters) if (matchTopic(filter, topic)) return true;
  return false;
}
