/**
 * `client.topic(filter)` streams: reference-counted broker subscriptions. The first subscriber to
 * a filter sends SUBSCRIBE, later ones share it (one asking for a higher QoS re-SUBSCRIBEs it),
 * the last one to leave sends UNSUBSCRIBE (after its `linger`, unless a stream came back).
 *
 * Over MQTT 5 a broker may send one copy of a message per matching subscription (mosquitto
 * does), so topic matching alone would hand every copy to every overlapping stream. When the
 * broker supports Subscription Identifiers, each route (one broker subscription) therefore gets
 * its own id, and copies are routed by the ids they carry; see `dispatch` for the rule.
 */
import { asyncScheduler, Observable, type SchedulerLike, type Subscriber } from 'rxjs';
import { ClientClosedError, type SubackError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';
import { cancelSubscribe, grant, isIdentifierRefusal, mergeQos, newRoute, raiseQueued, routeOptions, unsent, upgradeOptions, whenGranted, withoutIdentifier } from './route.js';
import type { Route, RouteOwner, SubscribeProperties } from './route.js';
import { addStream, deliver, hasStreams, streamsOf, takeClosed } from './route-streams.js';
import { RetainedMessages } from './route-retained.js';
import { TopicRouter } from './router.js';
import { SubscribeInterest } from './subscribe-interest.js';
import { checkTopicOptions, type RouteOptions, type RouteSettings } from './topic-options.js';
import { ByTopic, IdRoutes } from './subscription-ids.js';
import { identify, releaseIdentifier } from './route-identifiers.js';
import { toSubscription, type SubscribeOptions } from '../options/validate.js';
import { SubscribeQueue, type SendSubscribe } from './subscribe-queue.js';

export type { RouteOptions, RouteSettings, TopicOptions } from './topic-options.js';

/** What the routes need from the client: send (un)subscribe commands. */
export interface RouteCommands {
  /** Sends one subscribe command of `subscriptions` (the routes batch a turn's filters, see SubscribeQueue). */
  subscribe: SendSubscribe;
  /** Sends UNSUBSCRIBE for `filter`; `done` runs once it is acknowledged or has failed. */
  unsubscribe(filter: string, done: () => void): void;
  /** Whether new streams may start (false once the client ended). */
  isOpen(): boolean;
  /** MQTT 5, and the last CONNACK (if any yet) did not say Subscription Identifiers Available = 0. */
  identifiersAvailable(): boolean;
}

export class TopicRoutes implements RouteOwner {
  /** Distinct: a route is registered under its own filter only. */
  private readonly router = new TopicRouter<Route>({ distinct: true });
  private readonly routes = new Map<string, Route>();
  /** The identifiers taken, and the routes with `routing: 'id'` by identifier. */
  private readonly ids = new IdRoutes<Route>();
  /**
   * Filters whose UNSUBSCRIBE is not acknowledged yet, with the routes waiting to subscribe again.
   * Some brokers (aedes) do not process an UNSUBSCRIBE and a SUBSCRIBE that follows it in order,
   * so a stream re-opened at once (`repeat()`, `switchMap` to the same filter) could end up
   * unsubscribed at the broker: its SUBSCRIBE waits for the UNSUBACK instead.
   */
  private readonly unsubscribing = new Map<string, Route[]>();
  /** What `subscribe()` holds: one more reference to each filter's broker subscription. */
  readonly interest = new SubscribeInterest(() => this.routes.keys());
  /** The SUBSCRIBEs of this turn, sent together at its end. */
  private readonly queue: SubscribeQueue;
  private readonly scheduler: SchedulerLike;
  private readonly linger: number;

  constructor(private readonly commands: RouteCommands, settings: RouteSettings = {}) {
    this.queue = new SubscribeQueue((subscriptions, properties, done) => commands.subscribe(subscriptions, properties, done), settings.endOfTurn);
    this.scheduler = settings.scheduler ?? asyncScheduler;
    this.linger = settings.linger ?? 0;
  }

  /**
   * A cold Observable of the messages matching `filter`. `onSubscribed` runs once the broker has
   * granted the filter's SUBSCRIBE (at once, in the subscribe call, if it already had): request()
   * must not publish a request before its reply subscription is in place.
   */
  observe(filter: string, options: RouteOptions = {}, onSubscribed?: () => void): Observable<MqttMessage> {
    return new Observable<MqttMessage>((subscriber) => {
      const invalid = this.commands.isOpen() ? checkTopicOptions(filter, options) : new ClientClosedError();
      if (invalid) {
        subscriber.error(invalid);
        return undefined;
      }
      const existing = this.routes.get(filter);
      // A new route knows its first subscriber before it subscribes: the SUBSCRIBE may fail at
      // once (a filter the broker's CONNACK rules out), and that failure must reach the stream.
      const route = existing ?? this.open(filter, options, subscriber);
      if (existing) this.join(existing, subscriber, options);
      if (onSubscribed) whenGranted(route, onSubscribed);
      // The route itself, rather than a closure per stream that would keep this function's scope.
      return route;
    });
  }

  /**
   * Routes one inbound PUBLISH to the streams it is for, once per stream. The rule, given that a
   * broker sends either a copy per matching subscription, each naming its own subscription's id
   * [MQTT-3.3.4-5], or one copy naming all of them [MQTT-3.3.4-4]:
   * - a copy naming ids of ours goes to exactly those routes (if the topic matches their filter,
   *   which guards against a stale id from an earlier session); a route still unsubscribing
   *   swallows its copies;
   * - a copy without ids, or naming the id of a `subscribe()` subscription, is for subscriptions
   *   not routed by id (v3/v4, a broker without identifiers, `subscribe()`): it goes by topic to
   *   the routes without id only, because the id-routed ones get a copy of their own (this is
   *   what keeps overlapping filters from duplicating);
   *   (on a connection without identifiers at all, to every matching route);
   * - a copy naming only ids we never gave out (queued at the broker for a previous process's
   *   subscriptions) goes by topic to every matching route: better a duplicate than a loss.
   *
   * @param message The message, shared by every stream it reaches.
   */
  dispatch(message: MqttMessage): void {
    const ids = message.properties?.subscriptionIdentifier;
    // On a connection whose broker has no identifiers (a failover to another server, say), every
    // route was resubscribed without its id: all of them take copies by topic.
    const untagged = this.commands.identifiersAvailable() ? ByTopic.untagged : ByTopic.all;
    const rest = ids === undefined ? untagged : this.ids.route(message, ids, deliver);
    if (rest === ByTopic.none) return;
    this.router.match(message.topic, (route) => {
      if (rest === ByTopic.all || route.routing === 'topic') deliver(route, message);
    });
  }

  /**
   * The broker refused `filter` when the session re-subscribed it after a reconnect: its stream
   * errors. A route still waiting to send its own SUBSCRIBE (behind an UNSUBSCRIBE) is a new
   * subscription, not the refused one, and is left alone.
   */
  refused(filter: string, error: SubackError): void {
    const route = this.routes.get(filter);
    if (route && !unsent(route)) this.fail(route, error);
  }

  /**
   * `subscribe()` (not `topic()`) had `filter` granted. At the broker it replaced the stream's
   * subscription of the same filter [MQTT-3.8.4-3], identifier included, so the stream now takes
   * copies by topic; its old id stays taken until its UNSUBACK, and copies still naming it are
   * dropped. `id` is the identifier that SUBSCRIBE carried, if any.
   */
  subscribedElsewhere(filter: string, id: number | undefined): void {
    if (id !== undefined) this.ids.foreign(id);
    this.interest.hold(filter);
    const route = this.routes.get(filter);
    if (route === undefined || route.routing !== 'id' || route.deferred) return;
    this.ids.unbind(route.id as number, route);
    route.routing = 'topic';
  }

  /** `unsubscribe()` lets go of `filters`; those a `topic()` stream has stay: returns the rest, to UNSUBSCRIBE. */
  unsubscribedElsewhere(filters: string[]): string[] {
    return filters.filter((filter) => !this.interest.release(filter, this.routes.has(filter)));
  }

  /** Sends the SUBSCRIBEs queued for the end of the turn now (another command is about to go out). */
  sendQueued(): void {
    this.queue.flush();
  }

  /** Completes every stream (client ended). */
  completeAll(): void {
    for (const route of [...this.routes.values()]) {
      // close() also cancels a lingering UNSUBSCRIBE: the session ends, nothing is left to undo.
      this.close(route);
      releaseIdentifier(this.ids, route);
      for (const subscriber of streamsOf(route)) subscriber.complete();
    }
  }

  get size(): number {
    return this.routes.size;
  }

  /** How many Subscription Identifiers are taken (live or unsubscribing routes, `subscribe()` ones). */
  get identifiers(): number {
    return this.ids.size;
  }

  private open(filter: string, options: RouteOptions, first: Subscriber<MqttMessage>): Route {
    const route = newRoute(filter, routeOptions(options), this);
    addStream(route, first, options.linger);
    if (options.replay === 'retained') route.retained = new RetainedMessages();
    this.routes.set(filter, route);
    this.router.add(filter, route);
    const waiting = this.unsubscribing.get(filter);
    if (waiting === undefined) this.subscribe(route, true);
    else {
      route.deferred = () => this.subscribe(route, true);
      waiting.push(route);
    }
    return route;
  }

  /**
   * A stream joins an open route: it takes over a lingering one, gets the retained messages the
   * route kept if it asks for them, and raises the route's QoS if it asks for a higher one.
   */
  private join(route: Route, subscriber: Subscriber<MqttMessage>, options: RouteOptions): void {
    route.lingering?.unsubscribe();
    route.lingering = undefined;
    addStream(route, subscriber, options.linger);
    if (options.replay === 'retained') {
      if (route.retained) route.retained.replay(subscriber);
      else route.retained = new RetainedMessages();
    }
    const raised = mergeQos(route, options.qos);
    if (raised === undefined) return;
    route.options = raised;
    // A route waiting behind an UNSUBSCRIBE sends the raised options when its turn comes.
    if (route.deferred || raiseQueued(route, raised)) return;
    // The same identifier again, so copies keep coming to this route; none if it lost it.
    if (route.routing !== 'id') route.properties = withoutIdentifier(route.properties);
    this.send(route, upgradeOptions(raised));
  }

  private subscribe(route: Route, allocate: boolean): void {
    route.deferred = undefined;
    // No identifier where the connection has none (v3/v4, or a CONNACK ruling them out).
    const available = this.commands.identifiersAvailable();
    const properties = available ? identify(this.ids, route, route.options.properties, allocate) : route.options.properties;
    if (properties instanceof Error) {
      this.fail(route, properties);
      return;
    }
    route.properties = properties;
    this.send(route, route.options, true);
  }

  /** Queues the route's SUBSCRIBE for the end of the turn; `opens` when the broker has none of it yet. */
  private send(route: Route, options: SubscribeOptions, opens = false): void {
    const { filter } = route;
    route.queued = this.queue.add(toSubscription(filter, options), route.properties, opens, (error) => {
      if (route.queued?.cancelled) route.queued = undefined;
      // Ending completes the streams (completeAll), it does not fail them.
      if (error instanceof ClientClosedError || this.routes.get(filter) !== route) return;
      // The CONNACK that came after the SUBSCRIBE was queued rules identifiers out: topic routing.
      if (isIdentifierRefusal(error) && route.options.properties?.subscriptionIdentifier === undefined) {
        releaseIdentifier(this.ids, route);
        this.subscribe(route, false);
        return;
      }
      if (error) this.fail(route, error);
      else grant(route);
    });
  }

  private unsubscribe(route: Route): void {
    const { filter } = route;
    this.unsubscribing.set(filter, []);
    this.commands.unsubscribe(filter, () => {
      // Only now can no copy name the route's id any more: it may go to another stream.
      releaseIdentifier(this.ids, route);
      const waiting = this.unsubscribing.get(filter) ?? [];
      this.unsubscribing.delete(filter);
      for (const next of waiting) if (this.routes.get(filter) === next) next.deferred?.();
    });
  }

  /** A stream of `route` unsubscribed (the route is its teardown, see Route). */
  leave(route: Route): void {
    const linger = takeClosed(route, this.linger);
    if (linger === undefined || hasStreams(route)) return;
    if (this.routes.get(route.filter) !== route) return;
    // A route still waiting to subscribe has nothing at the broker to keep.
    if (linger > 0 && !unsent(route) && this.commands.isOpen()) {
      route.lingering = this.scheduler.schedule(() => {
        route.lingering = undefined;
        this.drop(route);
      }, linger);
      return;
    }
    this.drop(route);
  }

  /** The route's last stream left (and its linger, if any, ran out): UNSUBSCRIBE. */
  private drop(route: Route): void {
    if (this.routes.get(route.filter) !== route) return;
    this.close(route);
    if (this.interest.has(route.filter)) {
      // subscribe() still wants it: the subscription stays, with the id it may carry, now subscribe()'s.
      if (route.id !== undefined) this.ids.foreign(route.id);
      return;
    }
    this.interest.forget(route.filter);
    // A route still waiting to subscribe never did: there is nothing to undo at the broker.
    if (cancelSubscribe(route)) return;
    if (this.commands.isOpen()) this.unsubscribe(route);
    else releaseIdentifier(this.ids, route);
  }

  private fail(route: Route, error: Error): void {
    this.close(route);
    this.interest.forget(route.filter);
    releaseIdentifier(this.ids, route);
    for (const subscriber of streamsOf(route)) subscriber.error(error);
  }

  private close(route: Route): void {
    route.lingering?.unsubscribe();
    route.lingering = undefined;
    this.routes.delete(route.filter);
    this.router.remove(route.filter, route);
    if (route.routing === 'id') this.ids.unbind(route.id as number, route);
  }
}

