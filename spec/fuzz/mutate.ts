/**
 * Mutations of captured sessions (see `corpus.ts`), as fast-check arbitraries: the fuzz case is
 * plain data (packet indices, mutation records, chunk cuts), so a failing case prints and replays
 * from its seed, and `applyCase` turns it into the chunks a broker would send.
 */
import fc from 'fast-check';
import { HUGE_PUBLISH_HEADER } from './corpus.js';

export type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'insert'; pos: number; bytes: Uint8Array }
  | { kind: 'delete'; pos: number; len: number }
  | { kind: 'truncate'; pos: number }
  /** The head of the stream up to `at`, then the tail of another captured session from `from`. */
  | { kind: 'splice'; other: number[]; at: number; from: number }
  /** Replaces the Remaining Length of packet `packet` (an index into the session) with `bytes`. */
  | { kind: 'length'; packet: number; bytes: Uint8Array }
  /**
   * Cuts packet `packet` short to `keep` bytes of its body (modulo its length) and says so in its
   * Remaining Length: the stream stays in step, so a field cut short (a packet id, a reason code,
   * a property) is followed by the next packet's bytes, which mqtt-packet reads as its own.
   */
  | { kind: 'shorten'; packet: number; keep: number }
  /** Inserts a fixed header announcing 256 MB at `pos`. */
  | { kind: 'huge'; pos: number }
  /** Throws the stream away for random bytes. */
  | { kind: 'random'; bytes: Uint8Array };

export interface ByteCase {
  /** Indices into the state's corpus: the captured session before mutation. */
  session: number[];
  mutations: Mutation[];
  /** Where the stream is split into chunks (taken modulo its length). */
  cuts: number[];
}

/** A Remaining Length: valid 1-4 byte encodings, the 256 MB one, or 5 continuation bytes (malformed). */
const remainingLength = fc.oneof(
  fc.constant(Uint8Array.of(0xff, 0xff, 0xff, 0x7f)),
  fc.constant(Uint8Array.of(0x00)),
  fc.integer({ min: 0, max: 268_435_455 }).map(encodeLength),
  fc.uint8Array({ minLength: 1, maxLength: 5 }),
);

export function encodeLength(length: number): Uint8Array {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Uint8Array.from(bytes);
}

function mutation(corpusSize: number): fc.Arbitrary<Mutation> {
  const session = fc.array(fc.nat(corpusSize - 1), { minLength: 1, maxLength: 4 });
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.nat(7) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), pos: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), other: session, at: fc.nat(), from: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('length' as const), packet: fc.nat(), bytes: remainingLength }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('shorten' as const), packet: fc.nat(), keep: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), pos: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 48 }) }) },
  );
}

/** Captured sessions of a corpus of `corpusSize` packets, each mutated 0-3 times, cut into chunks. */
export function byteCase(corpusSize: number): fc.Arbitrary<ByteCase> {
  return fc.record({
    session: fc.array(fc.nat(corpusSize - 1), { minLength: 1, maxLength: 5 }),
    mutations: fc.array(mutation(corpusSize), { maxLength: 3 }),
    cuts: fc.array(fc.nat(), { maxLength: 4 }),
  });
}

/** Fixed header of an encoded packet: the type byte and the length of its Remaining Length. */
function lengthBytes(packet: Buffer): number {
  let n = 1;
  while (n < 4 && n < packet.length && (packet[n]! & 0x80) !== 0) n++;
  return n;
}

function applyMutation(stream: Buffer, m: Mutation, corpus: readonly Buffer[]): Buffer {
  const at = (pos: number, extra = 0) => (stream.length + extra === 0 ? 0 : pos % (stream.length + extra));
  switch (m.kind) {
    case 'flip': {
      if (stream.length === 0) return stream;
      const out = Buffer.from(stream);
      const i = at(m.pos);
      out[i] = out[i]! ^ (1 << m.bit);
      return out;
    }
    case 'insert': {
      const i = at(m.pos, 1);
      return Buffer.concat([stream.subarray(0, i), m.bytes, stream.subarray(i)]);
    }
    case 'delete': {
      const i = at(m.pos);
      return Buffer.concat([stream.subarray(0, i), stream.subarray(i + m.len)]);
    }
    case 'truncate':
      return stream.subarray(0, at(m.pos, 1));
    case 'splice': {
      const other = Buffer.concat(m.other.map((i) => corpus[i]!));
      return Buffer.concat([stream.subarray(0, at(m.at, 1)), other.subarray(m.from % (other.length + 1))]);
    }
    case 'length':
    case 'shorten':
      return stream; // applied to the packets, before they are joined
    case 'huge': {
      const i = at(m.pos, 1);
      return Buffer.concat([stream.subarray(0, i), HUGE_PUBLISH_HEADER, stream.subarray(i)]);
    }
    case 'random':
      return Buffer.from(m.bytes);
  }
}

