/**
 * What `client.topic(pattern, options)` adds on top of a route's raw messages, per stream: named
 * parameters (`sensors/:id`) and decoding with a codec (the `decodePayload` operator). Streams
 * without either get the route's Observable itself, so the common case costs nothing extra per
 * message.
 */
import { map, Observable, type OperatorFunction } from 'rxjs';
import { isCodec } from '../protocol/payload-codecs.js';
import { InvalidArgumentError, type DecodeError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';
import type { TopicOptions } from './topic-options.js';
import { parseTopicPattern, topicParams, type TopicParam } from './topic-params.js';
import { decodePayload } from '../../operators/decodePayload.js';

/** What a topic stream needs from the client. */
export interface TopicSource {
  observe(filter: string, options?: TopicOptions<unknown>): Observable<MqttMessage>;
  /** Reports a payload the stream's codec could not decode. */
  decodeFailed(error: DecodeError): void;
}

/**
 * The messages of `pattern`, with `params` and `value` set as `options` ask. A payload the codec
 * cannot decode is skipped, and reported to `source.decodeFailed` as a DecodeError naming the
 * topic and `pattern` (its `filter`); the stream goes on.
 *
 * @param pattern A topic filter, possibly with named levels (`:name`, trailing `:name#`).
 * @returns A cold Observable; errors with an InvalidArgumentError for a bad pattern or codec.
 */
export function topicStream<T = void>(source: TopicSource, pattern: string, options?: TopicOptions<T>): Observable<MqttMessage<T>> {
  const codec = options?.codec;
  const named = typeof pattern === 'string' && options?.params !== false && pattern.includes(':');
  if (codec === undefined && !named) return source.observe(pattern, options as TopicOptions<unknown>) as Observable<MqttMessage<T>>;
  return new Observable<MqttMessage<T>>((subscriber) => {
    const parsed = named ? parseTopicPattern(pattern) : { filter: pattern, params: [] };
    if (typeof parsed === 'string') return subscriber.error(new InvalidArgumentError(parsed));
    if (codec !== undefined && !isCodec(codec)) return subscriber.error(new InvalidArgumentError('codec must have decode and encode functions'));
    const routed = source.observe(parsed.filter, options as TopicOptions<unknown>);
    let messages = routed as Observable<MqttMessage<T>>;
    if (codec !== undefined) {
      const onError = (error: DecodeError) => source.decodeFailed(error);
      messages = routed.pipe(decodePayload(codec, { onError, filter: pattern })) as Observable<MqttMessage<T>>;
    }
    // Decoding made a copy of its own; the route's message is shared by every stream of the route (and messages$).
    if (parsed.params.length > 0) messages = messages.pipe(withParams(parsed.params, codec !== undefined));
    return messages.subscribe(subscriber);
  });
}

/** Sets each message's `params`: on a copy, unless `owned` (the message is this stream's own copy already). */
function withParams<T>(params: readonly TopicParam[], owned: boolean): OperatorFunction<MqttMessage<T>, MqttMessage<T>> {
  return map((message) => {
    const out = owned ? message : { ...message };
    out.params = topicParams(message.topic, params);
    return out;
  });
}
