/**
 * The fuzzers' "captured sessions": for each protocol state a client can be in, the packets a
 * broker sends there, encoded with the client's own codec (`encodePacket`), MQTT 3.1.1 and 5.
 * A captured session is a sequence of these byte strings; the mutators work on their concatenation.
 *
 * The states match the sessions built by `drive.ts`:
 * - `beforeConnack`: CONNECT sent, a QoS 1 publish and a SUBSCRIBE queued behind the CONNACK;
 * - `qos2`: connected; outbound QoS 2 id 1 PUBREC'd (awaiting PUBCOMP), QoS 2 id 2 awaiting PUBREC,
 *   QoS 1 id 3 awaiting PUBACK; inbound QoS 2 id 7 PUBREC'd (awaiting PUBREL);
 * - `subscribe`: connected; SUBSCRIBE id 1 (two filters) and UNSUBSCRIBE id 2 awaiting their acks.
 */
import { encodePacket, type IConnackPacket, type IPublishPacket, type Packet } from '../../lib/protocol/codec.js';
import type { SessionOptions } from '../../lib/session/types.js';

export type FuzzVersion = 4 | 5;
export type FuzzState = 'beforeConnack' | 'qos2' | 'subscribe';
export const FUZZ_STATES: readonly FuzzState[] = ['beforeConnack', 'qos2', 'subscribe'];
export const FUZZ_VERSIONS: readonly FuzzVersion[] = [4, 5];

/** The session of every state: the options its CONNECT and its inbound limits come from. */
export function fuzzSessionOptions(state: FuzzState, version: FuzzVersion): SessionOptions {
  return {
    protocolId: 'MQTT',
    protocolVersion: version,
    clientId: 'fuzz',
    clean: true,
    keepalive: 60,
    resubscribe: true,
    queueQoSZero: true,
    // v5: inbound topic aliases and a small Receive Maximum, so that the broker can use and break
    // them; enhanced authentication before CONNACK, so that the broker's AUTH is part of the flow.
    properties:
      version === 5
        ? { topicAliasMaximum: 4, receiveMaximum: 3, ...(state === 'beforeConnack' ? { authenticationMethod: 'SCRAM' } : {}) }
        : undefined,
  };
}

const connack = (extra: Partial<IConnackPacket> = {}): IConnackPacket => ({ cmd: 'connack', sessionPresent: false, returnCode: 0, reasonCode: 0, ...extra });

function publish(qos: 0 | 1 | 2, messageId: number | undefined, extra: Partial<IPublishPacket> = {}): IPublishPacket {
  const packet: IPublishPacket = { cmd: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos, retain: false, dup: false, ...extra };
  if (qos > 0) packet.messageId = messageId;
  return packet;
}

/** v5 PUBLISH properties a real broker sends (forwarded from the publisher, or its own). */
const publishProperties: IPublishPacket['properties'] = {
  payloadFormatIndicator: true,
  messageExpiryInterval: 60,
  contentType: 'text/plain',
  responseTopic: 'reply/to',
  correlationData: Buffer.from([1, 2, 3]),
  userProperties: { k: 'v', list: ['1', '2'] },
  subscriptionIdentifier: 5,
};

/** Packets every connected state may see: messages of all QoS, PINGRESP. */
function connectedTraffic(version: FuzzVersion): Packet[] {
  const packets: Packet[] = [
    publish(0, undefined),
    publish(1, 40),
    publish(2, 41),
    publish(1, 42, { retain: true, payload: Buffer.alloc(0) }),
    publish(2, 7, { dup: true }), // the inbound QoS 2 of `qos2`, delivered again
    { cmd: 'pingresp' },
  ];
  if (version === 5) {
    packets.push(
      publish(1, 43, { properties: publishProperties }),
      publish(0, undefined, { properties: { topicAlias: 1 } }), // registers alias 1 for a/b
      publish(0, undefined, { topic: '', properties: { topicAlias: 1 } }), // uses it
      { cmd: 'disconnect', reasonCode: 0x8b, properties: { reasonString: 'shutting down' } },
      { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: Buffer.from('c') } },
    );
  }
  return packets;
}

