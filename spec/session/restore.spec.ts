import type { IPublishPacket, Packet } from '../../lib/protocol/codec.js';
import { MqttSession } from '../../lib/session/session.js';
import type { SessionOptions } from '../../lib/session/types.js';
import { connack, options, publishCommand, receive, sent, settles, trace } from './harness.js';

/** A stored QoS 1/2 PUBLISH as the connection put it into the outgoingStore (DUP=0). */
function stored(messageId: number, qos: 1 | 2, payload = `s${messageId}`): IPublishPacket {
  return { cmd: 'publish', topic: 'restored', payload: Buffer.from(payload), qos, retain: false, dup: false, messageId };
}

/** A fresh session (as after a restart) fed `packets` from the store, then connected with `sessionPresent`. */
function restoredSession(packets: Packet[], sessionPresent: boolean, overrides: Partial<SessionOptions> = {}) {
  const session = new MqttSession(options({ clean: false, ...overrides }));
  const restoreOut = session.step({ type: 'restore', packets });
  session.step({ type: 'open' });
  const out = receive(session, connack(sessionPresent));
  return { session, restoreOut, out };
}

describe('MqttSession restore from a store', () => {
  it.each([
    // name, store contents, sessionPresent, what goes out after CONNACK
    ['re-sends stored publishes with DUP=1 and their ids, in store order, with a session', [stored(5, 1), stored(2, 2)], true, ['connected', 'send:publish#5', 'send:publish#2']],
    ['resumes a PUBREC\'d QoS 2 message with PUBREL only, with a session', [{ cmd: 'pubrel', messageId: 4 }, stored(6, 1)], true, ['connected', 'send:pubrel#4', 'send:publish#6']],
    ['sends stored publishes as new deliveries without a session', [stored(5, 1), stored(2, 2)], false, ['connected', 'send:publish#5', 'send:publish#2']],
    ['counts a PUBREC\'d QoS 2 message as delivered without a session (no token to settle, the store forgets it)', [{ cmd: 'pubrel', messageId: 4 }], false, ['connected', 'settle:undefined']],
  ] as const)('%s', (_name, packets, sessionPresent, expected) => {
    const { restoreOut, out } = restoredSession([...packets] as Packet[], sessionPresent);
    expect(restoreOut).toEqual([]); // nothing to send before a connection
    expect(trace(out)).toEqual(expected);
  });

  it('sets DUP only within a present session and keeps everything else of the stored packet', () => {
    const packet = stored(9, 2, 'payload');
    packet.properties = { correlationData: Buffer.from([1, 2]) };
    const present = restoredSession([packet], true, { protocolVersion: 5 });
    expect(sent(present.out)).toEqual([{ ...packet, dup: true }]);
    const absent = restoredSession([packet], false, { protocolVersion: 5 });
    expect(sent(absent.out)).toEqual([packet]);
  });

  it('settles a restored publish with no token but its messageId when acknowledged, freeing the id', () => {
    const { session } = restoredSession([stored(1, 1), stored(2, 2), { cmd: 'pubrel', messageId: 3 }], true);
    expect(session.inflightCount).toBe(3);
    expect(session.inflightToken(1)).toBeUndefined();
    const puback: Packet = { cmd: 'puback', messageId: 1 };
    expect(receive(session, puback)).toEqual([{ type: 'settle', token: undefined, result: { type: 'publish', messageId: 1, packet: puback } }]);
    expect(trace(receive(session, { cmd: 'pubrec', messageId: 2 }))).toEqual(['send:pubrel#2']);
    expect(trace(receive(session, { cmd: 'pubcomp', messageId: 2 }))).toEqual(['settle:undefined']);
    expect(settles(receive(session, { cmd: 'pubcomp', messageId: 3 }))[0]!.result).toMatchObject({ type: 'publish', messageId: 3 });
    expect(session.inflightCount).toBe(0);
  });

  it('registers the restored ids so that new publishes never reuse one in flight [MQTT-2.2.1-3]', () => {
    const { session } = restoredSession([stored(1, 1), stored(2, 1)], true);
    const out = session.step(publishCommand(7, 1));
    expect(trace(out)).toEqual(['send:publish#3']);
    expect(session.inflightToken(3)).toBe(7);
  });

  it('sends the restored publishes before publishes issued while the store was read', () => {
    const session = new MqttSession(options({ clean: false }));
    session.step(publishCommand(1, 1, 'new'));
    session.step({ type: 'restore', packets: [stored(1, 1)] });
    session.step({ type: 'open' });
    const out = receive(session, connack(true));
    expect(sent(out).map((p) => [(p as IPublishPacket).topic, p.messageId])).toEqual([['restored', 1], ['new', 2]]);
  });

  it('skips what is not a QoS 1/2 PUBLISH or a PUBREL, and ids that are invalid or already taken', () => {
    const packets = [
      stored(1, 1),
      { ...stored(2, 1), qos: 0 },
      { cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'a', qos: 1 }] },
      stored(1, 2), // duplicate id
      { ...stored(0, 1) },
      { ...stored(70000, 1) },
      { cmd: 'pubrel', messageId: 1 }, // a PUBREL for a QoS 1 publish: not a QoS 2 exchange
    ] as Packet[];
    const { session, out } = restoredSession(packets, true);
    expect(trace(out)).toEqual(['connected', 'send:publish#1']);
    expect(session.inflightCount).toBe(1);
  });

  it('lets a later PUBREL for the same id win over the stored PUBLISH, as a Map-backed store would', () => {
    const { session, out } = restoredSession([stored(4, 2), { cmd: 'pubrel', messageId: 4 }], true);
    expect(trace(out)).toEqual(['connected', 'send:pubrel#4']);
    expect(session.inflightCount).toBe(1);
  });

  it('holds restored re-sends back to the broker\'s Receive Maximum [MQTT-4.9.0-2]', () => {
    const session = new MqttSession(options({ clean: false, protocolVersion: 5 }));
    session.step({ type: 'restore', packets: [stored(1, 1), stored(2, 1), stored(3, 1)] });
    session.step({ type: 'open' });
    const out = receive(session, connack(true, { properties: { receiveMaximum: 2 } }));
    expect(trace(out)).toEqual(['connected', 'send:publish#1', 'send:publish#2']);
    expect(trace(receive(session, { cmd: 'puback', messageId: 1 }))).toEqual(['settle:undefined', 'send:publish#3']);
  });

  it('names a removed restored publish in its settle so that the store forgets it', () => {
    const { session } = restoredSession([stored(1, 1)], true);
    const out = session.step({ type: 'removeOutgoing', messageId: 1 });
    expect(trace(out)).toEqual(['settle:undefined!ERR_MESSAGE_REMOVED']);
    expect(settles(out)[0]!.result).toEqual({ type: 'publish', messageId: 1 });
  });

  it('names a publish the broker refused (v5 PUBACK >= 0x80) in its error settle, so that the store forgets it', () => {
    const session = new MqttSession(options({ protocolVersion: 5 }));
    session.step({ type: 'open' });
    receive(session, connack(false));
    session.step(publishCommand(8, 1));
    const puback: Packet = { cmd: 'puback', messageId: 1, reasonCode: 0x87 };
    const [settle] = settles(receive(session, puback));
    expect(settle).toMatchObject({ token: 8, result: { type: 'publish', messageId: 1, packet: puback } });
    expect(settle!.error?.kind).toBe('ERR_PUBLISH');
  });

  it('keeps restored publishes through abort (end) with clean: false, in flight for a reconnect() (and in the store for the next start)', () => {
    const { session } = restoredSession([stored(1, 1)], true);
    const out = session.step({ type: 'abort', error: new Error('ended') as never });
    expect(out).toEqual([]);
    expect(session.inflightCount).toBe(1);
    session.step({ type: 'open' });
    expect(trace(receive(session, connack(true)))).toEqual(['connected', 'send:publish#1']);
  });
});

