import type { IPublishPacket, Packet, QoS } from '../../lib/protocol/codec.js';
import { PacketTooLargeError, ServerCapabilityError, TopicAliasError } from '../../lib/errors.js';
import { OutboundTopicAliases } from '../../lib/session/outbound-aliases.js';
import { MqttSession } from '../../lib/session/session.js';
import type { SessionInput, SessionOptions, SessionOutput } from '../../lib/session/types.js';
import { connack, connectedSession, options, publishCommand, receive, reconnect, sent, settles, trace } from './harness.js';

type AliasMode = Pick<SessionOptions, 'autoUseTopicAlias' | 'autoAssignTopicAlias'>;

/** An MQTT 5 session whose broker announced `topicAliasMaximum` (undefined: no such property). */
function aliasSession(mode: AliasMode, topicAliasMaximum: number | undefined, extra: Partial<SessionOptions> = {}): MqttSession {
  const properties = topicAliasMaximum === undefined ? {} : { topicAliasMaximum };
  return connectedSession({ protocolVersion: 5, ...mode, ...extra }, connack(false, { properties }));
}

let nextToken = 1;

/** Publishes `topic` (with a manual `alias` if given) and returns the PUBLISH that went on the wire. */
function publish(session: MqttSession, topic: string, alias?: number, qos: QoS = 0): IPublishPacket {
  const properties = alias === undefined ? undefined : { topicAlias: alias };
  const packets = sent(session.step(publishCommand(nextToken++, qos, topic, properties ? { properties } : {})));
  expect(packets).toHaveLength(1);
  return packets[0] as IPublishPacket;
}

/** `topic` or `topic, ta:N`, the notation of the MQTT.js README scenarios. */
function wire(packet: IPublishPacket): string {
  const alias = packet.properties?.topicAlias;
  return alias === undefined ? `'${packet.topic}'` : `'${packet.topic}', ta:${alias}`;
}

function publishes(outputs: SessionOutput[]): IPublishPacket[] {
  return sent(outputs).filter((p): p is IPublishPacket => p.cmd === 'publish');
}

describe('MqttSession outgoing topic aliases: the MQTT.js README scenarios', () => {
  it('autoUseTopicAlias uses the alias last registered for a topic (scenario 1-5)', () => {
    const session = aliasSession({ autoUseTopicAlias: true }, 10);
    expect(wire(publish(session, 't1', 1))).toBe("'t1', ta:1"); // 1. register
    expect(wire(publish(session, 't1'))).toBe("'', ta:1"); // 2. auto use existing map entry
    expect(wire(publish(session, 't2', 1))).toBe("'t2', ta:1"); // 3. register overwrite
    expect(wire(publish(session, 't2'))).toBe("'', ta:1"); // 4. auto use the recent map
    expect(wire(publish(session, 't1'))).toBe("'t1'"); // 5. t1 is no longer mapped to ta:1
  });

  it('autoAssignTopicAlias fills vacant aliases up to Topic Alias Maximum 3, then overwrites the least recently used', () => {
    const session = aliasSession({ autoAssignTopicAlias: true }, 3);
    const steps = ['t1', 't1', 't2', 't3', 't4'].map((topic) => wire(publish(session, topic)));
    expect(steps).toEqual(["'t1', ta:1", "'', ta:1", "'t2', ta:2", "'t3', ta:3", "'t4', ta:1"]);
  });

  it('autoAssignTopicAlias counts a use as recent, so the alias overwritten is the one unused longest', () => {
    const session = aliasSession({ autoAssignTopicAlias: true }, 3);
    for (const topic of ['t1', 't2', 't3']) publish(session, topic);
    expect(wire(publish(session, 't1'))).toBe("'', ta:1"); // t1 becomes the most recent
    expect(wire(publish(session, 't4'))).toBe("'t4', ta:2"); // t2's alias was the least recent
    expect(wire(publish(session, 't2'))).toBe("'t2', ta:3");
    expect(wire(publish(session, 't1'))).toBe("'', ta:1");
  });

  it('autoAssignTopicAlias works alongside manual registrations and skips the aliases they took', () => {
    const session = aliasSession({ autoAssignTopicAlias: true }, 3);
    expect(wire(publish(session, 'manual', 1))).toBe("'manual', ta:1");
    expect(wire(publish(session, 'a'))).toBe("'a', ta:2");
    expect(wire(publish(session, 'manual'))).toBe("'', ta:1");
  });
});

