// rxmqtt against a real mosquitto, over MQTT 3.1.1 (protocolVersion 4) and MQTT 5: connect,
// subscribe, QoS 0/1/2 round trips, retained messages, wills, shared subscriptions, and the
// MQTT 5 extras (user properties and other PUBLISH properties, reason codes, server DISCONNECT).
import { connect as netConnect, type Socket } from 'node:net';
import { filter, firstValueFrom, lastValueFrom, merge, timeout, toArray } from 'rxjs';
import {
  PacketTooLargeError,
  ServerCapabilityError,
  connect,
  MqttClient,
  type ClientOptions,
  type IConnackPacket,
  type IPublishPacket,
  type MqttMessage,
  type QoS,
} from '../../lib/index.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { collect, HANG_DEADLINE_MS, once } from '../helpers/wait.js';

/** The broker's max_packet_size: far above what the tests send, except the test about it. */
const MAX_PACKET_SIZE = 65_536;
const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7f, 0x0a, 0x0d, 0xc3, 0x28]);

/** Resolves once the client is connected (at once if it already is), within 3 s. */
async function connected(client: MqttClient): Promise<MqttClient> {
  if (!client.connected) await once(client, 'connect');
  return client;
}

/** Subscribes `stream$` and resolves once its SUBACK arrived; the returned array fills up. */
async function subscribed(client: MqttClient, stream$: ReturnType<MqttClient['topic']>): Promise<MqttMessage[]> {
  const suback = firstValueFrom(client.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), timeout(HANG_DEADLINE_MS)));
  const received: MqttMessage[] = [];
  stream$.subscribe({ next: (m) => received.push(m), error: () => undefined });
  await suback;
  return received;
}

