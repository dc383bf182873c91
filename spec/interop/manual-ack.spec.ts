// Backpressure against a real mosquitto: over MQTT 5 the Receive Maximum that maxUnackedMessages
// announces makes mosquitto itself wait for a slow manual-ack consumer; over MQTT 3.1.1 the client
// pauses the socket. Counted on the wire: PUBLISHes received vs PUBACKs sent.
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { AckableMessage } from '../../lib/inbound/ack-holds.js';
import { connect, type ClientOptions, type MqttClient } from '../../lib/index.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { floodSlowConsumer } from '../helpers/slow-consumer.js';
import { HANG_DEADLINE_MS, once, scaled } from '../helpers/wait.js';

describeMosquitto('a slow manual-ack consumer against mosquitto', () => {
  let broker: MosquittoHandle;
  let clients: MqttClient[] = [];
  let testNumber = 0;

  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });
  afterEach(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    clients = [];
  });

  const base: ClientOptions = { reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 };

  async function client(options: ClientOptions = {}): Promise<MqttClient> {
    const made = connect(broker.url, { ...base, ...options });
    clients.push(made);
    if (!made.connected) await once(made, 'connect');
    return made;
  }

  const topic = () => `rxmqtt-ack/${process.pid}/${++testNumber}`;

  it('announces maxUnackedMessages as Receive Maximum over MQTT 5: mosquitto sends no more than that before the first PUBACK', async () => {
    const consumer = await client({ protocolVersion: 5, maxUnackedMessages: 10 });
    const publisher = await client({ protocolVersion: 5 });
    const name = topic();
    const arrived: number[] = [];
    consumer.packetsIn$.subscribe((p) => p.cmd === 'publish' && arrived.push(p.qos));
    let acking = false;
    const held: AckableMessage[] = [];
    const subscription = consumer.topic(`${name}/#`, { qos: 1, ack: 'manual' }).subscribe((m) => (acking ? m.ack() : held.push(m)));
    await firstValueFrom(consumer.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), timeout(HANG_DEADLINE_MS)));
    for (let n = 0; n < 30; n++) await publisher.publishAsync(`${name}/q1`, `m${n}`, { qos: 1 });
    // QoS 0 is not counted by Receive Maximum: once it is in, every QoS 1 mosquitto sent is too.
    const sentinel = firstValueFrom(consumer.packetsIn$.pipe(filter((p) => p.cmd === 'publish' && p.qos === 0), timeout(HANG_DEADLINE_MS)));
    await publisher.publishAsync(`${name}/q0`, 'sentinel', { qos: 0 });
    await sentinel;
    expect(arrived.filter((qos) => qos === 1)).toHaveLength(10);
    // Acknowledged, the held messages make room for the rest.
    const all = firstValueFrom(consumer.packetsIn$.pipe(filter(() => arrived.length === 31), timeout(HANG_DEADLINE_MS)));
    acking = true;
    for (const message of held.splice(0)) message.ack();
    await all;
    subscription.unsubscribe();
  });

  it('keeps a slow concatMap(async m => { await work; m.ack() }) consumer bounded over MQTT 5, without a disconnect', async () => {
    const consumer = await client({ protocolVersion: 5, maxUnackedMessages: 10 });
    const errors: Error[] = [];
    consumer.on('error', (error) => errors.push(error));
    const publisher = await client({ protocolVersion: 5 });
    const report = await floodSlowConsumer(consumer, publisher, { topic: topic(), count: 2000, payloadBytes: 1024, turns: 2 });
    console.log(`mosquitto, MQTT 5, maxUnackedMessages 10 (Receive Maximum 10): ${JSON.stringify(report)}`);
    // mosquitto 2.0.11 honours the Receive Maximum for the first window only, then sends ahead up
    // to its max_inflight_messages (0 = unlimited here): the socket pause is what bounds it, at
    // 10 held plus the rest of the TCP chunk being decoded (64 KiB: about 64 of these messages).
    expect(report.maxUnacked).toBeLessThanOrEqual(10 + 64);
    expect(errors).toEqual([]);
  }, scaled(180_000));

  it('bounds the unacknowledged messages of a 20k QoS 1 flood on MQTT 3.1.1 by pausing the socket', async () => {
    const consumer = await client({ protocolVersion: 4, maxUnackedMessages: 100 });
    const publisher = await client({ protocolVersion: 4 });
    const report = await floodSlowConsumer(consumer, publisher, { topic: topic(), count: 20_000, payloadBytes: 1024, turns: 3 });
    console.log(`mosquitto, MQTT 3.1.1, maxUnackedMessages 100: ${JSON.stringify(report)}`);
    // Reading pauses above 100 held; the rest of the TCP chunk being decoded (64 KiB at most,
    // about 64 of these messages) still arrives.
    expect(report.maxUnacked).toBeLessThanOrEqual(100 + 64);
    expect(report.publisherMaxInflight).toBeLessThanOrEqual(100);
  }, scaled(240_000));

  it('for comparison, the same slow consumer acknowledging on arrival holds the flood in memory (measured, not asserted)', async () => {
    const consumer = await client({ protocolVersion: 4 });
    const publisher = await client({ protocolVersion: 4 });
    const report = await floodSlowConsumer(consumer, publisher, { topic: topic(), count: 20_000, payloadBytes: 1024, turns: 3, ack: 'auto' });
    console.log(`mosquitto, MQTT 3.1.1, acknowledged on arrival: ${JSON.stringify(report)}`);
    expect(report.messages).toBe(20_000);
  }, scaled(240_000));
});
