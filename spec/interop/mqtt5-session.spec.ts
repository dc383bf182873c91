// MQTT 5 session rules against a real mosquitto: Session Expiry, Will Delay, the client's Receive
// Maximum throttling the broker, Message Expiry forwarded, Server Keep Alive, reason codes on acks.
import { connect as netConnect, type Socket } from 'node:net';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { connect, MqttClient, type ClientOptions, type IPublishPacket, type MqttMessage } from '../../lib/index.js';
import { describeMosquitto } from '../helpers/mosquitto.js';
import { useMosquitto } from '../helpers/mosquitto-suite.js';
import { HANG_DEADLINE_MS, once } from '../helpers/wait.js';

const SERVER_KEEP_ALIVE = 20;

describeMosquitto('MQTT 5 sessions against mosquitto', () => {
  const base: ClientOptions = { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000, keepalive: 10 };
  const suite = useMosquitto({ name: 'rxmqtt5', extraConfig: [`max_keepalive ${SERVER_KEEP_ALIVE}`], clientDefaults: base });
  const client = (options?: ClientOptions) => suite.client(options);

  /** A connected client over a socket the test can destroy (a drop without DISCONNECT). */
  async function droppable(options: ClientOptions): Promise<{ client: MqttClient; drop: () => void }> {
    let socket: Socket | undefined;
    const made = new MqttClient(() => {
      const opened = netConnect({ host: '127.0.0.1', port: suite.broker.port });
      suite.track(async () => opened.destroy());
      socket = opened;
      return socket;
    }, { ...base, ...options });
    suite.track(() => made.endAsync(true));
    await once(made, 'connect');
    return { client: made, drop: () => socket!.destroy() };
  }

  /** Resolves with the first message on `topic` seen by `subscriber` (any stream). */
  function next(subscriber: MqttClient, topic: string): Promise<MqttMessage> {
    return firstValueFrom(subscriber.messages$.pipe(filter((m) => m.topic === topic), timeout(HANG_DEADLINE_MS)));
  }

  it('keeps the session for its Session Expiry Interval: a reconnect gets Session Present and the messages queued meanwhile', async () => {
    const clientId = `expiry-${process.pid}-${suite.testNumber}`;
    const first = await client({ clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
    await first.subscribeAsync(`${suite.prefix}/queued`, { qos: 1 });
    await first.endAsync();
    const publisher = await client();
    for (const n of [1, 2, 3]) await publisher.publishAsync(`${suite.prefix}/queued`, `m${n}`, { qos: 1 });

    const received: string[] = [];
    const resumed = connect(suite.broker.url, { ...base, clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
    suite.track(() => resumed.endAsync(true));
    resumed.on('message', (_topic, payload) => received.push(payload.toString()));
    const after = firstValueFrom(resumed.messages$.pipe(filter((m) => m.payload.toString() === 'after'), timeout(HANG_DEADLINE_MS)));
    const [connack] = await once(resumed, 'connect');
    expect(connack.sessionPresent).toBe(true);
    await publisher.publishAsync(`${suite.prefix}/queued`, 'after', { qos: 1 });
    await after;
    expect(received).toEqual(['m1', 'm2', 'm3', 'after']);
  });

  it('starts without a session when the Session Expiry Interval was 0 (the default)', async () => {
    const clientId = `no-expiry-${process.pid}-${suite.testNumber}`;
    const first = await client({ clientId, clean: false });
    await first.subscribeAsync(`${suite.prefix}/gone`, { qos: 1 });
    await first.endAsync();
    const again = connect(suite.broker.url, { ...base, clientId, clean: false });
    suite.track(() => again.endAsync(true));
    const [connack] = await once(again, 'connect');
    expect(connack.sessionPresent).toBe(false);
  });

  it('has mosquitto hold a will for its Will Delay Interval: a reconnect in time cancels it', async () => {
    const clientId = `will-delay-${process.pid}-${suite.testNumber}`;
    const watcher = await client();
    const seen: string[] = [];
    watcher.topic(`${suite.prefix}/will`).subscribe((m) => seen.push(m.payload.toString()));
    await watcher.subscribeAsync(`${suite.prefix}/will`, { qos: 1 });
    const options: ClientOptions = {
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 120 },
      will: { topic: `${suite.prefix}/will`, payload: Buffer.from('gone'), qos: 1, retain: false, properties: { willDelayInterval: 60 } },
    };
    const { drop } = await droppable(options);
    drop();
    const back = await client(options);
    expect(back.connected).toBe(true);
    // A will without delay would have gone out when the socket dropped, before this sentinel.
    const sentinel = next(watcher, `${suite.prefix}/will`);
    await back.publishAsync(`${suite.prefix}/will`, 'sentinel', { qos: 1 });
    expect((await sentinel).payload.toString()).toBe('sentinel');
    expect(seen).toEqual(['sentinel']);
  });

  it('has mosquitto publish a delayed will once its Will Delay Interval has passed', async () => {
    const watcher = await client();
    await watcher.subscribeAsync(`${suite.prefix}/will`, { qos: 1 });
    const will = firstValueFrom(watcher.messages$.pipe(filter((m) => m.topic === `${suite.prefix}/will`), timeout(HANG_DEADLINE_MS)));
    const { drop } = await droppable({
      clientId: `delayed-will-${process.pid}-${suite.testNumber}`,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: { topic: `${suite.prefix}/will`, payload: Buffer.from('gone'), qos: 1, retain: false, properties: { willDelayInterval: 1 } },
    });
    drop();
    expect((await will).payload.toString()).toBe('gone');
  });

  it('is throttled by its own Receive Maximum: mosquitto holds back QoS 1 messages until the app acknowledges', async () => {
    let releasing = false;
    const held: Array<() => void> = [];
    const subscriber = await client({
      properties: { receiveMaximum: 2 },
      // The app acknowledges later: `done` is kept until the test starts releasing.
      customHandleAcks: (_topic: string, _payload: Buffer, _packet: IPublishPacket, done: (error: Error | null, code?: number) => void) =>
        releasing ? done(null, 0) : held.push(() => done(null, 0)),
    });
    const errors: Error[] = [];
    subscriber.on('error', (error) => errors.push(error));
    const arrivedQos1: string[] = [];
    subscriber.packetsIn$.subscribe((p) => p.cmd === 'publish' && p.qos === 1 && arrivedQos1.push(p.payload.toString()));
    const delivered: string[] = [];
    subscriber.on('message', (topic, payload) => topic.endsWith('/q1') && delivered.push(payload.toString()));
    await subscriber.subscribeAsync(`${suite.prefix}/#`, { qos: 1 });
    const publisher = await client();
    for (let n = 1; n <= 10; n++) await publisher.publishAsync(`${suite.prefix}/q1`, `m${n}`, { qos: 1 });
    // QoS 0 is not counted by Receive Maximum: it reaches the socket past the held-back QoS 1 messages.
    const sentinel = firstValueFrom(subscriber.packetsIn$.pipe(filter((p) => p.cmd === 'publish' && p.qos === 0), timeout(HANG_DEADLINE_MS)));
    await publisher.publishAsync(`${suite.prefix}/q0`, 'sentinel', { qos: 0 });
    await sentinel;
    expect(arrivedQos1).toEqual(['m1', 'm2']);
    expect(delivered).toEqual([]);

    const last = firstValueFrom(subscriber.messages$.pipe(filter((m) => m.payload.toString() === 'm10'), timeout(HANG_DEADLINE_MS)));
    releasing = true;
    while (held.length > 0) held.shift()!();
    await last;
    const all = Array.from({ length: 10 }, (_, i) => `m${i + 1}`);
    expect(arrivedQos1).toEqual(all);
    expect(delivered).toEqual(all);
    expect(errors).toEqual([]);
  });

  it('receives the Message Expiry Interval mosquitto forwards, lowered by the time the message waited', async () => {
    const subscriber = await client();
    await subscriber.subscribeAsync(`${suite.prefix}/expiring`, { qos: 1 });
    const arrived = next(subscriber, `${suite.prefix}/expiring`);
    const publisher = await client();
    await publisher.publishAsync(`${suite.prefix}/expiring`, 'x', { qos: 1, properties: { messageExpiryInterval: 300 } });
    const interval = (await arrived).properties?.messageExpiryInterval;
    expect(interval).toBeGreaterThan(0);
    expect(interval).toBeLessThanOrEqual(300);
  });

  it("uses mosquitto's Server Keep Alive when it lowers the keepalive asked for", async () => {
    const made = connect(suite.broker.url, { ...base, keepalive: 600 });
    suite.track(() => made.endAsync(true));
    const [connack] = await once(made, 'connect');
    expect(connack.properties?.serverKeepAlive).toBe(SERVER_KEEP_ALIVE);
    expect(made.state).toMatchObject({ status: 'connected' });
  });

  it('settles an UNSUBSCRIBE of a filter it never subscribed with mosquitto reason code 0x11 as a success', async () => {
    const subscriber = await client();
    const unsuback = await subscriber.unsubscribeAsync(`${suite.prefix}/never`);
    expect(unsuback).toMatchObject({ cmd: 'unsuback', granted: [0x11] });
  });
});
