import type { Packet } from '../../lib/protocol/codec.js';
import { MqttError, PublishError } from '../../lib/errors.js';
import { UniqueMessageIdProvider } from '../../lib/session/message-id-provider.js';
import { MqttSession } from '../../lib/session/session.js';
import { connack, connectedSession, options, publishCommand, receive, reconnect, sent, settles, subscribeCommand, trace } from './harness.js';

describe('MqttSession outgoing publish', () => {
  it('sends a QoS 0 publish with its token (it settles when written) and settles it at once', () => {
    const session = connectedSession();
    const out = session.step(publishCommand(7, 0, 'a/b', { retain: true, payload: 'hi' }));
    expect(out).toEqual([
      { type: 'send', packet: { cmd: 'publish', topic: 'a/b', payload: 'hi', qos: 0, retain: true, dup: false }, token: 7 },
      { type: 'settle', token: 7, result: { type: 'publish' } },
    ]);
    expect(session.inflightCount).toBe(0);
  });

  it('settles a QoS 1 publish on PUBACK with the message id and the ack', () => {
    const session = connectedSession();
    const out = session.step(publishCommand(1, 1, 'a'));
    expect(sent(out)).toEqual([{ cmd: 'publish', topic: 'a', payload: 'm1', qos: 1, retain: false, dup: false, messageId: 1 }]);
    expect(settles(out)).toEqual([]);
    expect(session.inflightCount).toBe(1);
    const puback: Packet = { cmd: 'puback', messageId: 1 };
    expect(receive(session, puback)).toEqual([{ type: 'settle', token: 1, result: { type: 'publish', messageId: 1, packet: puback } }]);
    expect(session.inflightCount).toBe(0);
  });

  it('runs the QoS 2 flow: PUBREC answered with PUBREL, PUBCOMP settles', () => {
    const session = connectedSession();
    expect(trace(session.step(publishCommand(1, 2)))).toEqual(['send:publish#1']);
    expect(receive(session, { cmd: 'pubrec', messageId: 1 })).toEqual([{ type: 'send', packet: { cmd: 'pubrel', messageId: 1 } }]);
    expect(session.inflightCount).toBe(1);
    const pubcomp: Packet = { cmd: 'pubcomp', messageId: 1 };
    expect(receive(session, pubcomp)).toEqual([{ type: 'settle', token: 1, result: { type: 'publish', messageId: 1, packet: pubcomp } }]);
    expect(session.inflightCount).toBe(0);
  });

  it.each([
    ['puback', 1, 0x87],
    ['pubrec', 2, 0x80],
    ['pubcomp', 2, 0x92],
  ] as const)('settles with PublishError on a v5 %s failure code', (cmd, qos, reasonCode) => {
    const session = connectedSession({ protocolVersion: 5 });
    session.step(publishCommand(3, qos));
    if (cmd === 'pubcomp') receive(session, { cmd: 'pubrec', messageId: 1 });
    const out = receive(session, { cmd, messageId: 1, reasonCode, properties: { reasonString: 'why' } });
    expect(trace(out)).toEqual(['settle:3!ERR_PUBLISH']); // no PUBREL after a failed PUBREC
    const error = settles(out)[0]!.error as PublishError;
    expect(error).toBeInstanceOf(PublishError);
    expect([error.reasonCode, error.reasonString]).toEqual([reasonCode, 'why']);
    expect(session.inflightCount).toBe(0);
  });

  it('treats v5 success codes below 0x80 (e.g. 0x10 no matching subscribers) as success', () => {
    const session = connectedSession({ protocolVersion: 5 });
    session.step(publishCommand(3, 1));
    expect(trace(receive(session, { cmd: 'puback', messageId: 1, reasonCode: 0x10 }))).toEqual(['settle:3']);
  });

  it.each(['puback', 'pubcomp'] as const)('ignores a %s for an unknown id', (cmd) => {
    const session = connectedSession();
    session.step(publishCommand(1, 1));
    expect(receive(session, { cmd, messageId: 99 })).toEqual([]);
    expect(session.inflightCount).toBe(1);
  });

  it('ignores a PUBACK for a QoS 2 publish', () => {
    const session = connectedSession();
    session.step(publishCommand(1, 2));
    expect(receive(session, { cmd: 'puback', messageId: 1 })).toEqual([]);
  });

  it.each([
    [4, { cmd: 'pubrel', messageId: 42 }],
    [5, { cmd: 'pubrel', messageId: 42, reasonCode: 0x92 }],
  ] as const)('answers a PUBREC for an unknown id with PUBREL (MQTT level %i)', (protocolVersion, expected) => {
    const session = connectedSession({ protocolVersion });
    expect(sent(receive(session, { cmd: 'pubrec', messageId: 42 }))).toEqual([expected]);
  });

  it('frees the packet id on settle so the provider can hand it out again', () => {
    const ids = new UniqueMessageIdProvider();
    const session = connectedSession({ messageIdProvider: ids });
    session.step(publishCommand(1, 1));
    session.step(publishCommand(2, 1));
    receive(session, { cmd: 'puback', messageId: 1 });
    expect(sent(session.step(publishCommand(3, 1)))[0]!.messageId).toBe(1);
    expect(session.lastMessageId).toBe(1);
  });

  it('allocates ids in order across publish, subscribe and unsubscribe', () => {
    const session = connectedSession();
    const out = [
      ...session.step(publishCommand(1, 1)),
      ...session.step(subscribeCommand(2, 'x')),
      ...session.step({ type: 'unsubscribe', token: 3, topics: ['x'] }),
      ...session.step(publishCommand(4, 0)),
      ...session.step(publishCommand(5, 2)),
    ];
    expect(trace(out)).toEqual(['send:publish#1', 'send:subscribe#2', 'send:unsubscribe#3', 'send:publish', 'settle:4', 'send:publish#4']);
    expect(session.lastMessageId).toBe(4);
  });

  it.each([
    ['DefaultMessageIdProvider', undefined],
    ['UniqueMessageIdProvider', () => new UniqueMessageIdProvider()],
  ])('queues the 65536th publish when every id is in flight, and sends it when one acks (%s)', (_name, provider) => {
    const session = connectedSession({ messageIdProvider: provider?.() });
    for (let token = 1; token <= 65535; token++) session.step(publishCommand(token, 1));
    expect(session.inflightCount).toBe(65535);
    expect(session.step(publishCommand(65536, 1))).toEqual([]);
    expect(session.pendingCount).toBe(1);
    const out = receive(session, { cmd: 'puback', messageId: 300 });
    expect(trace(out)).toEqual(['settle:300', 'send:publish#300']);
    expect((sent(out)[0] as { payload: string }).payload).toBe('m65536');
    expect(session.pendingCount).toBe(0);
  });

  it('wraps ids around after 65535 without reusing one in flight', () => {
    const session = connectedSession();
    session.step(publishCommand(0, 1)); // id 1 stays in flight
    for (let id = 2; id <= 65535; id++) {
      session.step(publishCommand(id, 1));
      receive(session, { cmd: 'puback', messageId: id });
    }
    expect(trace(session.step(publishCommand(9, 1)))).toEqual(['send:publish#2']);
  });

  it('removes an in-flight publish on removeOutgoing and settles it with ERR_MESSAGE_REMOVED', () => {
    const session = connectedSession();
    session.step(publishCommand(1, 1));
    const out = session.step({ type: 'removeOutgoing', messageId: 1 });
    expect(trace(out)).toEqual(['settle:1!ERR_MESSAGE_REMOVED']);
    expect(settles(out)[0]!.error).toBeInstanceOf(MqttError);
    expect(session.inflightCount).toBe(0);
    expect(receive(session, { cmd: 'puback', messageId: 1 })).toEqual([]);
    expect(session.step({ type: 'removeOutgoing', messageId: 1 })).toEqual([]);
  });

  it('lets pending work go out after removeOutgoing frees an id', () => {
    const session = connectedSession({ protocolVersion: 5 }, connack(false, { properties: { receiveMaximum: 1 } }));
    session.step(publishCommand(1, 1));
    session.step(publishCommand(2, 1));
    expect(trace(session.step({ type: 'removeOutgoing', messageId: 1 }))).toEqual(['settle:1!ERR_MESSAGE_REMOVED', 'send:publish#2']);
  });
});

