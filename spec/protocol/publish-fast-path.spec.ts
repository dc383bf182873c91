/**
 * The inbound PUBLISH fast path (lib/protocol/publish-fast-path.ts) held to mqtt-packet's parser:
 * the decoder, which takes the PUBLISHes it can off the front of each chunk, and a plain mqtt-packet
 * parser are fed the same bytes in the same chunks (the fuzz corpus, generated PUBLISHes of every
 * shape and their mutations) and must give the same packets, the same errors after the same chunk,
 * and hold the same number of bytes after every chunk.
 */
import { jest } from '@jest/globals';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import ParserClass from 'mqtt-packet/parser.js';
import { createDecoder, encodePacket, type Packet, type ProtocolVersion } from '../../lib/protocol/codec.js';
import { MqttError } from '../../lib/errors.js';
import { corpus, FUZZ_STATES } from '../fuzz/corpus.js';
import { hostilePackets } from '../fuzz/packets.js';
import { byteCase, chunksOf, encodeLength, streamOf } from '../fuzz/mutate.js';

/** What a decoder reports, chunk by chunk: packets, the first error's text, the bytes it holds. */
type Event = { chunk: number; packet: Packet } | { chunk: number; error: string } | { chunk: number; repeated: string } | { chunk: number; buffered: number };

const fail = (error: Error): never => {
  throw error;
};

/** The decoder's rule for a property sent twice (decoder.ts `repeatedProperty`), applied to the oracle's packets. */
function repeatedProperty(packet: Packet): string | undefined {
  const properties = (packet as { properties?: Record<string, unknown> }).properties ?? {};
  return Object.keys(properties).find((name) => Array.isArray(properties[name]) && !(name === 'subscriptionIdentifier' && packet.cmd === 'publish'));
}

/** The oracle: mqtt-packet's parser alone, up to its first error. */
function parserEvents(version: ProtocolVersion, chunks: readonly Buffer[]): Event[] {
  const parser = mqttPacket.parser({ protocolVersion: version }) as unknown as mqttPacket.Parser & { _list: { length: number } };
  const events: Event[] = [];
  let chunk = 0;
  let done = false;
  parser.on('packet', (packet: Packet) => {
    if (done) return;
    const repeated = repeatedProperty(packet);
    done = repeated !== undefined;
    events.push(repeated === undefined ? { chunk, packet } : { chunk, repeated });
  });
  parser.on('error', (error: Error) => done || ((done = true), events.push({ chunk, error: error.message })));
  for (; chunk < chunks.length && !done; chunk++) {
    try {
      parser.parse(chunks[chunk]!);
    } catch (error) {
      if (!done) events.push({ chunk, error: (error as Error).message });
      done = true;
    }
    if (!done) events.push({ chunk, buffered: parser._list.length });
  }
  return events;
}

/** The decoder with its fast path, fed the same chunks. */
function decoderEvents(version: ProtocolVersion, chunks: readonly Buffer[]): Event[] {
  const events: Event[] = [];
  let chunk = 0;
  let done = false;
  const decoder = createDecoder(
    version,
    (packet) => events.push({ chunk, packet }),
    (error) => {
      done = true;
      const repeated = /carries the (\w+) property more than once/.exec(error.message)?.[1];
      events.push(repeated === undefined ? { chunk, error: (error.cause as Error).message } : { chunk, repeated });
    },
  );
  for (; chunk < chunks.length && !done; chunk++) {
    decoder.push(chunks[chunk]!);
    if (!done) events.push({ chunk, buffered: decoder.buffered });
  }
  return events;
}

/**
 * A PUBLISH written byte by byte, right or subtly wrong: any flags (QoS 3 too), a topic of any
 * bytes (invalid UTF-8, empty), a topic length or Remaining Length off by a little, a Remaining
 * Length in more bytes than needed, with or without a packet id, MQTT 5 property blocks that are
 * empty, empty in two bytes, or not empty.
 */
