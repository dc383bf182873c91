// Inbound validation (issue 15): every field mqtt-packet decodes without judging is range-checked
// by the session, and a packet whose fields do not fill its Remaining Length exactly is malformed.
// Packets are decoded from wire bytes by the client's own decoder, so that they carry what
// mqtt-packet really hands over for truncated or odd input (-1 ids, borrowed bytes, sentinels).
import { createDecoder, encodePacket, type Packet } from '../../lib/protocol/codec.js';
import { ProtocolError } from '../../lib/errors.js';
import { MqttSession } from '../../lib/session/session.js';
import { checkFields } from '../../lib/session/validate-inbound.js';
import { isRetryableConnack } from '../../lib/connection/refusal.js';
import type { SessionOutput } from '../../lib/session/types.js';
import { connectedSession, options, publishCommand, receive, trace } from './harness.js';

type Version = 4 | 5;

/** The first packet the client's decoder makes of `bytes` (what follows it only lends it bytes). */
export function decodeFirst(version: Version, bytes: number[] | Buffer): Packet {
  const packets: Packet[] = [];
  const decoder = createDecoder(version, (packet) => packets.push(packet), (error) => {
    if (packets.length === 0) throw error;
  });
  decoder.push(Buffer.from(bytes));
  if (packets[0] === undefined) throw new Error('no packet decoded');
  return packets[0];
}

/** A session with QoS 1 publish #1 in flight, or one still waiting for its CONNACK. */
function sessionIn(phase: 'connected' | 'awaitingConnack', protocolVersion: Version): MqttSession {
  if (phase === 'connected') {
    const session = connectedSession({ protocolVersion });
    session.step(publishCommand(1, 1));
    return session;
  }
  const session = new MqttSession(options({ protocolVersion }));
  session.step({ type: 'open' });
  return session;
}

function protocolErrorOf(out: SessionOutput[]): ProtocolError {
  const output = out.find((o) => o.type === 'protocolError') as Extract<SessionOutput, { type: 'protocolError' }>;
  return output.error;
}

interface Case {
  name: string;
  versions: Version[];
  phase: 'connected' | 'awaitingConnack';
  bytes: number[];
  reason: 0x81 | 0x82;
}

const connected = (name: string, versions: Version[], bytes: number[], reason: 0x81 | 0x82 = 0x81): Case => ({ name, versions, phase: 'connected', bytes, reason });
const beforeConnack = (name: string, versions: Version[], bytes: number[], reason: 0x81 | 0x82 = 0x81): Case => ({ name, versions, phase: 'awaitingConnack', bytes, reason });

