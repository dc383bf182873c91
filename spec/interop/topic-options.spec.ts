// topic() options over MQTT 5 against a real mosquitto (aedes speaks 3.1.1 only): a QoS upgrade
// keeps the route's Subscription Identifier and sends Retain Handling 1, so streams already open
// get no second copy of the retained messages; replay with Retain As Published follows live
// retained publishes and their clearing.
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import type { ISubscribePacket } from '../../lib/protocol/codec.js';
import { connect, json, type MqttClient, type MqttMessage, type Packet } from '../../lib/index.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { HANG_DEADLINE_MS, once } from '../helpers/wait.js';

describeMosquitto('topic() options against mosquitto over MQTT 5', () => {
  let broker: MosquittoHandle;
  let clients: MqttClient[] = [];
  let testNumber = 0;
  let prefix = '';

  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });
  beforeEach(() => {
    prefix = `rxmqtt/${process.pid}/opts/${++testNumber}`;
  });
  afterEach(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    clients = [];
  });

  async function client(): Promise<MqttClient> {
    const made = connect(broker.url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 });
    clients.push(made);
    if (!made.connected) await once(made, 'connect');
    return made;
  }

  const nextSuback = (c: MqttClient) => firstValueFrom(c.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), timeout(HANG_DEADLINE_MS)));
  /** The next message on `topic` whose payload is `payload` (a fence: a connection delivers in order). */
  const arrival = (c: MqttClient, topic: string, payload: string) =>
    firstValueFrom(c.messages$.pipe(filter((m) => m.topic === topic && m.payload.toString() === payload), timeout(HANG_DEADLINE_MS)));

  it('raises the QoS with the same identifier and Retain Handling 1: no retained duplicate, one copy per stream at QoS 2', async () => {
    const subscriber = await client();
    const publisher = await client();
    const topic = `${prefix}/t`;
    await publisher.publishAsync(topic, 'retained', { qos: 1, retain: true });
    const subscribes: ISubscribePacket[] = [];
    subscriber.packetsOut$.subscribe((p: Packet) => p.cmd === 'subscribe' && subscribes.push(p));
    const low: MqttMessage[] = [];
    const high: MqttMessage[] = [];
    let suback = nextSuback(subscriber);
    const retained = arrival(subscriber, topic, 'retained');
    subscriber.topic(`${prefix}/+`, { qos: 0 }).subscribe((m) => low.push(m));
    await suback;
    await retained;
    suback = nextSuback(subscriber);
    subscriber.topic(`${prefix}/+`, { qos: 2 }).subscribe((m) => high.push(m));
    await suback;
    const live = arrival(subscriber, topic, 'live');
    await publisher.publishAsync(topic, 'live', { qos: 2 });
    await live;

    expect(subscribes.map((p) => p.properties?.subscriptionIdentifier)).toEqual([1, 1]);
    expect(subscribes.map((p) => [p.subscriptions[0]?.qos, p.subscriptions[0]?.rh ?? 0])).toEqual([[0, 0], [2, 1]]);
    expect(low.map((m) => m.payload.toString())).toEqual(['retained', 'live']);
    expect(high.map((m) => [m.payload.toString(), m.qos])).toEqual([['live', 2]]);
  });

  it('replays the retained messages a rap: true route saw, updated and cleared by live retained publishes', async () => {
    const subscriber = await client();
    const publisher = await client();
    const suback = nextSuback(subscriber);
    subscriber.topic(`${prefix}/+`, { replay: 'retained', rap: true }).subscribe();
    await suback;
    const fence = arrival(subscriber, `${prefix}/fence`, 'done');
    await publisher.publishAsync(`${prefix}/a`, 'a1', { qos: 1, retain: true });
    await publisher.publishAsync(`${prefix}/b`, 'b1', { qos: 1, retain: true });
    await publisher.publishAsync(`${prefix}/a`, 'a2', { qos: 1, retain: true });
    await publisher.publishAsync(`${prefix}/b`, '', { qos: 1, retain: true });
    await publisher.publishAsync(`${prefix}/a`, 'not retained', { qos: 1 });
    await publisher.publishAsync(`${prefix}/fence`, 'done', { qos: 1 });
    await fence;

    const replayed: string[] = [];
    subscriber.topic(`${prefix}/+`, { replay: 'retained' }).subscribe((m) => replayed.push(`${m.topic.slice(prefix.length + 1)}=${m.payload.toString()}`));
    expect(replayed).toEqual(['a=a2']);
    await publisher.publishAsync(`${prefix}/a`, '', { qos: 1, retain: true });
  });

  it('gives a late named-parameter stream with a codec the replayed message decoded, with its params', async () => {
    const subscriber = await client();
    const publisher = await client();
    await publisher.publishAsync(`${prefix}/dev1/state`, '{"on":true}', { qos: 1, retain: true });
    const first = arrival(subscriber, `${prefix}/dev1/state`, '{"on":true}');
    subscriber.topic(`${prefix}/:device/state`, { replay: 'retained' }).subscribe();
    await first;
    const late = await firstValueFrom(
      subscriber.topic<{ on: boolean }>(`${prefix}/:device/state`, { replay: 'retained', codec: json() }).pipe(take(1), toArray(), timeout(HANG_DEADLINE_MS)),
    );
    expect(late.map((m) => [m.params, m.value])).toEqual([[{ device: 'dev1' }, { on: true }]]);
    await publisher.publishAsync(`${prefix}/dev1/state`, '', { qos: 1, retain: true });
  });
});
