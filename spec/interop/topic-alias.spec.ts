// MQTT 5 outgoing topic aliases against a real mosquitto: the broker resolves what rxmqtt sends
// by alias (and would drop the connection with a Protocol Error on an alias it does not know), so
// a subscriber receiving every message under its full topic proves the alias table is right:
// vacant aliases first, then LRU overwrites, manual aliases, and a fresh table per connection.
import { filter, firstValueFrom, lastValueFrom, timeout } from 'rxjs';
import { connect, RxMqttClient, TopicAliasError, type ClientOptions, type IConnackPacket, type IPublishPacket, type MqttMessage, type Packet } from '../../lib/index.js';
import { resolveOptions } from '../../lib/options/options.js';
import { transportFor } from '../../lib/transport/select.js';
import { describeMosquitto } from '../helpers/mosquitto.js';
import { useMosquitto } from '../helpers/mosquitto-suite.js';
import { collect, HANG_DEADLINE_MS, once } from '../helpers/wait.js';

/** The broker's Topic Alias Maximum: small, so that a handful of topics overflows it. */
const MAX_TOPIC_ALIAS = 3;

/** `topic` or `topic, ta:N`, as in the MQTT.js README. */
function wire(packet: IPublishPacket): string {
  const alias = packet.properties?.topicAlias;
  return alias === undefined ? packet.topic : `${packet.topic}, ta:${alias}`;
}

function publishesOut(packets: Packet[]): IPublishPacket[] {
  return packets.filter((p): p is IPublishPacket => p.cmd === 'publish');
}

