import type { ISubackPacket, IUnsubackPacket } from '../../lib/protocol/codec.js';
import { ProtocolError } from '../../lib/errors.js';
import { connectedSession, receive, sent, subscribeCommand, trace } from './harness.js';
import { SubackError } from '../../lib/errors.js';

describe('MqttSession subscribe', () => {
  it('sends SUBSCRIBE with the filters and their options', () => {
    const session = connectedSession({ protocolVersion: 5 });
    const out = session.step({
      type: 'subscribe',
      token: 1,
      subscriptions: [{ topic: 'a/+', qos: 1, nl: true, rap: true, rh: 2 }],
      properties: { subscriptionIdentifier: 7 },
    });
    expect(sent(out)).toEqual([
      { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/+', qos: 1, nl: true, rap: true, rh: 2 }], properties: { subscriptionIdentifier: 7 } },
    ]);
  });

  it('settles on SUBACK with one granted code per filter, failures included, and records only the accepted filters', () => {
    const session = connectedSession();
    session.step(subscribeCommand(1, 'a', 'b', 'c'));
    const suback: ISubackPacket = { cmd: 'suback', messageId: 1, granted: [0, 0x80, 2] };
    expect(receive(session, suback)).toEqual([
      { type: 'settle', token: 1, result: { type: 'subscribe', packet: suback, granted: [0, 0x80, 2], refused: expect.any(SubackError) } },
    ]);
    expect([...session.subscriptions.keys()]).toEqual(['a', 'c']);
    expect(session.subscriptions.get('c')).toEqual({ topic: 'c', qos: 1 });
    expect(session.inflightCount).toBe(0);
  });

  it('names the first refused filter, with its reason code, as a SubackError in the result', () => {
    const session = connectedSession({ protocolVersion: 5 });
    session.step(subscribeCommand(1, 'a', 'b', 'c'));
    const suback: ISubackPacket = { cmd: 'suback', messageId: 1, granted: [0, 0x87, 0x80], properties: { reasonString: 'no' } };
    const [settle] = receive(session, suback);
    const refused = settle?.type === 'settle' && settle.result?.type === 'subscribe' ? settle.result.refused : undefined;
    expect(refused).toMatchObject({ kind: 'ERR_SUBACK', topic: 'b', reasonCode: 0x87, reasonString: 'no' });
  });

  it('leaves refused unset when every filter was granted', () => {
    const session = connectedSession();
    session.step(subscribeCommand(1, 'a'));
    const [settle] = receive(session, { cmd: 'suback', messageId: 1, granted: [1] });
    expect(settle).toMatchObject({ result: { refused: undefined } });
  });

  it('forgets a filter the broker refuses on a later SUBSCRIBE', () => {
    const session = connectedSession();
    session.step(subscribeCommand(1, 'a'));
    receive(session, { cmd: 'suback', messageId: 1, granted: [1] });
    session.step(subscribeCommand(2, 'a'));
    receive(session, { cmd: 'suback', messageId: 2, granted: [0x87] });
    expect(session.subscriptions.size).toBe(0);
  });

  it.each([
    [4, [0]],
    [5, [0, 1, 0]],
  ] as const)('treats a SUBACK whose code count differs from the filters as a protocol error (MQTT level %i)', (protocolVersion, granted) => {
    const session = connectedSession({ protocolVersion });
    session.step(subscribeCommand(1, 'a', 'b'));
    const out = receive(session, { cmd: 'suback', messageId: 1, granted: [...granted] });
    expect(trace(out)).toEqual(protocolVersion === 5 ? ['send:disconnect', 'protocolError'] : ['protocolError']);
    if (protocolVersion === 5) expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode: 0x82 }]);
    expect((out.at(-1) as { error: ProtocolError }).error).toBeInstanceOf(ProtocolError);
    expect(session.subscriptions.size).toBe(0);
    expect(session.status).toBe('disconnected');
  });

  it('ignores a SUBACK for an unknown id or for a publish id', () => {
    const session = connectedSession();
    session.step({ type: 'publish', token: 1, topic: 't', payload: '', qos: 1, retain: false, dup: false });
    expect(receive(session, { cmd: 'suback', messageId: 1, granted: [0] })).toEqual([]);
    expect(receive(session, { cmd: 'suback', messageId: 9, granted: [0] })).toEqual([]);
    expect(session.inflightCount).toBe(1);
  });

  it('settles UNSUBSCRIBE on UNSUBACK and removes the filters from subscriptions', () => {
    const session = connectedSession();
    session.step(subscribeCommand(1, 'a', 'b'));
    receive(session, { cmd: 'suback', messageId: 1, granted: [0, 0] });
    const out = session.step({ type: 'unsubscribe', token: 2, topics: ['a'] });
    expect(sent(out)).toEqual([{ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['a'] }]);
    expect([...session.subscriptions.keys()]).toEqual(['a', 'b']); // removed on UNSUBACK, not on send
    const unsuback: IUnsubackPacket = { cmd: 'unsuback', messageId: 2, granted: [] };
    expect(receive(session, unsuback)).toEqual([{ type: 'settle', token: 2, result: { type: 'unsubscribe', packet: unsuback } }]);
    expect([...session.subscriptions.keys()]).toEqual(['b']);
  });

  it.each([
    [[0]],
    [[0, 0, 0x11]],
  ] as const)('treats an MQTT 5 UNSUBACK with %j for two filters as a protocol error and keeps the filters', (granted) => {
    const session = connectedSession({ protocolVersion: 5 });
    session.step(subscribeCommand(1, 'a', 'b'));
    receive(session, { cmd: 'suback', messageId: 1, granted: [0, 0] });
    session.step({ type: 'unsubscribe', token: 2, topics: ['a', 'b'] });
    const out = receive(session, { cmd: 'unsuback', messageId: 2, granted: [...granted] });
    expect(trace(out)).toEqual(['send:disconnect', 'protocolError']);
    expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode: 0x82 }]);
    expect([...session.subscriptions.keys()]).toEqual(['a', 'b']);
    expect(session.inflightCount).toBe(1); // the UNSUBSCRIBE goes again on the next connection
  });

  it('puts v5 UNSUBSCRIBE properties on the packet', () => {
    const session = connectedSession({ protocolVersion: 5 });
    const out = session.step({ type: 'unsubscribe', token: 1, topics: ['a'], properties: { userProperties: { k: 'v' } } });
    expect(sent(out)).toEqual([{ cmd: 'unsubscribe', messageId: 1, unsubscriptions: ['a'], properties: { userProperties: { k: 'v' } } }]);
  });

  describe('with subscribeBatchSize', () => {
    it('sends a subscribe of more filters as SUBSCRIBE packets of at most that many, in order, with the same properties', () => {
      const session = connectedSession({ protocolVersion: 5, subscribeBatchSize: 2 });
      const out = session.step({ ...subscribeCommand(1, 'a', 'b', 'c', 'd', 'e'), properties: { userProperties: { k: 'v' } } });
      expect(sent(out)).toEqual([
        { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 1 }, { topic: 'b', qos: 1 }], properties: { userProperties: { k: 'v' } } },
        { cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'c', qos: 1 }, { topic: 'd', qos: 1 }], properties: { userProperties: { k: 'v' } } },
        { cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'e', qos: 1 }], properties: { userProperties: { k: 'v' } } },
      ]);
    });

    it('settles once, after the last SUBACK, with every code in filter order and that SUBACK', () => {
      const session = connectedSession({ subscribeBatchSize: 2 });
      session.step(subscribeCommand(1, 'a', 'b', 'c'));
      const last: ISubackPacket = { cmd: 'suback', messageId: 1, granted: [0, 1] };
      expect(receive(session, { cmd: 'suback', messageId: 2, granted: [2] })).toEqual([]);
      expect(receive(session, last)).toEqual([
        { type: 'settle', token: 1, result: { type: 'subscribe', packet: last, granted: [0, 1, 2], refused: undefined } },
      ]);
      expect([...session.subscriptions.keys()]).toEqual(['c', 'a', 'b']);
      expect(session.inflightCount).toBe(0);
    });

    it('reports the first refusal of any of its packets', () => {
      const session = connectedSession({ subscribeBatchSize: 1 });
      session.step(subscribeCommand(1, 'a', 'b'));
      receive(session, { cmd: 'suback', messageId: 1, granted: [1] });
      const [settle] = receive(session, { cmd: 'suback', messageId: 2, granted: [0x80] });
      expect(settle).toMatchObject({ type: 'settle', token: 1, result: { granted: [1, 0x80], refused: { topic: 'b', reasonCode: 0x80 } } });
    });

    it('sends a subscribe of no more filters than that as one packet', () => {
      const session = connectedSession({ subscribeBatchSize: 2 });
      expect(sent(session.step(subscribeCommand(1, 'a', 'b')))).toEqual([{ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 1 }, { topic: 'b', qos: 1 }] }]);
    });
  });
});
