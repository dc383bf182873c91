/**
 * A topic trie that routes each inbound message to the subscribers whose filters match its topic.
 *
 * One node per filter level; `+` and `#` children live in their own fields so a match costs a
 * Map lookup and two field reads per topic level. The work per message therefore depends on the
 * topic depth and on the filters that match, not on how many filters are registered.
 */
import { InvalidArgumentError } from '../errors.js';
import { stripSharePrefix, validateFilter } from '../protocol/topic.js';

/** One value, shared by all the filters it is registered under, so it can be visited once. */
interface Entry<V> {
  readonly value: V;
  /** How many filters reference the value; 0 once removed everywhere (a dead entry). */
  refs: number;
  /** The match pass that last visited the value; see `TopicRouter.match`. */
  epoch: number;
}

/** One (filter, value) registration; `filter` keeps its `$share/` prefix so `has` stays exact. */
interface Registration<V> {
  readonly filter: string;
  readonly value: V;
  /** The value's entry, shared by its registrations; in a `distinct` router none (REMOVED once removed). */
  shared: Entry<V> | undefined;
}

/** What a removed registration of a `distinct` router points to, so a match in progress skips it. */
const REMOVED: Entry<unknown> = { value: undefined, refs: 0, epoch: 0 };

export interface TopicRouterOptions {
  /**
   * Each value is registered under one filter at most (`TopicRoutes`: a route per filter). Match
   * then has no value to visit twice, and the router keeps no entry per value: about 90 bytes
   * less per registration. @default false
   */
  distinct?: boolean;
}

class Node<V> {
  children: Map<string, Node<V>> | undefined = undefined;
  plus: Node<V> | undefined = undefined;
  hash: Node<V> | undefined = undefined;
  /** Replaced, never mutated in place, so a match in progress iterates a stable snapshot. */
  regs: readonly Registration<V>[] = [];

  isEmpty(): boolean {
    return this.regs.length === 0 && this.plus === undefined && this.hash === undefined && !this.children?.size;
  }
}

/**
 * Routes topics to values (typically subscribers) registered under topic filters.
 *
 * @example
 * const router = new TopicRouter<string>();
 * router.add('sport/+/player1', 'a');
 * router.add('sport/#', 'b');
 * router.match('sport/tennis/player1', (v) => console.log(v)); // logs 'a', then 'b'
 */
export class TopicRouter<V> {
  private readonly root = new Node<V>();
  private readonly entries = new Map<V, Entry<V>>();
  private registrations = 0;
  /** Incremented by each match; an entry whose `epoch` equals it was already visited. */
  private epoch = 0;
  /** Nesting depth of `match`, so a `visit` that matches again does not clobber the scratch state. */
  private depth = 0;
  /** Reused by the outermost `match`, so routing a message allocates only the level strings. */
  private readonly walk: Walk<V> = newWalk([], undefined);
  private readonly distinct: boolean;

  constructor(options: TopicRouterOptions = {}) {
    this.distinct = options.distinct ?? false;
  }

  /** The number of (filter, value) registrations. */
  get size(): number {
    return this.registrations;
  }

  /**
   * Registers `value` under `filter`. Registering the same pair twice is a no-op.
   *
   * @param filter A valid topic filter, optionally `$share/{group}/{filter}` (matched without the prefix).
   * @param value The value `match` visits for matching topics.
   * @throws InvalidArgumentError when the filter is invalid.
   */
  add(filter: string, value: V): void {
    const error = validateFilter(filter);
    if (error !== undefined) throw new InvalidArgumentError(error);
    let node = this.root;
    for (const level of stripSharePrefix(filter).split('/')) node = child(node, level);
    if (node.regs.some((r) => r.filter === filter && r.value === value)) return;
    // concat sizes the new array exactly; a spread into a literal leaves room for 17 (136 bytes more per filter).
    node.regs = node.regs.concat([{ filter, value, shared: this.distinct ? undefined : this.entry(value) }]);
    this.registrations++;
  }

  /** The entry of `value`, made by its first registration, counting one more. */
  private entry(value: V): Entry<V> {
    let entry = this.entries.get(value);
    if (entry === undefined) {
      entry = { value, refs: 0, epoch: 0 };
      this.entries.set(value, entry);
    }
    entry.refs++;
    return entry;
  }

  /**
   * Unregisters `value` from `filter`, pruning the nodes left empty.
   *
   * @param filter The filter exactly as it was added.
   * @param value The value registered under it.
   * @returns `true` when the pair was registered.
   */
  remove(filter: string, value: V): boolean {
    const path = this.path(filter);
    if (path === undefined) return false;
    const node = path[path.length - 1][1];
    const index = node.regs.findIndex((r) => r.filter === filter && r.value === value);
    if (index === -1) return false;
    const registration = node.regs[index];
    node.regs = node.regs.filter((_, i) => i !== index);
    this.registrations--;
    const entry = registration.shared;
    if (entry === undefined) registration.shared = REMOVED as Entry<V>;
    else if (--entry.refs === 0) this.entries.delete(value);
    prune(path);
    return true;
  }

