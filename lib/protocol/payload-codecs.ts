/**
 * Payload codecs: how a message's bytes become a value and a value becomes bytes. Used by the
 * `decodePayload` operator and by `topic(filter, { codec })`; no IO, no RxJS.
 *
 * @example
 * const reading = json<{ celsius: number }>();
 * client.publish('sensors/1', reading.encode({ celsius: 21.5 }));
 * client.messages$.pipe(decodePayload(reading)).subscribe((msg) => console.log(msg.value.celsius));
 */
import { DecodeError } from '../errors.js';
import type { MqttMessage } from '../inbound/message.js';

/**
 * Turns payload bytes into a `T` and back. `decode` throws (any error) when the bytes are not a
 * valid `T`; the caller wraps that in a `DecodeError` naming the topic.
 */
export interface Codec<T> {
  /**
   * Turns a payload into a `T`; throws (any error) when the bytes are not a valid `T`.
   *
   * @param payload The message payload.
   * @param message The whole message, for codecs that look at its properties (content type,
   * payload format indicator); absent when decoding bare bytes.
   */
  decode(payload: Buffer, message?: MqttMessage): T;
  /** The payload to publish for `value`; throws a `TypeError` for a value it cannot encode. */
  encode(value: T): Buffer | string;
}

/**
 * A message with its decoded payload: the message itself, `payload` still the original `Buffer`,
 * plus the decoded `value`. Keeping `payload` a Buffer means code written for `MqttMessage` works
 * on decoded messages unchanged.
 */
export type Decoded<
  T,
  M extends {
    /** The payload bytes the codec decoded, kept as they came. */
    payload: Buffer;
  } = MqttMessage,
> = Omit<M, 'value'> & {
  /** The decoded payload. */
  readonly value: T;
};

/**
 * Decodes one message: a copy of it with the decoded `value` added (the source message, which
 * other streams may share, is not touched). The one decoding step of `decodePayload` and
 * `topic(filter, { codec })`.
 *
 * @throws DecodeError (kind `ERR_DECODE`, naming the topic, the codec's error as `cause`) when
 * the codec throws.
 */
export function decodeMessage<
  T,
  M extends {
    /** The message's topic, named by the `DecodeError` when the codec throws. */
    topic: string;
    /** The bytes the codec decodes. */
    payload: Buffer;
  } = MqttMessage,
>(codec: Codec<T>, message: M): Decoded<T, M> {
  let value: T;
  try {
    value = codec.decode(message.payload, message as unknown as MqttMessage);
  } catch (cause) {
    throw new DecodeError(String(message?.topic), cause);
  }
  return { ...message, value };
}

/**
 * The payload as a string, from strict UTF-8: ill-formed bytes fail to decode (MQTT 5 3.3.2.3.2
 * requires well-formed UTF-8 of a payload marked as such) instead of turning into U+FFFD. A
 * leading byte order mark is dropped.
 */
export function utf8(): Codec<string> {
  return UTF8;
}

/**
 * The payload as JSON. `T` is not checked: the codec trusts the publisher, so validate the value
 * when that trust is misplaced. Encodes with `JSON.stringify`.
 *
 * @example
 * client.topic('config/#').pipe(decodePayload(json<Config>()));
 */
export function json<T = unknown>(): Codec<T> {
  return JSON_CODEC as Codec<T>;
}

/** The payload as it came, a `Buffer`: the identity codec. Encodes a Buffer as itself. */
export function raw(): Codec<Buffer> {
  return RAW;
}

/** Decodes well-formed UTF-8 only; one instance serves every call (TextDecoder keeps no state between whole decodes). */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const UTF8: Codec<string> = {
  decode: (payload) => strictUtf8.decode(payload),
  encode: (value) => {
    if (typeof value !== 'string') throw new TypeError(`utf8 codec: expected a string, got ${typeof value}`);
    return value;
  },
};

const JSON_CODEC: Codec<unknown> = {
  decode: (payload) => {
    const text = strictUtf8.decode(payload);
    try {
      return JSON.parse(text);
    } catch {
      // JSON.parse's own message quotes the text; payloads may be confidential, so say less.
      throw new SyntaxError('Payload is not valid JSON');
    }
  },
  encode: (value) => {
    // undefined, functions and symbols have no JSON text; cycles and BigInts make stringify throw a TypeError.
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) throw new TypeError(`json codec: ${typeof value} cannot be encoded as JSON`);
    return text;
  },
};

const RAW: Codec<Buffer> = {
  decode: (payload) => payload,
  encode: (value) => {
    if (!Buffer.isBuffer(value)) throw new TypeError('raw codec: expected a Buffer');
    return value;
  },
};

/** Whether `value` has the shape of a codec (checked where options are validated). */
export function isCodec(value: unknown): value is Codec<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Codec<unknown>).decode === 'function' && typeof (value as Codec<unknown>).encode === 'function';
}
