/**
 * scripts/browser-bufferlist.cjs, the browser bundles' stand-in for bl (mqtt-packet's parser's
 * buffer list), against bl itself: mqtt-packet's parser over each, side by side, over the fuzz
 * corpus (mutated captured sessions of every state, hostile packets) cut into random chunks, must
 * emit identical packets and errors and keep identical leftovers after every chunk.
 */
import fc from 'fast-check';
import blModule from 'bl/BufferList.js';
import mqttParser from 'mqtt-packet/parser.js';
import browserBufferList from '../../scripts/browser-bufferlist.cjs';
import { corpus, FUZZ_STATES, FUZZ_VERSIONS, type FuzzVersion } from '../fuzz/corpus.js';
import { byteCase, chunksOf, streamOf } from '../fuzz/mutate.js';
import { hostilePackets } from '../fuzz/packets.js';

/** bl's BufferList, called as mqtt-packet calls it (its typings declare no module export). */
const bl = blModule as unknown as typeof browserBufferList;

type Step = ['packet', unknown] | ['error', string] | ['leftover', number];

/** The parser as this spec drives it: its list is replaced by the one under test. */
interface Parser {
  _list: unknown;
  _resetState(): void;
  parse(bytes: Buffer): number;
  on(event: string, listener: (value: never) => void): unknown;
}

/** What mqtt-packet's parser does with `chunks` when its buffer list is `makeList()`'s. */
function parse(chunks: readonly Buffer[], version: FuzzVersion, makeList: () => unknown): Step[] {
  const parser = mqttParser.parser({ protocolVersion: version }) as unknown as Parser;
  // The parser makes its list in _resetState (at the start and after an error): make ours there.
  const reset = parser._resetState;
  parser._resetState = function (this: Parser) {
    reset.call(this);
    this._list = makeList();
  };
  parser._list = makeList();
  const steps: Step[] = [];
  parser.on('packet', (packet: unknown) => steps.push(['packet', packet]));
  parser.on('error', (error: Error) => steps.push(['error', error.message]));
  for (const chunk of chunks) steps.push(['leftover', parser.parse(chunk)]);
  return steps;
}

const sideBySide = (chunks: readonly Buffer[], version: FuzzVersion) =>
  expect(parse(chunks, version, browserBufferList)).toEqual(parse(chunks, version, bl));

describe("the browser bundles' stand-in for bl", () => {
  for (const version of FUZZ_VERSIONS) {
    for (const state of FUZZ_STATES) {
      it(`parses MQTT ${version} ${state} sessions, mutated and cut anywhere, as bl does`, () => {
        const packets = corpus(state, version);
        fc.assert(
          fc.property(byteCase(packets.length), (c) => sideBySide(chunksOf(streamOf(c, packets), c.cuts), version)),
          { numRuns: 300 },
        );
      });
    }

    it(`parses hostile MQTT ${version} packets, cut anywhere, as bl does`, () => {
      fc.assert(
        fc.property(hostilePackets(version), fc.array(fc.nat(), { maxLength: 6 }), (stream, cuts) => sideBySide(chunksOf(stream, cuts), version)),
        { numRuns: 300 },
      );
    });
  }

  it('reads across chunk boundaries and past the end as bl does', () => {
    const chunks = [Buffer.from([1, 2]), Buffer.alloc(0), Buffer.from([3, 4, 5]), Buffer.from([6])];
    const ours = browserBufferList();
    const theirs = bl();
    for (const chunk of chunks) {
      ours.append(chunk);
      theirs.append(chunk);
    }
    const outcome = (read: () => unknown) => {
      try {
        return read();
      } catch (error) {
        return (error as Error).name;
      }
    };
    for (let start = -2; start <= 7; start++) {
      for (let end = -2; end <= 8; end++) expect(ours.slice(start, end)).toEqual(theirs.slice(start, end));
      for (const read of ['readUInt8', 'readUInt16BE', 'readUInt32BE'] as const) expect(outcome(() => ours[read](start))).toEqual(outcome(() => theirs[read](start)));
    }
    expect(ours.consume(3).toString('hex', 1)).toBe(theirs.consume(3).toString('hex', 1));
    expect(ours.length).toBe(theirs.length);
  });
});