describe('MqttSession restore of inbound QoS 2 ids from an incomingStore', () => {
  const held = (messageId: number): IPublishPacket => ({ ...stored(messageId, 2), topic: 'in' });

  it.each([
    // name, sessionPresent, what the broker's re-sent PUBLISH (DUP=1) of the stored id gives
    ['answers the re-sent PUBLISH with PUBREC and does not deliver it again, with a session', true, ['send:pubrec#7']],
    ['delivers a PUBLISH with the id as a new message without a session (the broker forgot it)', false, ['deliver']],
  ] as const)('%s', (_name, sessionPresent, expected) => {
    const session = new MqttSession(options({ clean: false }));
    expect(session.step({ type: 'restore', packets: [], incoming: [held(7), { cmd: 'pubrel', messageId: 8 }] })).toEqual([]);
    session.step({ type: 'open' });
    receive(session, connack(sessionPresent));
    expect(trace(receive(session, { ...held(7), dup: true }))).toEqual(expected);
  });

  it('delivers a different message the broker sends under a restored id (it lost the PUBREL), and answers the restored one as held', () => {
    const session = new MqttSession(options({ clean: false }));
    session.step({ type: 'restore', packets: [], incoming: [held(7)] });
    session.step({ type: 'open' });
    receive(session, connack(true));
    const other: IPublishPacket = { ...held(7), topic: 'another', payload: Buffer.from('new') };
    expect(trace(receive(session, other))).toContain('deliver');
    expect(trace(receive(session, { ...held(7), dup: true }))).not.toContain('deliver');
  });

  it('completes a restored id on PUBREL, after which the id is free for a new message', () => {
    const session = new MqttSession(options({ clean: false }));
    session.step({ type: 'restore', packets: [], incoming: [held(7)] });
    session.step({ type: 'open' });
    receive(session, connack(true));
    expect(trace(receive(session, { cmd: 'pubrel', messageId: 7 }))).toEqual(['send:pubcomp#7']);
    expect(trace(receive(session, held(7)))).toEqual(['deliver']);
  });
});
