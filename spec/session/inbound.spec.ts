import type { IPublishPacket, Packet } from '../../lib/protocol/codec.js';
import { ProtocolError } from '../../lib/errors.js';
import type { MqttSession } from '../../lib/session/session.js';
import type { SessionOutput } from '../../lib/session/types.js';
import { connack, connectedSession, inboundPublish, receive, reconnect, sent, trace } from './harness.js';

/** The ackId of the single `deliver` output. */
function ackIdOf(outputs: SessionOutput[]): number {
  const deliver = outputs.find((o) => o.type === 'deliver') as Extract<SessionOutput, { type: 'deliver' }>;
  return deliver.ackId as number;
}

function ack(session: MqttSession, ackId: number, reasonCode?: number): Packet[] {
  return sent(session.step({ type: 'acknowledge', ackId, reasonCode }));
}

describe('MqttSession inbound publish', () => {
  it('delivers QoS 0 without an ackId and sends nothing', () => {
    const session = connectedSession();
    const packet = inboundPublish(0, 0, 'a/b');
    expect(receive(session, packet)).toEqual([{ type: 'deliver', packet }]);
  });

  it('delivers QoS 1 with an ackId and sends PUBACK only when acknowledged', () => {
    const session = connectedSession();
    const packet = inboundPublish(5, 1);
    const out = receive(session, packet);
    expect(out).toEqual([{ type: 'deliver', packet, ackId: 1 }]);
    expect(ack(session, 1)).toEqual([{ cmd: 'puback', messageId: 5 }]);
    expect(ack(session, 1)).toEqual([]); // idempotent
    expect(ack(session, 99)).toEqual([]); // unknown
  });

  it('hands out increasing ackIds across the session', () => {
    const session = connectedSession();
    const ids = [1, 2, 3].map((messageId) => ackIdOf(receive(session, inboundPublish(messageId, 1))));
    expect(ids).toEqual([1, 2, 3]);
  });

  it('delivers QoS 2 once and sends PUBREC when acknowledged, then PUBCOMP on PUBREL', () => {
    const session = connectedSession();
    const ackId = ackIdOf(receive(session, inboundPublish(7, 2)));
    expect(ack(session, ackId)).toEqual([{ cmd: 'pubrec', messageId: 7 }]);
    expect(receive(session, { cmd: 'pubrel', messageId: 7 })).toEqual([{ type: 'send', packet: { cmd: 'pubcomp', messageId: 7 } }]);
    // The exchange is over: the same id is a new message now.
    expect(trace(receive(session, inboundPublish(7, 2)))).toEqual(['deliver']);
  });

  it('does not deliver a duplicate QoS 2 PUBLISH again, and one PUBREC answers both when not yet acknowledged', () => {
    const session = connectedSession();
    const ackId = ackIdOf(receive(session, inboundPublish(7, 2)));
    expect(receive(session, inboundPublish(7, 2, 'in', { dup: true }))).toEqual([]);
    expect(ack(session, ackId)).toEqual([{ cmd: 'pubrec', messageId: 7 }]);
  });

  it('re-sends PUBREC for a duplicate QoS 2 PUBLISH that was already acknowledged', () => {
    const session = connectedSession();
    ack(session, ackIdOf(receive(session, inboundPublish(7, 2))));
    expect(receive(session, inboundPublish(7, 2, 'in', { dup: true }))).toEqual([{ type: 'send', packet: { cmd: 'pubrec', messageId: 7 } }]);
  });

  it.each([4, 5] as const)('answers PUBREL for an unknown id with a plain PUBCOMP (MQTT level %i)', (protocolVersion) => {
    const session = connectedSession({ protocolVersion });
    expect(sent(receive(session, { cmd: 'pubrel', messageId: 321 }))).toEqual([{ cmd: 'pubcomp', messageId: 321 }]);
  });

  it('sends acks in the order the PUBLISHes arrived when acknowledged out of order', () => {
    const session = connectedSession();
    const a = ackIdOf(receive(session, inboundPublish(1, 1)));
    const b = ackIdOf(receive(session, inboundPublish(2, 2)));
    const c = ackIdOf(receive(session, inboundPublish(3, 1)));
    receive(session, inboundPublish(0, 0)); // QoS 0 needs no ack and does not block
    const d = ackIdOf(receive(session, inboundPublish(4, 1)));
    expect(ack(session, c)).toEqual([]);
    expect(ack(session, b)).toEqual([]);
    expect(ack(session, a)).toEqual([
      { cmd: 'puback', messageId: 1 },
      { cmd: 'pubrec', messageId: 2 },
      { cmd: 'puback', messageId: 3 },
    ]);
    expect(ack(session, d)).toEqual([{ cmd: 'puback', messageId: 4 }]);
  });

  it('puts the v5 acknowledge reason code on PUBACK and PUBREC', () => {
    const session = connectedSession({ protocolVersion: 5 });
    const a = ackIdOf(receive(session, inboundPublish(1, 1)));
    const b = ackIdOf(receive(session, inboundPublish(2, 2)));
    expect(ack(session, a, 0x10)).toEqual([{ cmd: 'puback', messageId: 1, reasonCode: 0x10 }]);
    expect(ack(session, b, 0x83)).toEqual([{ cmd: 'pubrec', messageId: 2, reasonCode: 0x83 }]);
    // [MQTT-4.3.3-9] after a failed PUBREC the same id is a new message.
    expect(trace(receive(session, inboundPublish(2, 2)))).toEqual(['deliver']);
  });

  it('leaves the reason code off MQTT 3.1.1 acks', () => {
    const session = connectedSession();
    expect(ack(session, ackIdOf(receive(session, inboundPublish(1, 1))), 0x80)).toEqual([{ cmd: 'puback', messageId: 1 }]);
  });

  it('drops un-acked QoS 1 deliveries when the connection closes (the broker re-sends them)', () => {
    const session = connectedSession({ clean: false });
    const a = ackIdOf(receive(session, inboundPublish(1, 1)));
    reconnect(session, true);
    expect(ack(session, a)).toEqual([]);
    const again = ackIdOf(receive(session, inboundPublish(1, 1, 'in', { dup: true })));
    expect(ack(session, again)).toEqual([{ cmd: 'puback', messageId: 1 }]);
  });

  it('keeps inbound QoS 2 state across a reconnect with the session present', () => {
    const session = connectedSession({ clean: false });
    const ackId = ackIdOf(receive(session, inboundPublish(9, 2)));
    reconnect(session, true);
    expect(receive(session, inboundPublish(9, 2, 'in', { dup: true }))).toEqual([]);
    expect(ack(session, ackId)).toEqual([{ cmd: 'pubrec', messageId: 9 }]);
  });

  it('sends a PUBREC acknowledged while offline after CONNACK when the session is present', () => {
    const session = connectedSession({ clean: false });
    const ackId = ackIdOf(receive(session, inboundPublish(9, 2)));
    session.step({ type: 'closed' });
    expect(ack(session, ackId)).toEqual([]);
    session.step({ type: 'open' });
    expect(trace(receive(session, connack(true)))).toEqual(['connected', 'send:pubrec#9']);
  });

  it('forgets inbound QoS 2 state when the session is not present', () => {
    const session = connectedSession();
    const ackId = ackIdOf(receive(session, inboundPublish(9, 2)));
    reconnect(session, false);
    expect(ack(session, ackId)).toEqual([]);
    expect(trace(receive(session, inboundPublish(9, 2)))).toEqual(['deliver']);
  });

  it('rejects a QoS 1 PUBLISH without a packet id as malformed', () => {
    const session = connectedSession({ protocolVersion: 5 });
    const out = receive(session, { cmd: 'publish', topic: 't', payload: '', qos: 1, retain: false, dup: false });
    expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode: 0x81 }]);
  });
});

