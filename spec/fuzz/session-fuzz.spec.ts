/**
 * Issue #8: the client's inbound path (decoder + session) fed random and mutated byte streams in
 * every protocol state, MQTT 3.1.1 and 5. Pure and fast: no client, no timers, no sockets.
 *
 * Each case builds a session in its state (see `corpus.ts`), mutates a captured session (bit
 * flips, byte insert/delete, truncation, splicing, Remaining Length tampering up to 256 MB, a
 * packet shortened inside its fields, or random bytes), feeds it in random chunks, and checks
 * (`drive.ts`):
 * - nothing throws out of the decoder or the session;
 * - a decoded packet with a field out of range, cut short or read from the next packet's bytes
 *   (`oracle.ts`) ends the connection; the session never sends or settles packet id -1, 0 or NaN;
 * - the case ends with at most one fatal outcome, a typed error: a ProtocolError with a failure
 *   reason code (decoder: 0x81 Malformed, 0x95 Too large), a ConnackError, or an MQTT 5 server
 *   DISCONNECT; else the session carries on (still connected or awaiting CONNACK);
 * - the decoder never buffers more than the maximum packet size, and a header announcing more
 *   is refused before the next chunk is read;
 * - the session reconnects and accepts a valid CONNACK afterwards, and on end() every command
 *   settles exactly once.
 *
 * Budget (fixed seed): a full-path case costs 60-150 µs (session set-up, a fresh mqtt-packet
 * parser, reconnect, end), too much for a million in a CI minute, so the default run is 1,000,000
 * cases in about 30 s on the shared 2-core machine (load 6.6): RXMQTT_FUZZ_RUNS full-path cases
 * (default 200,000), 10% of them as fast-check structured cases that shrink, 10% sequences of
 * well-formed hostile packets (`packets.ts`), 10% fully random bytes, the rest drawn from a seeded
 * PRNG per fast-check seed (ten times cheaper to generate);
 * plus 800,000 cases of the cheap path, the fixed-header scanner that bounds what the decoder
 * buffers, against a reference walk (about 12 µs a case). A long run: RXMQTT_FUZZ_RUNS=2000000
 * (about 2.5 min; and RXMQTT_FUZZ_SEED for another seed). Error stack traces are off during the bulk runs (they dominate the cost of
 * a case): replay a failure from the regressions table to get them.
 */
import fc from 'fast-check';
import { FixedHeaderScanner } from '../../lib/protocol/fixed-header-scanner.js';
import { DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE } from '../../lib/options/options.js';
import { seededRandom } from '../helpers/random.js';
import { corpus, FUZZ_STATES, FUZZ_VERSIONS, type FuzzState, type FuzzVersion } from './corpus.js';
import { ACK_MODES, FuzzDriver, InvariantError, type AckMode, type Outcome } from './drive.js';
import { oversizedHeaderEnd } from './framing.js';
import { hostilePackets } from './packets.js';
import { byteCase, caseLiteral, chunksOf, seededByteCase, streamOf, type ByteCase } from './mutate.js';

const FULL_RUNS = Number(process.env.RXMQTT_FUZZ_RUNS ?? 200_000);
const SCANNER_RUNS = Number(process.env.RXMQTT_FUZZ_SCANNER_RUNS ?? 800_000);
const SEED = Number(process.env.RXMQTT_FUZZ_SEED ?? 0x8f5eed);
/** A small limit makes Remaining Length tampering hit it often; the default one is checked too. */
const LIMITS = [256, DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE] as const;

const combos = FUZZ_STATES.flatMap((state) => FUZZ_VERSIONS.map((version) => [state, version] as const));
const perCombo = (share: number) => Math.ceil((FULL_RUNS * share) / combos.length);
const STRUCTURED_RUNS = perCombo(0.1);
const HOSTILE_RUNS = perCombo(0.1);
const RANDOM_RUNS = perCombo(0.1);
const SEEDED_RUNS = perCombo(0.7);

const stats = { cases: 0, scannerCases: 0, fatal: { decoder: 0, session: 0, refused: 0, serverDisconnect: 0 }, carriedOn: 0, packets: 0, ms: 0 };

function record(outcome: Outcome): void {
  stats.cases++;
  stats.packets += outcome.packets;
  if (outcome.by) stats.fatal[outcome.by]++;
  else stats.carriedOn++;
}

/** One case, start to end: state set-up, the chunks, reconnect, end. */
function run(state: FuzzState, version: FuzzVersion, chunks: readonly Buffer[], maxPacketSize: number, acks: AckMode = 'immediate'): Outcome {
  const driver = new FuzzDriver(state, version, acks);
  const stream = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const outcome = driver.feed(chunks, maxPacketSize, oversizedHeaderEnd(stream, maxPacketSize));
  driver.reconnect();
  driver.end();
  return outcome;
}

