import type { IPublishPacket, Packet } from '../../lib/protocol/codec.js';
import { QueueFullError } from '../../lib/errors.js';
import { MqttSession } from '../../lib/session/session.js';
import type { OfflineQueueLimits, OverflowPolicy, SessionOutput } from '../../lib/session/types.js';
import { connack, connectedSession, options, publishCommand, receive, sent, subscribeCommand, trace } from './harness.js';

/** A session that never connected yet, with the given offline queue limits. */
function offline(limits: Partial<OfflineQueueLimits>, extra: Parameters<typeof options>[0] = {}): MqttSession {
  const offlineQueue = { maxMessages: Infinity, maxBytes: Infinity, overflow: 'error' as const, ...limits };
  return new MqttSession(options({ offlineQueue, ...extra }));
}

/** Opens the connection and accepts it; returns the outputs of the CONNACK. */
function connect(session: MqttSession): SessionOutput[] {
  session.step({ type: 'open' });
  return receive(session, connack());
}

/** The payloads of the PUBLISH packets among `packets`. */
function payloads(packets: Packet[]): string[] {
  return packets.flatMap((p) => (p.cmd === 'publish' ? [String(p.payload)] : []));
}

function dropped(outputs: SessionOutput[]): Extract<SessionOutput, { type: 'dropped' }>[] {
  return outputs.flatMap((o) => (o.type === 'dropped' ? [o] : []));
}

