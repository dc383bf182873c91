/**
 * Structure-aware fuzzing: packets that decode fine but say hostile things (unknown or reused
 * packet ids, every reason code, SUBACKs with the wrong number of codes, topic aliases out of
 * range, CONNACK limits of 0 or 1 and reserved codes, repeated properties, client-to-server
 * packet types, fields cut short...), as fast-check arbitraries.
 * Bit flips mostly die in the decoder; these reach the session's every handler.
 */
import fc from 'fast-check';
import { encodePacket, type Packet } from '../../lib/protocol/codec.js';
import type { FuzzVersion } from './corpus.js';
import { shorten } from './mutate.js';

/** The ids the fuzz states have in flight (1-3 out, 7 in, 1-2 for SUBSCRIBE/UNSUBSCRIBE), and any other. */
const messageId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2, 3, 7, 9, 40) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 65535 }) });
// Mostly valid values (the reason codes each packet type allows), so that a sequence gets past its
// first packet; now and then anything.
const codes = (...valid: number[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.nat(255) });
const REASONS = {
  puback: codes(0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99),
  pubrec: codes(0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99),
  pubrel: codes(0x00, 0x92),
  pubcomp: codes(0x00, 0x92),
  suback: codes(0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2),
  unsuback: codes(0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91),
  connack: codes(0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f),
  disconnect: codes(0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2),
  auth: codes(0x00, 0x18, 0x19),
};
const topic = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a/b', 'sub/x', 'in', '$SYS/x', 'é/ü') },
  { weight: 1, arbitrary: fc.constantFrom('', 'a/+', '#', 'x\u0000y') },
);
/**
 * Now and then a property twice: mqtt-packet writes an array as a repeated property, which the
 * spec makes a Protocol Error for all but User Property and a PUBLISH's Subscription Identifier.
 */
const twice = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ weight: 6, arbitrary: arb }, { weight: 1, arbitrary: fc.tuple(arb, arb) as unknown as fc.Arbitrary<T> });
const small = fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b));
const userProperties = fc.constantFrom({ k: 'v' }, { a: ['1', '2'] });

const publishProperties = fc.record(
  {
    topicAlias: twice(fc.integer({ min: 1, max: 6 })),
    subscriptionIdentifier: twice(fc.oneof(fc.nat(3), fc.integer({ min: 1, max: 268_435_455 }))),
    messageExpiryInterval: twice(fc.integer({ min: 1, max: 100 })),
    payloadFormatIndicator: fc.boolean(),
    contentType: fc.constantFrom('text/plain', ''),
    responseTopic: topic,
    correlationData: small,
    userProperties,
  },
  { requiredKeys: [] },
);

const ackProperties = fc.record({ reasonString: twice(fc.constantFrom('why', 'because')), userProperties }, { requiredKeys: [] });