describe('MqttSession receive maximum', () => {
  it('keeps at most Receive Maximum QoS 1/2 publishes in flight and sends the rest in order', () => {
    const session = connectedSession({ protocolVersion: 5 }, connack(false, { properties: { receiveMaximum: 2 } }));
    const out = [1, 2, 3, 4].flatMap((token) => session.step(publishCommand(token, token % 2 === 0 ? 2 : 1)));
    expect(trace(out)).toEqual(['send:publish#1', 'send:publish#2']);
    expect(session.pendingCount).toBe(2);
    // PUBREC does not free a slot: the QoS 2 message counts until PUBCOMP.
    expect(trace(receive(session, { cmd: 'pubrec', messageId: 2 }))).toEqual(['send:pubrel#2']);
    expect(trace(receive(session, { cmd: 'pubcomp', messageId: 2 }))).toEqual(['settle:2', 'send:publish#3']);
    expect(trace(receive(session, { cmd: 'puback', messageId: 1 }))).toEqual(['settle:1', 'send:publish#4']);
  });

  it('does not let a later subscribe or QoS 0 publish overtake a publish held back by Receive Maximum', () => {
    const session = connectedSession({ protocolVersion: 5 }, connack(false, { properties: { receiveMaximum: 1 } }));
    session.step(publishCommand(1, 1));
    expect(session.step(publishCommand(2, 1))).toEqual([]);
    expect(session.step(subscribeCommand(3, 's'))).toEqual([]);
    expect(session.step(publishCommand(4, 0))).toEqual([]);
    expect(trace(receive(session, { cmd: 'puback', messageId: 1 }))).toEqual([
      'settle:1', 'send:publish#2', 'send:subscribe#3', 'send:publish', 'settle:4',
    ]);
  });

  it('frees a Receive Maximum slot on a failed v5 PUBREC', () => {
    const session = connectedSession({ protocolVersion: 5 }, connack(false, { properties: { receiveMaximum: 1 } }));
    session.step(publishCommand(1, 2));
    session.step(publishCommand(2, 2));
    expect(trace(receive(session, { cmd: 'pubrec', messageId: 1, reasonCode: 0x97 }))).toEqual(['settle:1!ERR_PUBLISH', 'send:publish#2']);
  });
});

