/**
 * scripts/browser-buffer.js, the browser bundles' Buffer, against Node's own: the same calls on
 * random bytes, strings, offsets and values must give the same bytes, results and error classes.
 * (Apps read payloads through this API, so it is held to Node's everyday surface, not only to
 * what rxmqtt and mqtt-packet call.)
 */
import fc from 'fast-check';
import { Buffer as BrowserBuffer } from '../../scripts/browser-buffer.js';

type Impl = BufferConstructor;
const ENCODINGS = ['utf8', 'utf-8', 'hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii', 'ucs2', 'utf16le'] as const;

/** A comparable outcome: bytes as an array, an error as its class name. */
function outcome(run: () => unknown): unknown {
  try {
    const value = run();
    if (value instanceof Uint8Array) return { bytes: Array.from(value), isBuffer: Buffer.isBuffer(value) || BrowserBuffer.isBuffer(value) };
    return value;
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
}

/** Runs `call` with each Buffer (on copies of the same inputs) and requires the same outcome and final bytes. */
function same(call: (B: Impl) => unknown): void {
  expect(outcome(() => call(BrowserBuffer))).toEqual(outcome(() => call(Buffer)));
}

const bytes = fc.uint8Array({ maxLength: 24 });
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 16 }), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.stringMatching(/^[0-9a-fA-F=+/_ -]{0,20}$/));
const encoding = fc.constantFrom(...ENCODINGS);
const index = fc.integer({ min: -3, max: 30 });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const FIXED_READS = ['readUInt8', 'readInt8', 'readUInt16LE', 'readUInt16BE', 'readInt16LE', 'readInt16BE', 'readUInt32LE', 'readUInt32BE', 'readInt32LE', 'readInt32BE', 'readFloatLE', 'readFloatBE', 'readDoubleLE', 'readDoubleBE', 'readBigUInt64LE', 'readBigUInt64BE', 'readBigInt64LE', 'readBigInt64BE', 'readUint8', 'readUint16BE', 'readUint32LE', 'readBigUint64LE'] as const;
const VARIABLE = ['UIntBE', 'UIntLE', 'IntBE', 'IntLE', 'UintBE', 'UintLE'] as const;