/** `packet` (one encoded packet) with only `keep` bytes of its body (modulo its length), its Remaining Length to match. */
export function shorten(packet: Buffer, keep: number): Buffer {
  const body = packet.subarray(1 + lengthBytes(packet));
  if (body.length === 0) return packet;
  const kept = keep % body.length;
  return Buffer.concat([packet.subarray(0, 1), encodeLength(kept), body.subarray(0, kept)]);
}

/** The mutated byte stream of `c`. */
export function streamOf(c: ByteCase, corpus: readonly Buffer[]): Buffer {
  const packets = c.session.map((i) => corpus[i]!);
  for (const m of c.mutations) {
    if (m.kind === 'length') {
      const i = m.packet % packets.length;
      const packet = packets[i]!;
      packets[i] = Buffer.concat([packet.subarray(0, 1), m.bytes, packet.subarray(1 + lengthBytes(packet))]);
    } else if (m.kind === 'shorten') {
      const i = m.packet % packets.length;
      packets[i] = shorten(packets[i]!, m.keep);
    }
  }
  let stream: Buffer = Buffer.concat(packets);
  for (const m of c.mutations) stream = applyMutation(stream, m, corpus);
  return stream;
}

/** `stream` split at `cuts` (modulo its length): the chunks the client reads, in order. */
export function chunksOf(stream: Buffer, cuts: readonly number[]): Buffer[] {
  if (stream.length === 0) return [stream];
  const points = [...new Set(cuts.map((c) => c % stream.length))].filter((p) => p > 0).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(stream.subarray(from, p));
    from = p;
  }
  chunks.push(stream.subarray(from));
  return chunks;
}

/**
 * The same kind of case as `byteCase`, drawn from a seeded PRNG: about ten times cheaper to
 * generate than through fast-check's combinators, for the bulk of a million-case run. The case is
 * plain data: a failing one prints and goes into a regressions table like any other.
 */
export function seededByteCase(random: () => number, corpusSize: number): ByteCase {
  const int = (n: number) => Math.floor(random() * n);
  const nat = () => int(0x7fffffff);
  const bytes = (min: number, max: number) => {
    const out = new Uint8Array(min + int(max - min + 1));
    for (let i = 0; i < out.length; i += 4) {
      const word = random() * 2 ** 32;
      for (let j = 0; j < 4 && i + j < out.length; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  };
  const session = () => Array.from({ length: 1 + int(4) }, () => int(corpusSize));
  const length = (): Uint8Array => {
    switch (int(4)) {
      case 0:
        return Uint8Array.of(0xff, 0xff, 0xff, 0x7f);
      case 1:
        return Uint8Array.of(0x00);
      case 2:
        return encodeLength(int(268_435_456));
      default:
        return bytes(1, 5);
    }
  };
  const mutation = (): Mutation => {
    const r = int(15); // the weights of `byteCase`: 3 2 2 1 1 2 2 1 1
    if (r < 3) return { kind: 'flip', pos: nat(), bit: int(8) };
    if (r < 5) return { kind: 'insert', pos: nat(), bytes: bytes(1, 4) };
    if (r < 7) return { kind: 'delete', pos: nat(), len: 1 + int(4) };
    if (r < 8) return { kind: 'truncate', pos: nat() };
    if (r < 9) return { kind: 'splice', other: session(), at: nat(), from: nat() };
    if (r < 11) return { kind: 'length', packet: nat(), bytes: length() };
    if (r < 13) return { kind: 'shorten', packet: nat(), keep: nat() };
    if (r < 14) return { kind: 'huge', pos: nat() };
    return { kind: 'random', bytes: bytes(0, 48) };
  };
  return {
    session: Array.from({ length: 1 + int(5) }, () => int(corpusSize)),
    mutations: Array.from({ length: int(4) }, mutation),
    cuts: Array.from({ length: int(5) }, nat),
  };
}

/** `c` as a TypeScript literal, to paste into a regressions table. */
export function caseLiteral(c: ByteCase): string {
  return JSON.stringify(c, (_key, value: unknown) => (value instanceof Uint8Array ? `Uint8Array.of(${value.join(', ')})` : value)).replace(
    /"(Uint8Array\.of\([^)]*\))"/g,
    '$1',
  );
}