describe('MqttSession offline queue', () => {
  it('sends commands issued while disconnected after CONNACK, in the order called', () => {
    const session = new MqttSession(options());
    session.step(publishCommand(1, 1));
    session.step(subscribeCommand(2, 's'));
    session.step(publishCommand(3, 0));
    session.step({ type: 'open' });
    session.step(publishCommand(4, 2)); // awaiting CONNACK still queues
    session.step({ type: 'unsubscribe', token: 5, topics: ['s'] });
    expect(session.pendingCount).toBe(5);
    const out = receive(session, connack());
    expect(trace(out)).toEqual([
      'connected', 'send:publish#1', 'send:subscribe#2', 'send:publish', 'settle:3', 'send:publish#3', 'send:unsubscribe#4',
    ]);
    expect(sent(out).map((p) => (p.cmd === 'publish' ? p.payload : p.cmd))).toEqual(['m1', 'subscribe', 'm3', 'm4', 'unsubscribe']);
    expect(session.pendingCount).toBe(0);
  });

  it('settles a QoS 0 publish at once with ERR_CONNECTION_CLOSED while offline when queueQoSZero is false', () => {
    const session = new MqttSession(options({ queueQoSZero: false }));
    const out = session.step(publishCommand(1, 0));
    expect(trace(out)).toEqual(['settle:1!ERR_CONNECTION_CLOSED']);
    expect(settles(out)[0]!.error).toBeInstanceOf(MqttError);
    expect(session.step(publishCommand(2, 1))).toEqual([]); // QoS 1 still queues
    expect(session.pendingCount).toBe(1);
  });

  it('keeps queueing after the connection closes', () => {
    const session = connectedSession();
    session.step({ type: 'closed' });
    expect(session.step(publishCommand(1, 1))).toEqual([]);
    expect(session.status).toBe('disconnected');
    session.step({ type: 'open' });
    expect(trace(receive(session, connack()))).toEqual(['connected', 'send:publish#1']);
  });

  it('drains 100k queued QoS 1 publishes as they are acknowledged', () => {
    const session = new MqttSession(options());
    const count = 100_000;
    for (let token = 1; token <= count; token++) session.step(publishCommand(token, 1));
    session.step({ type: 'open' });
    const first = receive(session, connack());
    expect(first).toHaveLength(1 + 65535);
    let settled = 0;
    let sentCount = 65535;
    for (let i = 0; i < count; i++) {
      const messageId = (i % 65535) + 1;
      for (const output of receive(session, { cmd: 'puback', messageId })) {
        if (output.type === 'settle') settled++;
        else if (output.type === 'send') sentCount++;
      }
    }
    expect([settled, sentCount, session.pendingCount, session.inflightCount]).toEqual([count, count, 0, 0]);
  });
});

