// Subscription Identifier routing and shared subscriptions against a real mosquitto. mosquitto 2
// sends one copy of a message per matching subscription, each naming its subscription's id, so
// these tests count copies: publish N messages, then a fence message each client also listens
// to; a connection delivers in order, so once the fence arrived every earlier copy did too.
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import type { ISubscribePacket } from '../../lib/protocol/codec.js';
import { type ClientOptions, type MqttClient, type Packet } from '../../lib/index.js';
import { describeMosquitto } from '../helpers/mosquitto.js';
import { useMosquitto } from '../helpers/mosquitto-suite.js';
import { HANG_DEADLINE_MS, once } from '../helpers/wait.js';

const N = 20;

/** Resolves once the client is connected, within 3 s. */
/** A stream's payloads as they arrive, and a way to stop it. */
interface Counted {
  payloads: string[];
  stop(): void;
}

/** Subscribes `client.topic(filter)` and resolves with its payload log once its SUBACK arrived. */
async function counted(client: MqttClient, topicFilter: string): Promise<Counted> {
  const suback = firstValueFrom(client.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), timeout(HANG_DEADLINE_MS)));
  const payloads: string[] = [];
  const subscription = client.topic(topicFilter, { qos: 1 }).subscribe((m) => payloads.push(m.payload.toString()));
  await suback;
  return { payloads, stop: () => subscription.unsubscribe() };
}

