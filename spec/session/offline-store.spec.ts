import type { IPublishPacket, Packet } from '../../lib/protocol/codec.js';
import { MqttSession } from '../../lib/session/session.js';
import type { SessionOptions, SessionOutput } from '../../lib/session/types.js';
import { connack, options, publishCommand, receive, reconnect, sent, settles, trace } from './harness.js';

/** A session with an outgoing store whose (empty, unless given) contents were read: offline, never connected. */
function storing(extra: Partial<SessionOptions> = {}, restored: Packet[] = []): MqttSession {
  const session = new MqttSession(options({ storeOfflinePublishes: true, clean: false, ...extra }));
  session.step({ type: 'restore', packets: restored });
  return session;
}

function connect(session: MqttSession, sessionPresent = false, extra = {}, now?: number): SessionOutput[] {
  session.step({ type: 'open' }, now);
  return session.step({ type: 'packet', packet: connack(sessionPresent, extra) }, now);
}

function stores(outputs: SessionOutput[]): IPublishPacket[] {
  return outputs.flatMap((o) => (o.type === 'store' ? [o.packet] : []));
}

/** `payload#messageId` and `+dup` for the PUBLISHes among `packets`; `cmd#id` for the others. */
function wire(packets: Packet[]): string[] {
  return packets.map((p) => (p.cmd === 'publish' ? `${String(p.payload)}#${p.messageId ?? '-'}${p.dup ? '+dup' : ''}` : `${p.cmd}#${p.messageId}`));
}

function stored(messageId: number): IPublishPacket {
  return { cmd: 'publish', topic: 't', payload: `s${messageId}`, qos: 1, retain: false, dup: false, messageId };
}

