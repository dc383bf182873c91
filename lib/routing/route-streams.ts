/**
 * The streams of a `topic()` route. Most routes have one stream, kept as it is; several are kept
 * in an array in the order they joined, replaced and never mutated in place, so that a delivery in
 * progress goes on over the array it started with (a stream that left meanwhile is closed, and
 * its subscriber ignores what it is given). Both save the array or Set a route would otherwise
 * hold for its one stream (bench/k3-heap.mjs).
 */
import type { MqttMessage } from '../inbound/message.js';
import type { Route, Stream } from './route.js';

const NONE: readonly Stream[] = [];

/** `stream` joins the route; `linger` when it set its own. */
export function addStream(route: Route, stream: Stream, linger: number | undefined): void {
  const streams = route.streams;
  route.streams = Array.isArray(streams) ? (streams.length === 0 ? stream : streams.concat(stream)) : [streams as Stream, stream];
  if (linger !== undefined) (route.lingers ??= new Map()).set(stream, linger);
}

export function streamsOf(route: Route): readonly Stream[] {
  const streams = route.streams;
  return Array.isArray(streams) ? streams : [streams as Stream];
}

export function hasStreams(route: Route): boolean {
  const streams = route.streams;
  return !Array.isArray(streams) || streams.length > 0;
}

/**
 * Takes the streams that unsubscribed (closed ones) out of the route. Returns the linger of the
 * last one taken out (its own, or `fallback`), undefined when none was.
 */
export function takeClosed(route: Route, fallback: number): number | undefined {
  const streams = streamsOf(route);
  let linger: number | undefined;
  let open = 0;
  for (const stream of streams) {
    if (stream.closed) {
      linger = route.lingers?.get(stream) ?? fallback;
      route.lingers?.delete(stream);
    } else open++;
  }
  if (linger === undefined) return undefined;
  if (open === 0) route.streams = NONE;
  else if (open === 1) route.streams = streams.find((stream) => !stream.closed)!;
  else route.streams = streams.filter((stream) => !stream.closed);
  return linger;
}

/** Hands `message` to every stream of the route (and to its retained messages, if kept). */
export function deliver(route: Route, message: MqttMessage): void {
  route.retained?.record(message);
  const streams = route.streams;
  if (!Array.isArray(streams)) return (streams as Stream).next(message);
  for (let i = 0; i < streams.length; i++) streams[i]!.next(message);
}
