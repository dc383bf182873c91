/**
 * topic() streams and the broker's Subscription Identifiers Available (CONNACK), through the real
 * client wiring: identifiers when the broker supports them, none (and topic routing) when it
 * says it does not, also for a stream opened before the CONNACK arrived.
 */
import type { ISubscribePacket } from '../../lib/protocol/codec.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import { connected, flush, type Harness } from './harness.js';

const withoutIdentifiers = {
  autoConnack: { sessionPresent: false, reasonCode: 0, properties: { subscriptionIdentifiersAvailable: false } },
};

function publish(h: Harness, topic: string, subscriptionIdentifier?: number): void {
  const properties = subscriptionIdentifier === undefined ? undefined : { subscriptionIdentifier };
  h.broker.last.reply({ cmd: 'publish', topic, payload: Buffer.from('m'), qos: 0, retain: false, dup: false, properties });
}

function suback(h: Harness, packet: ISubscribePacket): void {
  h.broker.last.reply({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(() => 0) });
}

describe('topic() and Subscription Identifiers', () => {
  it('sends an identifier per filter and routes copies by it when the CONNACK says nothing about them', async () => {
    const h = await connected({ client: { protocolVersion: 5 } });
    const plus: MqttMessage[] = [];
    const exact: MqttMessage[] = [];
    const all: MqttMessage[] = [];
    h.client.messages$.subscribe((m) => all.push(m));
    h.client.topic('a/+').subscribe((m) => plus.push(m));
    h.client.topic('a/b').subscribe((m) => exact.push(m));
    await flush();
    const subscribes = h.broker.last.packets('subscribe');
    expect(subscribes.map((p) => p.properties?.subscriptionIdentifier)).toEqual([1, 2]);
    for (const packet of subscribes) suback(h, packet);
    publish(h, 'a/b', 1);
    publish(h, 'a/b', 2);
    publish(h, 'a/b'); // a copy for a subscription without identifier: none of these streams'
    await flush();
    expect([plus.length, exact.length, all.length]).toEqual([1, 1, 3]);
  });

  it('sends no identifier and routes by topic when the CONNACK says Subscription Identifiers Available = 0', async () => {
    const h = await connected({ client: { protocolVersion: 5 }, broker: withoutIdentifiers });
    const plus: MqttMessage[] = [];
    h.client.topic('a/+').subscribe((m) => plus.push(m));
    await flush();
    expect(h.broker.last.packets('subscribe').map((p) => p.properties)).toEqual([undefined]);
    publish(h, 'a/b');
    await flush();
    expect(plus).toHaveLength(1);
  });

  it('subscribes without identifier a stream opened before a CONNACK that rules them out, and the stream works', async () => {
    const h = await connected({ client: { protocolVersion: 5 }, broker: withoutIdentifiers, connect: false });
    const plus: MqttMessage[] = [];
    const errors: unknown[] = [];
    h.client.topic('a/+').subscribe({ next: (m) => plus.push(m), error: (e: unknown) => errors.push(e) });
    h.client.connect();
    await flush();
    expect(h.broker.last.packets('subscribe').map((p) => p.properties)).toEqual([undefined]);
    publish(h, 'a/b');
    await flush();
    expect(errors).toEqual([]);
    expect(plus).toHaveLength(1);
  });

  it('sends no identifier over MQTT 3.1.1', async () => {
    const h = await connected({ client: { protocolVersion: 4 } });
    h.client.topic('a/+').subscribe();
    await flush();
    expect(h.broker.last.packets('subscribe').map((p) => p.properties)).toEqual([undefined]);
  });

  it('resubscribes without identifiers after a reconnect to a broker that has none, and every stream goes on by topic', async () => {
    // The first connection's broker supports identifiers, the next one (a failover, say) does not.
    const h = await connected({
      client: { protocolVersion: 5, reconnectPeriod: 1000, keepalive: 0 },
      broker: {
        autoConnack: (_connect, connection) => ({
          cmd: 'connack',
          sessionPresent: false,
          reasonCode: 0,
          properties: connection.index === 0 ? {} : { subscriptionIdentifiersAvailable: false },
        }),
      },
    });
    const plus: MqttMessage[] = [];
    const exact: MqttMessage[] = [];
    h.client.topic('a/+').subscribe((m) => plus.push(m));
    h.client.topic('a/b').subscribe((m) => exact.push(m));
    await flush();
    for (const packet of h.broker.last.packets('subscribe')) suback(h, packet);
    h.broker.last.close();
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    const resubscribes = h.broker.last.packets('subscribe');
    expect(resubscribes.flatMap((p) => p.subscriptions.map((s) => s.topic)).sort()).toEqual(['a/+', 'a/b']);
    // One SUBSCRIBE for both, as for any filters without properties, and no identifier in it.
    expect(resubscribes).toHaveLength(1);
    expect(resubscribes[0].properties).toBeUndefined();
    for (const packet of resubscribes) suback(h, packet);
    expect(h.errors()).toEqual([]);
    publish(h, 'a/b');
    await flush();
    expect([plus.length, exact.length]).toEqual([1, 1]);
  });
});