describe('MqttSession bounded offline queue', () => {
  it('queues any number of publishes when no offlineQueue is set', () => {
    const session = new MqttSession(options());
    for (let token = 1; token <= 1000; token++) expect(session.step(publishCommand(token, 1))).toEqual([]);
    expect(session.pendingCount).toBe(1000);
    expect(sent(connect(session))).toHaveLength(1000);
  });

  const overflowCases: [OverflowPolicy, string[], string[]][] = [
    ['error', ['settle:3!ERR_QUEUE_FULL', 'dropped'], ['m1', 'm2']],
    ['drop-newest', ['settle:3!ERR_QUEUE_FULL', 'dropped'], ['m1', 'm2']],
    ['drop-oldest', ['settle:1!ERR_QUEUE_FULL', 'dropped'], ['m2', 'm3']],
  ];
  it.each(overflowCases)('with maxMessages and overflow %s, drops the publish it names and keeps the others in order', (overflow, outputs, delivered) => {
    const session = offline({ maxMessages: 2, overflow });
    expect(session.step(publishCommand(1, 1))).toEqual([]);
    expect(session.step(publishCommand(2, 0))).toEqual([]);
    expect(trace(session.step(publishCommand(3, 2)))).toEqual(outputs);
    expect(session.pendingCount).toBe(2);
    expect(payloads(sent(connect(session)))).toEqual(delivered);
  });

  const bytesCases: [OverflowPolicy, string[], string[]][] = [
    ['error', ['settle:4!ERR_QUEUE_FULL', 'dropped'], ['a', 'b', 'c']],
    ['drop-newest', ['settle:4!ERR_QUEUE_FULL', 'dropped'], ['a', 'b', 'c']],
    // As many oldest publishes go as it takes: 1 + 1 + 1 + 4 bytes > 5, so 'a' and 'b' make room.
    ['drop-oldest', ['settle:1!ERR_QUEUE_FULL', 'dropped', 'settle:2!ERR_QUEUE_FULL', 'dropped'], ['c', 'dddd']],
  ];
  it.each(bytesCases)('with maxBytes and overflow %s, counts payload bytes', (overflow, outputs, delivered) => {
    const session = offline({ maxBytes: 5, overflow });
    ['a', 'b', 'c'].forEach((payload, i) => expect(session.step(publishCommand(i + 1, 1, 't', { payload }))).toEqual([]));
    expect(trace(session.step(publishCommand(4, 1, 't', { payload: 'dddd' })))).toEqual(outputs);
    expect(payloads(sent(connect(session)))).toEqual(delivered);
  });

  it('reports a drop with the topic, QoS, payload size, policy and a QueueFullError naming the limit', () => {
    const session = offline({ maxBytes: 3, overflow: 'drop-oldest' });
    session.step(publishCommand(1, 2, 'old', { payload: Buffer.from('xyz') }));
    const out = session.step(publishCommand(2, 0, 'new', { payload: 'é' }));
    const [settle, report] = out as [Extract<SessionOutput, { type: 'settle' }>, Extract<SessionOutput, { type: 'dropped' }>];
    expect(settle).toEqual({ type: 'settle', token: 1, error: report.error });
    expect(report).toMatchObject({ type: 'dropped', topic: 'old', qos: 2, bytes: 3, policy: 'drop-oldest' });
    expect(report.error).toBeInstanceOf(QueueFullError);
    expect(report.error).toMatchObject({ code: 'ERR_QUEUE_FULL', topic: 'old', limit: 'maxBytes', outcome: 'evicted' });
  });

  it('counts a string payload in UTF-8 bytes, not characters', () => {
    const session = offline({ maxBytes: 3 });
    const out = session.step(publishCommand(1, 1, 't', { payload: 'éé' })); // 2 characters, 4 bytes
    expect(trace(out)).toEqual(['settle:1!ERR_QUEUE_FULL', 'dropped']);
    expect(dropped(out)[0]!.bytes).toBe(4);
  });

  it.each(['error', 'drop-newest', 'drop-oldest'] as const)(
    'refuses a publish larger than maxBytes on its own, evicting nothing (overflow %s)',
    (overflow) => {
      const session = offline({ maxBytes: 4, overflow });
      session.step(publishCommand(1, 1, 't', { payload: 'ab' }));
      const out = session.step(publishCommand(2, 1, 't', { payload: 'abcde' }));
      expect(trace(out)).toEqual(['settle:2!ERR_QUEUE_FULL', 'dropped']);
      expect(dropped(out)[0]!.error.limit).toBe('maxBytes');
      expect(payloads(sent(connect(session)))).toEqual(['ab']);
    },
  );

  it.each(['error', 'drop-oldest'] as const)('with maxMessages 0 queues no publish at all (overflow %s)', (overflow) => {
    const session = offline({ maxMessages: 0, overflow });
    expect(trace(session.step(publishCommand(1, 0)))).toEqual(['settle:1!ERR_QUEUE_FULL', 'dropped']);
    expect(session.pendingCount).toBe(0);
  });

  it('neither counts nor drops subscribes and unsubscribes, and keeps them in their place', () => {
    const session = offline({ maxMessages: 2, overflow: 'drop-oldest' });
    session.step(subscribeCommand(1, 's'));
    session.step(publishCommand(2, 1));
    session.step({ type: 'unsubscribe', token: 3, topics: ['u'] });
    session.step(publishCommand(4, 1));
    expect(trace(session.step(publishCommand(5, 1)))).toEqual(['settle:2!ERR_QUEUE_FULL', 'dropped']);
    session.step(subscribeCommand(6, 's2'));
    const out = sent(connect(session));
    expect(out.map((p) => (p.cmd === 'publish' ? `publish ${String(p.payload)}` : p.cmd))).toEqual([
      'subscribe',
      'unsubscribe',
      'publish m4',
      'publish m5',
      'subscribe',
    ]);
  });

  it('applies the limits before CONNACK too', () => {
    const session = offline({ maxMessages: 1 });
    session.step({ type: 'open' });
    session.step(publishCommand(1, 1));
    expect(trace(session.step(publishCommand(2, 1)))).toEqual(['settle:2!ERR_QUEUE_FULL', 'dropped']);
  });

  it('leaves publishes issued while connected alone, even those waiting for a packet id or Receive Maximum', () => {
    const session = connectedSession({ protocolVersion: 5, offlineQueue: { maxMessages: 1, maxBytes: 1, overflow: 'error' } }, connack(false, { properties: { receiveMaximum: 1 } }));
    const out = [1, 2, 3, 4].flatMap((token) => session.step(publishCommand(token, 1)));
    expect(trace(out)).toEqual(['send:publish#1']);
    expect(session.pendingCount).toBe(3);
  });

  it('counts publishes held back on a connection that dropped against the limit', () => {
    const session = connectedSession({ protocolVersion: 5, offlineQueue: { maxMessages: 2, maxBytes: Infinity, overflow: 'drop-oldest' } }, connack(false, { properties: { receiveMaximum: 1 } }));
    [1, 2, 3].forEach((token) => session.step(publishCommand(token, 1)));
    session.step({ type: 'closed' });
    // m1 is in flight (not waiting); m2 and m3 wait, so m4 evicts m2.
    expect(trace(session.step(publishCommand(4, 1)))).toEqual(['settle:2!ERR_QUEUE_FULL', 'dropped']);
    const resumed = sent(connect(session)) as IPublishPacket[];
    expect(resumed.map((p) => [String(p.payload), p.messageId])).toEqual([
      ['m1', 1],
      ['m3', 2],
      ['m4', 3],
    ]);
  });

  it('frees room as queued publishes are sent, so the next offline spell starts empty', () => {
    const session = offline({ maxMessages: 2 });
    [1, 2].forEach((token) => session.step(publishCommand(token, 0)));
    connect(session);
    session.step({ type: 'closed' });
    expect([3, 4].flatMap((token) => session.step(publishCommand(token, 0)))).toEqual([]);
    expect(trace(session.step(publishCommand(5, 0)))).toEqual(['settle:5!ERR_QUEUE_FULL', 'dropped']);
  });

  it('frees room when an abort fails the queued publishes', () => {
    const session = offline({ maxMessages: 1 });
    session.step(publishCommand(1, 1));
    session.step({ type: 'abort', error: new QueueFullError('x', 'maxMessages', 'refused') });
    expect(session.step(publishCommand(2, 1))).toEqual([]);
  });

  it('keeps failing offline QoS 0 at once with queueQoSZero: false, without counting it or reporting a drop', () => {
    const session = offline({ maxMessages: 1 }, { queueQoSZero: false });
    expect(trace(session.step(publishCommand(1, 0)))).toEqual(['settle:1!ERR_CONNECTION_CLOSED']);
    expect(session.step(publishCommand(2, 1))).toEqual([]);
    expect(trace(session.step(publishCommand(3, 1)))).toEqual(['settle:3!ERR_QUEUE_FULL', 'dropped']);
  });

  it('evicts the oldest publish behind a waiting subscribe, 40,000 times over a 10,000-publish queue', () => {
    const session = offline({ maxMessages: 10_000, overflow: 'drop-oldest' });
    session.step(subscribeCommand(0, 's'));
    for (let token = 1; token <= 50_000; token++) session.step(publishCommand(token, 0));
    expect(session.pendingCount).toBe(10_001);
    const out = sent(connect(session));
    expect(out[0]!.cmd).toBe('subscribe');
    expect(payloads(out.slice(1, 2))).toEqual(['m40001']);
    expect(payloads(out.slice(-1))).toEqual(['m50000']);
  });
});