const rawPublish = fc
  .record({
    flags: fc.nat(15),
    topic: fc.oneof(fc.constantFrom('a/b', '', 'é/ü', 'x\u0000y').map((t) => Buffer.from(t)), fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b))),
    topicLengthOff: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) }),
    messageId: fc.option(fc.nat(65535), { freq: 6, nil: undefined }),
    properties: fc.constantFrom(
      [],
      [0x00],
      [0x00],
      [0x80, 0x00],
      [0x02, 0x01, 0x01],
      [0x03, 0x23, 0x00, 0x01],
      [0x01],
      // Subscription Identifiers: one (also non-minimal, or 0), two, one cut short or followed by more
      [0x02, 0x0b, 0x05],
      [0x02, 0x0b, 0x05],
      [0x03, 0x0b, 0x85, 0x01],
      [0x03, 0x0b, 0x80, 0x00],
      [0x02, 0x0b, 0x00],
      [0x05, 0x0b, 0xff, 0xff, 0xff, 0x7f],
      [0x05, 0x0b, 0x80, 0x80, 0x80, 0x80],
      [0x06, 0x0b, 0x80, 0x80, 0x80, 0x80, 0x01],
      [0x04, 0x0b, 0x01, 0x0b, 0x02],
      [0x03, 0x0b, 0x05, 0x00],
      [0x01, 0x0b],
      [0x02, 0x0b, 0x85],
      [0x81, 0x00, 0x0b, 0x05],
    ),
    payload: fc.uint8Array({ maxLength: 12 }),
    lengthOff: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
    longLength: fc.boolean(),
  })
  .map(({ flags, topic, topicLengthOff, messageId, properties, payload, lengthOff, longLength }) => {
    const topicLength = Math.max(0, topic.length + topicLengthOff);
    const id = messageId === undefined ? [] : [messageId >> 8, messageId & 0xff];
    const body = Buffer.concat([Buffer.from([topicLength >> 8, topicLength & 0xff]), topic, Buffer.from(id), Buffer.from(properties), payload]);
    const length = Math.max(0, body.length + lengthOff);
    const lengthBytes = longLength ? [0x80 | (length & 0x7f), length >> 7] : [...encodeLength(length)];
    return Buffer.concat([Buffer.from([0x30 | flags, ...lengthBytes]), body]);
  });

/** PUBLISHes the client's own encoder writes, as a broker would: every QoS, flags, topic, payload and version. */
const encodedPublish = (version: ProtocolVersion) =>
  fc
    .record({
      qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
      dup: fc.boolean(),
      retain: fc.boolean(),
      topic: fc.oneof(fc.constantFrom('a/b', '', 'température/日本', 'x'.repeat(300)), fc.string({ maxLength: 10 })),
      messageId: fc.integer({ min: 1, max: 65535 }),
      payload: fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ minLength: 200, maxLength: 400 })),
      properties: version === 5 ? fc.option(fc.constantFrom({ contentType: 'x' }, { subscriptionIdentifier: 3 }, { subscriptionIdentifier: [1, 2] }), { nil: undefined }) : fc.constant(undefined),
    })
    .map(({ qos, dup, retain, topic, messageId, payload, properties }) =>
      encodePacket({ cmd: 'publish', qos, dup, retain, topic, payload: Buffer.from(payload), ...(qos > 0 ? { messageId } : {}), ...(properties ? { properties } : {}) } as Packet, version),
    );

/** A captured session of the fuzz corpus plus generated PUBLISHes, mutated by the fuzzers' mutations, cut into chunks. */
const stream = fc
  .record({
    version: fc.constantFrom<ProtocolVersion>(3, 4, 5),
    state: fc.constantFrom(...FUZZ_STATES),
    generated: fc.array(fc.oneof(rawPublish, encodedPublish(4), encodedPublish(5)), { minLength: 6, maxLength: 6 }),
    hostile: fc.oneof(hostilePackets(4), hostilePackets(5)),
  })
  .chain(({ version, state, generated, hostile }) => {
    const packets = [...corpus(state, version === 5 ? 5 : 4), ...generated, hostile];
    const cuts = fc.oneof(fc.array(fc.nat(), { maxLength: 12 }), fc.constant(Array.from({ length: 64 }, (_, i) => i)));
    return fc.record({ c: byteCase(packets.length), cuts }).map(({ c, cuts }) => ({ version, chunks: chunksOf(streamOf(c, packets), [...c.cuts, ...cuts]) }));
  });

