// MQTT 5 3.3.4: the broker may keep at most our Receive Maximum QoS 1/2 PUBLISHes unacknowledged;
// one more ends the connection with DISCONNECT 0x93 and a ProtocolError.
import type { Packet } from '../../lib/protocol/codec.js';
import { ProtocolError } from '../../lib/errors.js';
import type { MqttSession } from '../../lib/session/session.js';
import type { SessionOutput } from '../../lib/session/types.js';
import { connack, connectedSession, inboundPublish, receive, reconnect, sent, trace } from './harness.js';

const v5 = (receiveMaximum?: number) =>
  connectedSession({ protocolVersion: 5, clean: false, properties: receiveMaximum === undefined ? {} : { receiveMaximum } }, connack(false));

function ackIds(outputs: SessionOutput[]): number[] {
  return outputs.flatMap((o) => (o.type === 'deliver' && o.ackId !== undefined ? [o.ackId] : []));
}

function ack(session: MqttSession, ackId: number): Packet[] {
  return sent(session.step({ type: 'acknowledge', ackId }));
}

function protocolErrorOf(outputs: SessionOutput[]): ProtocolError | undefined {
  const output = outputs.find((o) => o.type === 'protocolError');
  return output?.type === 'protocolError' ? output.error : undefined;
}

describe('MqttSession inbound Receive Maximum (MQTT 5)', () => {
  it('accepts exactly Receive Maximum unacknowledged QoS 1 PUBLISHes and disconnects with 0x93 on the next', () => {
    const session = v5(2);
    expect(trace(receive(session, inboundPublish(1, 1)))).toEqual(['deliver']);
    expect(trace(receive(session, inboundPublish(2, 1)))).toEqual(['deliver']);
    const out = receive(session, inboundPublish(3, 1));
    expect(trace(out)).toEqual(['send:disconnect', 'protocolError']);
    expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode: 0x93 }]);
    expect(protocolErrorOf(out)).toMatchObject({ kind: 'ERR_PROTOCOL', reasonCode: 0x93, code: 0x93 });
    expect(session.status).toBe('disconnected');
  });

  it('frees a slot when the PUBACK goes out, not when the message is delivered', () => {
    const session = v5(1);
    const [first] = ackIds(receive(session, inboundPublish(1, 1)));
    expect(ack(session, first)).toEqual([{ cmd: 'puback', messageId: 1 }]);
    expect(trace(receive(session, inboundPublish(2, 1)))).toEqual(['deliver']);
  });

  it('counts a QoS 2 PUBLISH until PUBREL (our PUBCOMP), not until PUBREC', () => {
    const session = v5(1);
    const [first] = ackIds(receive(session, inboundPublish(1, 2)));
    expect(ack(session, first)).toEqual([{ cmd: 'pubrec', messageId: 1 }]);
    // PUBREC sent, PUBCOMP not yet: the broker still counts it, so do we.
    expect(trace(receive(session, inboundPublish(2, 2)))).toEqual(['send:disconnect', 'protocolError']);
  });

  it('frees a QoS 2 slot after PUBREL', () => {
    const session = v5(1);
    ack(session, ackIds(receive(session, inboundPublish(1, 2)))[0]);
    receive(session, { cmd: 'pubrel', messageId: 1 });
    expect(trace(receive(session, inboundPublish(2, 2)))).toEqual(['deliver']);
  });

  it('does not count a re-sent QoS 2 PUBLISH with an id already in flight', () => {
    const session = v5(1);
    ack(session, ackIds(receive(session, inboundPublish(1, 2)))[0]);
    expect(trace(receive(session, inboundPublish(1, 2, 'in', { dup: true })))).toEqual(['send:pubrec#1']);
  });

  it('frees a QoS 2 slot after a failed PUBREC (the broker forgets the message)', () => {
    const session = v5(1);
    const [first] = ackIds(receive(session, inboundPublish(1, 2)));
    session.step({ type: 'acknowledge', ackId: first, reasonCode: 0x80 });
    expect(trace(receive(session, inboundPublish(2, 2)))).toEqual(['deliver']);
  });

  it('does not count QoS 0', () => {
    const session = v5(1);
    receive(session, inboundPublish(1, 1));
    expect(trace(receive(session, inboundPublish(0, 0)))).toEqual(['deliver']);
  });

  it('starts QoS 1 afresh on a new connection, where the broker re-sends what it did not get a PUBACK for', () => {
    const session = v5(1);
    receive(session, inboundPublish(1, 1));
    reconnect(session, true);
    expect(trace(receive(session, inboundPublish(1, 1, 'in', { dup: true })))).toEqual(['deliver']);
  });

  it('keeps counting QoS 2 exchanges the resumed session still holds', () => {
    const session = v5(1);
    ack(session, ackIds(receive(session, inboundPublish(1, 2)))[0]);
    reconnect(session, true);
    expect(trace(receive(session, inboundPublish(2, 2)))).toEqual(['send:disconnect', 'protocolError']);
  });

  it('forgets QoS 2 exchanges when the broker has no session', () => {
    const session = v5(1);
    ack(session, ackIds(receive(session, inboundPublish(1, 2)))[0]);
    reconnect(session, false);
    expect(trace(receive(session, inboundPublish(2, 2)))).toEqual(['deliver']);
  });

  it('defaults to 65,535 when the CONNECT announced no Receive Maximum', () => {
    const session = v5();
    for (let id = 1; id <= 300; id++) expect(trace(receive(session, inboundPublish(id, 1)))).toEqual(['deliver']);
  });

  it('has no limit on MQTT 3.1.1', () => {
    const session = connectedSession({ protocolVersion: 4, properties: { receiveMaximum: 1 } });
    receive(session, inboundPublish(1, 1));
    expect(trace(receive(session, inboundPublish(2, 1)))).toEqual(['deliver']);
  });
});
