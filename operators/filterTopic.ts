import { Observable } from 'rxjs';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { InvalidArgumentError } from '../lib/errors.js';
import { matchLevels, stripSharePrefix, validateFilter } from '../lib/protocol/topic.js';

/**
 * Lets through only the messages whose `topic` matches an MQTT topic filter.
 *
 * ```
 * filterTopic('sport/+')
 * source: -a-b-c-|    a.topic = 'sport/tennis', b.topic = 'news', c.topic = 'sport/golf/hole1'
 * result: -a-----|
 * ```
 *
 * @example
 * client.messages$.pipe(filterTopic('sensors/+/temperature')).subscribe((msg) => {
 *   console.log(msg.topic, msg.payload.toString());
 * });
 *
 * @param filter A topic filter with `+` and `#` wildcards; a `$share/{group}/` prefix is ignored.
 * @returns An operator mirroring the source, minus the messages whose topic does not match.
 * @throws InvalidArgumentError at the call when `filter` is not a valid topic filter.
 */
export function filterTopic<
  T extends {
    /** The topic matched against `filter`. */
    topic: string;
  },
>(filter: string): MonoTypeOperatorFunction<T> {
  const error = validateFilter(filter);
  if (error !== undefined) throw new InvalidArgumentError(error);
  // Split once: per message only the topic is scanned (the matching rules of `matchTopic`).
  const levels = stripSharePrefix(filter).split('/');

  return (source) =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next: (message) => {
          let matches: boolean;
          try {
            matches = matchLevels(levels, message.topic);
          } catch (err) {
            // A message without a string topic (from an untyped source) fails the stream, like `filter`.
            subscriber.error(err);
            return;
          }
          if (matches) subscriber.next(message);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}