describeMosquitto('Subscription Identifiers and shared subscriptions against mosquitto', () => {
  const suite = useMosquitto({ name: 'rxmqtt/sid' });
  const client = (options?: ClientOptions) => suite.client(options);

  /** Subscribes a fence stream on every client; `pass()` publishes the fence and waits for all. */
  async function fence(publisher: MqttClient, listeners: MqttClient[]): Promise<() => Promise<void>> {
    const topic = `${suite.prefix}/fence`;
    for (const listener of listeners) await counted(listener, topic);
    let round = 0;
    return async () => {
      const payload = `fence ${++round}`;
      const arrived = listeners.map((listener) =>
        firstValueFrom(listener.messages$.pipe(filter((m) => m.topic === topic && m.payload.toString() === payload), timeout(HANG_DEADLINE_MS))),
      );
      await publisher.publishAsync(topic, payload, { qos: 1 });
      await Promise.all(arrived);
    };
  }

  async function publishMany(publisher: MqttClient, topic: string, from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i++) await publisher.publishAsync(topic, String(i), { qos: 1 });
  }

  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => String(from + i));

  describe('over MQTT 5', () => {
    it('gives overlapping a/+, a/b and a/# streams exactly one copy of each message, with a distinct identifier per SUBSCRIBE', async () => {
      const subscriber = await client();
      const publisher = await client();
      const subscribes: ISubscribePacket[] = [];
      subscriber.packetsOut$.subscribe((p: Packet) => p.cmd === 'subscribe' && subscribes.push(p));
      const copies: number[] = [];
      subscriber.messages$.subscribe((m) => m.topic === `${suite.prefix}/a/b` && copies.push(1));
      const plus = await counted(subscriber, `${suite.prefix}/a/+`);
      const exact = await counted(subscriber, `${suite.prefix}/a/b`);
      const hash = await counted(subscriber, `${suite.prefix}/a/#`);
      const pass = await fence(publisher, [subscriber]);

      await publishMany(publisher, `${suite.prefix}/a/b`, 0, N);
      await pass();

      expect(plus.payloads).toEqual(range(0, N));
      expect(exact.payloads).toEqual(range(0, N));
      expect(hash.payloads).toEqual(range(0, N));
      // mosquitto did send three copies of each (one per subscription): routing is what deduplicates.
      expect(copies).toHaveLength(3 * N);
      const ids = subscribes.map((p) => p.properties?.subscriptionIdentifier);
      expect(ids.every((id) => typeof id === 'number')).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('still gives the other streams exactly one copy after one of them unsubscribed', async () => {
      const subscriber = await client();
      const publisher = await client();
      const plus = await counted(subscriber, `${suite.prefix}/a/+`);
      const exact = await counted(subscriber, `${suite.prefix}/a/b`);
      const hash = await counted(subscriber, `${suite.prefix}/a/#`);
      const pass = await fence(publisher, [subscriber]);
      await publishMany(publisher, `${suite.prefix}/a/b`, 0, N);
      await pass();

      const unsuback = firstValueFrom(subscriber.packetsIn$.pipe(filter((p) => p.cmd === 'unsuback'), timeout(HANG_DEADLINE_MS)));
      exact.stop();
      await unsuback;
      await publishMany(publisher, `${suite.prefix}/a/b`, N, N);
      await pass();

      expect(exact.payloads).toEqual(range(0, N));
      expect(plus.payloads).toEqual(range(0, 2 * N));
      expect(hash.payloads).toEqual(range(0, 2 * N));
    });

    it('re-sends the same identifiers when it resubscribes after a reconnect without a session, and still routes exactly once', async () => {
      const subscriber = await client({ clean: true });
      const publisher = await client();
      const subscribes: ISubscribePacket[] = [];
      subscriber.packetsOut$.subscribe((p: Packet) => p.cmd === 'subscribe' && subscribes.push(p));
      const plus = await counted(subscriber, `${suite.prefix}/a/+`);
      const exact = await counted(subscriber, `${suite.prefix}/a/b`);
      const pass = await fence(publisher, [subscriber]);
      const idOf = (packets: ISubscribePacket[]) =>
        new Map(packets.flatMap((p) => p.subscriptions.map((s) => [s.topic, p.properties?.subscriptionIdentifier] as const)));
      const before = idOf(subscribes.splice(0));

      // One SUBSCRIBE per identifier (a/+, a/b and the fence): three SUBACKs.
      const resubscribed = firstValueFrom(subscriber.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), take(3), toArray(), timeout(HANG_DEADLINE_MS)));
      const reconnected = once(subscriber, 'connect');
      subscriber.reconnect();
      const [connack] = await reconnected;
      expect(connack.sessionPresent).toBe(false);
      await resubscribed;
      await publishMany(publisher, `${suite.prefix}/a/b`, 0, N);
      await pass();

      expect(idOf(subscribes)).toEqual(before);
      expect(plus.payloads).toEqual(range(0, N));
      expect(exact.payloads).toEqual(range(0, N));
    });

    it('gives the streams one copy each while a subscribe() without identifier overlaps them, and one message event per copy', async () => {
      const subscriber = await client();
      const publisher = await client();
      const plus = await counted(subscriber, `${suite.prefix}/a/+`);
      await subscriber.subscribeAsync(`${suite.prefix}/#`, { qos: 1 });
      const events: string[] = [];
      subscriber.on('message', (topic: string) => topic === `${suite.prefix}/a/b` && events.push(topic));
      const pass = await fence(publisher, [subscriber]);

      await publishMany(publisher, `${suite.prefix}/a/b`, 0, N);
      await pass();

      expect(plus.payloads).toEqual(range(0, N));
      // MQTT.js behaviour: one 'message' event per PUBLISH received, two copies per message here.
      expect(events).toHaveLength(2 * N);
    });

    it('keeps a stream whose filter subscribe() subscribed again: the broker replaced its subscription, identifier and all', async () => {
      const subscriber = await client();
      const publisher = await client();
      const plus = await counted(subscriber, `${suite.prefix}/a/+`);
      const hash = await counted(subscriber, `${suite.prefix}/a/#`);
      await subscriber.subscribeAsync(`${suite.prefix}/a/+`, { qos: 1 });
      const pass = await fence(publisher, [subscriber]);

      await publishMany(publisher, `${suite.prefix}/a/b`, 0, N);
      await pass();

      expect(plus.payloads).toEqual(range(0, N));
      expect(hash.payloads).toEqual(range(0, N));
    });
  });

  it('routes by topic over MQTT 3.1.1, sending no identifiers', async () => {
    const subscriber = await client({ protocolVersion: 4 });
    const publisher = await client({ protocolVersion: 4 });
    const subscribes: ISubscribePacket[] = [];
    subscriber.packetsOut$.subscribe((p: Packet) => p.cmd === 'subscribe' && subscribes.push(p));
    const copies: number[] = [];
    subscriber.messages$.subscribe((m) => m.topic === `${suite.prefix}/a/b` && copies.push(1));
    const plus = await counted(subscriber, `${suite.prefix}/a/+`);
    const hash = await counted(subscriber, `${suite.prefix}/a/#`);
    const pass = await fence(publisher, [subscriber]);

    await publishMany(publisher, `${suite.prefix}/a/b`, 0, N);
    await pass();

    expect(subscribes.map((p) => p.properties)).toEqual([undefined, undefined, undefined]);
    // Over 3.1.1 mosquitto sends one copy per client: topic routing hands it to every matching stream.
    expect(copies).toHaveLength(N);
    expect(plus.payloads).toEqual(range(0, N));
    expect(hash.payloads).toEqual(range(0, N));
  });

  describe('shared subscriptions', () => {
    it('splits 300 QoS 1 messages between three clients of $share/g/load/+, each exactly once, while a plain subscriber gets all', async () => {
      const group = [await client(), await client(), await client()];
      const plainClient = await client();
      const publisher = await client();
      const shares = [];
      for (const member of group) shares.push(await counted(member, `$share/g/${suite.prefix}/load/+`));
      const plain = await counted(plainClient, `${suite.prefix}/load/+`);
      const pass = await fence(publisher, [...group, plainClient]);

      const total = 300;
      for (let i = 0; i < total; i++) await publisher.publishAsync(`${suite.prefix}/load/${i % 7}`, String(i), { qos: 1 });
      await pass();

      const received = shares.flatMap((s) => s.payloads);
      expect(received).toHaveLength(total);
      expect(new Set(received)).toEqual(new Set(range(0, total)));
      for (const share of shares) expect(share.payloads.length).toBeGreaterThan(0);
      expect(plain.payloads).toEqual(range(0, total));
    });

    it('routes copies for a shared and a plain subscription of one client to their own streams', async () => {
      const subscriber = await client();
      const publisher = await client();
      const shared = await counted(subscriber, `$share/g/${suite.prefix}/load/+`);
      const plain = await counted(subscriber, `${suite.prefix}/load/+`);
      const pass = await fence(publisher, [subscriber]);

      await publishMany(publisher, `${suite.prefix}/load/x`, 0, N);
      await pass();

      expect(shared.payloads).toEqual(range(0, N));
      expect(plain.payloads).toEqual(range(0, N));
    });
  });
});