/** One packet a broker may send on `version`, well-formed or hostile in what it says (never in its framing). */
export function brokerPacket(version: FuzzVersion): fc.Arbitrary<Packet> {
  const v5 = <T>(arb: fc.Arbitrary<T>) => (version === 5 ? fc.option(arb, { nil: undefined }) : fc.constant(undefined));
  const ack = (cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp') =>
    fc.record({ messageId, reasonCode: v5(REASONS[cmd]), properties: v5(ackProperties) }).map((p) => ({ cmd, ...p }) as Packet);
  const granted = (codes: fc.Arbitrary<number>) => fc.array(codes, { minLength: 1, maxLength: 3 });
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({ topic, qos: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, dup: fc.boolean(), retain: fc.boolean(), messageId, payload: small, properties: v5(publishProperties) })
        .map(({ messageId: id, ...p }) => ({ cmd: 'publish', ...p, ...(p.qos > 0 ? { messageId: id } : {}) }) as Packet),
    },
    { weight: 2, arbitrary: ack('puback') },
    { weight: 2, arbitrary: ack('pubrec') },
    { weight: 2, arbitrary: ack('pubrel') },
    { weight: 2, arbitrary: ack('pubcomp') },
    { weight: 2, arbitrary: fc.record({ messageId, granted: granted(version === 5 ? REASONS.suback : codes(0x00, 0x01, 0x02, 0x80)), properties: v5(ackProperties) }).map((p) => ({ cmd: 'suback', ...p }) as Packet) },
    {
      weight: 1,
      arbitrary: fc.record({ messageId, granted: version === 5 ? granted(REASONS.unsuback) : fc.constant([]), properties: v5(ackProperties) }).map((p) => ({ cmd: 'unsuback', ...p }) as Packet),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          sessionPresent: fc.boolean(),
          // 3.1.1 return codes 6-255 are reserved; MQTT 5 codes come from the table and now and then anything.
          code: fc.oneof(fc.constant(0), version === 5 ? REASONS.connack : codes(1, 2, 3, 4, 5)),
          properties: v5(
            fc.record(
              {
                receiveMaximum: twice(fc.nat(3)),
                topicAliasMaximum: twice(fc.nat(3)),
                maximumQoS: twice(fc.constantFrom(0, 1, 2)),
                maximumPacketSize: twice(fc.constantFrom(0, 1, 10, 100, 1024)),
                serverKeepAlive: twice(fc.integer({ min: 1, max: 3 })),
                assignedClientIdentifier: fc.constantFrom('', 'assigned'),
                retainAvailable: fc.boolean(),
                subscriptionIdentifiersAvailable: fc.boolean(),
                serverReference: fc.constantFrom('other:1883', ''),
                authenticationMethod: fc.constantFrom('SCRAM', 'other'),
                authenticationData: small,
              },
              { requiredKeys: [] },
            ),
          ),
        })
        .map(({ code, ...p }) => ({ cmd: 'connack', ...p, returnCode: code, reasonCode: code }) as Packet),
    },
    { weight: 2, arbitrary: fc.constant<Packet>({ cmd: 'pingresp' }) },
    { weight: 1, arbitrary: fc.constantFrom<Packet>({ cmd: 'pingreq' }, { cmd: 'unsubscribe', messageId: 5, unsubscriptions: ['a'] }) },
    {
      weight: 1,
      arbitrary: fc
        .record({ reasonCode: v5(REASONS.disconnect), properties: v5(fc.record({ reasonString: fc.constant('bye'), serverReference: fc.constant('x:1') }, { requiredKeys: [] })) })
        .map((p) => ({ cmd: 'disconnect', ...p }) as Packet),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ reasonCode: REASONS.auth, method: fc.constantFrom('SCRAM', 'other', undefined), data: fc.option(small, { nil: undefined }) })
        .map(({ reasonCode: code, method, data }) => {
          const properties = method === undefined && data === undefined ? undefined : { authenticationMethod: method, authenticationData: data };
          return { cmd: 'auth', reasonCode: code, ...(properties ? { properties } : {}) } as Packet;
        }),
    },
  );
}

/**
 * 1-6 hostile packets as the bytes a broker sends: each encoded with the client's codec (a packet
 * mqtt-packet refuses to encode is left out: it cannot reach the client as such), and one in five
 * cut short inside its fields, its Remaining Length to match, so that the packets after it lend
 * it their bytes (issue 15: `40 01 00` then `d0 00` decodes as PUBACK 208).
 */
export function hostilePackets(version: FuzzVersion): fc.Arbitrary<Buffer> {
  const cut = fc.option(fc.nat(), { freq: 4, nil: undefined });
  return fc.array(fc.tuple(brokerPacket(version), cut), { minLength: 1, maxLength: 6 }).map((packets) => {
    const bytes: Buffer[] = [];
    for (const [p, keep] of packets) {
      try {
        const encoded = encodePacket(p, version);
        bytes.push(keep === undefined ? encoded : shorten(encoded, keep));
      } catch {
        // not a packet mqtt-packet can write
      }
    }
    return Buffer.concat(bytes);
  });
}