/** Runs `c`; a failure names the case as a literal for the regressions table. */
function runCase(state: FuzzState, version: FuzzVersion, packets: readonly Buffer[], c: ByteCase, limit: number, acks: AckMode): Outcome {
  try {
    return run(state, version, chunksOf(streamOf(c, packets), c.cuts), limit, acks);
  } catch (err) {
    if (!(err instanceof InvariantError)) throw err;
    throw new InvariantError(`${err.message}\n  regression: ['...', '${state}', ${version}, ${caseLiteral(c)}, ${limit}, '${acks}']`);
  }
}

/** Runs `body` timed, with stack traces off (restored after). */
function timed(body: () => void): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const started = performance.now();
  try {
    body();
  } finally {
    stats.ms += performance.now() - started;
    Error.stackTraceLimit = limit;
  }
}

/**
 * Cases the fuzzer failed on, replayed on every run: [name, state, version, case, limit, acks].
 * A failing case prints its line ready to paste here. Packet indices point into
 * `corpus(state, version)`: append to the corpus, never reorder it.
 *
 * Until issue 15 this fuzzer had found no fault in lib/ itself (the client fuzzer found one, a
 * repeated CONNACK property: see client-fuzz.spec.ts; its hostile packets now repeat properties
 * too): its invariants did not look at the fields of what was decoded. With the oracle of
 * `oracle.ts` it finds issue 15 (a field cut short, read as -1 or from the next packet) in every
 * state when the session's field checks are switched off, and it found a SUBACK without return
 * codes. These are the cases it failed on: a fault of the driver, two that fail when the
 * fixed-header scanner is switched off (the check that the fuzzer would catch a decoder that
 * buffers an oversized packet), and those of issue 15.
 */
const regressions: Array<[string, FuzzState, FuzzVersion, ByteCase, number, AckMode]> = [
  [
    // The first packet breaks the protocol; undecodable bytes follow in the same chunk. The
    // connection ignores the decoder's error (the transport is already gone): one error, not two.
    'a protocol error, then undecodable bytes in the same chunk',
    'subscribe',
    5,
    {
      session: [9, 11, 17, 6],
      mutations: [
        { kind: 'length', packet: 261282587, bytes: Uint8Array.of(255, 255, 255, 127) },
        { kind: 'flip', pos: 302453147, bit: 2 },
      ],
      cuts: [1107656602, 1986918528],
    },
    256,
    'immediate',
  ],
  [
    'a 256 MB Remaining Length patched into the second packet of a captured session (scanner off: no error)',
    'beforeConnack',
    4,
    {
      session: [11, 3, 9, 1],
      mutations: [
        { kind: 'length', packet: 983771305, bytes: Uint8Array.of(244, 32) },
        { kind: 'length', packet: 1418541912, bytes: Uint8Array.of(255, 255, 255, 127) },
      ],
      cuts: [645222352, 1925325997],
    },
    DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE,
    'immediate',
  ],
  [
    'a 256 MB header read one byte at a time mid QoS 2 (scanner off: the parser waits for the body)',
    'qos2',
    5,
    { session: [0], mutations: [{ kind: 'huge', pos: 0 }], cuts: [1, 2, 3, 4] },
    256,
    'immediate',
  ],
  [
    // Issue 15, found again with the session's field checks switched off: a PUBACK cut inside its
    // packet id (40 01 00, corpus entry 15) reads the CONNACK after it as id 0x0020 and was ignored.
    'a PUBACK cut inside its packet id, followed by a CONNACK it borrows a byte from',
    'beforeConnack',
    4,
    { session: [0, 15, 0], mutations: [], cuts: [] },
    256,
    'immediate',
  ],
  [
    // Issue 15: PUBCOMP 1 shortened to no body decodes as PUBCOMP -1, which was ignored.
    'a PUBCOMP shortened to no packet id',
    'qos2',
    5,
    { session: [0], mutations: [{ kind: 'shorten', packet: 0, keep: 0 }], cuts: [] },
    256,
    'immediate',
  ],
  [
    // Found by the oracle of issue 15 with the field checks on: a deleted byte leaves a SUBACK
    // with no return code, which mqtt-packet decodes and the session ignored (no SUBSCRIBE had its id).
    'a SUBACK left without return codes by a deleted byte',
    'subscribe',
    4,
    { session: [1, 4, 2], mutations: [{ kind: 'delete', pos: 400104893, len: 4 }], cuts: [] },
    256,
    'immediate',
  ],
];