describe('MqttSession outgoing topic aliases set by hand', () => {
  it('registers an alias sent with a topic and resolves it for a later publish with an empty topic', () => {
    const session = aliasSession({}, 5);
    expect(wire(publish(session, 'sensors/1', 4, 1))).toBe("'sensors/1', ta:4");
    const packet = publish(session, '', 4, 1);
    expect(wire(packet)).toBe("'', ta:4");
    // The in-flight copy (what an outgoing store keeps) names the full topic and no alias.
    const stored = session.inflightPublish(packet.messageId as number);
    expect(stored?.topic).toBe('sensors/1');
    expect(stored?.properties).toBeUndefined();
  });

  it('uses no alias on its own without autoUseTopicAlias', () => {
    const session = aliasSession({}, 5);
    publish(session, 'a', 1);
    expect(wire(publish(session, 'a'))).toBe("'a'");
  });

  it('fails a publish with an empty topic and an alias this connection never registered with a TopicAliasError, sending nothing', () => {
    const session = aliasSession({ autoUseTopicAlias: true }, 5);
    const out = session.step(publishCommand(1, 1, '', { properties: { topicAlias: 2 } }));
    expect(trace(out)).toEqual(['settle:1!ERR_TOPIC_ALIAS']);
    const error = settles(out)[0]!.error as TopicAliasError;
    expect(error).toBeInstanceOf(TopicAliasError);
    expect(error.alias).toBe(2);
    expect([session.inflightCount, session.lastMessageId, session.status]).toEqual([0, null, 'connected']);
  });

  it.each([4, 5] as const)('fails a publish with an empty topic and no alias with a TopicAliasError (protocol level %i)', (protocolVersion) => {
    const session = connectedSession({ protocolVersion });
    expect(trace(session.step(publishCommand(1, 0, '')))).toEqual(['settle:1!ERR_TOPIC_ALIAS']);
  });

  it('keeps other PUBLISH properties on the wire and in flight, and only the alias out of the in-flight copy', () => {
    const session = aliasSession({}, 5);
    const userProperties = { k: 'v' };
    const out = session.step(publishCommand(1, 1, 'a', { properties: { topicAlias: 1, userProperties } }));
    const packet = publishes(out)[0]!;
    expect(packet.properties).toEqual({ topicAlias: 1, userProperties });
    expect(session.inflightPublish(packet.messageId as number)?.properties).toEqual({ userProperties });
  });
});

describe('MqttSession outgoing topic aliases without a broker Topic Alias Maximum', () => {
  it('refuses a manual alias when the CONNACK has no Topic Alias Maximum (absent means 0)', () => {
    const session = aliasSession({ autoAssignTopicAlias: true }, undefined);
    const out = session.step(publishCommand(1, 1, 'a', { properties: { topicAlias: 1 } }));
    expect(settles(out)[0]!.error).toBeInstanceOf(ServerCapabilityError);
    expect(sent(out)).toEqual([]);
  });

  it.each([undefined, 0])('sends full topics and no alias in the auto modes when Topic Alias Maximum is %p', (maximum) => {
    const session = aliasSession({ autoAssignTopicAlias: true, autoUseTopicAlias: true }, maximum);
    expect([publish(session, 'a'), publish(session, 'a')].map(wire)).toEqual(["'a'", "'a'"]);
  });

  it('ignores the auto modes before MQTT 5', () => {
    const session = connectedSession({ protocolVersion: 4, autoAssignTopicAlias: true }, connack(false, { properties: { topicAliasMaximum: 5 } }));
    expect([publish(session, 'a'), publish(session, 'a')].map(wire)).toEqual(["'a'", "'a'"]);
  });
});