function beforeConnack(version: FuzzVersion): Packet[] {
  const packets: Packet[] = [connack(), connack({ sessionPresent: true })];
  if (version === 4) {
    for (const returnCode of [1, 2, 3, 4, 5]) packets.push(connack({ returnCode }));
  } else {
    packets.push(
      connack({ reasonCode: 0x87, properties: { reasonString: 'not authorized' } }),
      connack({ reasonCode: 0x9c, properties: { serverReference: 'other:1883' } }),
      connack({
        properties: {
          receiveMaximum: 2,
          topicAliasMaximum: 4,
          maximumPacketSize: 1024,
          assignedClientIdentifier: 'assigned',
          serverKeepAlive: 5,
          maximumQoS: 1,
          retainAvailable: false,
          wildcardSubscriptionAvailable: false,
          subscriptionIdentifiersAvailable: false,
          sharedSubscriptionAvailable: false,
          userProperties: { broker: 'fuzz' },
        },
      }),
      { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: Buffer.from('challenge') } },
    );
  }
  // A captured session goes on after the CONNACK.
  return [...packets, ...connectedTraffic(version), { cmd: 'puback', messageId: 1 }, { cmd: 'suback', messageId: 2, granted: [1] }];
}

function qos2(version: FuzzVersion): Packet[] {
  const packets: Packet[] = [
    { cmd: 'pubcomp', messageId: 1 },
    { cmd: 'pubrec', messageId: 2 },
    { cmd: 'pubcomp', messageId: 2 },
    { cmd: 'puback', messageId: 3 },
    { cmd: 'pubrel', messageId: 7 },
    { cmd: 'pubrec', messageId: 1 }, // a duplicate PUBREC for the PUBREL'd one
    { cmd: 'pubrel', messageId: 9 }, // for an id it never sent
  ];
  if (version === 5) {
    packets.push(
      { cmd: 'pubrec', messageId: 2, reasonCode: 0x80, properties: { reasonString: 'no' } },
      { cmd: 'puback', messageId: 3, reasonCode: 0x10 },
      { cmd: 'pubcomp', messageId: 1, reasonCode: 0x92 },
      { cmd: 'pubrel', messageId: 7, reasonCode: 0x92, properties: { userProperties: { a: 'b' } } },
    );
  }
  return [...packets, ...connectedTraffic(version)];
}

function subscribe(version: FuzzVersion): Packet[] {
  const packets: Packet[] = [
    { cmd: 'suback', messageId: 1, granted: [0, 1] },
    { cmd: 'suback', messageId: 1, granted: [0x80, 2] },
    { cmd: 'unsuback', messageId: 2, granted: version === 5 ? [0] : [] },
    publish(1, 44, { topic: 'sub/x' }),
  ];
  if (version === 5) {
    packets.push(
      { cmd: 'suback', messageId: 1, granted: [0x97, 0x02], properties: { reasonString: 'quota' } },
      { cmd: 'unsuback', messageId: 2, granted: [0x11] },
      { cmd: 'unsuback', messageId: 2, granted: [0, 0x80], properties: { userProperties: { u: 'v' } } },
    );
  }
  return [...packets, ...connectedTraffic(version)];
}

const builders: Record<FuzzState, (version: FuzzVersion) => Packet[]> = { beforeConnack, qos2, subscribe };

/**
 * Packets cut short inside their fields, Remaining Length to match (issue 15): mqtt-packet decodes
 * an id it cannot read as -1, and reads the next packet's bytes when there are some.
 */
function truncated(state: FuzzState, version: FuzzVersion): Buffer[] {
  const bytes: number[][] = [
    [0x40, 0x01, 0x00], // PUBACK, one byte of its packet id
    [0x50, 0x01, 0x00], // PUBREC
    [0x70, 0x00], // PUBCOMP without a packet id
  ];
  if (state === 'subscribe') bytes.push([0x90, 0x01, 0x00], [0x90, 0x02, 0x00, 0x01]); // SUBACK cut in its id; without codes
  if (state === 'beforeConnack') bytes.push(version === 5 ? [0x20, 0x04, 0x00, 0x00, 0x01, 0x13] : [0x20, 0x01, 0x00]); // CONNACK cut in a property / its code
  return bytes.map((b) => Buffer.from(b));
}

/**
 * The broker's packets for `state` on `version`, each encoded on its own, then the truncated ones.
 * Regressions name packets by index: append, never reorder.
 */
export function corpus(state: FuzzState, version: FuzzVersion): Buffer[] {
  return [...builders[state](version).map((packet) => encodePacket(packet, version)), ...truncated(state, version)];
}

/** A fixed header announcing a PUBLISH of 268,435,455 body bytes (256 MB, the most four bytes can say). */
export const HUGE_PUBLISH_HEADER = Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]);
