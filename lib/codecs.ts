/**
 * Payload codecs for `topic(filter, { codec })` and `publish$(topic, value, { codec })`: a codec
 * turns the bytes of a PUBLISH into a value and back. `decode` may throw; a `topic()` stream then
 * reports a DecodeError on `client.decodeErrors$` and goes on with the next message.
 *
 * @example
 * interface Reading { celsius: number }
 * client.topic<Reading>('sensors/+', { codec: json<Reading>() }).subscribe((m) => m.value.celsius);
 * client.publish$('sensors/a', { celsius: 21 }, { codec: json<Reading>() }).subscribe();
 */

/** Bytes to a value and back. */
export interface Codec<T> {
  /** Throws when `payload` is not a valid encoding of a `T`. */
  decode(payload: Buffer): T;
  encode(value: T): Buffer | string;
}

/**
 * JSON in UTF-8. Decoding does not check the shape of the value: `T` is what the caller asserts.
 *
 * @returns A codec whose `decode` throws a SyntaxError on invalid JSON.
 */
export function json<T = unknown>(): Codec<T> {
  return JSON_CODEC as Codec<T>;
}

/** UTF-8 text; invalid sequences decode to U+FFFD (never throws). */
export function utf8(): Codec<string> {
  return UTF8_CODEC;
}

/** The payload as it arrived (no copy); `value` is the same Buffer as `payload`. */
export function raw(): Codec<Buffer> {
  return RAW_CODEC;
}

/** Whether `value` has the shape of a codec (checked where options are validated). */
export function isCodec(value: unknown): value is Codec<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Codec<unknown>).decode === 'function' && typeof (value as Codec<unknown>).encode === 'function';
}

const JSON_CODEC: Codec<unknown> = {
  decode: (payload) => JSON.parse(payload.toString('utf8')) as unknown,
  encode: (value) => JSON.stringify(value),
};

const UTF8_CODEC: Codec<string> = {
  decode: (payload) => payload.toString('utf8'),
  encode: (value) => value,
};

const RAW_CODEC: Codec<Buffer> = {
  decode: (payload) => payload,
  encode: (value) => value,
};
