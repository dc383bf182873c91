/**
 * How a `topic()` route takes and gives back its MQTT 5 Subscription Identifier. The table of
 * identifiers (`IdRoutes`) is shared by every route of a client; these functions keep a route's
 * `id` and `routing` in step with it.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Route, SubscribeProperties } from './route.js';
import type { IdRoutes } from './subscription-ids.js';

/**
 * The SUBSCRIBE properties of `route`, with the identifier that routes its copies: the
 * caller's, or a fresh one when `allocate` allows. Sets the route's `id` and `routing`. Each
 * route gets its own properties object, which the session keeps per filter, so a resubscribe
 * after a reconnect sends the same id again. Only for a connection with identifiers available.
 */
export function identify(ids: IdRoutes<Route>, route: Route, properties: SubscribeProperties, allocate: boolean): SubscribeProperties | InvalidArgumentError {
  const own = properties?.subscriptionIdentifier;
  if (own !== undefined && !ids.reserve(own)) {
    return new InvalidArgumentError(`Subscription Identifier ${own} is already used by another subscription`);
  }
  const id = own ?? (allocate ? ids.allocate() : undefined);
  if (id === undefined) return properties;
  route.id = id;
  route.routing = 'id';
  ids.bind(id, route);
  return own === undefined ? { ...properties, subscriptionIdentifier: id } : properties;
}

/** Frees the route's identifier (its subscription is gone), unless `subscribe()` uses it too. */
export function releaseIdentifier(ids: IdRoutes<Route>, route: Route): void {
  if (route.id === undefined) return;
  ids.release(route.id, route);
  route.id = undefined;
  route.routing = 'topic';
}
