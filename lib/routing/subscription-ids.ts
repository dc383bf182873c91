/**
 * MQTT 5 Subscription Identifiers for `topic()` routes: which ids are taken, the next one to hand
 * out, and the route each id leads to. An id stays taken while a subscription may still deliver
 * copies carrying it, i.e. until its UNSUBACK (or its refusal), so a stray copy never reaches a
 * newer stream.
 */

import { matchLevels, stripSharePrefix } from '../protocol/topic.js';

/** The filter matching of `topic.ts`, used here once per copy routed by id (re-exported for its specs). */
export { matchLevels };

/** [MQTT-3.8.2.1.2] a Subscription Identifier is a Variable Byte Integer from 1 to 268,435,455. */
export const MAX_SUBSCRIPTION_IDENTIFIER = 268_435_455;

/** Whether `id` is a Subscription Identifier a SUBSCRIBE may carry (0 is a protocol error). */
export function isSubscriptionIdentifier(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= MAX_SUBSCRIPTION_IDENTIFIER;
}

/**
 * A table of taken identifiers. `allocate` walks on from the last id it gave out instead of
 * taking the lowest free one: a freed id comes back only after the whole range went round, so a
 * copy queued at the broker for an old subscription (a persistent session) is unlikely to name a
 * newer stream.
 *
 * @example
 * const ids = new SubscriptionIds();
 * ids.allocate(); // 1
 * ids.reserve(7); // true: a caller's own id
 * ids.reserve(7); // false: taken
 * ids.release(1);
 * ids.allocate(); // 2
 */
export class SubscriptionIds {
  private readonly taken = new Set<number>();

  /** @param next The first id to try. @default 1 */
  constructor(private next = 1) {}

  /** Takes a free id, or undefined when all 268,435,455 are taken. */
  allocate(): number | undefined {
    if (this.taken.size >= MAX_SUBSCRIPTION_IDENTIFIER) return undefined;
    for (;;) {
      const id = this.next;
      this.next = id === MAX_SUBSCRIPTION_IDENTIFIER ? 1 : id + 1;
      if (!this.taken.has(id)) {
        this.taken.add(id);
        return id;
      }
    }
  }

  /** Takes `id` chosen by the caller; false when it is already taken. */
  reserve(id: number): boolean {
    if (this.taken.has(id)) return false;
    this.taken.add(id);
    return true;
  }

  release(id: number): void {
    this.taken.delete(id);
  }

  has(id: number): boolean {
    return this.taken.has(id);
  }

  get size(): number {
    return this.taken.size;
  }
}

/** Whose identifier a copy names; when it names several, the highest wins. */
const Owner = { unknown: 0, stream: 1, subscribe: 2 } as const;
type Owner = (typeof Owner)[keyof typeof Owner];

/** Which routes get a copy by topic, once the routes it names by identifier got it. */
export const ByTopic = {
  none: 0,
  /** The routes not routed by identifier. */
  untagged: 1,
  all: 2,
} as const;
export type ByTopic = (typeof ByTopic)[keyof typeof ByTopic];

/** A copy naming only ids never given out goes to every route; one naming a `subscribe()` id, to the untagged ones. */
const BY_TOPIC: Record<Owner, ByTopic> = [ByTopic.all, ByTopic.none, ByTopic.untagged];

/** What routing by identifier needs of a route: its filter, and room for its levels (without a `$share/` prefix), split on first use. */
export interface IdRoutable {
  readonly filter: string;
  levels?: readonly string[];
}

/**
 * The identifiers of a client's subscriptions and the routes they lead to: the ids `topic()`
 * routes hold (bound while the route takes copies by id), and those `subscribe()` used, which
 * are never handed out to a route and whose copies are not for id-routed streams.
 */
export class IdRoutes<R extends IdRoutable> {
  private readonly taken = new SubscriptionIds();
  private readonly routes = new Map<number, R>();
  private readonly subscribeIds = new Set<number>();

  allocate(): number | undefined {
    return this.taken.allocate();
  }

  reserve(id: number): boolean {
    return this.taken.reserve(id);
  }

  /** Copies naming `id` go to `route` from now on. */
  bind(id: number, route: R): void {
    this.routes.set(id, route);
  }

  /** Copies naming `id` go nowhere any more; the id stays taken. */
  unbind(id: number, route: R): void {
    if (this.routes.get(id) === route) this.routes.delete(id);
  }

  /** `route`'s subscription is gone: `id` may be handed out again, unless `subscribe()` uses it. */
  release(id: number, route: R): void {
    this.unbind(id, route);
    if (!this.subscribeIds.has(id)) this.taken.release(id);
  }

  /** `subscribe()` sent a SUBSCRIBE carrying `id`. */
  foreign(id: number): void {
    this.subscribeIds.add(id);
    this.taken.reserve(id); // fails only when a route holds it already: the caller's choice
  }

  /** How many ids are taken. */
  get size(): number {
    return this.taken.size;
  }

  /**
   * Delivers a copy to the routes `ids` names (each once) whose filter matches its topic, and
   * says which routes get it by topic on top (see `TopicRoutes.dispatch` for the rule).
   */
  route<M extends { topic: string }>(message: M, ids: number | readonly number[], deliver: (route: R, message: M) => void): ByTopic {
    if (typeof ids === 'number') return BY_TOPIC[this.deliverTo(message, ids, deliver)];
    let owner: Owner = Owner.unknown;
    for (let i = 0; i < ids.length; i++) {
      // A single copy lists every matching subscription [MQTT-3.3.4-4]; a repeated id counts once.
      if (ids.indexOf(ids[i]) === i) owner = Math.max(owner, this.deliverTo(message, ids[i], deliver)) as Owner;
    }
    return BY_TOPIC[owner];
  }

  private deliverTo<M extends { topic: string }>(message: M, id: number, deliver: (route: R, message: M) => void): Owner {
    const route = this.routes.get(id);
    // The filter check catches an id given out again while the broker still held copies naming
    // it for an earlier session's subscription.
    if (route !== undefined && matchLevels((route.levels ??= stripSharePrefix(route.filter).split('/')), message.topic)) {
      deliver(route, message);
      return Owner.stream;
    }
    if (this.subscribeIds.has(id)) return Owner.subscribe;
    // Taken but unbound: its route is unsubscribing or was replaced; the copy is nobody's.
    return route === undefined && this.taken.has(id) ? Owner.stream : Owner.unknown;
  }
}