describe('MqttSession abort', () => {
  it('settles every in-flight and pending command with the error and frees all ids', () => {
    const session = connectedSession({ protocolVersion: 5 }, connack(false, { properties: { receiveMaximum: 2 } }));
    session.step(publishCommand(1, 1));
    session.step(subscribeCommand(2, 's'));
    session.step(publishCommand(3, 2));
    session.step(publishCommand(4, 1)); // pending: Receive Maximum
    session.step(publishCommand(5, 0)); // pending behind it
    const error = new MqttError('ERR_CLIENT_CLOSED', 'closed');
    const out = session.step({ type: 'abort', error });
    expect(trace(out)).toEqual(['settle:1!ERR_CLIENT_CLOSED', 'settle:2!ERR_CLIENT_CLOSED', 'settle:3!ERR_CLIENT_CLOSED', 'settle:4!ERR_CLIENT_CLOSED', 'settle:5!ERR_CLIENT_CLOSED']);
    expect(settles(out).every((s) => s.error === error)).toBe(true);
    expect([session.inflightCount, session.pendingCount]).toEqual([0, 0]);
    expect(trace(session.step(publishCommand(6, 1)))).toEqual(['send:publish#4']); // the provider keeps counting; 1..3 are free again
    expect(receive(session, { cmd: 'puback', messageId: 1 })).toEqual([]);
  });

  it('with clean: false keeps the QoS 1/2 publishes, in flight and pending, and resumes them in order at the next CONNACK', () => {
    const session = connectedSession({ protocolVersion: 5, clean: false }, connack(false, { properties: { receiveMaximum: 2 } }));
    session.step(publishCommand(1, 1));
    session.step(subscribeCommand(2, 's'));
    session.step(publishCommand(3, 2));
    receive(session, { cmd: 'pubrec', messageId: 3 });
    session.step(publishCommand(4, 1)); // pending: Receive Maximum
    session.step(publishCommand(5, 0)); // pending behind it
    const out = session.step({ type: 'abort', error: new MqttError('ERR_CLIENT_CLOSED', 'closed') });
    expect(trace(out)).toEqual(['settle:2!ERR_CLIENT_CLOSED', 'settle:5!ERR_CLIENT_CLOSED']);
    expect([session.inflightCount, session.pendingCount]).toEqual([2, 1]);
    expect(trace(reconnect(session, true, { properties: { receiveMaximum: 2 } }))).toEqual(['connected', 'send:publish#1', 'send:pubrel#3']);
    expect(trace(receive(session, { cmd: 'puback', messageId: 1 }))).toEqual(['settle:1', 'send:publish#4']);
    expect(trace(receive(session, { cmd: 'pubcomp', messageId: 3 }))).toEqual(['settle:3']);
  });
});
