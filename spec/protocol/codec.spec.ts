import { createDecoder, encodePacket, MAX_MQTT_PACKET_SIZE, type Packet } from '../../lib/protocol/codec.js';
import { FixedHeaderScanner } from '../../lib/protocol/fixed-header-scanner.js';
import mqttPacket from 'mqtt-packet';
import type { MqttError, ProtocolError } from '../../lib/errors.js';

const pingresp = [0xd0, 0x00];
/** A QoS 0 PUBLISH to "a" with payload "x": 6 bytes. */
const publish6 = [0x30, 0x04, 0x00, 0x01, 0x61, 0x78];
/** A PUBLISH header announcing 268,435,455 body bytes (256 MB), then a few of them. */
const huge = [0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x61];

interface ScanCase {
  name: string;
  limit: number;
  chunks: number[][];
  /** What `scan` returns for each chunk. */
  results: number[];
  /** `size` after the last chunk, when a packet was too large. */
  size?: number;
}

const scanCases: ScanCase[] = [
  { name: 'one packet that fits', limit: 6, chunks: [publish6], results: [-1] },
  { name: 'one packet one byte over', limit: 5, chunks: [publish6], results: [2], size: 6 },
  { name: 'many packets in one chunk', limit: 6, chunks: [[...pingresp, ...publish6, ...pingresp, ...publish6]], results: [-1] },
  { name: 'an oversized packet after small ones in one chunk', limit: 6, chunks: [[...pingresp, ...publish6, ...huge]], results: [13], size: MAX_MQTT_PACKET_SIZE },
  { name: 'a header split byte by byte', limit: 1000, chunks: huge.slice(0, 5).map((b) => [b]), results: [-1, -1, -1, -1, 1], size: MAX_MQTT_PACKET_SIZE },
  { name: 'a header split after its type byte', limit: 1000, chunks: [[...pingresp, 0x30], [0xff, 0xff, 0xff, 0x7f]], results: [-1, 4], size: MAX_MQTT_PACKET_SIZE },
  { name: 'a body split across chunks, the next header after it', limit: 6, chunks: [publish6.slice(0, 3), [...publish6.slice(3), 0x30], [0x05]], results: [-1, -1, 1], size: 7 },
  { name: 'a body spanning many chunks, then a packet that fits', limit: 6, chunks: [[0x30, 0x04, 0x00], [0x01], [0x61], [0x78, ...pingresp]], results: [-1, -1, -1, -1] },
  { name: 'two-byte remaining length exactly at the limit', limit: 3 + 200, chunks: [[0x30, 0xc8, 0x01]], results: [-1] },
  { name: 'two-byte remaining length one over the limit', limit: 3 + 199, chunks: [[0x30, 0xc8, 0x01]], results: [3], size: 203 },
  { name: 'a zero-length packet does not swallow the next type byte', limit: 2, chunks: [[0xd0, 0x00, 0xd0], [0x00, 0x30, 0x01]], results: [-1, 3], size: 3 },
  { name: 'a remaining length over four bytes is left to the parser', limit: 10, chunks: [[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]], results: [-1] },
];

describe('FixedHeaderScanner', () => {
  it.each(scanCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const scanner = new FixedHeaderScanner(c.limit);
    expect(c.chunks.map((chunk) => scanner.scan(Buffer.from(chunk)))).toEqual(c.results);
    if (c.size !== undefined) expect(scanner.size).toBe(c.size);
  });

  it('walks 10,000 packets across arbitrary chunk boundaries without a false alarm', () => {
    const packets = Array.from({ length: 10_000 }, (_, i) =>
      encodePacket({ cmd: 'publish', topic: 't', payload: Buffer.alloc(i % 300), qos: 0, retain: false, dup: false }, 4),
    );
    const stream = Buffer.concat(packets);
    const largest = Math.max(...packets.map((p) => p.length));
    const scanner = new FixedHeaderScanner(largest);
    const alarms: number[] = [];
    for (let at = 0, step = 1; at < stream.length; at += step, step = ((step * 7) % 97) + 1) {
      if (scanner.scan(stream.subarray(at, at + step)) !== -1) alarms.push(at);
    }
    expect(alarms).toEqual([]);
    const tight = new FixedHeaderScanner(largest - 1);
    expect(tight.scan(stream)).toBeGreaterThan(0);
    expect(tight.size).toBe(largest);
  });
});