describeMosquitto('MQTT 5 outgoing topic aliases against mosquitto', () => {
  const base: ClientOptions = { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 };
  const suite = useMosquitto({ name: 'rxmqtt/alias', extraConfig: [`max_topic_alias ${MAX_TOPIC_ALIAS}`], clientDefaults: base });
  const facade = (options?: ClientOptions) => suite.client(options);

  async function rxClient(options: ClientOptions): Promise<RxMqttClient> {
    const resolved = resolveOptions(suite.broker.url, { ...base, ...options });
    const client = new RxMqttClient(resolved, transportFor(resolved));
    suite.track(() => client.end({ force: true }));
    const connected = firstValueFrom(client.state$.pipe(filter((s) => s.status === 'connected'), timeout(HANG_DEADLINE_MS)));
    client.connect();
    await connected;
    return client;
  }

  /** Subscribes to `${suite.prefix}/#` and, once the SUBACK arrived, gives the promise of the first `n` messages. */
  async function subscriber(n: number): Promise<{ arrived: Promise<MqttMessage[]> }> {
    const client = await facade();
    const suback = firstValueFrom(client.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), timeout(HANG_DEADLINE_MS)));
    const arrived = collect(client.topic(`${suite.prefix}/#`, { qos: 1 }), n);
    await suback;
    // Wrapped: an async function returning a bare promise would wait for the messages themselves.
    return { arrived };
  }

  it('announces the configured Topic Alias Maximum in its CONNACK', async () => {
    const client = connect(suite.broker.url, base);
    suite.track(() => client.endAsync(true));
    const [connack] = await once<[IConnackPacket]>(client, 'connect');
    expect(connack.properties?.topicAliasMaximum).toBe(MAX_TOPIC_ALIAS);
  });

  it('delivers every message published with autoAssignTopicAlias under its full topic, through LRU overwrites (RxMqttClient)', async () => {
    const topics = ['t1', 't1', 't2', 't3', 't4', 't2', 't1', 't5', 't4'].map((t) => `${suite.prefix}/${t}`);
    const { arrived } = await subscriber(topics.length);
    const publisher = await rxClient({ autoAssignTopicAlias: true });
    const out: Packet[] = [];
    publisher.packetsOut$.subscribe((packet) => out.push(packet));
    for (const [i, topic] of topics.entries()) {
      await lastValueFrom(publisher.publish$(topic, `m${i}`, { qos: 1 }).pipe(timeout(HANG_DEADLINE_MS)));
    }
    const messages = await arrived;

    expect(messages.map((m) => [m.topic, m.payload.toString()])).toEqual(topics.map((t, i) => [t, `m${i}`]));
    const p = (t: string) => `${suite.prefix}/${t}`;
    expect(publishesOut(out).map(wire)).toEqual([
      `${p('t1')}, ta:1`,
      ', ta:1',
      `${p('t2')}, ta:2`,
      `${p('t3')}, ta:3`,
      `${p('t4')}, ta:1`, // full: t1's alias was the least recently used
      ', ta:2',
      `${p('t1')}, ta:3`, // t3's alias is now the least recently used
      `${p('t5')}, ta:1`,
      `${p('t4')}, ta:2`,
    ]);
  });

  it('uses aliases through the MqttClient facade with autoAssignTopicAlias, as its packetsend events show', async () => {
    const topics = ['a', 'b', 'a', 'c', 'd', 'e', 'a'].map((t) => `${suite.prefix}/${t}`);
    const { arrived } = await subscriber(topics.length);
    const publisher = await facade({ autoAssignTopicAlias: true });
    const sent: IPublishPacket[] = [];
    publisher.on('packetsend', (packet: Packet) => packet.cmd === 'publish' && sent.push(packet));
    for (const [i, topic] of topics.entries()) await publisher.publishAsync(topic, `m${i}`, { qos: i % 3 === 0 ? 0 : 1 });

    const messages = await arrived;
    expect(messages.map((m) => [m.topic, m.payload.toString()])).toEqual(topics.map((t, i) => [t, `m${i}`]));
    expect(sent.map((p) => p.properties?.topicAlias)).toEqual([1, 2, 1, 3, 2, 1, 3]);
    expect(sent.filter((p) => p.topic === '')).toHaveLength(1); // the second 'a'; the last 'a' was overwritten meanwhile
    expect(sent.every((p) => (p.properties?.topicAlias ?? 0) <= MAX_TOPIC_ALIAS)).toBe(true);
  });

  it('registers a manual alias and publishes by alias alone with autoUseTopicAlias, through the facade', async () => {
    const { arrived } = await subscriber(3);
    const publisher = await facade({ autoUseTopicAlias: true });
    const sent: IPublishPacket[] = [];
    publisher.on('packetsend', (packet: Packet) => packet.cmd === 'publish' && sent.push(packet));
    await publisher.publishAsync(`${suite.prefix}/manual`, 'one', { qos: 1, properties: { topicAlias: 2 } });
    await publisher.publishAsync('', 'two', { qos: 1, properties: { topicAlias: 2 } });
    await publisher.publishAsync(`${suite.prefix}/manual`, 'three', { qos: 1 });

    expect((await arrived).map((m) => [m.topic, m.payload.toString()])).toEqual([
      [`${suite.prefix}/manual`, 'one'],
      [`${suite.prefix}/manual`, 'two'],
      [`${suite.prefix}/manual`, 'three'],
    ]);
    expect(sent.map(wire)).toEqual([`${suite.prefix}/manual, ta:2`, ', ta:2', ', ta:2']);
  });

  it('fails a publish naming an unregistered alias with a TopicAliasError and stays connected', async () => {
    const publisher = await facade();
    const error = await publisher.publishAsync('', 'x', { qos: 1, properties: { topicAlias: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicAliasError);
    expect(error).toMatchObject({ code: 'ERR_TOPIC_ALIAS', alias: 1 });
    await publisher.publishAsync(`${suite.prefix}/after`, 'ok', { qos: 1 });
    expect(publisher.connected).toBe(true);
  });

  it('starts over with an empty alias table after a reconnect: the broker resolves every publish', async () => {
    const { arrived } = await subscriber(4);
    const publisher = await facade({ autoAssignTopicAlias: true, reconnectPeriod: 100 });
    const sent: IPublishPacket[] = [];
    publisher.on('packetsend', (packet: Packet) => packet.cmd === 'publish' && sent.push(packet));
    await publisher.publishAsync(`${suite.prefix}/r`, 'm0', { qos: 1 });
    await publisher.publishAsync(`${suite.prefix}/r`, 'm1', { qos: 1 });
    const reconnected = once(publisher, 'connect');
    publisher.reconnect();
    await reconnected;
    await publisher.publishAsync(`${suite.prefix}/r`, 'm2', { qos: 1 });
    await publisher.publishAsync(`${suite.prefix}/r`, 'm3', { qos: 1 });

    expect((await arrived).map((m) => [m.topic, m.payload.toString()])).toEqual(['m0', 'm1', 'm2', 'm3'].map((m) => [`${suite.prefix}/r`, m]));
    expect(sent.map(wire)).toEqual([`${suite.prefix}/r, ta:1`, ', ta:1', `${suite.prefix}/r, ta:1`, ', ta:1']);
  });
});