describe('MqttSession inbound topic validation', () => {
  const invalid: [string, string, number][] = [
    ['a single-level wildcard', 'a/+/c', 0x90],
    ['a multi-level wildcard', 'a/#', 0x90],
    ['an empty topic without alias', '', 0x82],
    ['U+0000', 'a\u0000b', 0x81],
    ['U+FFFD (invalid UTF-8 once decoded)', 'a\uFFFDb', 0x81],
  ];

  it.each(invalid)('treats a PUBLISH topic with %s as a protocol error (MQTT 3.1.1)', (_name, topic) => {
    const session = connectedSession();
    const out = receive(session, inboundPublish(1, 1, topic));
    expect(trace(out)).toEqual(['protocolError']);
    expect((out[0] as { error: ProtocolError }).error).toBeInstanceOf(ProtocolError);
    expect(session.status).toBe('disconnected');
  });

  it.each(invalid)('sends DISCONNECT with the reason code first for a topic with %s (MQTT 5)', (_name, topic, reasonCode) => {
    const session = connectedSession({ protocolVersion: 5 });
    const out = receive(session, inboundPublish(1, 0, topic));
    expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode }]);
    expect(trace(out)).toEqual(['send:disconnect', 'protocolError']);
    expect((out[1] as { error: ProtocolError }).error.reasonCode).toBe(reasonCode);
  });

  it('accepts ordinary UTF-8 topics', () => {
    const session = connectedSession();
    expect(trace(receive(session, inboundPublish(0, 0, 'häuser/🏠/$x')))).toEqual(['deliver']);
  });
});

