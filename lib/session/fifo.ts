/**
 * A first-in first-out queue with O(1) amortised `push`/`shift`: an array plus a head index,
 * compacted once the consumed prefix outgrows the live part. `Array.prototype.shift` is O(n), so
 * 100k queued publishes drained with it would be quadratic.
 */
const COMPACT_AT = 1024;

/**
 * The items of every empty queue until its first push: a session keeps three queues that stay
 * empty on an idle client (an array of its own costs 32 bytes each). Never written: every write
 * below is to a slot that exists, which this array has none of.
 */
const NO_ITEMS: never[] = Object.freeze([]) as never[];

export class Fifo<T> {
  private items: (T | undefined)[] = NO_ITEMS;
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.items === NO_ITEMS) this.items = [];
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  /** The i-th live item (0 = head). */
  at(i: number): T | undefined {
    return this.items[this.head + i];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined; // let the item be collected
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /**
   * Removes and returns the i-th live item (0 = head). O(i): the items before it move up one slot,
   * so removing near the head (the oldest of a kind, behind a few others) stays cheap.
   */
  removeAt(i: number): T | undefined {
    const at = this.head + i;
    if (i < 0 || at >= this.items.length) return undefined;
    const item = this.items[at];
    for (let j = at; j > this.head; j--) this.items[j] = this.items[j - 1];
    this.shift(); // drops the now duplicated head slot (and compacts as shift does)
    return item;
  }

  /** Keeps only the items for which `keep` returns true, in order. O(n). */
  retain(keep: (item: T) => boolean): void {
    const kept: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      if (keep(item)) kept.push(item);
    }
    this.items = kept.length > 0 ? kept : NO_ITEMS;
    this.head = 0;
  }

  /** Removes and returns every item, in order. */
  drain(): T[] {
    const all = this.items.slice(this.head) as T[];
    this.clear();
    return all;
  }

  clear(): void {
    this.items = NO_ITEMS;
    this.head = 0;
  }
}
