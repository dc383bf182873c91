import { decodeMessage, json, raw, utf8 } from '../../lib/protocol/payload-codecs.js';
import { DecodeError } from '../../lib/errors.js';
import * as rxmqtt from '../../lib/index.js';

describe('codecs', () => {
  it.each([
    ['an object', { a: 1, b: ['x', null] }],
    ['a string', 'héllo'],
    ['a number', 42],
    ['null', null],
  ])('json() round-trips %s', (_name, value) => {
    const codec = json<unknown>();
    expect(codec.decode(Buffer.from(codec.encode(value)))).toEqual(value);
  });

  it('json() rejects invalid JSON with an error that does not quote the payload', () => {
    expect(() => json().decode(Buffer.from('secret-token-123'))).toThrow(new SyntaxError('Payload is not valid JSON'));
  });

  it('json() and utf8() reject ill-formed UTF-8', () => {
    const bad = Buffer.from([0x22, 0xc3, 0x28, 0x22]);
    // TextDecoder's TypeError comes from Node's realm, not Jest's: match it by message.
    expect(() => json().decode(bad)).toThrow(/not valid for encoding utf-8/);
    expect(() => utf8().decode(bad)).toThrow(/not valid for encoding utf-8/);
  });

  it('json() refuses to encode what has no JSON text', () => {
    expect(() => json().encode(undefined)).toThrow(TypeError);
    expect(() => json().encode(() => 1)).toThrow(TypeError);
    expect(() => json().encode(10n)).toThrow(TypeError);
  });

  it('utf8() decodes a payload slice without reading past it, and drops a byte order mark', () => {
    const whole = Buffer.from('xxhéllo!!');
    expect(utf8().decode(whole.subarray(2, 8))).toBe('héllo');
    expect(utf8().decode(Buffer.from('\uFEFFabc'))).toBe('abc');
    expect(utf8().encode('abc')).toBe('abc');
    expect(() => utf8().encode(1 as unknown as string)).toThrow(TypeError);
  });

  it('raw() is the identity', () => {
    const payload = Buffer.from([0, 1, 2]);
    expect(raw().decode(payload)).toBe(payload);
    expect(raw().encode(payload)).toBe(payload);
    expect(() => raw().encode('x' as unknown as Buffer)).toThrow(TypeError);
  });

  it('decodeMessage returns a copy of the message with its value, leaving the message alone', () => {
    const message = { topic: 't', payload: Buffer.from('{"a":1}'), qos: 1 };
    const decoded = decodeMessage(json<{ a: number }>(), message);
    expect(decoded).toEqual({ ...message, value: { a: 1 } });
    expect(decoded.payload).toBe(message.payload);
    expect('value' in message).toBe(false);
  });

  it('decodeMessage throws a DecodeError naming the topic, with the codec error as cause', () => {
    const message = { topic: 'a/b', payload: Buffer.from('password=hunter2') };
    let error: unknown;
    try {
      decodeMessage(json(), message);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toMatchObject({ code: 'ERR_DECODE', topic: 'a/b', cause: new SyntaxError('Payload is not valid JSON') });
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('are exported from the package entry point, with DecodeError', () => {
    expect(rxmqtt.decodeMessage).toBe(decodeMessage);
    expect(rxmqtt.json).toBe(json);
    expect(rxmqtt.utf8).toBe(utf8);
    expect(rxmqtt.raw).toBe(raw);
    expect(new rxmqtt.DecodeError('t', new Error('x')).code).toBe('ERR_DECODE');
  });
});