  /**
   * Tells whether any value is registered under exactly this filter (no matching involved).
   *
   * @param filter A topic filter, compared as written (`$share/g/a` and `a` differ).
   * @returns `true` when at least one value is registered under `filter`.
   */
  has(filter: string): boolean {
    const path = this.path(filter);
    return path !== undefined && path[path.length - 1][1].regs.some((r) => r.filter === filter);
  }

  /**
   * Calls `visit` once for each distinct value registered under a filter matching `topic`, even
   * when several of its filters match. Values added or removed by `visit` take effect from the
   * next match, except that a value removed from all its filters is no longer visited.
   *
   * @param topic A topic name (from an inbound PUBLISH).
   * @param visit Called with each matching value.
   */
  match(topic: string, visit: (value: V) => void): void {
    // A visit may call match again; the nested pass gets its own state and dedupes with a Set,
    // because bumping the shared epoch would let the outer pass revisit values.
    const walk = this.depth === 0 ? this.walk : newWalk<V>([], new Set());
    walk.count = splitLevels(topic, walk.levels);
    // [MQTT-4.7.2-1] filters starting with a wildcard must not match topics starting with "$".
    walk.dollar = topic.charCodeAt(0) === 0x24;
    walk.epoch = ++this.epoch;
    walk.visit = visit;
    this.depth++;
    try {
      descend(this.root, 0, walk);
    } finally {
      this.depth--;
      walk.visit = noop; // do not keep the caller's callback alive
      walk.seen?.clear();
    }
  }

  /** The nodes from the root to `filter`'s node, each with the key leading to it, or undefined. */
  private path(filter: string): [string, Node<V>][] | undefined {
    const path: [string, Node<V>][] = [['', this.root]];
    let node = this.root;
    for (const level of stripSharePrefix(filter).split('/')) {
      const next = level === '+' ? node.plus : level === '#' ? node.hash : node.children?.get(level);
      if (next === undefined) return undefined;
      path.push([level, next]);
      node = next;
    }
    return path;
  }
}

/** The state of one match pass, passed down the recursion instead of allocating closures. */
interface Walk<V> {
  /** The topic's levels; only the first `count` belong to the current topic. */
  readonly levels: string[];
  count: number;
  dollar: boolean;
  epoch: number;
  /** Set only for nested matches (see `match`); otherwise entries are marked with `epoch`. */
  readonly seen: Set<Entry<V>> | undefined;
  visit: (value: V) => void;
}

function newWalk<V>(levels: string[], seen: Set<Entry<V>> | undefined): Walk<V> {
  return { levels, count: 0, dollar: false, epoch: 0, seen, visit: noop };
}

function noop(): void {}

function descend<V>(node: Node<V>, depth: number, walk: Walk<V>): void {
  const wildcardOk = depth > 0 || !walk.dollar;
  // "#" stands for the parent level and everything below, so it matches before the end check.
  if (node.hash !== undefined && wildcardOk) emit(node.hash.regs, walk);
  if (depth === walk.count) {
    emit(node.regs, walk);
    return;
  }
  const next = node.children?.get(walk.levels[depth]);
  if (next !== undefined) descend(next, depth + 1, walk);
  if (node.plus !== undefined && wildcardOk) descend(node.plus, depth + 1, walk);
}

function emit<V>(regs: readonly Registration<V>[], walk: Walk<V>): void {
  for (let i = 0; i < regs.length; i++) {
    const registration = regs[i];
    const entry = registration.shared;
    // A distinct router's values are registered once: nothing to dedupe.
    if (entry !== undefined) {
      if (entry.refs === 0) continue; // removed by an earlier visit of this same match
      if (walk.seen === undefined) {
        if (entry.epoch === walk.epoch) continue;
        entry.epoch = walk.epoch;
      } else {
        if (walk.seen.has(entry)) continue;
        walk.seen.add(entry);
      }
    }
    walk.visit(registration.value);
  }
}

function child<V>(node: Node<V>, level: string): Node<V> {
  if (level === '+') return (node.plus ??= new Node<V>());
  if (level === '#') return (node.hash ??= new Node<V>());
  node.children ??= new Map();
  let next = node.children.get(level);
  if (next === undefined) {
    next = new Node<V>();
    node.children.set(level, next);
  }
  return next;
}

/** Detaches empty nodes, deepest first, so removed filters leave no garbage behind. */
function prune<V>(path: [string, Node<V>][]): void {
  for (let i = path.length - 1; i > 0; i--) {
    const [key, node] = path[i];
    if (!node.isEmpty()) return;
    const parent = path[i - 1][1];
    if (key === '+') parent.plus = undefined;
    else if (key === '#') parent.hash = undefined;
    else {
      parent.children?.delete(key);
      if (parent.children?.size === 0) parent.children = undefined;
    }
  }
}

/** Writes the levels of `topic` into `out` (overwriting, never shrinking it) and returns their count. */
function splitLevels(topic: string, out: string[]): number {
  let count = 0;
  let start = 0;
  for (;;) {
    const end = topic.indexOf('/', start);
    if (end === -1) {
      out[count++] = topic.slice(start);
      return count;
    }
    out[count++] = topic.slice(start, end);
    start = end + 1;
  }
}