describe('MqttSession inbound topic aliases (MQTT 5)', () => {
  const v5 = { protocolVersion: 5 as const, properties: { topicAliasMaximum: 10 } };
  const aliased = (topic: string, topicAlias: number): IPublishPacket => inboundPublish(0, 0, topic, { properties: { topicAlias } });

  it('sets an alias with a topic and resolves it on an empty topic, delivering the full topic beside the packet as received', () => {
    const session = connectedSession(v5);
    const defining = aliased('long/topic', 3);
    expect(receive(session, defining)).toEqual([{ type: 'deliver', packet: defining }]);
    const using = aliased('', 3);
    expect(receive(session, using)).toEqual([{ type: 'deliver', packet: using, topic: 'long/topic' }]);
    // As MQTT.js hands it on: the packet keeps its empty topic and its Topic Alias.
    expect(using).toMatchObject({ topic: '', properties: { topicAlias: 3 } });
  });

  it('lets a new topic redefine an alias', () => {
    const session = connectedSession(v5);
    receive(session, aliased('one', 3));
    receive(session, aliased('two', 3));
    expect(receive(session, aliased('', 3))[0]).toMatchObject({ type: 'deliver', topic: 'two' });
  });

  it('tells a QoS 2 re-send by Topic Alias from other content by its full topic', () => {
    const session = connectedSession(v5);
    const first = { ...aliased('q/2', 4), qos: 2 as const, messageId: 7 };
    expect(trace(receive(session, first))).toEqual(['deliver']);
    // The same message again, its topic now by alias alone: a duplicate, not a reused id.
    const again = { ...aliased('', 4), qos: 2 as const, messageId: 7, dup: true };
    expect(trace(receive(session, again))).toEqual([]);
  });

  it.each([
    ['an unknown alias', 4],
    ['alias 0', 0],
    ['an alias above our Topic Alias Maximum', 11],
  ])('disconnects with 0x94 on %s', (_name, topicAlias) => {
    const session = connectedSession(v5);
    const out = receive(session, aliased('', topicAlias));
    expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode: 0x94 }]);
    expect(trace(out)).toEqual(['send:disconnect', 'protocolError']);
  });

  it('forgets aliases when a new connection opens', () => {
    const session = connectedSession({ ...v5, clean: false });
    receive(session, aliased('long/topic', 3));
    reconnect(session, true);
    expect(sent(receive(session, aliased('', 3)))).toEqual([{ cmd: 'disconnect', reasonCode: 0x94 }]);
  });
});
