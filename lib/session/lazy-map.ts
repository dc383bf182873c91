/**
 * A Map and a Set whose hash table is allocated by the first insertion. An empty `new Map()`
 * costs about 180 bytes of heap; a session holds a dozen of them (in-flight packets, granted
 * subscriptions, QoS 2 receipts, topic aliases, packet ids...) that an idle client leaves empty,
 * thousands of idle clients in one process pay for each. These cost one small object until used.
 *
 * Iterating an empty one iterates nothing: entries added during that iteration are not visited
 * (the session never adds to a collection it is iterating). A cleared one keeps its table.
 */
/** What an unused LazyMap iterates (never written to). */
const NO_ENTRIES = new Map<unknown, unknown>();

export class LazyMap<K, V> implements Map<K, V> {
  private map?: Map<K, V>;

  get size(): number {
    return this.map === undefined ? 0 : this.map.size;
  }

  get(key: K): V | undefined {
    return this.map?.get(key);
  }

  has(key: K): boolean {
    return this.map !== undefined && this.map.has(key);
  }

  set(key: K, value: V): this {
    (this.map ??= new Map()).set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.map !== undefined && this.map.delete(key);
  }

  clear(): void {
    this.map?.clear();
  }

  forEach(callback: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    this.map?.forEach((value, key) => callback.call(thisArg, value, key, this));
  }

  entries(): MapIterator<[K, V]> {
    return (this.map ?? (NO_ENTRIES as Map<K, V>)).entries();
  }

  keys(): MapIterator<K> {
    return (this.map ?? (NO_ENTRIES as Map<K, V>)).keys();
  }

  values(): MapIterator<V> {
    return (this.map ?? (NO_ENTRIES as Map<K, V>)).values();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'Map';
  }
}

/** The Set operations the session's packet-id bookkeeping uses, with the table made on first `add`. */
export class LazySet<T> {
  private set?: Set<T>;

  get size(): number {
    return this.set === undefined ? 0 : this.set.size;
  }

  has(value: T): boolean {
    return this.set !== undefined && this.set.has(value);
  }

  add(value: T): this {
    (this.set ??= new Set()).add(value);
    return this;
  }

  delete(value: T): boolean {
    return this.set !== undefined && this.set.delete(value);
  }

  clear(): void {
    this.set?.clear();
  }
}
