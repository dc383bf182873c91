import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { encodePacketChunks, type IPublishPacket, type Packet, type ProtocolVersion } from '../../lib/protocol/codec.js';
import { PublishHeaders } from '../../lib/protocol/packet-headers.js';

/** What mqtt-packet itself produces for the packet: the reference every memoised header must match. */
const generated = (packet: Packet, version: ProtocolVersion) => mqttPacket.generate(packet, { protocolVersion: version });
const wire = (packet: Packet, version: ProtocolVersion) => {
  const encoded = encodePacketChunks(packet, version);
  return Buffer.isBuffer(encoded) ? encoded : Buffer.concat(encoded);
};

// Topics that share prefixes and lengths, UTF-8 of several widths; payload sizes on both sides of
// the Remaining Length's 1/2/3-byte boundaries (127/128, 16,383/16,384 minus the header).
const topics = ['t', 'a/b', 'a/c', 'température/日本', 'x'.repeat(300), '$SYS/x', 'emoji/😀'];
const sizes = [0, 1, 64, 100, 120, 125, 126, 127, 128, 1023, 1024, 16_370, 16_383, 16_384, 70_000];

const publishArb = fc.record({
  topic: fc.constantFrom(...topics),
  size: fc.constantFrom(...sizes),
  qos: fc.constantFrom(0, 1, 2),
  retain: fc.boolean(),
  dup: fc.boolean(),
  messageId: fc.integer({ min: 1, max: 0xffff }),
  version: fc.constantFrom<ProtocolVersion>(3, 4, 5),
  properties: fc.option(fc.constantFrom({ contentType: 'json' }, { messageExpiryInterval: 5 }, {}), { nil: undefined, freq: 4 }),
});

describe('memoised PUBLISH and ack headers', () => {
  it('encode every publish of a sequence byte for byte as mqtt-packet generate does', () => {
    fc.assert(
      fc.property(fc.array(publishArb, { minLength: 1, maxLength: 40 }), (publishes) => {
        for (const p of publishes) {
          const packet: IPublishPacket = {
            cmd: 'publish',
            topic: p.topic,
            payload: Buffer.alloc(p.size, p.size & 0xff),
            qos: p.qos as 0 | 1 | 2,
            retain: p.retain,
            dup: p.dup,
            ...(p.qos > 0 ? { messageId: p.messageId } : {}),
            ...(p.properties && p.version === 5 ? { properties: p.properties } : {}),
          };
          expect(wire(packet, p.version).equals(generated(packet, p.version))).toBe(true);
        }
      }),
      { numRuns: 400, seed: 0x5eed },
    );
  });

  it('re-encodes when the payload size, a flag or the protocol version changes, and on a new Packet Identifier only swaps those 2 bytes', () => {
    let encodes = 0;
    const headers = new PublishHeaders(
      (packet, version) => {
        encodes++;
        const chunks: Array<Buffer | string> = [];
        mqttPacket.writeToStream(packet, { write: (c: Buffer | string) => chunks.push(c) } as unknown as NodeJS.WritableStream, { protocolVersion: version });
        return chunks;
      },
      (chunks, from, to) => Buffer.concat(chunks.slice(from, to).map((c) => (typeof c === 'string' ? Buffer.from(c) : c))),
      (id) => Buffer.from([id >> 8, id & 0xff]),
    );
    const publish = (over: Partial<IPublishPacket>): IPublishPacket => ({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(10), qos: 1, messageId: 1, retain: false, dup: false, ...over });
    headers.chunks(publish({}), 4);
    headers.chunks(publish({ messageId: 2 }), 4);
    headers.chunks(publish({ messageId: 65535 }), 4);
    expect(encodes).toBe(1);
    headers.chunks(publish({ payload: Buffer.alloc(11) }), 4);
    headers.chunks(publish({ retain: true }), 4);
    headers.chunks(publish({ dup: true }), 4);
    headers.chunks(publish({ qos: 2 }), 4);
    headers.chunks(publish({}), 5);
    expect(encodes).toBe(6);
    const chunks = headers.chunks(publish({ messageId: 0x1234 }), 5)!;
    expect(Buffer.concat(chunks).equals(generated(publish({ messageId: 0x1234 }), 5))).toBe(true);
  });

  it('leaves to the codec what it does not handle: a string payload, properties, an alias-only topic, a bad Packet Identifier', () => {
    const headers = new PublishHeaders(() => { throw new Error('must not encode'); }, () => Buffer.alloc(0), () => Buffer.alloc(2));
    const base: IPublishPacket = { cmd: 'publish', topic: 't', payload: Buffer.alloc(1), qos: 1, messageId: 1, retain: false, dup: false };
    expect(headers.chunks({ ...base, payload: 'text' }, 4)).toBeUndefined();
    expect(headers.chunks({ ...base, properties: {} }, 5)).toBeUndefined();
    expect(headers.chunks({ ...base, topic: '' }, 5)).toBeUndefined();
    expect(headers.chunks({ ...base, messageId: 0 }, 4)).toBeUndefined();
    expect(headers.chunks({ ...base, messageId: 65536 }, 4)).toBeUndefined();
    expect(headers.chunks({ ...base, messageId: undefined }, 4)).toBeUndefined();
  });

  it('stays correct past its size bound: more topics than it keeps still encode as generate does', () => {
    for (let i = 0; i < 1500; i++) {
      const packet: IPublishPacket = { cmd: 'publish', topic: `many/${i % 700}`, payload: Buffer.alloc(i % 50), qos: 0, retain: false, dup: false };
      expect(wire(packet, 4).equals(generated(packet, 4))).toBe(true);
    }
  });

  // (PUBREL with DUP is not in the table: PUBREL has no DUP flag [MQTT-3.6.1-1], and mqtt-packet cannot encode one.)
  it('encode PUBACK, PUBREC, PUBREL and PUBCOMP sequences byte for byte as mqtt-packet generate does', () => {
    const ackArb = fc.record({
      cmd: fc.constantFrom('puback', 'pubrec', 'pubrel', 'pubcomp'),
      messageId: fc.integer({ min: 1, max: 0xffff }),
      reasonCode: fc.constantFrom(undefined, 0, 0x10, 0x80, 0x92),
      properties: fc.option(fc.constantFrom({ reasonString: 'no' }, {}), { nil: undefined, freq: 4 }),
      version: fc.constantFrom<ProtocolVersion>(3, 4, 5),
    });
    fc.assert(
      fc.property(fc.array(ackArb, { minLength: 1, maxLength: 40 }), (acks) => {
        for (const a of acks) {
          const packet = {
            cmd: a.cmd,
            messageId: a.messageId,
            ...(a.version === 5 && a.reasonCode !== undefined ? { reasonCode: a.reasonCode } : {}),
            ...(a.version === 5 && a.properties ? { properties: a.properties } : {}),
          } as Packet;
          expect(wire(packet, a.version).equals(generated(packet, a.version))).toBe(true);
        }
      }),
      { numRuns: 400, seed: 0x5eed },
    );
  });
});