describe("the browser bundles' Buffer", () => {
  it('encodes strings in every encoding as Node does', () => {
    fc.assert(fc.property(text, encoding, (s, enc) => same((B) => B.from(s, enc))), { numRuns: 2000 });
    fc.assert(fc.property(text, encoding, (s, enc) => same((B) => B.byteLength(s, enc))), { numRuns: 500 });
  });

  it('decodes bytes in every encoding, whole or in part, as Node does', () => {
    fc.assert(fc.property(bytes, encoding, maybe(index), maybe(index), (b, enc, start, end) => same((B) => B.from(b).toString(enc, start, end))), { numRuns: 2000 });
    fc.assert(fc.property(bytes, (b) => same((B) => B.from(b).toString())));
  });

  it('writes strings at an offset, never a partial character, as Node does', () => {
    fc.assert(
      fc.property(bytes, text, maybe(index), maybe(index), encoding, (b, s, offset, length, enc) =>
        same((B) => {
          const buffer = B.from(b);
          return [buffer.write(s, offset ?? 0, length ?? buffer.length - Math.max(offset ?? 0, 0), enc), Array.from(buffer)];
        }),
      ),
      { numRuns: 2000 },
    );
    same((B) => B.alloc(4).write('ab', 'hex'));
    same((B) => B.alloc(4).write('ab', 1, 'latin1'));
  });

  it('reads and writes every fixed-size number at any offset as Node does', () => {
    fc.assert(
      fc.property(bytes, index, fc.constantFrom(...FIXED_READS), (b, offset, read) => same((B) => (B.from(b) as unknown as Record<string, (o: number) => unknown>)[read]!(offset))),
      { numRuns: 2000 },
    );
    const value = fc.oneof(fc.integer({ min: -(2 ** 32), max: 2 ** 33 }), fc.double(), fc.integer({ min: -200, max: 300 }));
    fc.assert(
      fc.property(bytes, index, fc.constantFrom(...FIXED_READS), value, (b, offset, read, v) =>
        same((B) => {
          const buffer = B.from(b) as unknown as Record<string, (v: unknown, o: number) => unknown> & Uint8Array;
          const write = read.replace('read', 'write');
          const given = read.includes('Big') ? BigInt(Math.trunc(v)) * (v > 2 ** 20 ? 2n ** 31n : 1n) : v;
          return [buffer[write]!(given, offset), Array.from(buffer)];
        }),
      ),
      { numRuns: 3000 },
    );
  });

  it('reads and writes integers of 1 to 6 bytes as Node does', () => {
    const byteLength = fc.integer({ min: 0, max: 7 });
    fc.assert(
      fc.property(bytes, index, byteLength, fc.constantFrom(...VARIABLE), (b, offset, n, kind) =>
        same((B) => (B.from(b) as unknown as Record<string, (o: number, n: number) => unknown>)[`read${kind}`]!(offset, n)),
      ),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(bytes, index, byteLength, fc.constantFrom(...VARIABLE), fc.integer({ min: -(2 ** 48), max: 2 ** 49 }), (b, offset, n, kind, v) =>
        same((B) => {
          const buffer = B.from(b) as unknown as Record<string, (v: number, o: number, n: number) => unknown> & Uint8Array;
          return [buffer[`write${kind}`]!(v, offset, n), Array.from(buffer)];
        }),
      ),
      { numRuns: 1500 },
    );
  });

  it('concatenates, compares, copies, fills, searches, slices and swaps as Node does', () => {
    fc.assert(fc.property(fc.array(bytes, { maxLength: 4 }), maybe(fc.nat(60)), (list, total) => same((B) => B.concat(list.map((b) => B.from(b)), total))));
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        same((B) => B.compare(B.from(a), B.from(b)));
        same((B) => B.from(a).equals(B.from(b)));
      }),
    );
    fc.assert(
      fc.property(bytes, bytes, maybe(index), maybe(index), maybe(index), maybe(index), (a, b, ts, te, ss, se) => same((B) => B.from(a).compare(B.from(b), ts, te, ss, se))),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(bytes, bytes, maybe(fc.nat(30)), maybe(fc.nat(30)), maybe(fc.nat(30)), (a, b, ts, ss, se) =>
        same((B) => {
          const target = B.from(b);
          return [B.from(a).copy(target, ts, ss, se), Array.from(target)];
        }),
      ),
      { numRuns: 1000 },
    );
    const fill = fc.oneof(fc.integer({ min: -300, max: 300 }), text, bytes);
    fc.assert(
      fc.property(bytes, fill, maybe(fc.nat(30)), maybe(fc.nat(30)), encoding, (b, value, offset, end, enc) =>
        same((B) => B.from(b).fill(value instanceof Uint8Array ? B.from(value) : value, offset, end, enc)),
      ),
      { numRuns: 1000 },
    );
    const needle = fc.oneof(fc.integer({ min: -300, max: 300 }), text, fc.uint8Array({ maxLength: 3 }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24, max: 3 }), needle, maybe(index), encoding, (b, value, offset, enc) => {
        // By utf16le Node searches whole code units: odd lengths give results of its C++ alone.
        if (/^(ucs-?2|utf-?16le)$/.test(enc)) {
          b = b.subarray(0, b.length & ~1);
          if (value instanceof Uint8Array) value = value.subarray(0, value.length & ~1);
        }
        for (const method of ['indexOf', 'lastIndexOf', 'includes'] as const) {
          same((B) => B.from(b)[method](value instanceof Uint8Array ? B.from(value) : value, offset, enc));
        }
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(bytes, maybe(index), maybe(index), (b, start, end) =>
        same((B) => {
          const buffer = B.from(b);
          const slice = buffer.slice(start, end);
          slice.fill(7);
          return [Array.from(slice), Array.from(buffer), B.isBuffer(slice), B.isBuffer(buffer.subarray(1))];
        }),
      ),
    );
    fc.assert(fc.property(bytes, (b) => ['swap16', 'swap32', 'swap64'].forEach((swap) => same((B) => (B.from(b) as unknown as Record<string, () => Uint8Array>)[swap]!()))));
  });

  it('makes Buffers from arrays, array buffers, views and JSON as Node does', () => {
    fc.assert(
      fc.property(bytes, maybe(fc.nat(30)), maybe(fc.nat(30)), (b, offset, length) => {
        same((B) => B.from(b.buffer, offset, length));
        same((B) => B.from(Array.from(b, (x) => x * 3 - 100)));
        same((B) => B.from(new Uint16Array(Array.from(b, (x) => x * 300))));
        same((B) => B.from(JSON.parse(JSON.stringify(B.from(b)))));
        same((B) => JSON.stringify(B.from(b)));
        same((B) => B.alloc(b.length, b.length ? B.from(b) : 0));
      }),
    );
    same((B) => B.alloc(5, 'ab'));
    same((B) => B.alloc(-1));
    same((B) => B.from(7 as unknown as string));
    same((B) => B.from('x', 'no-such-encoding' as BufferEncoding));
    expect(BrowserBuffer.isBuffer(BrowserBuffer.alloc(1))).toBe(true);
    expect(BrowserBuffer.isBuffer(new Uint8Array(1))).toBe(false);
    expect(BrowserBuffer.isEncoding('UTF-8')).toBe(true);
    expect(BrowserBuffer.isEncoding('nope')).toBe(false);
  });
});