describe('createDecoder with a maximum packet size', () => {
  function decoder(limit: number) {
    const packets: Packet[] = [];
    const errors: ProtocolError[] = [];
    const d = createDecoder(4, (p) => packets.push(p), (e) => errors.push(e), limit);
    return { d, packets, errors };
  }

  it('delivers the packets before an oversized one, then reports a ProtocolError 0x95 once', () => {
    const { d, packets, errors } = decoder(1024);
    d.push(Buffer.from([...pingresp, ...publish6, ...huge]));
    d.push(Buffer.from(pingresp));
    expect(packets.map((p) => p.cmd)).toEqual(['pingresp', 'publish']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'ERR_PROTOCOL', reasonCode: 0x95, code: 0x95 });
    expect(errors[0]?.message).toBe('exceeding packets size publish: 268435460 bytes, maximumPacketSize is 1024');
  });

  it('accepts a packet exactly at the limit and refuses one a byte over', () => {
    const at = decoder(6);
    at.d.push(Buffer.from(publish6));
    expect(at.packets).toHaveLength(1);
    expect(at.errors).toEqual([]);
    const over = decoder(5);
    over.d.push(Buffer.from(publish6));
    expect(over.packets).toEqual([]);
    expect(over.errors.map((e) => e.reasonCode)).toEqual([0x95]);
  });

  it('still reports a malformed remaining length as 0x81', () => {
    const { d, errors } = decoder(1024);
    d.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(errors.map((e) => e.reasonCode)).toEqual([0x81]);
  });

  it('has no limit but MQTT\'s own by default', () => {
    const packets: Packet[] = [];
    const d = createDecoder(4, (p) => packets.push(p), () => undefined);
    const big = encodePacket({ cmd: 'publish', topic: 't', payload: Buffer.alloc(20 * 1024 * 1024), qos: 0, retain: false, dup: false }, 4);
    d.push(big);
    expect(packets).toHaveLength(1);
  });
});

describe('createDecoder and a failure of our own while handling a packet', () => {
  it('reports ERR_INTERNAL (0x83), not a malformed packet from the broker, and stops decoding', () => {
    const errors: MqttError[] = [];
    const handled: string[] = [];
    const decoder = createDecoder(
      4,
      (packet) => {
        handled.push(packet.cmd);
        throw new TypeError('bug in a handler');
      },
      (error) => errors.push(error),
    );
    decoder.push(Buffer.concat([encodePacket({ cmd: 'pingresp' }, 4), encodePacket({ cmd: 'pingresp' }, 4)]));
    expect(handled).toEqual(['pingresp']);
    expect(errors.map((e) => [e.constructor.name, e.code, e.reasonCode])).toEqual([['MqttError', 'ERR_INTERNAL', 0x83]]);
    expect((errors[0]?.cause as Error).message).toBe('bug in a handler');
  });
});

describe('encodePacket and mqtt-packet generate', () => {
  // encodePacket drives writeToStream itself instead of calling generate: the bytes must not change.
  const packets: Array<[string, Packet, 3 | 4 | 5]> = [
    ['connect v4', { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'c', clean: true, keepalive: 60, username: 'u', password: Buffer.from('p'), will: { topic: 'w', payload: Buffer.from('x'), qos: 1, retain: true } }, 4],
    ['connect v5', { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'c', clean: false, keepalive: 0, properties: { sessionExpiryInterval: 60, receiveMaximum: 10, userProperties: { a: ['1', '2'] } } }, 5],
    ['connect v3', { cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'c', clean: true, keepalive: 10 }, 3],
    ['publish qos 0', { cmd: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false }, 4],
    ['publish qos 2 string payload', { cmd: 'publish', topic: 'a/é', payload: 'héllo', qos: 2, retain: true, dup: true, messageId: 65535 }, 4],
    ['publish v5 properties', { cmd: 'publish', topic: '', payload: Buffer.alloc(2000, 7), qos: 1, retain: false, dup: false, messageId: 7, properties: { topicAlias: 3, messageExpiryInterval: 5, correlationData: Buffer.from([1]), userProperties: { k: 'v' } } }, 5],
    ['puback v5 reason', { cmd: 'puback', messageId: 9, reasonCode: 0x10, properties: { reasonString: 'ok' } }, 5],
    ['pubrec', { cmd: 'pubrec', messageId: 1 }, 4],
    ['pubrel', { cmd: 'pubrel', messageId: 2 }, 4],
    ['pubcomp v5', { cmd: 'pubcomp', messageId: 3, reasonCode: 0 }, 5],
    ['subscribe v5', { cmd: 'subscribe', messageId: 4, subscriptions: [{ topic: 'a/+', qos: 1, nl: true, rap: true, rh: 2 }], properties: { subscriptionIdentifier: 42 } }, 5],
    ['unsubscribe', { cmd: 'unsubscribe', messageId: 5, unsubscriptions: ['a', 'b/#'] }, 4],
    ['pingreq', { cmd: 'pingreq' }, 4],
    ['disconnect v5', { cmd: 'disconnect', reasonCode: 0x04, properties: { sessionExpiryInterval: 0 } }, 5],
    ['auth', { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'm', authenticationData: Buffer.from('d') } }, 5],
  ];

  it.each(packets)('gives the bytes of generate for %s', (_name, packet, version) => {
    const expected = mqttPacket.generate(packet, { protocolVersion: version });
    expect(encodePacket(packet, version).equals(expected)).toBe(true);
  });
});