const rejected: Case[] = [
  // Packet ids: mqtt-packet yields -1 for an id cut short, and decodes 0 as it is.
  connected('a PUBACK cut inside its packet id (40 01 00)', [4, 5], [0x40, 0x01, 0x00]),
  connected('a PUBREC cut inside its packet id', [4, 5], [0x50, 0x01, 0x00]),
  connected('a PUBREL cut inside its packet id', [4, 5], [0x62, 0x01, 0x00]),
  connected('a PUBCOMP cut inside its packet id', [4, 5], [0x70, 0x01, 0x00]),
  connected('a SUBACK cut inside its packet id', [4, 5], [0x90, 0x01, 0x00]),
  connected('an UNSUBACK cut inside its packet id', [5], [0xb0, 0x01, 0x00]),
  connected('a PUBACK with packet id 0', [4, 5], [0x40, 0x02, 0x00, 0x00]),
  connected('a QoS 1 PUBLISH cut inside its packet id', [4], [0x32, 0x04, 0x00, 0x01, 0x61, 0x00]),
  // Fields that run past the Remaining Length into the next packet's bytes.
  connected('a PUBACK whose packet id runs into the PINGRESP after it (40 01 00 d0 00 reads as id 208)', [4, 5], [0x40, 0x01, 0x00, 0xd0, 0x00]),
  connected('a QoS 1 PUBLISH whose packet id runs into the next packet', [4], [0x32, 0x03, 0x00, 0x01, 0x61, 0xd0, 0x00]),
  connected('an MQTT 5 PUBLISH whose Property Length is missing', [5], [0x30, 0x03, 0x00, 0x01, 0x61]),
  connected('an MQTT 5 DISCONNECT of Remaining Length 0 whose reason code would come from the next bytes', [5], [0xe0, 0x00, 0x8e, 0x00]),
  connected('a SUBACK without return codes (one per filter, and a SUBSCRIBE has at least one)', [4, 5], [0x90, 0x02, 0x00, 0x09]),
  connected('an MQTT 5 UNSUBACK without reason codes', [5], [0xb0, 0x03, 0x00, 0x09, 0x00]),
  connected('an MQTT 3.1.1 PUBACK with bytes after its packet id (3.4.1: Remaining Length 2)', [4], [0x40, 0x03, 0x00, 0x01, 0x00]),
  connected('a PINGRESP with a body (3.13: Remaining Length 0)', [4, 5], [0xd0, 0x01, 0x00]),
  connected('an MQTT 5 PUBACK whose Reason String is cut short', [5], [0x40, 0x08, 0x00, 0x01, 0x00, 0x03, 0x1f, 0x00, 0x05, 0x61]),
  beforeConnack('an MQTT 5 CONNACK whose Server Keep Alive is cut short (decoded as -1)', [5], [0x20, 0x04, 0x00, 0x00, 0x01, 0x13]),
  beforeConnack('an MQTT 5 CONNACK whose Server Keep Alive runs into the next packet', [5], [0x20, 0x04, 0x00, 0x00, 0x01, 0x13, 0xd0, 0x00]),
  // Properties of another packet type (2.2.2.2): a Topic Alias (0x23) on a PUBACK, a Receive Maximum (0x21) on a PUBLISH.
  connected('an MQTT 5 PUBACK carrying a Topic Alias', [5], [0x40, 0x07, 0x00, 0x01, 0x00, 0x03, 0x23, 0x00, 0x01]),
  connected('an MQTT 5 PUBLISH carrying a Receive Maximum', [5], [0x30, 0x08, 0x00, 0x01, 0x61, 0x03, 0x21, 0x00, 0x01, 0x78]),
  beforeConnack('an MQTT 5 CONNACK carrying a Topic Alias', [5], [0x20, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01]),
  // CONNACK codes and property ranges.
  beforeConnack('an MQTT 3.1.1 CONNACK with reserved return code 6', [4], [0x20, 0x02, 0x00, 0x06]),
  beforeConnack('an MQTT 3.1.1 CONNACK with reserved return code 255', [4], [0x20, 0x02, 0x00, 0xff]),
  beforeConnack('an MQTT 5 CONNACK with reason code 0x01, not a CONNACK code (3.2.2.2)', [5], [0x20, 0x03, 0x00, 0x01, 0x00]),
  beforeConnack('an MQTT 5 CONNACK with Maximum QoS 2 (3.2.2.3.4)', [5], [0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x02], 0x82),
  beforeConnack('an MQTT 5 CONNACK with Maximum Packet Size 0 (3.2.2.3.6)', [5], [0x20, 0x08, 0x00, 0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x00], 0x82),
  connected('an MQTT 5 PUBLISH with Subscription Identifier 0 (3.3.2.3.8)', [5], [0x30, 0x07, 0x00, 0x01, 0x61, 0x02, 0x0b, 0x00, 0x78], 0x82),
];

const table = rejected.flatMap((c) => c.versions.map((version) => [`MQTT ${version}: ${c.name}`, version, c] as const));

describe('MqttSession validating what the broker sends', () => {
  it.each(table)('closes the connection on %s', (_name, version, c) => {
    const session = sessionIn(c.phase, version);
    const out = receive(session, decodeFirst(version, c.bytes));
    // v5: DISCONNECT with the reason code first; 3.1.1 clients have none to send.
    expect(trace(out)).toEqual(version === 5 ? ['send:disconnect', 'protocolError'] : ['protocolError']);
    if (version === 5) expect(out[0]).toMatchObject({ packet: { cmd: 'disconnect', reasonCode: c.reason } });
    const error = protocolErrorOf(out);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.reasonCode).toBe(c.reason);
    expect(session.status).toBe('disconnected');
  });

  it.each([4, 5] as const)('keeps publish 1 in flight when a truncated PUBACK borrows the bytes of id 1 (MQTT %i)', (version) => {
    const session = sessionIn('connected', version);
    // 40 01 00 is the whole PUBACK; the 01 after it is the next packet's, yet mqtt-packet reads id 1.
    const puback = decodeFirst(version, [0x40, 0x01, 0x00, 0x01]);
    expect(puback).toMatchObject({ cmd: 'puback', messageId: 1, length: 1 });
    receive(session, puback);
    expect(session.inflightCount).toBe(1);
    expect(session.inflightPublish(1)).toMatchObject({ topic: 't', qos: 1 });
  });

  it('takes the two-byte 3.1.1 CONNACK 0x01 a broker without MQTT 5 answers with for a refusal (ConnackError 1, no retry), not a malformed packet', () => {
    const session = sessionIn('awaitingConnack', 5);
    const out = receive(session, decodeFirst(5, [0x20, 0x02, 0x00, 0x01]));
    expect(trace(out)).toEqual(['refused']);
    const refused = out.find((output) => output.type === 'refused') as Extract<SessionOutput, { type: 'refused' }>;
    expect(refused.error).toMatchObject({ name: 'ConnackError', kind: 'ERR_CONNACK', code: 1, reasonCode: 1, message: 'Connection refused: Unacceptable protocol version' });
    expect(isRetryableConnack(refused.error.reasonCode ?? 0)).toBe(false);
  });

  it('builds packets in code without a Remaining Length, and does not measure them', () => {
    const session = sessionIn('connected', 4);
    expect(trace(receive(session, { cmd: 'puback', messageId: 1 }))).toEqual(['settle:1']);
  });
});

