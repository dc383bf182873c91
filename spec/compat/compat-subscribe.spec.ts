// MQTT.js's subscribe and status details on the facade (MQTT.js test/node/abstract_client.ts,
// client_mqtt5.ts): subscribeBatchSize, the subscribe callback's grants and SUBACK, `disconnecting`
// after end(), and `options.keepalive` after a Server Keep Alive.
import type { MqttClient } from '../../lib/compat/compat.js';
import type { ISubscriptionGrant } from '../../lib/compat/compat-types.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import type { ISubackPacket, ISubscribePacket, Packet } from '../../lib/protocol/codec.js';
import type { ScriptedBrokerOptions, ScriptedConnection } from '../helpers/scripted-broker.js';
import { flush } from '../helpers/virtual-clock.js';
import { once } from '../helpers/wait.js';
import { connected, useAedes } from '../integration/support.js';
import { scriptedFacade } from '../helpers/scripted-facade.js';

function facade(options: ClientOptions = {}, brokerOptions: ScriptedBrokerOptions = { autoConnack: true }) {
  return scriptedFacade({ clientId: 'compat', ...options }, { protocolVersion: 4, ...brokerOptions });
}

function subscribes(connection: ScriptedConnection): ISubscribePacket[] {
  return connection.received.filter((packet): packet is ISubscribePacket => packet.cmd === 'subscribe');
}

/** Answers every SUBSCRIBE not answered yet, granting the QoS asked for. */
function grantAll(connection: ScriptedConnection, answered = new Set<number>()): ISubackPacket[] {
  const subacks: ISubackPacket[] = [];
  for (const packet of subscribes(connection)) {
    if (answered.has(packet.messageId as number)) continue;
    answered.add(packet.messageId as number);
    const suback: ISubackPacket = { cmd: 'suback', messageId: packet.messageId as number, granted: packet.subscriptions.map((sub) => sub.qos) };
    connection.reply(suback);
    subacks.push(suback);
  }
  return subacks;
}

type SubscribeOutcome = { error: Error | null; granted?: ISubscriptionGrant[]; suback?: ISubackPacket; calls: number };

function subscribeWith(client: MqttClient, call: (cb: (error: Error | null, granted?: ISubscriptionGrant[], suback?: ISubackPacket) => void) => void): SubscribeOutcome {
  const outcome: SubscribeOutcome = { error: null, calls: 0 };
  call((error, granted, suback) => Object.assign(outcome, { error, granted, suback, calls: outcome.calls + 1 }));
  return outcome;
}

