import { encodePacket, encodePacketChunks as encode, ZERO_COPY_PAYLOAD_BYTES, type Packet, type ProtocolVersion } from '../../lib/protocol/codec.js';
import { ProtocolError } from '../../lib/errors.js';

/** The chunks to write, in order. */
const encodePacketChunks = (packet: Packet, version: ProtocolVersion): Buffer[] => {
  const encoded = encode(packet, version);
  return Buffer.isBuffer(encoded) ? [encoded] : encoded;
};

describe('encodePacketChunks', () => {
  const payload = (size: number) => Buffer.alloc(size, 0x5a);
  const cases: Array<[string, Packet, ProtocolVersion]> = [
    ['a QoS 0 PUBLISH with a 64 B payload', { cmd: 'publish', topic: 't', payload: payload(64), qos: 0, dup: false, retain: false }, 4],
    ['a QoS 0 PUBLISH with a 1 KiB payload', { cmd: 'publish', topic: 'a/b', payload: payload(1024), qos: 0, dup: false, retain: true }, 4],
    ['a QoS 1 PUBLISH with a 1 MiB payload', { cmd: 'publish', topic: 'big', payload: payload(1024 * 1024), qos: 1, messageId: 42, dup: true, retain: false }, 4],
    ['a QoS 2 PUBLISH with a UTF-8 topic and a 2 KiB payload', { cmd: 'publish', topic: 'température/日本', payload: payload(2048), qos: 2, messageId: 65535, dup: false, retain: false }, 4],
    [
      'an MQTT 5 QoS 1 PUBLISH with properties and a 4 KiB payload',
      { cmd: 'publish', topic: 'v5', payload: payload(4096), qos: 1, messageId: 7, dup: false, retain: false, properties: { contentType: 'bin', userProperties: { k: 'v' } } },
      5,
    ],
    ['a 1 KiB string payload (copied)', { cmd: 'publish', topic: 't', payload: 'x'.repeat(1024), qos: 0, dup: false, retain: false }, 4],
    ['a SUBSCRIBE', { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 1 }] }, 4],
  ];

  it.each(cases)('encodes %s byte for byte as encodePacket does', (_what, packet, version) => {
    expect(Buffer.concat(encodePacketChunks(packet, version)).equals(encodePacket(packet, version))).toBe(true);
  });

  it(`hands over a Buffer payload of ${ZERO_COPY_PAYLOAD_BYTES} bytes or more as its own chunk, not copied`, () => {
    const big = payload(ZERO_COPY_PAYLOAD_BYTES);
    const chunks = encodePacketChunks({ cmd: 'publish', topic: 't', payload: big, qos: 1, messageId: 1, dup: false, retain: false }, 4);
    expect(chunks[chunks.length - 1]).toBe(big);
  });

  it('hands over a smaller Buffer payload as the last chunk too: the outbox copies it once, when it joins the turn', () => {
    const small = payload(ZERO_COPY_PAYLOAD_BYTES - 1);
    const chunks = encodePacketChunks({ cmd: 'publish', topic: 't', payload: small, qos: 0, dup: false, retain: false }, 4);
    expect(chunks[chunks.length - 1]).toBe(small);
  });

  it('encodes a string payload, or a PUBLISH with properties, as one buffer', () => {
    expect(encodePacketChunks({ cmd: 'publish', topic: 't', payload: 'text', qos: 0, dup: false, retain: false }, 4)).toHaveLength(1);
    const withProperties: Packet = { cmd: 'publish', topic: 't', payload: payload(8), qos: 1, messageId: 3, dup: false, retain: false, properties: { contentType: 'x' } };
    expect(encodePacketChunks(withProperties, 5)).toHaveLength(1);
  });

  it('throws a ProtocolError for a large-payload PUBLISH mqtt-packet cannot encode', () => {
    const packet = { cmd: 'publish', topic: 't', payload: payload(2048), qos: 1, dup: false, retain: false } as Packet; // no messageId
    expect(() => encodePacketChunks(packet, 4)).toThrow(ProtocolError);
    expect(() => encodePacketChunks(packet, 4)).toThrow(/Cannot encode publish packet: Invalid messageId/);
  });
});