describeMosquitto('rxmqtt against mosquitto', () => {
  let broker: MosquittoHandle;
  let clients: MqttClient[] = [];
  let sockets: Socket[] = [];
  let testNumber = 0;
  /** A topic prefix of its own for every test, so retained messages never leak between tests. */
  let prefix = '';

  beforeAll(async () => {
    broker = await startMosquitto({ extraConfig: [`max_packet_size ${MAX_PACKET_SIZE}`] });
  });
  afterAll(async () => {
    await broker?.stop();
  });
  beforeEach(() => {
    prefix = `rxmqtt/${process.pid}/${++testNumber}`;
  });
  afterEach(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    for (const socket of sockets) socket.destroy();
    clients = [];
    sockets = [];
  });

  function clientFor(protocolVersion: 4 | 5, options: ClientOptions): MqttClient {
    const made = connect(broker.url, { protocolVersion, reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000, ...options });
    clients.push(made);
    return made;
  }

  describe.each([4, 5] as const)('over MQTT protocolVersion %i', (protocolVersion) => {
    const client = (options: ClientOptions = {}) => clientFor(protocolVersion, options);

    /** A client over a socket the test can destroy, to drop the connection abruptly. */
    function droppableClient(options: ClientOptions): { client: MqttClient; socket: () => Socket } {
      let socket: Socket | undefined;
      const made = new MqttClient(
        () => {
          socket = netConnect({ host: '127.0.0.1', port: broker.port });
          sockets.push(socket);
          return socket;
        },
        { protocolVersion, reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, ...options },
      );
      clients.push(made);
      return { client: made, socket: () => socket! };
    }

    it('connects and reports an accepted CONNACK of the requested protocol version', async () => {
      const made = client();
      const [connack] = await once<[IConnackPacket]>(made, 'connect');
      const code = protocolVersion === 5 ? connack.reasonCode : connack.returnCode;
      expect(code).toBe(0);
      expect(connack.sessionPresent).toBe(false);
      expect(made.connected).toBe(true);
      const sent = firstValueFrom(made.packetsOut$.pipe(filter((p) => p.cmd === 'disconnect'), timeout(HANG_DEADLINE_MS)));
      await made.endAsync();
      await sent;
      expect(made.state.status).toBe('closed');
    });

    it('grants subscriptions at the requested QoS', async () => {
      const made = await connected(client());
      const granted = await made.subscribeAsync({ [`${prefix}/q0`]: { qos: 0 }, [`${prefix}/q1`]: { qos: 1 }, [`${prefix}/q2`]: { qos: 2 } });
      // MQTT 5 grants carry the subscription options too, defaults included, as MQTT.js's do.
      const options = protocolVersion === 5 ? { nl: false, rap: false, rh: 0 } : {};
      expect(granted).toEqual([
        { topic: `${prefix}/q0`, qos: 0, ...options },
        { topic: `${prefix}/q1`, qos: 1, ...options },
        { topic: `${prefix}/q2`, qos: 2, ...options },
      ]);
    });

    it.each([0, 1, 2] as QoS[])('round-trips a QoS %i message with its exact bytes, and settles the publish', async (qos) => {
      const subscriber = await connected(client());
      const publisher = await connected(client());
      const received = await subscribed(subscriber, subscriber.topic(`${prefix}/+`, { qos: 2 }));
      const arrived = collect(subscriber.topic(`${prefix}/+`), 2);

      const viaCallback = new Promise<unknown>((resolve) => publisher.publish(`${prefix}/cb`, BINARY, { qos }, (error) => resolve(error ?? 'ok')));
      expect(await viaCallback).toBe('ok');
      const results = await lastValueFrom(publisher.publish$(`${prefix}/rx`, BINARY, { qos }).pipe(toArray(), timeout(HANG_DEADLINE_MS)));
      expect(results).toHaveLength(1);
      expect(results[0].packet?.cmd).toBe({ 0: undefined, 1: 'puback', 2: 'pubcomp' }[qos]);

      const messages = await arrived;
      expect(messages.map((m) => m.topic)).toEqual([`${prefix}/cb`, `${prefix}/rx`]);
      for (const message of messages) {
        expect(Buffer.compare(message.payload, BINARY)).toBe(0);
        expect(message.qos).toBe(qos);
        expect(message.retain).toBe(false);
      }
      expect(received).toHaveLength(2);
    });

    it('delivers 100 QoS 2 messages in one burst exactly once each, in order', async () => {
      const subscriber = await connected(client());
      const publisher = await connected(client());
      await subscribed(subscriber, subscriber.topic(`${prefix}/burst`, { qos: 2 }));
      const all = collect(subscriber.topic(`${prefix}/burst`), 100);
      const expected = Array.from({ length: 100 }, (_, i) => `m${i}`);
      await Promise.all(expected.map((payload) => publisher.publishAsync(`${prefix}/burst`, payload, { qos: 2 })));
      expect((await all).map((m) => m.payload.toString())).toEqual(expected);
    });

    it('delivers a retained message to a subscriber that arrives later, flagged retain', async () => {
      const publisher = await connected(client());
      await publisher.publishAsync(`${prefix}/retained`, 'kept', { qos: 1, retain: true });
      const late = await connected(client());
      const message = await firstValueFrom(late.topic(`${prefix}/#`, { qos: 1 }).pipe(timeout(HANG_DEADLINE_MS)));
      expect(message).toMatchObject({ topic: `${prefix}/retained`, retain: true, qos: 1 });
      expect(message.payload.toString()).toBe('kept');
      // Clear it: an empty retained payload deletes the retained message.
      await publisher.publishAsync(`${prefix}/retained`, '', { qos: 1, retain: true });
    });

    it('has mosquitto publish the will when the socket drops without DISCONNECT', async () => {
      const watcher = await connected(client());
      await subscribed(watcher, watcher.topic(`${prefix}/will`, { qos: 1 }));
      const will = firstValueFrom(watcher.topic(`${prefix}/will`).pipe(timeout(HANG_DEADLINE_MS)));
      const { client: dying, socket } = droppableClient({ will: { topic: `${prefix}/will`, payload: Buffer.from('gone'), qos: 1, retain: false } });
      await connected(dying);
      socket().destroy();
      const message = await will;
      expect(message.payload.toString()).toBe('gone');
      expect(message.qos).toBe(1);
    });

    it('does not have mosquitto publish the will on a clean end()', async () => {
      const watcher = await connected(client());
      const received = await subscribed(watcher, watcher.topic(`${prefix}/#`, { qos: 1 }));
      const leaving = await connected(client({ will: { topic: `${prefix}/will`, payload: Buffer.from('gone'), qos: 1, retain: false } }));
      await leaving.endAsync();
      // mosquitto handles one connection's packets in order: a marker published by the watcher
      // after the DISCONNECT was processed comes back after any will would have.
      const marker = firstValueFrom(watcher.messages$.pipe(filter((m) => m.topic === `${prefix}/marker`), timeout(HANG_DEADLINE_MS)));
      await connected(client()).then((other) => other.publishAsync(`${prefix}/marker`, 'after', { qos: 1 }));
      await marker;
      expect(received.map((m) => m.topic)).toEqual([`${prefix}/marker`]);
    });

    it('receives through a $share/group/ shared subscription stream', async () => {
      const subscriber = await connected(client());
      const publisher = await connected(client());
      const received = await subscribed(subscriber, subscriber.topic(`$share/workers/${prefix}/jobs/+`, { qos: 1 }));
      const first = firstValueFrom(subscriber.topic(`$share/workers/${prefix}/jobs/+`).pipe(timeout(HANG_DEADLINE_MS)));
      await publisher.publishAsync(`${prefix}/jobs/1`, 'job', { qos: 1 });
      expect((await first).topic).toBe(`${prefix}/jobs/1`);
      expect(received.map((m) => m.payload.toString())).toEqual(['job']);
    });

  });

  describe('MQTT 3.1.1 only', () => {
    const client = (options: ClientOptions = {}) => clientFor(4, options);

    it('routes a message matching two overlapping filters to each stream once (mosquitto sends one copy)', async () => {
      const subscriber = await connected(client());
      const publisher = await connected(client());
      const plus = await subscribed(subscriber, subscriber.topic(`${prefix}/+`));
      const hash = await subscribed(subscriber, subscriber.topic(`${prefix}/#`));
      const end = firstValueFrom(subscriber.messages$.pipe(filter((m) => m.topic === `${prefix}/x/end`), timeout(HANG_DEADLINE_MS)));
      await publisher.publishAsync(`${prefix}/x`, 'both', { qos: 1 });
      await publisher.publishAsync(`${prefix}/x/end`, 'end', { qos: 1 });
      await end;
      expect(plus.map((m) => m.topic)).toEqual([`${prefix}/x`]);
      expect(hash.map((m) => m.topic)).toEqual([`${prefix}/x`, `${prefix}/x/end`]);
    });
  });

  describe('MQTT 5 only', () => {
    const client = (options: ClientOptions = {}) => clientFor(5, options);

    it('carries user properties and the other PUBLISH properties to the subscriber', async () => {
      const subscriber = await connected(client());
      const publisher = await connected(client());
      await subscribed(subscriber, subscriber.topic(`${prefix}/props`, { qos: 1 }));
      const arrived = firstValueFrom(subscriber.topic(`${prefix}/props`).pipe(timeout(HANG_DEADLINE_MS)));
      const packetArrived = once<[string, Buffer, IPublishPacket]>(subscriber, 'message');
      await publisher.publishAsync(`${prefix}/props`, '{"ok":true}', {
        qos: 1,
        properties: {
          userProperties: { origin: 'rxmqtt', tags: ['a', 'b'] },
          contentType: 'application/json',
          responseTopic: `${prefix}/reply`,
          correlationData: Buffer.from([1, 2, 3]),
          payloadFormatIndicator: true,
        },
      });
      const message = await arrived;
      expect(message.properties?.userProperties).toEqual({ origin: 'rxmqtt', tags: ['a', 'b'] });
      expect(message.properties).toMatchObject({ contentType: 'application/json', responseTopic: `${prefix}/reply`, payloadFormatIndicator: true });
      expect(Buffer.compare(message.properties!.correlationData as Buffer, Buffer.from([1, 2, 3]))).toBe(0);
      const [, , packet] = await packetArrived;
      expect(packet.properties?.userProperties).toEqual({ origin: 'rxmqtt', tags: ['a', 'b'] });
    });

    it('honours No Local, Retain As Published and Retain Handling subscription options', async () => {
      const own = await connected(client());
      const other = await connected(client());
      await other.publishAsync(`${prefix}/rh/kept`, 'retained', { qos: 1, retain: true });

      // rh 2: no retained messages on subscribe; nl: not our own publishes; rap: keep the retain flag.
      const received = await subscribed(own, own.topic(`${prefix}/#`, { qos: 1, nl: true, rap: true, rh: 2 }));
      const end = firstValueFrom(own.messages$.pipe(filter((m) => m.topic === `${prefix}/end`), timeout(HANG_DEADLINE_MS)));
      await own.publishAsync(`${prefix}/mine`, 'not for me', { qos: 1 });
      await other.publishAsync(`${prefix}/live`, 'live retained', { qos: 1, retain: true });
      await other.publishAsync(`${prefix}/end`, 'end', { qos: 1 });
      await end;
      expect(received.map((m) => [m.topic, m.retain])).toEqual([
        [`${prefix}/live`, true],
        [`${prefix}/end`, false],
      ]);
      await other.publishAsync(`${prefix}/rh/kept`, '', { qos: 1, retain: true });
      await other.publishAsync(`${prefix}/live`, '', { qos: 1, retain: true });
    });

    it('tags messages with the Subscription Identifier given to topic()', async () => {
      const subscriber = await connected(client());
      const publisher = await connected(client());
      await subscribed(subscriber, subscriber.topic(`${prefix}/tagged`, { qos: 1, properties: { subscriptionIdentifier: 42 } }));
      const arrived = firstValueFrom(subscriber.topic(`${prefix}/tagged`).pipe(timeout(HANG_DEADLINE_MS)));
      await publisher.publishAsync(`${prefix}/tagged`, 'x', { qos: 1 });
      expect((await arrived).properties?.subscriptionIdentifier).toBe(42);
    });

    it('acknowledges with the reason code customHandleAcks gives, and does not emit a refused message', async () => {
      const codes: Record<string, number> = { ok: 0, refused: 0x80 };
      const subscriber = await connected(
        client({ customHandleAcks: (topic: string, _payload: Buffer, _packet: unknown, done: (error: Error | null, code?: number) => void) => done(null, codes[topic.split('/').at(-1)!]) }),
      );
      const publisher = await connected(client());
      await subscriber.subscribeAsync(`${prefix}/+`, { qos: 1 });
      const emitted: string[] = [];
      subscriber.on('message', (topic: string) => emitted.push(topic));
      const acks = collect(subscriber.packetsOut$.pipe(filter((p) => p.cmd === 'puback')), 2);
      await publisher.publishAsync(`${prefix}/refused`, 'no', { qos: 1 });
      await publisher.publishAsync(`${prefix}/ok`, 'yes', { qos: 1 });
      const [refusedAck, okAck] = (await acks) as Array<{ reasonCode?: number }>;
      expect(refusedAck.reasonCode).toBe(0x80);
      expect(okAck.reasonCode ?? 0).toBe(0);
      expect(emitted).toEqual([`${prefix}/ok`]);
    });

    it('settles a QoS 1 publish that mosquitto acknowledges with 0x10 (no matching subscribers) as a success', async () => {
      const publisher = await connected(client());
      const puback = await publisher.publishAsync(`${prefix}/nobody`, 'x', { qos: 1 });
      expect(puback).toMatchObject({ cmd: 'puback', reasonCode: 0x10 });
    });

    // [MQTT-3.2.2-15] "The Client MUST NOT send packets exceeding Maximum Packet Size to the
    // Server". mosquitto announces maximumPacketSize in its CONNACK; the publish must fail at once
    // with nothing sent and the connection kept (MQTT.js 5.16 sends it and gets DISCONNECT 0x95).
    it('refuses a PUBLISH larger than the Maximum Packet Size mosquitto announced, sending nothing', async () => {
      const made = await connected(client());
      const state = made.state;
      expect(state.status === 'connected' && state.connack.properties?.maximumPacketSize).toBe(MAX_PACKET_SIZE);
      const publishes: string[] = [];
      made.packetsOut$.subscribe((p) => p.cmd === 'publish' && publishes.push(p.topic));
      const disconnects: number[] = [];
      made.on('disconnect', (packet: { reasonCode?: number }) => disconnects.push(packet.reasonCode ?? 0));
      const outcome = await Promise.race([
        made.publishAsync(`${prefix}/big`, Buffer.alloc(MAX_PACKET_SIZE + 1), { qos: 1 }).then(
          () => 'published',
          (error: Error) => error,
        ),
        once(made, 'close').then(
          () => `connection closed, DISCONNECT reason codes [${disconnects.join()}]`,
          () => 'still connected after 3 s',
        ),
      ]);
      expect(outcome).toBeInstanceOf(PacketTooLargeError);
      expect(publishes).toEqual([]);
      expect(made.connected).toBe(true);
    });

    it('sends the end() reason code and properties in its DISCONNECT', async () => {
      const made = await connected(client());
      const sent = firstValueFrom(made.packetsOut$.pipe(filter((p) => p.cmd === 'disconnect'), timeout(HANG_DEADLINE_MS)));
      await made.endAsync(false, { reasonCode: 0x04, properties: { reasonString: 'bye' } });
      expect(await sent).toMatchObject({ reasonCode: 0x04, properties: { reasonString: 'bye' } });
    });

    // mosquitto 2 over MQTT 5 sends one copy of a message per matching subscription; each copy
    // names its subscription's identifier, so each stream gets only its own copy.
    it('routes a message matching two overlapping filters to each stream once, although mosquitto sends a copy per subscription', async () => {
      const subscriber = await connected(client());
      const publisher = await connected(client());
      const plus = await subscribed(subscriber, subscriber.topic(`${prefix}/+`));
      const hash = await subscribed(subscriber, subscriber.topic(`${prefix}/#`));
      const merged = merge(subscriber.topic(`${prefix}/+`), subscriber.topic(`${prefix}/#`));
      const both: string[] = [];
      merged.subscribe((m) => both.push(m.topic));
      const end = firstValueFrom(subscriber.messages$.pipe(filter((m) => m.topic === `${prefix}/x/end`), timeout(HANG_DEADLINE_MS)));
      await publisher.publishAsync(`${prefix}/x`, 'both', { qos: 1 });
      await publisher.publishAsync(`${prefix}/x/end`, 'end', { qos: 1 });
      await end;
      expect(plus.map((m) => m.topic)).toEqual([`${prefix}/x`]);
      expect(hash.map((m) => m.topic)).toEqual([`${prefix}/x`, `${prefix}/x/end`]);
      expect(both).toEqual([`${prefix}/x`, `${prefix}/x`, `${prefix}/x/end`]);
    });
  });

  // [MQTT-3.2.2-11] / [MQTT-3.2.2-14]: a mosquitto started with max_qos 1 and retain_available
  // false announces both in its CONNACK; a QoS 2 or retained publish fails locally, nothing sent.
  describe('MQTT 5 with a broker announcing Maximum QoS 1 and Retain Available 0', () => {
    let limited: MosquittoHandle;

    beforeAll(async () => {
      limited = await startMosquitto({ extraConfig: ['max_qos 1', 'retain_available false'] });
    });
    afterAll(async () => {
      await limited?.stop();
    });

    it('fails a QoS 2 and a retained publish with ServerCapabilityError, sends neither and stays connected', async () => {
      const made = connect(limited.url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 });
      clients.push(made);
      await connected(made);
      const state = made.state;
      expect(state.status === 'connected' && state.connack.properties).toMatchObject({ maximumQoS: 1, retainAvailable: false });
      const publishes: string[] = [];
      made.packetsOut$.subscribe((p) => p.cmd === 'publish' && publishes.push(p.topic));
      const failure = (error: Error) => error;
      const qos2 = await made.publishAsync(`${prefix}/qos2`, 'x', { qos: 2 }).then(() => 'published', failure);
      const retained = await made.publishAsync(`${prefix}/retained`, 'x', { qos: 1, retain: true }).then(() => 'published', failure);
      expect(qos2).toBeInstanceOf(ServerCapabilityError);
      expect(qos2).toMatchObject({ capability: 'maximumQoS', reasonCode: 0x9b });
      expect(retained).toMatchObject({ capability: 'retainAvailable', reasonCode: 0x9a });
      await made.publishAsync(`${prefix}/qos1`, 'x', { qos: 1 });
      expect(publishes).toEqual([`${prefix}/qos1`]);
      expect(made.connected).toBe(true);
    });
  });
});