describe('the inbound PUBLISH fast path', () => {
  it('gives the packets, errors and buffered bytes of mqtt-packet alone, over the fuzz corpus, generated PUBLISHes and their mutations in any chunks', () => {
    fc.assert(
      fc.property(stream, ({ version, chunks }) => {
        expect(decoderEvents(version, chunks)).toStrictEqual(parserEvents(version, chunks));
      }),
      { numRuns: 1500 },
    );
  });

  it('gives mqtt-packet alone its packets for well-formed PUBLISH streams cut anywhere, the case it is for', () => {
    const publishes = fc.array(fc.oneof(encodedPublish(4), encodedPublish(5)), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(fc.constantFrom<ProtocolVersion>(4, 5), publishes, fc.array(fc.nat(), { maxLength: 16 }), (version, packets, cuts) => {
        const chunks = chunksOf(Buffer.concat(packets), cuts);
        expect(decoderEvents(version, chunks)).toStrictEqual(parserEvents(version, chunks));
      }),
      { numRuns: 500 },
    );
  });

  it('gives mqtt-packet alone its packets and errors for hand-written PUBLISHes, right or subtly wrong, cut anywhere', () => {
    fc.assert(
      fc.property(fc.constantFrom<ProtocolVersion>(4, 5), fc.array(rawPublish, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), (version, packets, cuts) => {
        const chunks = chunksOf(Buffer.concat(packets), cuts);
        expect(decoderEvents(version, chunks)).toStrictEqual(parserEvents(version, chunks));
      }),
      { numRuns: 1500 },
    );
  });

  const tricky: Array<[string, ProtocolVersion, number[]]> = [
    ['a Remaining Length with 4 continuation bytes', 4, [0x30, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00]],
    ['a Remaining Length in 4 bytes, the last without continuation', 4, [0x30, 0x87, 0x80, 0x80, 0x00, 0x00, 0x01, 0x74, 0x61, 0x62, 0x63, 0x64]],
    ['a PUBLISH with both QoS bits set', 4, [0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01]],
    ['a PUBLISH of 256 MB announced', 4, [0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x74]],
    ['a PINGRESP between two PUBLISHes', 4, [0x30, 0x03, 0x00, 0x01, 0x74, 0xd0, 0x00, 0x32, 0x05, 0x00, 0x01, 0x74, 0x00, 0x09]],
    ['a QoS 1 PUBLISH without room for its packet id, then a PUBLISH', 4, [0x32, 0x03, 0x00, 0x01, 0x74, 0x30, 0x03, 0x00, 0x01, 0x75]],
    ['an MQTT 5 PUBLISH without its property length, then a PUBLISH', 5, [0x30, 0x03, 0x00, 0x01, 0x74, 0x30, 0x04, 0x00, 0x01, 0x75, 0x00]],
    ['an MQTT 5 PUBLISH with a property, then one without', 5, [0x30, 0x06, 0x00, 0x01, 0x74, 0x02, 0x01, 0x01, 0x30, 0x05, 0x00, 0x01, 0x75, 0x00, 0x41]],
    ['an MQTT 5 PUBLISH with a Subscription Identifier cut short, then a PUBLISH', 5, [0x30, 0x05, 0x00, 0x01, 0x74, 0x01, 0x0b, 0x30, 0x05, 0x00, 0x01, 0x75, 0x00, 0x41]],
    ['an MQTT 5 QoS 1 PUBLISH with a Subscription Identifier in 2 bytes, then a PINGRESP', 5, [0x32, 0x09, 0x00, 0x01, 0x74, 0x00, 0x07, 0x03, 0x0b, 0x85, 0x01, 0xd0, 0x00]],
  ];

  it.each(tricky)('gives what mqtt-packet alone gives for %s, cut at any one or two points and byte by byte', (_what, version, bytes) => {
    const stream = Buffer.from(bytes);
    const cuttings: number[][] = [[], Array.from({ length: stream.length }, (_, i) => i)];
    for (let i = 1; i < stream.length; i++) for (let j = i; j < stream.length; j++) cuttings.push([i, j]);
    for (const cuts of cuttings) {
      const chunks = chunksOf(stream, cuts);
      expect(decoderEvents(version, chunks)).toStrictEqual(parserEvents(version, chunks));
    }
  });

  it('decodes MQTT 3.1.1 PUBLISHes split anywhere without calling mqtt-packet', () => {
    const parse = jest.spyOn((ParserClass as unknown as { prototype: { parse(bytes: Buffer): number } }).prototype, 'parse');
    try {
      const publish = (qos: 0 | 1 | 2): Packet => ({ cmd: 'publish', qos, messageId: qos || undefined, topic: `t/${qos}`, payload: Buffer.alloc(30, qos), dup: false, retain: qos === 1 });
      const stream = Buffer.concat([publish(0), publish(1), publish(2)].map((packet) => encodePacket(packet, 4)));
      const topics: string[] = [];
      const decoder = createDecoder(4, (packet) => topics.push((packet as { topic: string }).topic), (error) => fail(error));
      for (let i = 0; i < stream.length; i += 7) decoder.push(stream.subarray(i, i + 7));
      expect(topics).toEqual(['t/0', 't/1', 't/2']);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('decodes MQTT 5 PUBLISHes with no properties or one Subscription Identifier without calling mqtt-packet', () => {
    const parse = jest.spyOn((ParserClass as unknown as { prototype: { parse(bytes: Buffer): number } }).prototype, 'parse');
    try {
      const publish = (properties?: { subscriptionIdentifier: number }): Packet => ({ cmd: 'publish', qos: 1, messageId: 9, topic: 'a/b', payload: Buffer.from('x'), dup: false, retain: false, ...(properties && { properties }) });
      const packets: Packet[] = [];
      const decoder = createDecoder(5, (packet) => packets.push(packet), (error) => fail(error));
      decoder.push(Buffer.concat([publish(), publish({ subscriptionIdentifier: 200 })].map((packet) => encodePacket(packet, 5))));
      expect(packets).toEqual([expect.not.objectContaining({ properties: expect.anything() }), expect.objectContaining({ properties: { subscriptionIdentifier: 200 } })]);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('hands the payload over as a view of the chunk it came in, not a copy', () => {
    const chunk = encodePacket({ cmd: 'publish', qos: 0, topic: 't', payload: Buffer.from('hello'), dup: false, retain: false }, 4);
    const payloads: Buffer[] = [];
    createDecoder(4, (packet) => payloads.push((packet as { payload: Buffer }).payload), () => undefined).push(chunk);
    expect(payloads[0]!.buffer).toBe(chunk.buffer);
    expect(payloads[0]!.toString()).toBe('hello');
  });

  it('reports a throw of the packet handler as ERR_INTERNAL and decodes nothing after it', () => {
    const errors: MqttError[] = [];
    let calls = 0;
    const decoder = createDecoder(
      4,
      () => {
        calls++;
        throw new TypeError('handler bug');
      },
      (error) => errors.push(error),
    );
    const publish = encodePacket({ cmd: 'publish', qos: 0, topic: 't', payload: Buffer.from('x'), dup: false, retain: false }, 4);
    decoder.push(Buffer.concat([publish, publish]));
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_INTERNAL', reasonCode: 0x83 });
  });

  it('decodes bytes a packet handler pushes into its own decoder after the rest of the chunk it is decoding', () => {
    const publish = (topic: string) => encodePacket({ cmd: 'publish', qos: 0, topic, payload: Buffer.from(topic), dup: false, retain: false }, 4);
    const three = publish('three');
    const topics: string[] = [];
    const decoder = createDecoder(
      4,
      (packet) => {
        const { topic } = packet as { topic: string };
        topics.push(topic);
        if (topic === 'one') decoder.push(three.subarray(4));
      },
      (error) => {
        throw error;
      },
    );
    decoder.push(Buffer.concat([publish('one'), publish('two'), three.subarray(0, 4)]));
    decoder.push(publish('four'));
    expect(topics).toEqual(['one', 'two', 'three', 'four']);
    expect(decoder.buffered).toBe(0);
  });
});