describe('subscribe on the MQTT.js facade', () => {
  describe('subscribeBatchSize', () => {
    it('sends a subscribe of more filters as SUBSCRIBE packets of at most that many, and calls back once with every grant and the last SUBACK', async () => {
      const { client, broker } = facade({ subscribeBatchSize: 2 });
      await flush();
      const outcome = subscribeWith(client, (cb) => client.subscribe(['t/1', 't/2', 't/3'], { qos: 1 }, cb));
      await flush();
      expect(subscribes(broker.last).map((packet) => packet.subscriptions.map((sub) => sub.topic))).toEqual([['t/1', 't/2'], ['t/3']]);
      const subacks = grantAll(broker.last);
      await flush();
      expect(outcome).toMatchObject({ error: null, granted: [{ topic: 't/1', qos: 1 }, { topic: 't/2', qos: 1 }, { topic: 't/3', qos: 1 }], calls: 1 });
      expect(outcome.granted?.[0]).toEqual({ topic: 't/1', qos: 1 });
      expect(outcome.suback).toMatchObject(subacks.at(-1)!);
    });

    it('batches the automatic resubscribe after a reconnect without a session too', async () => {
      const { client, broker, clock } = facade({ subscribeBatchSize: 2 });
      await flush();
      client.subscribe({ 'r/1': 0, 'r/2': 1, 'r/3': 2 });
      await flush();
      grantAll(broker.last);
      await flush();
      broker.last.close();
      await clock.advance(1000);
      expect(subscribes(broker.last).map((packet) => packet.subscriptions.map((sub) => `${sub.topic}@${sub.qos}`))).toEqual([['r/1@0', 'r/2@1'], ['r/3@2']]);
    });

    it("takes null as no limit, as MQTT.js's default", async () => {
      const { client, broker } = facade({ subscribeBatchSize: null });
      await flush();
      client.subscribe(['n/1', 'n/2', 'n/3']);
      await flush();
      expect(subscribes(broker.last)).toHaveLength(1);
    });

    it.each([0, -1, 1.5, 'eight'])('refuses %p at the constructor', (size) => {
      expect(() => facade({ subscribeBatchSize: size as number })).toThrow(/subscribeBatchSize/);
    });

    describe('against aedes', () => {
      const fixture = useAedes();

      it('gets every filter of one subscribe() granted through several SUBSCRIBE packets', async () => {
        const f = fixture();
        const seen: string[][] = [];
        f.aedes.broker.on('subscribe', (subscriptions: Array<{ topic: string }>) => seen.push(subscriptions.map((sub) => sub.topic)));
        const client = await connected(f.rx('in-memory', { subscribeBatchSize: 2 }));
        const granted = await client.subscribeAsync(['b/1', 'b/2', 'b/3', 'b/4', 'b/5'], { qos: 1 });
        expect(granted.map((grant) => `${grant.topic}@${grant.qos}`)).toEqual(['b/1@1', 'b/2@1', 'b/3@1', 'b/4@1', 'b/5@1']);
        expect(seen).toEqual([['b/1', 'b/2'], ['b/3', 'b/4'], ['b/5']]);
        const message = once(client, 'message');
        await client.publishAsync('b/5', 'last batch', { qos: 1 });
        expect(String((await message)[1])).toBe('last batch');
      });
    });
  });

  describe("the callback's grants and SUBACK", () => {
    it('passes the SUBACK as the third argument, and MQTT 3.1.1 grants as { topic, qos }', async () => {
      const { client, broker } = facade();
      await flush();
      const outcome = subscribeWith(client, (cb) => client.subscribe('g/1', { qos: 2 }, cb));
      await flush();
      const [suback] = grantAll(broker.last);
      await flush();
      expect(outcome).toMatchObject({ error: null, calls: 1 });
      expect(outcome.granted).toEqual([{ topic: 'g/1', qos: 2 }]);
      expect(outcome.suback).toMatchObject(suback!);
    });

    it('gives MQTT 5 grants the nl, rap and rh the filter went out with (defaults included) and the SUBSCRIBE properties', async () => {
      const { client, broker } = facade({ protocolVersion: 5 }, { protocolVersion: 5, autoConnack: true });
      await flush();
      const properties = { userProperties: { app: 'x' } };
      const outcome = subscribeWith(client, (cb) => client.subscribe({ 'g/1': { qos: 1, nl: true, rh: 2 }, 'g/2': 0 }, { properties }, cb));
      await flush();
      const [suback] = grantAll(broker.last);
      await flush();
      expect(outcome.granted).toEqual([
        { topic: 'g/1', qos: 1, nl: true, rap: false, rh: 2, properties },
        { topic: 'g/2', qos: 0, nl: false, rap: false, rh: 0, properties },
      ]);
      expect(outcome.suback).toMatchObject(suback!);
    });

    it('passes the refusing SUBACK with the error when the broker refuses a filter', async () => {
      const { client, broker } = facade({ protocolVersion: 5 }, { protocolVersion: 5, autoConnack: true });
      await flush();
      const outcome = subscribeWith(client, (cb) => client.subscribe('$SYS/#', cb));
      await flush();
      const suback: ISubackPacket = { cmd: 'suback', messageId: subscribes(broker.last)[0]!.messageId as number, granted: [0x87] };
      broker.last.reply(suback);
      await flush();
      expect(outcome.error).toMatchObject({ reasonCode: 0x87 });
      expect(outcome.granted).toEqual([{ topic: '$SYS/#', qos: 0x87, nl: false, rap: false, rh: 0 }]);
      expect(outcome.suback).toMatchObject(suback!);
    });
  });
});

describe('the MQTT.js status booleans after end()', () => {
  it('keeps disconnecting true once end() is done, as MQTT.js does for a client that reconnects by itself', async () => {
    const { client } = facade({ reconnectPeriod: 1000 });
    await flush();
    await client.endAsync();
    expect(client.disconnecting).toBe(true);
    expect(client.disconnected).toBe(true);
  });

  it.each<[string, ClientOptions]>([
    ['reconnectPeriod 0', { reconnectPeriod: 0 }],
    ['manualConnect', { manualConnect: true }],
  ])('clears disconnecting once end() is done with %s, as MQTT.js does', async (_name, options) => {
    const { client } = facade(options);
    if (options.manualConnect) client.connect();
    await flush();
    await client.endAsync();
    expect(client.disconnecting).toBe(false);
  });

  it('clears disconnecting and disconnected when reconnect() follows end()', async () => {
    const { client } = facade();
    await flush();
    await client.endAsync();
    client.reconnect();
    expect(client.disconnecting).toBe(false);
    expect(client.disconnected).toBe(false);
    await flush();
    expect(client.connected).toBe(true);
  });
});

