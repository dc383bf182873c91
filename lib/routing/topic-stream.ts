/**
 * What `client.topic(pattern, options)` adds on top of a route's raw messages, per stream: named
 * parameters (`sensors/:id`) and decoding with a codec. Streams without either get the route's
 * Observable itself, so the common case costs nothing extra per message.
 */
import { Observable } from 'rxjs';
import { isCodec, type Codec } from '../protocol/payload-codecs.js';
import { DecodeError, InvalidArgumentError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';
import type { TopicOptions } from './topic-options.js';
import { parseTopicPattern, topicParams, type TopicParam } from './topic-params.js';

/** What a topic stream needs from the client. */
export interface TopicSource {
  observe(filter: string, options?: TopicOptions<unknown>): Observable<MqttMessage>;
  /** Reports a payload the stream's codec could not decode. */
  decodeFailed(error: DecodeError): void;
}

/**
 * The messages of `pattern`, with `params` and `value` set as `options` ask.
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
    const transform = messageTransform(pattern, codec, parsed.params, (error) => source.decodeFailed(error));
    return source.observe(parsed.filter, options as TopicOptions<unknown>).subscribe({
      next: (message) => {
        const out = transform(message);
        if (out !== undefined) subscriber.next(out);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
  });
}

/** A copy of each message with its params and decoded value, or undefined when decoding fails. */
function messageTransform<T>(pattern: string, codec: Codec<T> | undefined, params: readonly TopicParam[], failed: (error: DecodeError) => void) {
  return (message: MqttMessage): MqttMessage<T> | undefined => {
    // A copy: the message object is shared by every stream of the route (and by messages$).
    const out = { ...message } as MqttMessage<T>;
    if (params.length > 0) out.params = topicParams(message.topic, params);
    if (codec !== undefined) {
      try {
        (out as { value: T }).value = codec.decode(message.payload, message);
      } catch (cause) {
        failed(new DecodeError(message.topic, cause, pattern));
        return undefined;
      }
    }
    return out;
  };
}