afterAll(() => {
  const { cases, scannerCases, ms, fatal, carriedOn, packets } = stats;
  console.log(
    `inbound fuzz: ${cases + scannerCases} cases in ${(ms / 1000).toFixed(1)} s (seed ${SEED}): ` +
      `${cases} through decoder + session (fatal: ${JSON.stringify(fatal)}, carried on: ${carriedOn}, ` +
      `decoded packets: ${packets}), ${scannerCases} through the fixed-header scanner`,
  );
});

describe('fuzzing the inbound path (decoder + session)', () => {
  describe.each(combos)('%s, MQTT %s', (state, version) => {
    const packets = corpus(state, version);

    it('the unmutated captured sessions end in typed outcomes, never a throw', () => {
      for (let i = 0; i < packets.length; i++) {
        for (const limit of LIMITS) record(run(state, version, [packets[i]!], limit));
      }
    });

    it(`survives ${STRUCTURED_RUNS} mutated captured sessions in random chunks (fast-check, shrinking)`, () => {
      timed(() =>
        fc.assert(
          fc.property(byteCase(packets.length), fc.constantFrom(...LIMITS), fc.constantFrom(...ACK_MODES), (c, limit, acks) => {
            record(runCase(state, version, packets, c, limit, acks));
          }),
          { seed: SEED, numRuns: STRUCTURED_RUNS },
        ),
      );
    });

    it(`survives ${SEEDED_RUNS} mutated captured sessions in random chunks (seeded PRNG)`, () => {
      timed(() =>
        fc.assert(
          fc.property(fc.noShrink(fc.integer()), (seed) => {
            const random = seededRandom(seed);
            const c = seededByteCase(random, packets.length);
            record(runCase(state, version, packets, c, LIMITS[seed & 1]!, ACK_MODES[(seed >>> 1) % 3]!));
          }),
          { seed: SEED, numRuns: SEEDED_RUNS },
        ),
      );
    });

    it(`survives ${HOSTILE_RUNS} sequences of well-formed hostile packets (wrong ids, reason codes, limits...)`, () => {
      timed(() =>
        fc.assert(
          fc.property(hostilePackets(version), fc.array(fc.nat(), { maxLength: 3 }), fc.constantFrom(...ACK_MODES), fc.boolean(), (hostile, cuts, acks, accept) => {
            // Before CONNACK, half the sequences come after an accepting one, to reach the connected handlers.
            const stream = state === 'beforeConnack' && accept ? Buffer.concat([packets[0]!, hostile]) : hostile;
            record(run(state, version, chunksOf(stream, cuts), DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE, acks));
          }),
          { seed: SEED, numRuns: HOSTILE_RUNS },
        ),
      );
    });

    it(`survives ${RANDOM_RUNS} streams of random bytes`, () => {
      timed(() =>
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(), { maxLength: 3 }), (bytes, cuts) => {
            record(run(state, version, chunksOf(Buffer.from(bytes), cuts), 256));
          }),
          { seed: SEED, numRuns: RANDOM_RUNS },
        ),
      );
    });
  });

  it.each(regressions)('regression: %s', (_name, state, version, c, limit, acks) => {
    expect(() => runCase(state, version, corpus(state, version), c, limit, acks)).not.toThrow();
  });
});

describe('fuzzing the fixed-header scanner that bounds inbound buffering', () => {
  const corpora = combos.map(([state, version]) => corpus(state, version));

  it(`refuses exactly the first packet announced over the limit, from its header, in ${SCANNER_RUNS} mutated streams`, () => {
    timed(() =>
      fc.assert(
        fc.property(fc.noShrink(fc.integer()), (seed) => {
          const random = seededRandom(seed);
          const packets = corpora[Math.floor(random() * corpora.length)]!;
          const c = seededByteCase(random, packets.length);
          const limit = [16, 256, DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE][seed & 3 % 3]!;
          const stream = streamOf(c, packets);
          const expected = oversizedHeaderEnd(stream, limit);
          const scanner = new FixedHeaderScanner(limit);
          let offset = 0;
          let refusedAt: number | undefined;
          for (const chunk of chunksOf(stream, c.cuts)) {
            const cut = scanner.scan(chunk);
            if (cut >= 0) {
              refusedAt = offset + cut;
              break;
            }
            offset += chunk.length;
          }
          stats.scannerCases++;
          if (refusedAt !== expected) {
            throw new InvariantError(`scanner refused at ${refusedAt}, the reference at ${expected}: limit ${limit}, case ${caseLiteral(c)}`);
          }
        }),
        { seed: SEED, numRuns: SCANNER_RUNS },
      ),
    );
  });
});