describe('options.keepalive and the MQTT 5 Server Keep Alive', () => {
  const v5 = { protocolVersion: 5 } as const;

  it("reads the CONNACK's Server Keep Alive on 'connect', and pings at that interval [MQTT-3.2.2-21]", async () => {
    const { client, broker, clock } = facade({ ...v5, keepalive: 60 }, { ...v5, autoPingresp: true, autoConnack: { properties: { serverKeepAlive: 16 } } });
    const seen: number[] = [];
    client.on('connect', () => seen.push(client.options.keepalive));
    await flush();
    expect(seen).toEqual([16]);
    await clock.advance(16_000);
    expect(broker.last.received.map((packet: Packet) => packet.cmd)).toEqual(['connect', 'pingreq']);
  });

  it('goes back to the keepalive asked for on a connection whose CONNACK has none, and every CONNECT asks for that one', async () => {
    let connacks = 0;
    const { client, broker, clock } = facade({ ...v5, keepalive: 60 }, {
      ...v5,
      autoConnack: () => ({ cmd: 'connack', sessionPresent: false, reasonCode: 0, ...(connacks++ === 0 ? { properties: { serverKeepAlive: 16 } } : {}) }),
    });
    await flush();
    expect(client.options.keepalive).toBe(16);
    broker.last.close();
    await clock.advance(1000);
    expect(client.connected).toBe(true);
    expect(client.options.keepalive).toBe(60);
    expect(broker.connections.map((connection) => (connection.received[0] as { keepalive?: number }).keepalive)).toEqual([60, 60]);
  });
});

describe("an inbound message named by an MQTT 5 Topic Alias on the 'message' event", () => {
  it("gives the full topic as the event's topic, and the packet as received: empty topic, Topic Alias kept", async () => {
    const v5 = { protocolVersion: 5 } as const;
    const { client, broker } = facade({ ...v5, properties: { topicAliasMaximum: 3 } }, { ...v5, autoConnack: true });
    const seen: Array<[string, string, number | undefined]> = [];
    client.on('message', (topic, _payload, packet) => seen.push([topic, packet.topic, packet.properties?.topicAlias]));
    const streamed: Array<[string, string]> = [];
    client.messages$.subscribe((message) => streamed.push([message.topic, message.packet.topic]));
    await flush();
    const publish = (topic: string) => ({ cmd: 'publish' as const, topic, payload: Buffer.from('m'), qos: 0 as const, retain: false, dup: false, properties: { topicAlias: 1 } });
    broker.last.reply(publish('test1'), publish(''), publish('test2'), publish(''));
    await flush();
    expect(seen).toEqual([
      ['test1', 'test1', 1],
      ['test1', '', 1],
      ['test2', 'test2', 1],
      ['test2', '', 1],
    ]);
    expect(streamed).toEqual([['test1', 'test1'], ['test1', ''], ['test2', 'test2'], ['test2', '']]);
  });

  it('gives customHandleAcks and topic() streams the full topic', async () => {
    const v5 = { protocolVersion: 5 } as const;
    const acked: string[] = [];
    const { client, broker } = facade(
      { ...v5, properties: { topicAliasMaximum: 3 }, customHandleAcks: (topic, _payload, _packet, done) => (acked.push(topic), done(null, 0)) },
      // No Subscription Identifiers: the stream takes messages by topic.
      { ...v5, autoConnack: { properties: { subscriptionIdentifiersAvailable: false } } },
    );
    const routed: string[] = [];
    client.topic('alias/#').subscribe((message) => routed.push(message.topic));
    await flush();
    grantAll(broker.last);
    const publish = (topic: string, messageId: number) => ({ cmd: 'publish' as const, topic, payload: Buffer.from('m'), qos: 1 as const, messageId, retain: false, dup: false, properties: { topicAlias: 2 } });
    broker.last.reply(publish('alias/a', 1), publish('', 2));
    await flush();
    expect(acked).toEqual(['alias/a', 'alias/a']);
    expect(routed).toEqual(['alias/a', 'alias/a']);
    expect(broker.last.received.filter((packet) => packet.cmd === 'puback').map((packet) => packet.messageId)).toEqual([1, 2]);
  });
});
