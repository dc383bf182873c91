/**
 * `client.topic(filter)` streams: reference-counted broker subscriptions routed through a topic
 * trie. The first subscriber to a filter sends SUBSCRIBE, later ones share it, the last one to
 * leave sends UNSUBSCRIBE.
 */
import { Observable, type Subscriber } from 'rxjs';
import type { ISubscription } from './codec.js';
import { ClientClosedError, InvalidArgumentError, type MqttError, type SubackError } from './errors.js';
import type { MqttMessage } from './message.js';
import { TopicRouter } from './router.js';
import type { SettleResult } from './session/types.js';
import { checkSubscription, toSubscription, type SubscribeOptions } from './validate.js';

export type TopicOptions = SubscribeOptions;

/** What the routes need from the client: send (un)subscribe commands. */
export interface RouteCommands {
  subscribe(subscription: ISubscription, properties: SubscribeOptions['properties'], done: (error?: Error, result?: SettleResult) => void): void;
  /** Sends UNSUBSCRIBE for `filter`; `done` runs once it is acknowledged or has failed. */
  unsubscribe(filter: string, done: () => void): void;
  /** Whether new streams may start (false once the client ended). */
  isOpen(): boolean;
}

interface Route {
  readonly filter: string;
  readonly subscribers: Set<Subscriber<MqttMessage>>;
  /** The SUBSCRIBE to send once an earlier UNSUBSCRIBE of the same filter is acknowledged. */
  deferred?: () => void;
  /** True once the broker granted the SUBSCRIBE; until then, who waits for it (`observe`'s `onSubscribed`). */
  granted: true | Array<() => void>;
}

export class TopicRoutes {
  private readonly router = new TopicRouter<Route>();
  private readonly routes = new Map<string, Route>();
  /**
   * Filters whose UNSUBSCRIBE is not acknowledged yet, with the routes waiting to subscribe again.
   * Some brokers (aedes) do not process an UNSUBSCRIBE and a SUBSCRIBE that follows it in order,
   * so a stream re-opened at once (`repeat()`, `switchMap` to the same filter) could end up
   * unsubscribed at the broker: its SUBSCRIBE waits for the UNSUBACK instead.
   */
  private readonly unsubscribing = new Map<string, Route[]>();

  constructor(private readonly commands: RouteCommands) {}

  /**
   * A cold Observable of the messages matching `filter`. `onSubscribed` runs once the broker has
   * granted the filter's SUBSCRIBE (at once, in the subscribe call, if it already had): request()
   * must not publish a request before its reply subscription is in place.
   */
  observe(filter: string, options: TopicOptions = {}, onSubscribed?: () => void): Observable<MqttMessage> {
    return new Observable<MqttMessage>((subscriber) => {
      const invalid = this.check(filter, options);
      if (invalid) {
        subscriber.error(invalid);
        return undefined;
      }
      const existing = this.routes.get(filter);
      existing?.subscribers.add(subscriber);
      // A new route knows its first subscriber before it subscribes: the SUBSCRIBE may fail at
      // once (a filter the broker's CONNACK rules out), and that failure must reach the stream.
      const route = existing ?? this.open(filter, options, subscriber);
      if (onSubscribed) whenGranted(route, onSubscribed);
      return () => this.leave(route, subscriber);
    });
  }

  /** Routes one inbound message to every stream whose filter matches (once per stream). */
  dispatch(message: MqttMessage): void {
    this.router.match(message.topic, (route) => {
      for (const subscriber of route.subscribers) subscriber.next(message);
    });
  }

  /**
   * The broker refused `filter` when the session re-subscribed it after a reconnect: its stream
   * errors. A route still waiting to send its own SUBSCRIBE (behind an UNSUBSCRIBE) is a new
   * subscription, not the refused one, and is left alone.
   */
  refused(filter: string, error: SubackError): void {
    const route = this.routes.get(filter);
    if (route && !route.deferred) this.fail(route, error);
  }

  /** Completes every stream (client ended). */
  completeAll(): void {
    for (const route of [...this.routes.values()]) {
      this.close(route);
      for (const subscriber of [...route.subscribers]) subscriber.complete();
    }
  }

  get size(): number {
    return this.routes.size;
  }

  private check(filter: string, options: TopicOptions): MqttError | InvalidArgumentError | undefined {
    if (!this.commands.isOpen()) return new ClientClosedError();
    if (options === null || typeof options !== 'object') return new InvalidArgumentError('options must be an object');
    return checkSubscription(toSubscription(filter, options));
  }

  private open(filter: string, options: TopicOptions, first: Subscriber<MqttMessage>): Route {
    const route: Route = { filter, subscribers: new Set([first]), granted: [] };
    this.routes.set(filter, route);
    this.router.add(filter, route);
    const subscribe = () => {
      route.deferred = undefined;
      this.subscribe(route, options);
    };
    const waiting = this.unsubscribing.get(filter);
    if (waiting) {
      route.deferred = subscribe;
      waiting.push(route);
    } else {
      subscribe();
    }
    return route;
  }

  private subscribe(route: Route, options: TopicOptions): void {
    const { filter } = route;
    this.commands.subscribe(toSubscription(filter, options), options.properties, (error, result) => {
      // Ending completes the streams (completeAll), it does not fail them.
      if (error instanceof ClientClosedError) return;
      const failure = error ?? (result?.type === 'subscribe' ? result.refused : undefined);
      if (failure && this.routes.get(filter) === route) this.fail(route, failure);
      else if (!failure) grant(route);
    });
  }

  private unsubscribe(filter: string): void {
    this.unsubscribing.set(filter, []);
    this.commands.unsubscribe(filter, () => {
      const waiting = this.unsubscribing.get(filter) ?? [];
      this.unsubscribing.delete(filter);
      for (const route of waiting) if (this.routes.get(filter) === route) route.deferred?.();
    });
  }

  private leave(route: Route, subscriber: Subscriber<MqttMessage>): void {
    if (!route.subscribers.delete(subscriber) || route.subscribers.size > 0) return;
    if (this.routes.get(route.filter) !== route) return;
    this.close(route);
    // A route still waiting to subscribe never did: there is nothing to undo at the broker.
    if (route.deferred) {
      route.deferred = undefined;
      return;
    }
    if (this.commands.isOpen()) this.unsubscribe(route.filter);
  }

  private fail(route: Route, error: Error): void {
    this.close(route);
    for (const subscriber of [...route.subscribers]) subscriber.error(error);
  }

  private close(route: Route): void {
    this.routes.delete(route.filter);
    this.router.remove(route.filter, route);
  }
}

function whenGranted(route: Route, callback: () => void): void {
  if (route.granted === true) callback();
  else route.granted.push(callback);
}

function grant(route: Route): void {
  const waiting = route.granted;
  route.granted = true;
  if (waiting !== true) for (const callback of waiting) callback();
}
