// The other side of the Remaining Length check (remaining-length.ts): it must never refuse a
// packet a broker encoded correctly. Every packet the fuzzers' generator can say, encoded by the
// client's codec and decoded again, measures exactly its Remaining Length; an ack cut inside its
// packet id (Remaining Length to match) does not, whatever bytes follow it.
import fc from 'fast-check';
import { createDecoder, encodePacket, type Packet } from '../../lib/protocol/codec.js';
import { overrunsRemainingLength } from '../../lib/session/remaining-length.js';
import { brokerPacket } from '../fuzz/packets.js';
import { shorten } from '../fuzz/mutate.js';

/** The packets the client's decoder makes of `bytes`; undefined when they do not decode. */
function decodeAll(version: 4 | 5, bytes: Buffer): Packet[] | undefined {
  const packets: Packet[] = [];
  let failed = false;
  createDecoder(version, (packet) => packets.push(packet), () => (failed = true)).push(bytes);
  return failed ? undefined : packets;
}

/**
 * `packet` encoded, or undefined when mqtt-packet refuses to write it, or when a property other
 * than a PUBLISH's Subscription Identifier is a list: the fuzzers' way to repeat a property, which
 * mqtt-packet writes faithfully for some types only (a repeated property is the decoder's concern).
 */
function encoded(packet: Packet, version: 4 | 5): Buffer | undefined {
  const properties = (packet as { properties?: Record<string, unknown> }).properties ?? {};
  if (Object.entries(properties).some(([name, value]) => Array.isArray(value) && name !== 'subscriptionIdentifier')) return undefined;
  // Subscription Identifier 0 is a Protocol Error of its own (3.3.2.3.8), and mqtt-packet drops a
  // 0 followed by another identifier (it tests the first for truth): the bytes no longer add up.
  if ([properties.subscriptionIdentifier].flat().includes(0)) return undefined;
  try {
    return encodePacket(packet, version);
  } catch {
    return undefined;
  }
}

const WITH_ID = new Set(['puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback']);

describe.each([4, 5] as const)('the Remaining Length check on MQTT %i', (version) => {
  it('accepts every well-formed packet the codec writes', () => {
    fc.assert(
      fc.property(brokerPacket(version), (packet) => {
        const bytes = encoded(packet, version);
        if (bytes === undefined) return;
        const [decoded] = decodeAll(version, bytes) ?? [];
        if (decoded === undefined) return; // mqtt-packet's own checks refuse it
        expect(overrunsRemainingLength(version, decoded)).toBe(false);
      }),
      { seed: 0x15, numRuns: 3000 },
    );
  });

  it('refuses an ack cut inside its packet id when the packet after it lends it bytes', () => {
    fc.assert(
      fc.property(brokerPacket(version), fc.nat(1), (packet, keep) => {
        const bytes = encoded(packet, version);
        if (bytes === undefined || !WITH_ID.has(packet.cmd)) return;
        const [decoded] = decodeAll(version, Buffer.concat([shorten(bytes, keep), bytes])) ?? [];
        if (decoded === undefined) return;
        expect(overrunsRemainingLength(version, decoded)).toBe(true);
      }),
      { seed: 0x15, numRuns: 3000 },
    );
  });
});
