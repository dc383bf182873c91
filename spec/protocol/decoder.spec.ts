/**
 * The decoder lends mqtt-packet parsers: a decoder borrows one for each chunk and gives it back
 * when the chunk ended on a packet boundary. These specs hold the lent decoders to what a parser of
 * their own gives, whatever the interleaving of connections, chunk cuts and protocol versions.
 */
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { createDecoder, encodePacket, type Packet, type PacketDecoder, type ProtocolVersion } from '../../lib/protocol/codec.js';
import type { MqttError } from '../../lib/errors.js';
import { corpus, FUZZ_STATES, type FuzzVersion } from '../fuzz/corpus.js';
import { byteCase, chunksOf, streamOf } from '../fuzz/mutate.js';

interface Outcome {
  packets: Packet[];
  errors: MqttError[];
}

function decoder(version: ProtocolVersion): { decoder: PacketDecoder; outcome: Outcome } {
  const outcome: Outcome = { packets: [], errors: [] };
  const d = createDecoder(version, (packet) => outcome.packets.push(packet), (error) => outcome.errors.push(error));
  return { decoder: d, outcome };
}

/** The oracle: a parser of its own, fed the same chunks; what it gave before its first error. */
function ownParser(version: ProtocolVersion, chunks: readonly Buffer[]): { packets: Packet[]; failed: boolean } {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets: Packet[] = [];
  let failed = false;
  parser.on('packet', (packet: Packet) => failed || packets.push(packet));
  parser.on('error', () => (failed = true));
  for (const chunk of chunks) {
    if (failed) break;
    try {
      parser.parse(chunk);
    } catch {
      failed = true;
    }
  }
  return { packets, failed };
}

const publish = (topic: string, qos: 0 | 1 = 0): Packet => ({ cmd: 'publish', topic, payload: Buffer.from(topic), qos, messageId: qos ? 1 : undefined, dup: false, retain: false });

describe('createDecoder and the parsers it lends', () => {
  const connection = fc.record({
    version: fc.constantFrom<FuzzVersion>(4, 5),
    state: fc.constantFrom(...FUZZ_STATES),
    bytes: byteCase(8),
  });

  it('gives every connection what a parser of its own gives, however chunks of several connections interleave', () => {
    fc.assert(
      fc.property(fc.array(connection, { minLength: 2, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 40 }), (connections, picks) => {
        const runs = connections.map(({ version, state, bytes }) => {
          const packets = corpus(state, version);
          const chunks = chunksOf(streamOf({ ...bytes, session: bytes.session.map((i) => i % packets.length) }, packets), bytes.cuts);
          return { version, chunks, next: 0, ...decoder(version) };
        });
        // Deliver chunks in the order `picks` says (each connection's own order kept), then the rest.
        const pending = () => runs.filter((r) => r.next < r.chunks.length);
        for (const pick of picks) {
          const left = pending();
          if (left.length === 0) break;
          const run = left[pick % left.length]!;
          run.decoder.push(run.chunks[run.next++]!);
        }
        for (const run of pending()) while (run.next < run.chunks.length) run.decoder.push(run.chunks[run.next++]!);

        for (const run of runs) {
          const expected = ownParser(run.version, run.chunks);
          // The decoder may stop earlier than the parser (a repeated MQTT 5 property), never later.
          expect(expected.packets.slice(0, run.outcome.packets.length)).toEqual(run.outcome.packets);
          if (expected.failed) expect(run.outcome.errors).toHaveLength(1);
          if (run.outcome.packets.length < expected.packets.length) expect(run.outcome.errors).toHaveLength(1);
          expect(run.outcome.errors.length).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('holds no bytes between whole packets, and the start of a packet until it is complete', () => {
    const { decoder: d, outcome } = decoder(4);
    const bytes = encodePacket(publish('a/b'), 4);
    d.push(bytes);
    expect(d.buffered).toBe(0);
    d.push(bytes.subarray(0, 5));
    expect(d.buffered).toBeGreaterThan(0);
    // Another connection decodes meanwhile: the partial packet above is not disturbed.
    const other = decoder(4);
    other.decoder.push(encodePacket(publish('x'), 4));
    d.push(bytes.subarray(5));
    expect(d.buffered).toBe(0);
    expect(outcome.packets.map((p) => (p as { topic: string }).topic)).toEqual(['a/b', 'a/b']);
    expect(other.outcome.packets.map((p) => (p as { topic: string }).topic)).toEqual(['x']);
  });

  it('decodes each connection with its own protocol version, set before or after its first bytes', () => {
    const v5 = decoder(4);
    const v4 = decoder(4);
    const withProperties: Packet = { ...publish('v5'), properties: { contentType: 'text/plain' } } as Packet;
    v5.decoder.setProtocolVersion(5);
    const v5Bytes = encodePacket(withProperties, 5);
    v5.decoder.push(v5Bytes.subarray(0, 3));
    v4.decoder.push(encodePacket(publish('v4'), 4));
    v5.decoder.push(v5Bytes.subarray(3));
    v4.decoder.push(encodePacket(publish('v4 again'), 4));
    expect(v5.outcome.packets).toEqual([expect.objectContaining({ topic: 'v5', properties: { contentType: 'text/plain' } })]);
    expect(v4.outcome.packets.map((p) => (p as { topic: string }).topic)).toEqual(['v4', 'v4 again']);
    expect([...v5.outcome.errors, ...v4.outcome.errors]).toEqual([]);
  });

  it('lets a packet handler feed another connection, and the first connection goes on afterwards', () => {
    const second = decoder(4);
    const firstTopics: string[] = [];
    const first = createDecoder(
      4,
      (packet) => {
        firstTopics.push((packet as { topic: string }).topic);
        if (firstTopics.length === 1) second.decoder.push(encodePacket(publish('inside'), 4));
      },
      (error) => {
        throw error;
      },
    );
    first.push(Buffer.concat([encodePacket(publish('one'), 4), encodePacket(publish('two'), 4)]));
    expect(firstTopics).toEqual(['one', 'two']);
    expect(second.outcome.packets.map((p) => (p as { topic: string }).topic)).toEqual(['inside']);
  });

  it('fails one connection on malformed bytes while the others keep decoding', () => {
    const broken = decoder(4);
    const healthy = decoder(4);
    const bytes = encodePacket(publish('h'), 4);
    healthy.decoder.push(bytes.subarray(0, 2));
    broken.decoder.push(Buffer.from([0x60, 0x00])); // PUBREL with reserved flags 0000: [MQTT-2.2.2-2]
    broken.decoder.push(encodePacket(publish('ignored'), 4));
    healthy.decoder.push(bytes.subarray(2));
    healthy.decoder.push(bytes);
    expect(broken.outcome.errors).toHaveLength(1);
    expect(broken.outcome.errors[0]).toMatchObject({ reasonCode: 0x81 });
    expect(broken.outcome.packets).toEqual([]);
    expect(healthy.outcome.packets).toHaveLength(2);
    expect(healthy.outcome.errors).toEqual([]);
  });
});