describe('MqttSession outgoing topic aliases across connections [MQTT-3.3.2-7]', () => {
  it('starts every connection with an empty table: the first publish after a reconnect carries the full topic and registers again', () => {
    const session = aliasSession({ autoAssignTopicAlias: true }, 3);
    expect([publish(session, 't1'), publish(session, 't1')].map(wire)).toEqual(["'t1', ta:1", "'', ta:1"]);
    reconnect(session, false, { properties: { topicAliasMaximum: 3 } });
    expect([publish(session, 't1'), publish(session, 't1')].map(wire)).toEqual(["'t1', ta:1", "'', ta:1"]);
  });

  it('forgets manual aliases on reconnect: an empty topic with the old alias fails', () => {
    const session = aliasSession({}, 3, { clean: false });
    publish(session, 'a', 1);
    reconnect(session, true, { properties: { topicAliasMaximum: 3 } });
    expect(trace(session.step(publishCommand(99, 0, '', { properties: { topicAlias: 1 } })))).toEqual(['settle:99!ERR_TOPIC_ALIAS']);
  });

  it('bounds the new table by the new CONNACK: a broker that now announces no maximum gets no alias', () => {
    const session = aliasSession({ autoAssignTopicAlias: true }, 3);
    publish(session, 'a');
    reconnect(session, false);
    expect([publish(session, 'a'), publish(session, 'a')].map(wire)).toEqual(["'a'", "'a'"]);
  });

  it.each([true, false])('resends an in-flight QoS 1 publish sent by alias with its full topic and no alias (session present: %p)', (sessionPresent) => {
    const session = aliasSession({ autoAssignTopicAlias: true }, 3, { clean: false });
    publish(session, 't1', undefined, 1);
    const original = publish(session, 't1', undefined, 1);
    expect(wire(original)).toBe("'', ta:1");
    const resent = publishes(reconnect(session, sessionPresent, { properties: { topicAliasMaximum: 3 } }));
    expect(resent.map(wire)).toEqual(["'t1'", "'t1'"]);
    expect(resent.map((p) => [p.messageId, p.dup, p.properties])).toEqual([
      [1, sessionPresent, undefined],
      [2, sessionPresent, undefined],
    ]);
    // The resend registered nothing: the next publish of t1 assigns the alias afresh.
    expect(wire(publish(session, 't1'))).toBe("'t1', ta:1");
  });

  it('aliases a publish queued offline only when it goes out, against the new connection table', () => {
    const session = new MqttSession(options({ protocolVersion: 5, autoAssignTopicAlias: true }));
    session.step(publishCommand(1, 1, 'q'));
    session.step(publishCommand(2, 0, 'q'));
    session.step(publishCommand(3, 1, '', { properties: { topicAlias: 1 } }));
    session.step({ type: 'open' });
    const out = receive(session, connack(false, { properties: { topicAliasMaximum: 2 } }));
    expect(publishes(out).map(wire)).toEqual(["'q', ta:1", "'', ta:1", "'', ta:1"]);
    expect(session.inflightPublish(2)?.topic).toBe('q');
  });

  it('restores a stored PUBLISH without its alias and skips one stored by alias alone', () => {
    const session = new MqttSession(options({ protocolVersion: 5 }));
    const stored = (messageId: number, topic: string): IPublishPacket => ({
      cmd: 'publish', topic, payload: 'x', qos: 1, retain: false, dup: false, messageId, properties: { topicAlias: 1 },
    });
    session.step({ type: 'restore', packets: [stored(1, 'full'), stored(2, '')] });
    expect(session.inflightCount).toBe(1);
    session.step({ type: 'open' });
    const resent = publishes(receive(session, connack(false, { properties: { topicAliasMaximum: 2 } })));
    expect(resent.map(wire)).toEqual(["'full'"]);
    expect(resent[0]!.properties).toBeUndefined();
  });
});

/** The shell's report that the PUBLISH registering `alias` for `topic` was over the broker's Maximum Packet Size. */
function tooLarge(topic: string, alias: number): SessionInput {
  const packet = { cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 0, retain: false, dup: false, properties: { topicAlias: alias } } as Packet;
  return { type: 'unsendable', packet, error: new PacketTooLargeError(100, 50) };
}

describe('MqttSession outgoing topic aliases whose registering PUBLISH never reached the wire', () => {
  it('forgets the alias, and assigns the same vacant alias again on the next publish of the topic', () => {
    const session = aliasSession({ autoAssignTopicAlias: true }, 3);
    publish(session, 'a');
    expect(wire(publish(session, 'b'))).toBe("'b', ta:2");
    session.step(tooLarge('b', 2));
    expect(wire(publish(session, 'b'))).toBe("'b', ta:2");
    expect(wire(publish(session, 'b'))).toBe("'', ta:2");
  });

  it('keeps the alias when a later publish already registered it for another topic', () => {
    const session = aliasSession({}, 3);
    publish(session, 'a', 1);
    publish(session, 'b', 1);
    session.step(tooLarge('a', 1));
    expect(wire(publish(session, '', 1))).toBe("'', ta:1");
  });
});

describe('OutboundTopicAliases', () => {
  it('assigns nothing when the broker accepts no alias', () => {
    const table = new OutboundTopicAliases();
    table.reset(0);
    expect(table.assign('a')).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it('remaps a topic registered under a new alias and drops the mapping an overwrite replaces', () => {
    const table = new OutboundTopicAliases();
    table.reset(5);
    table.register(1, 'a');
    table.register(2, 'a');
    expect(table.aliasOf('a')).toBe(2);
    table.register(2, 'b');
    expect([table.aliasOf('a'), table.aliasOf('b'), table.topicOf(1), table.topicOf(2)]).toEqual([undefined, 2, 'a', 'b']);
  });

  it('never holds more aliases than the maximum', () => {
    const table = new OutboundTopicAliases();
    table.reset(4);
    for (let i = 0; i < 20; i++) expect(table.assign(`t${i}`)).toBe((i % 4) + 1);
    expect(table.size).toBe(4);
  });
});
