import type { ISubscribePacket } from '../../lib/protocol/codec.js';
import { SubackError } from '../../lib/errors.js';
import type { MqttSession } from '../../lib/session/session.js';
import type { SessionOptions, SessionOutput } from '../../lib/session/types.js';
import { connectedSession, receive, reconnect, sent, subscribeCommand, trace } from './harness.js';

/** A session with acknowledged subscriptions to `topics` (one SUBSCRIBE for all). */
function subscribedSession(topics: string[], overrides: Partial<SessionOptions> = {}): MqttSession {
  const session = connectedSession(overrides);
  session.step(subscribeCommand(1, ...topics));
  receive(session, { cmd: 'suback', messageId: 1, granted: topics.map(() => 1) });
  return session;
}

function failures(outputs: SessionOutput[]): Extract<SessionOutput, { type: 'resubscribeFailed' }>[] {
  return outputs.flatMap((o) => (o.type === 'resubscribeFailed' ? [o] : []));
}

describe('MqttSession refused resubscribe', () => {
  const cases: [string, 4 | 5, number[], string | undefined][] = [
    ['MQTT 3.1.1 failure code 0x80', 4, [0x80, 1, 0x80], undefined],
    ['MQTT 5 reason codes with a reason string', 5, [0x87, 1, 0x97], 'no longer allowed'],
  ];
  it.each(cases)('reports each refused filter of an automatic resubscribe (%s) and forgets it', (_name, protocolVersion, granted, reasonString) => {
    const session = subscribedSession(['a', 'b', 'c'], { protocolVersion });
    const [packet] = sent(reconnect(session, false)) as ISubscribePacket[];
    const suback = { cmd: 'suback' as const, messageId: packet!.messageId, granted, ...(reasonString ? { properties: { reasonString } } : {}) };
    const out = receive(session, suback);
    expect(trace(out)).toEqual(['resubscribeFailed', 'resubscribeFailed']);
    const reported = failures(out);
    expect(reported.map((f) => [f.topic, f.reasonCode])).toEqual([
      ['a', granted[0]],
      ['c', granted[2]],
    ]);
    for (const failure of reported) {
      expect(failure.error).toBeInstanceOf(SubackError);
      expect(failure.error).toMatchObject({ kind: 'ERR_SUBACK', topic: failure.topic, reasonCode: failure.reasonCode, reasonString });
    }
    expect([...session.subscriptions.keys()]).toEqual(['b']);
    expect(session.inflightCount).toBe(0);
  });

  it('does not resubscribe a refused filter on the next reconnect', () => {
    const session = subscribedSession(['a', 'b']);
    const [packet] = sent(reconnect(session, false)) as ISubscribePacket[];
    receive(session, { cmd: 'suback', messageId: packet!.messageId, granted: [0x80, 0] });
    const [again] = sent(reconnect(session, false)) as ISubscribePacket[];
    expect(again!.subscriptions.map((s) => s.topic)).toEqual(['b']);
  });

  it('reports nothing when every filter of the resubscribe is accepted', () => {
    const session = subscribedSession(['a']);
    const [packet] = sent(reconnect(session, false)) as ISubscribePacket[];
    expect(receive(session, { cmd: 'suback', messageId: packet!.messageId, granted: [1] })).toEqual([]);
  });

  it('settles a refused filter of the application\'s own SUBSCRIBE instead of reporting it', () => {
    const session = connectedSession();
    session.step(subscribeCommand(7, 'x'));
    expect(trace(receive(session, { cmd: 'suback', messageId: 1, granted: [0x80] }))).toEqual(['settle:7']);
  });

  it('ignores the SUBACK of a resubscribe superseded by a later reconnect', () => {
    const session = subscribedSession(['a']);
    const [stale] = sent(reconnect(session, false)) as ISubscribePacket[];
    const [fresh] = sent(reconnect(session, false)) as ISubscribePacket[];
    expect(receive(session, { cmd: 'suback', messageId: stale!.messageId, granted: [0x80] })).toEqual([]);
    expect(trace(receive(session, { cmd: 'suback', messageId: fresh!.messageId, granted: [0x80] }))).toEqual(['resubscribeFailed']);
  });
});