describe('MqttSession with an outgoing store, offline', () => {
  it('gives a QoS 1 or 2 publish made offline its packet id at once and asks to store it as it will be sent', () => {
    const session = storing();
    const out = [...session.step(publishCommand(1, 1)), ...session.step(publishCommand(2, 2))];
    expect(out).toEqual([
      { type: 'store', token: 1, packet: { cmd: 'publish', topic: 't', payload: 'm1', qos: 1, retain: false, dup: false, messageId: 1 } },
      { type: 'store', token: 2, packet: { cmd: 'publish', topic: 't', payload: 'm2', qos: 2, retain: false, dup: false, messageId: 2 } },
    ]);
    expect(session.pendingCount).toBe(2);
  });

  const unstored: [string, Partial<SessionOptions>, ReturnType<typeof publishCommand>][] = [
    ['a QoS 0 publish', {}, publishCommand(1, 0)],
    ['a publish without an outgoing store', { storeOfflinePublishes: false }, publishCommand(1, 1)],
    ['a publish naming its topic by alias alone', { protocolVersion: 5 }, publishCommand(1, 1, '', { properties: { topicAlias: 1 } })],
  ];
  it.each(unstored)('stores nothing for %s', (_name, extra, command) => {
    expect(storing(extra).step(command)).toEqual([]);
  });

  it('stores nothing before the store was read, then stores what waits with ids its packets do not hold', () => {
    const session = new MqttSession(options({ storeOfflinePublishes: true, clean: false }));
    expect(session.step(publishCommand(1, 1))).toEqual([]);
    const out = session.step({ type: 'restore', packets: [stored(1)] });
    expect(stores(out).map((p) => p.messageId)).toEqual([2]);
    expect(wire(sent(connect(session, true)))).toEqual(['s1#1+dup', 'm1#2']);
  });

  it('sends the stored publishes at CONNACK with DUP=0, oldest first, before the queued commands, even with a session present', () => {
    const session = storing();
    session.step(publishCommand(1, 0));
    session.step({ type: 'subscribe', token: 2, subscriptions: [{ topic: 's', qos: 1 }] });
    session.step(publishCommand(3, 1));
    session.step(publishCommand(4, 2));
    expect(wire(sent(connect(session, true)))).toEqual(['m3#1', 'm4#2', 'm1#-', 'subscribe#3']);
  });

  it('holds stored publishes back by the broker\'s Receive Maximum and sends the rest with DUP=0 as acks free it [MQTT-4.9.0-2]', () => {
    const session = storing({ protocolVersion: 5 });
    for (let token = 1; token <= 3; token++) session.step(publishCommand(token, 1));
    session.step(publishCommand(4, 0));
    expect(wire(sent(connect(session, false, { properties: { receiveMaximum: 2 } })))).toEqual(['m1#1', 'm2#2']);
    expect(wire(sent(receive(session, { cmd: 'puback', messageId: 1, reasonCode: 0 })))).toEqual(['m3#3', 'm4#-']);
  });

  it('sends with DUP=0 a stored publish that a lost connection kept from ever being sent, and with DUP=1 one that was sent', () => {
    const session = storing({ protocolVersion: 5 });
    session.step(publishCommand(1, 1));
    session.step(publishCommand(2, 1));
    expect(wire(sent(connect(session, false, { properties: { receiveMaximum: 1 } })))).toEqual(['m1#1']);
    expect(wire(sent(reconnect(session, true)))).toEqual(['m1#1+dup', 'm2#2']);
  });

  it('evicts the oldest stored publish for a new one (drop-oldest) and names its packet id, so that it leaves the store', () => {
    const session = storing({ offlineQueue: { maxMessages: 1, maxBytes: Infinity, overflow: 'drop-oldest' } });
    session.step(publishCommand(1, 1));
    const out = session.step(publishCommand(2, 1));
    expect(trace(out)).toEqual(['settle:1!ERR_QUEUE_FULL', 'dropped', 'store']);
    expect(settles(out)[0].result).toEqual({ type: 'publish', messageId: 1 });
    expect(wire(sent(connect(session)))).toEqual([`m2#${stores(out)[0].messageId}`]);
  });

  it('stores nothing for a publish the full queue refuses', () => {
    const session = storing({ offlineQueue: { maxMessages: 1, maxBytes: Infinity, overflow: 'error' } });
    session.step(publishCommand(1, 1));
    expect(trace(session.step(publishCommand(2, 1)))).toEqual(['settle:2!ERR_QUEUE_FULL', 'dropped']);
  });

  it('does not send a stored publish whose Message Expiry Interval ran out while offline, and names it so that it leaves the store', () => {
    const session = storing({ protocolVersion: 5 });
    session.step(publishCommand(1, 1, 't', { properties: { messageExpiryInterval: 5 } }), 0);
    session.step(publishCommand(2, 1, 't', { properties: { messageExpiryInterval: 60 } }), 0);
    const out = connect(session, false, {}, 10_000);
    expect(trace(out)).toEqual(['connected', 'settle:1!ERR_MESSAGE_EXPIRED', 'send:publish#2']);
    expect(settles(out)[0].result).toEqual({ type: 'publish', messageId: 1 });
    expect((sent(out)[0] as IPublishPacket).properties?.messageExpiryInterval).toBe(50);
  });

  it('fails a stored publish removed by id (a store that could not put it) and names it; it is never sent', () => {
    const session = storing();
    session.step(publishCommand(1, 1));
    const error = Object.assign(new Error('quota'), { kind: 'ERR_STORE' }) as never;
    const out = session.step({ type: 'removeOutgoing', messageId: 1, error });
    expect(settles(out)).toEqual([{ type: 'settle', token: 1, error, result: { type: 'publish', messageId: 1 } }]);
    expect(sent(connect(session))).toEqual([]);
  });

  it('keeps stored publishes with their callers at end() of a persistent session, for a later reconnect', () => {
    const session = storing();
    session.step(publishCommand(1, 1));
    expect(session.step({ type: 'abort', error: new Error('end') as never })).toEqual([]);
    expect(wire(sent(connect(session, true)))).toEqual(['m1#1']);
  });

  it('fails stored publishes at end() without naming them, so that they stay in the store for the next start, as in-flight ones do', () => {
    const session = storing({ clean: true });
    session.step(publishCommand(1, 1));
    const error = Object.assign(new Error('end'), { kind: 'ERR_CLOSED' }) as never;
    expect(settles(session.step({ type: 'abort', error }))).toEqual([{ type: 'settle', token: 1, error }]);
  });
});
