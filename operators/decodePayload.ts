import { Observable } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import { decodeMessage, type Codec, type Decoded } from '../lib/protocol/payload-codecs.js';
import { DecodeError, InvalidArgumentError } from '../lib/errors.js';
import type { MqttMessage } from '../lib/inbound/message.js';

/** What `decodePayload` does with a message that fails to decode. */
export type DecodeErrorPolicy<M> = 'error' | 'skip' | ((error: DecodeError, message: M) => void);

/** The configuration of `decodePayload`: what to do with a payload that fails to decode, and the filter to name. */
export interface DecodePayloadConfig<M> {
  /**
   * A message whose payload fails to decode: `'error'` fails the stream with a `DecodeError`,
   * `'skip'` drops the message silently, a function is called with the `DecodeError` and the
   * message, which is dropped, and the stream goes on (if the function throws, the stream errors
   * with what it threw). Pass `(err) => decodeErrors.next(err)` to report failures on a stream
   * of their own.
   * @default 'error'
   */
  onError?: DecodeErrorPolicy<M>;
  /**
   * The topic filter the messages were received on, named by every `DecodeError` (its `filter`
   * field, and its message): with several streams decoding, it tells which one skipped a payload.
   * `topic(filter, { codec })` streams set it to their pattern.
   * @default undefined (the error names the message's topic only)
   */
  filter?: string;
}

/**
 * Decodes the payload of each message with a codec, emitting the message with its decoded `value`.
 *
 * Each result is a copy of the message with a `value` field added (`decodeMessage`): `payload`
 * stays the original `Buffer` (see `Decoded`), and the source's message, which other streams may
 * share, is not touched. The codec gets the payload and the whole message. A codec that throws makes a
 * `DecodeError` (kind `ERR_DECODE`, naming the topic, never quoting the payload, the codec's
 * error as `cause`), handled as `onError` says.
 *
 * ```
 * decodePayload(json())
 * source: -a-b-c-|    a.payload = '{"t":1}', b.payload = 'oops', c.payload = '[2]'
 * result: -A-#        A.value = { t: 1 }; # = DecodeError (onError: 'error')
 *
 * decodePayload(json(), { onError: 'skip' })
 * result: -A---C-|    C.value = [2]
 *
 * decodePayload(json(), { onError: report, filter: 't/+' })
 * result: -A---C-|    report(E, b) with E.filter = 't/+' at b
 * ```
 *
 * @example
 * const decodeErrors = new Subject<DecodeError>();
 * client.topic('sensors/+/reading').pipe(
 *   decodePayload(json<{ celsius: number }>(), { onError: (err) => decodeErrors.next(err) }),
 * ).subscribe((msg) => console.log(msg.topic, msg.value.celsius));
 *
 * @param codec How to decode: `json()`, `utf8()`, `raw()` from `rxmqtt`, or any `Codec<T>`.
 * @param config What to do with a payload that fails to decode; see `DecodePayloadConfig`.
 * @returns An operator turning messages into decoded messages.
 * @throws InvalidArgumentError at the call when `codec` has no `decode` function, `onError` is
 * unknown or `filter` is not a string.
 */
export function decodePayload<
  T,
  M extends {
    /** The message's topic, named by a `DecodeError`. */
    topic: string;
    /** The bytes the codec decodes. */
    payload: Buffer;
  } = MqttMessage,
>(
  codec: Codec<T>,
  config: DecodePayloadConfig<M> = {},
): OperatorFunction<M, Decoded<T, M>> {
  if (typeof codec?.decode !== 'function') throw new InvalidArgumentError('decodePayload needs a codec with a decode function');
  const { onError = 'error', filter } = config;
  if (onError !== 'error' && onError !== 'skip' && typeof onError !== 'function') {
    throw new InvalidArgumentError(`decodePayload onError must be 'error', 'skip' or a function, got ${String(onError)}`);
  }
  if (filter !== undefined && typeof filter !== 'string') throw new InvalidArgumentError(`decodePayload filter must be a string, got ${typeof filter}`);

  return (source) =>
    new Observable<Decoded<T, M>>((subscriber) =>
      source.subscribe({
        next: (message) => {
          let decoded: Decoded<T, M>;
          try {
            decoded = decodeMessage(codec, message);
          } catch (failure) {
            const error = withFilter(failure as DecodeError, filter);
            if (onError === 'error') return subscriber.error(error);
            if (onError === 'skip') return;
            try {
              onError(error, message);
            } catch (err) {
              subscriber.error(err);
            }
            return;
          }
          subscriber.next(decoded);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}

/** `decodeMessage`'s error, which names the topic only, naming the stream's filter too. */
function withFilter(error: DecodeError, filter: string | undefined): DecodeError {
  // A second error object, on the failure path only: decoding itself stays in decodeMessage.
  return filter === undefined ? error : new DecodeError(error.topic, error.cause, filter);
}