/** Well-formed packets, encoded by the client's codec and decoded again: nothing to object to. */
const accepted: [string, Version, Packet][] = [
  ['an MQTT 5 PUBACK of Remaining Length 2 (reason code and properties left out)', 5, { cmd: 'puback', messageId: 1, reasonCode: 0 }],
  ['an MQTT 5 PUBACK with a failure reason code and no properties', 5, { cmd: 'puback', messageId: 1, reasonCode: 0x80 }],
  ['an MQTT 5 PUBREC with a Reason String and User Properties', 5, { cmd: 'pubrec', messageId: 9, reasonCode: 0x10, properties: { reasonString: 'é', userProperties: { a: ['1', '2'], b: 'c' } } }],
  ['an MQTT 3.1.1 CONNACK refusing with code 5', 4, { cmd: 'connack', sessionPresent: false, returnCode: 5 }],
  [
    'an MQTT 5 CONNACK with every server property',
    5,
    {
      cmd: 'connack',
      sessionPresent: false,
      reasonCode: 0,
      properties: {
        sessionExpiryInterval: 0xffffffff,
        receiveMaximum: 65535,
        maximumQoS: 1,
        retainAvailable: false,
        maximumPacketSize: 200_000_000,
        assignedClientIdentifier: 'id',
        topicAliasMaximum: 65535,
        reasonString: 'ok',
        userProperties: { k: 'v' },
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: false,
        sharedSubscriptionAvailable: true,
        serverKeepAlive: 0,
        responseInformation: 'r',
        serverReference: 's',
        authenticationMethod: 'SCRAM',
        authenticationData: Buffer.alloc(300),
      },
    },
  ],
  ['an MQTT 3.1.1 SUBACK with three codes', 4, { cmd: 'suback', messageId: 3, granted: [0, 1, 0x80] }],
  ['an MQTT 5 SUBACK with a Reason String', 5, { cmd: 'suback', messageId: 3, granted: [2, 0x87], properties: { reasonString: 'no' } }],
  ['an MQTT 5 UNSUBACK with two codes', 5, { cmd: 'unsuback', messageId: 3, granted: [0, 0x11] }],
  ['an MQTT 5 DISCONNECT with a Server Reference', 5, { cmd: 'disconnect', reasonCode: 0x9c, properties: { serverReference: 'b:1883' } }],
  ['an MQTT 5 AUTH continuing', 5, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: Buffer.from('x') } }],
  ['an MQTT 3.1.1 QoS 2 PUBLISH with an empty payload', 4, { cmd: 'publish', topic: 'ü/€', payload: Buffer.alloc(0), qos: 2, messageId: 65535, retain: false, dup: false }],
  [
    'an MQTT 5 QoS 1 PUBLISH with properties and an empty payload',
    5,
    {
      cmd: 'publish',
      topic: '',
      payload: Buffer.alloc(0),
      qos: 1,
      messageId: 2,
      retain: false,
      dup: false,
      properties: { topicAlias: 1, subscriptionIdentifier: [1, 268_435_455], messageExpiryInterval: 5, payloadFormatIndicator: true, contentType: 'c', responseTopic: 'r', correlationData: Buffer.from('id') },
    },
  ],
  ['a PINGRESP', 4, { cmd: 'pingresp' }],
];

describe('checkFields on well-formed packets', () => {
  it.each(accepted)('accepts %s', (_name, version, packet) => {
    expect(checkFields(version, decodeFirst(version, encodePacket(packet, version)))).toBeUndefined();
  });

  it.each([
    ['an MQTT 5 CONNACK that stops after its reason code (nothing left to misread)', [0x20, 0x02, 0x00, 0x00]],
    ['an MQTT 5 DISCONNECT of Remaining Length 0', [0xe0, 0x00]],
    ['an MQTT 5 DISCONNECT of Remaining Length 1', [0xe0, 0x01, 0x8e]],
  ])('accepts %s', (_name, bytes) => {
    expect(checkFields(5, decodeFirst(5, bytes))).toBeUndefined();
  });
});
