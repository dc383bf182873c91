import type { IPublishPacket, ISubscribePacket } from '../../lib/protocol/codec.js';
import { MqttSession } from '../../lib/session/session.js';
import type { SessionOptions } from '../../lib/session/types.js';
import { connack, connectedSession, options, publishCommand, receive, reconnect, sent, subscribeCommand, trace } from './harness.js';

/** A session with acknowledged subscriptions to `topics` (one SUBSCRIBE each). */
function subscribedSession(topics: string[], overrides: Partial<SessionOptions> = {}): MqttSession {
  const session = connectedSession(overrides);
  topics.forEach((topic, i) => {
    session.step(subscribeCommand(100 + i, topic));
    const messageId = session.lastMessageId as number;
    receive(session, { cmd: 'suback', messageId, granted: [1] });
  });
  return session;
}

describe('MqttSession resume after reconnect', () => {
  it('re-sends unacknowledged QoS 1/2 publishes with DUP=1 and their original ids, in order, when the session is present', () => {
    const session = connectedSession({ clean: false });
    session.step(publishCommand(1, 1));
    session.step(publishCommand(2, 2));
    session.step(publishCommand(3, 0));
    session.step(publishCommand(4, 1));
    receive(session, { cmd: 'puback', messageId: 1 });
    const out = reconnect(session, true);
    expect(trace(out)).toEqual(['connected', 'send:publish#2', 'send:publish#3']);
    expect(sent(out)).toEqual([
      { cmd: 'publish', topic: 't', payload: 'm2', qos: 2, retain: false, dup: true, messageId: 2 },
      { cmd: 'publish', topic: 't', payload: 'm4', qos: 1, retain: false, dup: true, messageId: 3 },
    ]);
    expect(trace(receive(session, { cmd: 'puback', messageId: 3 }))).toEqual(['settle:4']);
  });

  it('resumes a QoS 2 publish that already got PUBREC with PUBREL only', () => {
    const session = connectedSession({ clean: false });
    session.step(publishCommand(1, 2));
    session.step(publishCommand(2, 2));
    receive(session, { cmd: 'pubrec', messageId: 1 });
    const out = reconnect(session, true);
    expect(sent(out)).toEqual([
      { cmd: 'pubrel', messageId: 1 },
      { cmd: 'publish', topic: 't', payload: 'm2', qos: 2, retain: false, dup: true, messageId: 2 },
    ]);
    expect(trace(receive(session, { cmd: 'pubcomp', messageId: 1 }))).toEqual(['settle:1']);
  });

  it('completes a resumed QoS 2 publish whose PUBREL the broker answers with PUBCOMP 0x92, the code in its result (MQTT 5, 3.7.2.1)', () => {
    const session = connectedSession({ clean: false, protocolVersion: 5 });
    session.step(publishCommand(1, 2));
    receive(session, { cmd: 'pubrec', messageId: 1 });
    expect(sent(reconnect(session, true))).toEqual([{ cmd: 'pubrel', messageId: 1 }]);
    const pubcomp = { cmd: 'pubcomp' as const, messageId: 1, reasonCode: 0x92 };
    expect(receive(session, pubcomp)).toEqual([{ type: 'settle', token: 1, result: { type: 'publish', messageId: 1, packet: pubcomp } }]);
    expect(session.inflightCount).toBe(0);
  });

  it('completes a QoS 2 publish restored from a store whose PUBREL the broker answers with PUBCOMP 0x92', () => {
    const session = new MqttSession(options({ clean: false, protocolVersion: 5 }));
    session.step({ type: 'restore', packets: [{ cmd: 'pubrel', messageId: 9 }] });
    session.step({ type: 'open' });
    expect(sent(receive(session, connack(true)))).toEqual([{ cmd: 'pubrel', messageId: 9 }]);
    const out = receive(session, { cmd: 'pubcomp', messageId: 9, reasonCode: 0x92 });
    expect(out).toEqual([{ type: 'settle', token: undefined, result: { type: 'publish', messageId: 9, packet: { cmd: 'pubcomp', messageId: 9, reasonCode: 0x92 } } }]);
  });

  it('still fails with PUBCOMP 0x92 a PUBREL sent on the connection that got its PUBREC', () => {
    const session = connectedSession({ clean: false, protocolVersion: 5 });
    session.step(publishCommand(1, 2));
    reconnect(session, true); // the PUBLISH is re-sent; its PUBREC comes on this connection
    receive(session, { cmd: 'pubrec', messageId: 1 });
    expect(trace(receive(session, { cmd: 'pubcomp', messageId: 1, reasonCode: 0x92 }))).toEqual(['settle:1!ERR_PUBLISH']);
  });

  it('re-sends as new deliveries (DUP=0) and settles PUBREC\'d QoS 2 publishes when the session is not present', () => {
    const session = connectedSession();
    session.step(publishCommand(1, 2));
    session.step(publishCommand(2, 1));
    const pubrec = { cmd: 'pubrec' as const, messageId: 1 };
    receive(session, pubrec);
    const out = reconnect(session, false);
    expect(out).toEqual([
      { type: 'connected', connack: connack(false) },
      { type: 'settle', token: 1, result: { type: 'publish', messageId: 1, packet: pubrec } },
      { type: 'send', packet: { cmd: 'publish', topic: 't', payload: 'm2', qos: 1, retain: false, dup: false, messageId: 2 } },
    ]);
    expect(session.inflightCount).toBe(1);
  });

  it('resubscribes, then resumes publishes, then in-flight subscribe/unsubscribe, then the pending queue', () => {
    const session = subscribedSession(['s1']); // id 1
    session.step(publishCommand(1, 1)); // id 2
    session.step(subscribeCommand(2, 's2')); // id 3
    session.step({ type: 'unsubscribe', token: 3, topics: ['s1'] }); // id 4
    session.step({ type: 'closed' });
    session.step(publishCommand(4, 1));
    session.step(publishCommand(5, 0));
    session.step({ type: 'open' });
    const out = receive(session, connack(false));
    expect(trace(out)).toEqual([
      'connected', 'send:subscribe#5', 'send:publish#2', 'send:subscribe#3', 'send:unsubscribe#4', 'send:publish#6', 'send:publish', 'settle:5',
    ]);
    expect((sent(out)[0] as ISubscribePacket).subscriptions).toEqual([{ topic: 's1', qos: 1 }]);
  });

  it('resubscribes every acknowledged filter exactly once, with its original options, when the session is not present', () => {
    const session = connectedSession();
    session.step({ type: 'subscribe', token: 1, subscriptions: [{ topic: 'a', qos: 2 }, { topic: 'b', qos: 0 }] });
    receive(session, { cmd: 'suback', messageId: 1, granted: [2, 0] });
    session.step({ type: 'subscribe', token: 2, subscriptions: [{ topic: 'a', qos: 1 }, { topic: 'x', qos: 1 }] });
    receive(session, { cmd: 'suback', messageId: 2, granted: [1, 0x80] });
    const out = reconnect(session, false);
    expect(sent(out)).toEqual([{ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'a', qos: 1 }, { topic: 'b', qos: 0 }] }]);
  });

  it('does not resubscribe when the session is present', () => {
    const session = subscribedSession(['a', 'b'], { clean: false });
    expect(trace(reconnect(session, true))).toEqual(['connected']);
  });

  it('does not resubscribe when resubscribe is false', () => {
    const session = subscribedSession(['a'], { resubscribe: false });
    expect(trace(reconnect(session, false))).toEqual(['connected']);
  });

  it('does not settle anything on the SUBACK of a resubscribe, and drops (and reports) filters it refuses', () => {
    const session = subscribedSession(['a', 'b']);
    const [packet] = sent(reconnect(session, false)) as ISubscribePacket[];
    expect(trace(receive(session, { cmd: 'suback', messageId: packet!.messageId, granted: [0x80, 1] }))).toEqual(['resubscribeFailed']);
    expect([...session.subscriptions.keys()]).toEqual(['b']);
    expect(session.inflightCount).toBe(0);
  });

  it('resubscribes once per filter even when the previous resubscribe was still in flight', () => {
    const session = subscribedSession(['a']);
    expect(trace(reconnect(session, false))).toEqual(['connected', 'send:subscribe#2']);
    expect(trace(reconnect(session, false))).toEqual(['connected', 'send:subscribe#3']);
    expect(session.inflightCount).toBe(1);
  });

  it('groups v5 resubscribes by their SUBSCRIBE properties and keeps nl/rap/rh', () => {
    const session = connectedSession({ protocolVersion: 5 });
    const properties = { subscriptionIdentifier: 9 };
    session.step({ type: 'subscribe', token: 1, subscriptions: [{ topic: 'p', qos: 1, nl: true, rap: true, rh: 1 }] });
    receive(session, { cmd: 'suback', messageId: 1, granted: [1] });
    session.step({ type: 'subscribe', token: 2, subscriptions: [{ topic: 'q', qos: 0 }, { topic: 'r', qos: 2 }], properties });
    receive(session, { cmd: 'suback', messageId: 2, granted: [0, 2] });
    expect(sent(reconnect(session, false))).toEqual([
      { cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'p', qos: 1, nl: true, rap: true, rh: 1 }] },
      { cmd: 'subscribe', messageId: 4, subscriptions: [{ topic: 'q', qos: 0 }, { topic: 'r', qos: 2 }], properties },
    ]);
  });

  it('resubscribes in SUBSCRIBE packets of at most subscribeBatchSize filters', () => {
    const session = subscribedSession(['a', 'b', 'c'], { subscribeBatchSize: 2 });
    expect(sent(reconnect(session, false)).map((packet) => (packet as ISubscribePacket).subscriptions.map((sub) => sub.topic))).toEqual([['a', 'b'], ['c']]);
  });

  it('holds re-sent publishes back by the new connection\'s Receive Maximum', () => {
    const session = connectedSession({ protocolVersion: 5, clean: false });
    [1, 2, 3].forEach((token) => session.step(publishCommand(token, 1)));
    session.step({ type: 'closed' });
    session.step(publishCommand(4, 1));
    session.step({ type: 'open' });
    const out = receive(session, connack(true, { properties: { receiveMaximum: 1 } }));
    expect(trace(out)).toEqual(['connected', 'send:publish#1']);
    expect((sent(out)[0] as IPublishPacket).dup).toBe(true);
    expect(trace(receive(session, { cmd: 'puback', messageId: 1 }))).toEqual(['settle:1', 'send:publish#2']);
    expect(trace(receive(session, { cmd: 'puback', messageId: 2 }))).toEqual(['settle:2', 'send:publish#3']);
    expect(trace(receive(session, { cmd: 'puback', messageId: 3 }))).toEqual(['settle:3', 'send:publish#4']);
  });

  it('skips a held-back publish removed before its turn', () => {
    const session = connectedSession({ protocolVersion: 5, clean: false });
    [1, 2, 3].forEach((token) => session.step(publishCommand(token, 1)));
    session.step({ type: 'closed' });
    session.step({ type: 'open' });
    receive(session, connack(true, { properties: { receiveMaximum: 1 } }));
    expect(trace(session.step({ type: 'removeOutgoing', messageId: 2 }))).toEqual(['settle:2!ERR_MESSAGE_REMOVED']);
    expect(trace(receive(session, { cmd: 'puback', messageId: 1 }))).toEqual(['settle:1', 'send:publish#3']);
  });

  it('does not re-send QoS 0 publishes that were already sent', () => {
    const session = connectedSession({ clean: false });
    session.step(publishCommand(1, 0));
    expect(trace(reconnect(session, true))).toEqual(['connected']);
  });

  it('keeps in-flight work across a refused CONNACK for the next connection', () => {
    const session = connectedSession({ clean: false });
    session.step(publishCommand(1, 1));
    session.step({ type: 'closed' });
    session.step({ type: 'open' });
    expect(trace(receive(session, connack(false, { returnCode: 3 })))).toEqual(['refused']);
    session.step({ type: 'open' });
    expect(trace(receive(session, connack(true)))).toEqual(['connected', 'send:publish#1']);
  });

  it('closes the connection when the broker claims a session after a clean start', () => {
    const session = connectedSession();
    reconnect(session, false);
    session.step({ type: 'closed' });
    session.step({ type: 'open' });
    expect(trace(receive(session, connack(true)))).toEqual(['protocolError']);
  });

  it('starts from the options on a brand-new session', () => {
    const session = new MqttSession(options());
    session.step({ type: 'open' });
    expect(trace(receive(session, connack(false)))).toEqual(['connected']);
  });
});
