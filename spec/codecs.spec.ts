import { json, raw, utf8 } from '../lib/codecs.js';
import * as rxmqtt from '../lib/index.js';

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

  it('are exported from the package entry point, with DecodeError', () => {
    expect(rxmqtt.json).toBe(json);
    expect(rxmqtt.utf8).toBe(utf8);
    expect(rxmqtt.raw).toBe(raw);
    expect(new rxmqtt.DecodeError('t', new Error('x')).code).toBe('ERR_DECODE');
  });
});
