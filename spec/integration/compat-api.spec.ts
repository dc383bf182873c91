// The MQTT.js v5-compatible surface of MqttClient against aedes: events and their order, the call
// shapes of subscribe/unsubscribe/publish/end, the *Async variants, the status booleans,
// manualConnect, reconnect(), getLastMessageId(), handleMessage backpressure,
// removeOutgoingMessage, connectAsync, and refused CONNACKs.
import type mqtt from 'mqtt';
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { IPublishPacket } from '../../lib/index.js';
import { connect, connectAsync, ConnackError, MqttClient, SubackError, TransportError, type Packet } from '../../lib/index.js';
import { freePort } from '../helpers/mosquitto.js';
import { HANG_DEADLINE_MS, once } from '../helpers/wait.js';
import { connected, dropFromBroker, nextPackets, QUICK, record, useAedes, within } from './support.js';

describe('the MQTT.js-compatible API against aedes', () => {
  const fixture = useAedes();

  describe('events', () => {
    const EVENTS = ['connect', 'close', 'offline', 'reconnect', 'end', 'error', 'disconnect'] as const;

    function recordEvents(client: MqttClient): string[] {
      const events: string[] = [];
      for (const name of EVENTS) client.on(name, () => events.push(name));
      return events;
    }

    it('emits connect, then close, offline, reconnect, connect after a dropped connection, then close and end on end()', async () => {
      const f = fixture();
      const client = f.rx('in-memory', { reconnectPeriod: 20 });
      const events = recordEvents(client);
      await connected(client);
      const again = once(client, 'connect');
      dropFromBroker(f.aedes, client.options.clientId);
      await again;
      const ended = once(client, 'end');
      client.end();
      await ended;
      expect(events).toEqual(['connect', 'close', 'offline', 'reconnect', 'connect', 'close', 'end']);
    });

    it('emits packetsend and packetreceive for every packet, CONNECT and CONNACK first', async () => {
      const f = fixture();
      const client = f.rx();
      const sent: string[] = [];
      const received: string[] = [];
      client.on('packetsend', (packet: Packet) => sent.push(packet.cmd));
      client.on('packetreceive', (packet: Packet) => received.push(packet.cmd));
      await connected(client);
      await client.subscribeAsync('events/packets', { qos: 1 });
      const message = once(client, 'message');
      await client.publishAsync('events/packets', 'echo', { qos: 1 });
      await message;
      await client.endAsync();
      expect(sent[0]).toBe('connect');
      expect(received[0]).toBe('connack');
      expect(sent).toEqual(expect.arrayContaining(['subscribe', 'publish', 'puback', 'disconnect']));
      expect(received).toEqual(expect.arrayContaining(['suback', 'puback', 'publish']));
      expect(sent.at(-1)).toBe('disconnect');
    });

    it('emits message with the topic, the payload Buffer and the PUBLISH packet', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const publisher = await connected(f.js());
      await client.subscribeAsync('events/message');
      const message = once<[string, Buffer, IPublishPacket]>(client, 'message');
      await publisher.publishAsync('events/message', 'hello');
      const [topic, payload, packet] = await message;
      expect(topic).toBe('events/message');
      expect(Buffer.isBuffer(payload)).toBe(true);
      expect(payload.toString()).toBe('hello');
      expect(packet).toMatchObject({ cmd: 'publish', topic: 'events/message', qos: 0 });
    });

    it('emits error then close when the connection fails, and does not reconnect with reconnectPeriod 0', async () => {
      const f = fixture();
      const port = await freePort();
      const client = connect(`mqtt://127.0.0.1:${port}`, QUICK);
      f.defer(() => client.endAsync(true));
      const events = recordEvents(client);
      await firstValueFrom(client.state$.pipe(filter((s) => s.status === 'offline'), timeout(HANG_DEADLINE_MS)));
      await within(client.endAsync(), 'endAsync');
      // No 'offline': MQTT.js emits it only when it sets up a reconnect.
      expect(events).toEqual(['error', 'close', 'end']);
    });

    it("emits the events MQTT.js emits when the broker drops a client with reconnectPeriod 0: no 'offline'", async () => {
      const f = fixture();
      const run = async (client: MqttClient | mqtt.MqttClient) => {
        const events = recordEvents(client as MqttClient);
        await connected(client);
        const closed = once(client, 'close');
        dropFromBroker(f.aedes, client.options.clientId!);
        await closed;
        await within(client.endAsync(), 'endAsync');
        return events;
      };
      const ours = await run(f.rx());
      expect(ours).toEqual(await run(f.js()));
      expect(ours).toEqual(['connect', 'close', 'end']);
    });
  });

  describe('subscribe and unsubscribe', () => {
    it.each([
      ['a string', 'shape/a', { qos: 1 as const }, [{ topic: 'shape/a', qos: 1 }]],
      ['an array', ['shape/a', 'shape/b'], { qos: 2 as const }, [{ topic: 'shape/a', qos: 2 }, { topic: 'shape/b', qos: 2 }]],
      ['a {topic: {qos}} map', { 'shape/a': { qos: 0 as const }, 'shape/b': { qos: 2 as const } }, undefined, [{ topic: 'shape/a', qos: 0 }, { topic: 'shape/b', qos: 2 }]],
    ])('calls back (null, granted) for %s', async (_shape, topics, options, expected) => {
      const f = fixture();
      const client = await connected(f.rx());
      const subscribes = record(f, client.packetsOut$);
      const granted = await new Promise<unknown>((resolve, reject) => {
        const callback = (error?: Error | null, result?: unknown) => (error ? reject(error) : resolve(result));
        if (options === undefined) client.subscribe(topics, callback);
        else client.subscribe(topics, options, callback);
      });
      expect(granted).toEqual(expected);
      // One SUBSCRIBE packet carrying every filter.
      const packets = subscribes.filter((p) => p.cmd === 'subscribe');
      expect(packets).toHaveLength(1);
      expect((packets[0] as { subscriptions: unknown[] }).subscriptions).toHaveLength(expected.length);
    });

    it('resolves subscribeAsync with the grants and unsubscribeAsync after the UNSUBACK, after which nothing is delivered', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const publisher = await connected(f.rx());
      const received: string[] = [];
      client.on('message', (topic: string) => received.push(topic));
      await expect(client.subscribeAsync(['async/a', 'async/b'], { qos: 1 })).resolves.toEqual([
        { topic: 'async/a', qos: 1 },
        { topic: 'async/b', qos: 1 },
      ]);
      const unsuback = (await within(client.unsubscribeAsync('async/a'), 'unsubscribeAsync')) as Packet;
      expect(unsuback.cmd).toBe('unsuback');
      const b = once(client, 'message');
      await publisher.publishAsync('async/a', 'dropped', { qos: 1 });
      await publisher.publishAsync('async/b', 'kept', { qos: 1 });
      await b;
      expect(received).toEqual(['async/b']);
    });

    it('calls subscribe back with a SubackError and the grants when the broker refuses a filter, as MQTT.js reports an error', async () => {
      const f = fixture();
      f.aedes.broker.authorizeSubscribe = (_client, sub, callback) => callback(null, sub.topic === 'refused/x' ? null : sub);
      const client = await connected(f.rx());
      const reference = await connected(f.js());

      const [error, granted] = await new Promise<[Error | null | undefined, unknown]>((resolve) =>
        client.subscribe(['ok/x', 'refused/x'], { qos: 1 }, (e, g) => resolve([e, g])),
      );
      const [jsError] = await new Promise<[Error | null | undefined]>((resolve) => reference.subscribe(['ok/x', 'refused/x'], { qos: 1 }, (e) => resolve([e])));

      expect(jsError).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(SubackError);
      expect(error).toMatchObject({ kind: 'ERR_SUBACK', reasonCode: 0x80, topic: 'refused/x' });
      expect(granted).toEqual([
        { topic: 'ok/x', qos: 1 },
        { topic: 'refused/x', qos: 0x80 },
      ]);
      await expect(client.subscribeAsync('refused/x')).rejects.toBeInstanceOf(SubackError);
    });
  });

  describe('publish', () => {
    it('resolves publishAsync with the PUBACK for QoS 1 and undefined for QoS 0', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      await expect(client.publishAsync('publish/async', 'q0')).resolves.toBeUndefined();
      await expect(client.publishAsync('publish/async', 'q1', { qos: 1 })).resolves.toMatchObject({ cmd: 'puback' });
    });

    it('accepts publish(topic, message, callback) without options', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const sent = record(f, client.packetsOut$);
      await within(new Promise<void>((resolve, reject) => client.publish('publish/nocb', 'x', (e) => (e ? reject(e) : resolve()))), 'the callback');
      expect(sent.filter((p) => p.cmd === 'publish')).toMatchObject([{ topic: 'publish/nocb', qos: 0, retain: false }]);
    });

    it('reports the packet id of the last publish through getLastMessageId()', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const sent = record(f, client.packetsOut$);
      await client.publishAsync('ids/a', 'x', { qos: 1 });
      await client.publishAsync('ids/a', 'y', { qos: 2 });
      const ids = sent.filter((p) => p.cmd === 'publish').map((p) => (p as IPublishPacket).messageId);
      expect(ids).toHaveLength(2);
      expect(ids[0]).not.toBe(ids[1]);
      expect(client.getLastMessageId()).toBe(ids[1]);
    });

    it('fails the publish callback with ERR_MESSAGE_REMOVED after removeOutgoingMessage, and ignores the late PUBACK', async () => {
      const f = fixture();
      // Hold the broker's PUBACK: aedes acknowledges a QoS 1 publish once it is authorized.
      let release: (() => void) | undefined;
      const held = new Promise<void>((resolve) => {
        f.aedes.broker.authorizePublish = (_client, _packet, callback) => {
          release = () => callback(null);
          resolve();
        };
      });
      const client = await connected(f.rx());
      const outcomes: Array<Error | null | undefined> = [];
      const failed = new Promise<void>((resolve) =>
        client.publish('removed/x', 'never acked', { qos: 1 }, (error) => {
          outcomes.push(error);
          resolve();
        }),
      );
      await within(held, 'the PUBLISH to reach the broker');
      const messageId = client.getLastMessageId();
      expect(messageId).toEqual(expect.any(Number));
      client.removeOutgoingMessage(messageId!);
      await within(failed, 'the publish callback');
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ code: 'ERR_MESSAGE_REMOVED' });

      // The PUBACK for the removed id now arrives and changes nothing.
      const puback = nextPackets(client.packetsIn$, 'puback');
      release!();
      await puback;
      expect(outcomes).toHaveLength(1);
      expect(client.connected).toBe(true);
    });
  });

  describe('handleMessage', () => {
    it.each([
      [1, 'puback'],
      [2, 'pubrec'],
    ] as const)('emits the next QoS %i message only after the previous callback, and sends each %s only after its callback', async (qos, ack) => {
      const f = fixture();
      const client = await connected(f.rx());
      const publisher = await connected(f.rx());
      await client.subscribeAsync('backpressure/#', { qos });
      const acks: number[] = [];
      client.on('packetsend', (packet: Packet) => packet.cmd === ack && acks.push(packet.messageId!));
      const emitted: string[] = [];
      client.on('message', (_topic: string, payload: Buffer) => emitted.push(payload.toString()));
      const handled: Array<{ packet: IPublishPacket; done: () => void }> = [];
      let handledOne!: () => void;
      let nextHandled = new Promise<void>((resolve) => (handledOne = resolve));
      client.handleMessage = (packet, done) => {
        handled.push({ packet, done: () => done() });
        handledOne();
      };

      const bothArrived = nextPackets(client.packetsIn$, 'publish', 2);
      await publisher.publishAsync('backpressure/1', 'first', { qos });
      await publisher.publishAsync('backpressure/2', 'second', { qos });
      const [first, second] = (await bothArrived) as IPublishPacket[];
      await within(nextHandled, 'handleMessage');
      // Both PUBLISHes were read, but only the first was handed to the app, and nothing was acked.
      expect(emitted).toEqual(['first']);
      expect(handled).toHaveLength(1);
      expect(acks).toEqual([]);

      nextHandled = new Promise<void>((resolve) => (handledOne = resolve));
      const firstAck = nextPackets(client.packetsOut$, ack);
      handled[0].done();
      await within(nextHandled, 'handleMessage for the second message');
      await firstAck;
      expect(emitted).toEqual(['first', 'second']);
      expect(acks).toEqual([first.messageId]);

      const secondAck = nextPackets(client.packetsOut$, ack);
      handled[1].done();
      await secondAck;
      expect(acks).toEqual([first.messageId, second.messageId]);
    });
  });

  describe('handleMessage under load', () => {
    it('handles a burst of 600 QoS 1 messages one at a time, in order, and acknowledges every one', async () => {
      const f = fixture();
      const client = await connected(f.rx('tcp'));
      const publisher = await connected(f.rx('tcp'));
      await client.subscribeAsync('burst/#', { qos: 1 });
      const count = 600;
      const handled: string[] = [];
      let inHandler = 0;
      let overlapped = false;
      client.handleMessage = (packet, done) => {
        if (++inHandler > 1) overlapped = true;
        setImmediate(() => {
          handled.push(String(packet.payload));
          inHandler--;
          done();
        });
      };
      const allAcked = nextPackets(client.packetsOut$, 'puback', count);
      await within(Promise.all(Array.from({ length: count }, (_, i) => publisher.publishAsync('burst/x', `m${i}`, { qos: 1 }))), 'the burst');
      await allAcked;
      expect(overlapped).toBe(false);
      expect(handled).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
    });
  });

  describe('status', () => {
    it('reports connected and reconnecting as MQTT.js does through a reconnect and end()', async () => {
      const f = fixture();
      const client = f.rx('in-memory', { reconnectPeriod: 20 });
      const seen: Array<[string, boolean, boolean]> = [];
      const sample = (event: string) => () => seen.push([event, client.connected, client.reconnecting]);
      for (const event of ['connect', 'close', 'reconnect', 'end'] as const) client.on(event, sample(event));
      expect([client.connected, client.reconnecting]).toEqual([false, false]);
      await connected(client);
      const again = once(client, 'connect');
      dropFromBroker(f.aedes, client.options.clientId);
      await again;
      await client.endAsync();
      // At 'close' the reconnect is already decided, so `reconnecting` is true there (MQTT.js sets it
      // just after); what matters to listeners is that `connected` is already false.
      expect(seen).toEqual([
        ['connect', true, false],
        ['close', false, true],
        ['reconnect', false, true],
        ['connect', true, false],
        ['close', false, false],
        ['end', false, false],
      ]);
    });

    it('does not connect with manualConnect until connect() is called', async () => {
      const f = fixture();
      const clients: string[] = [];
      f.aedes.broker.on('client', (c) => clients.push(c.id));
      const client = f.rx('in-memory', { manualConnect: true });
      const sent = record(f, client.packetsOut$);
      // A broker round trip by another client: had ours connected, aedes would have seen it first.
      await connected(f.rx('in-memory', { clientId: 'witness' }));
      expect(clients).toEqual(['witness']);
      expect(sent).toEqual([]);
      expect(client.state.status).toBe('idle');

      client.connect();
      await connected(client);
      expect(clients).toEqual(['witness', client.options.clientId]);
    });

    it('drops the connection and connects again on reconnect()', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const connections: string[] = [];
      f.aedes.broker.on('client', (c) => connections.push(c.id));
      const events: string[] = [];
      for (const name of ['close', 'reconnect', 'connect', 'offline'] as const) client.on(name, () => events.push(name));
      const again = once(client, 'connect');
      client.reconnect();
      await again;
      expect(events).toEqual(['close', 'reconnect', 'connect']);
      expect(connections).toEqual([client.options.clientId]);
      expect(client.connected).toBe(true);
    });
  });

  describe('end', () => {
    it('emits end, then runs the end() callback, as MQTT.js 5 does', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const order: string[] = [];
      client.on('end', () => order.push('end event'));
      await within(new Promise<void>((resolve) => client.end(() => (order.push('callback'), resolve()))), 'end callback');
      await Promise.resolve();
      expect(order).toEqual(['end event', 'callback']);
      expect(client.connected).toBe(false);
    });

    it('emits end once when end() is called again during or after the first, calling every callback', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const order: string[] = [];
      client.on('end', () => order.push('end event'));
      const first = new Promise<void>((resolve) => client.end(() => (order.push('first'), resolve())));
      const second = new Promise<void>((resolve) => client.end(() => (order.push('second'), resolve())));
      await within(Promise.all([first, second]), 'both end callbacks');
      await within(client.endAsync().then(() => order.push('third')), 'a third end');
      await Promise.resolve();
      expect(order.filter((e) => e === 'end event')).toHaveLength(1);
      expect(order.filter((e) => e !== 'end event')).toEqual(['first', 'second', 'third']);
    });

    it('sends DISCONNECT on endAsync() and the broker sees a clean disconnect', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const gone = once(f.aedes.broker, 'clientDisconnect');
      const sent = record(f, client.packetsOut$);
      await within(client.endAsync(), 'endAsync');
      await gone;
      expect(sent.map((p) => p.cmd)).toEqual(['disconnect']);
      expect(client.state.status).toBe('closed');
    });

    it('waits for an in-flight QoS 1 publish before disconnecting', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const sent = record(f, client.packetsOut$);
      const published = client.publishAsync('end/inflight', 'finish me', { qos: 1 });
      const ended = client.endAsync();
      await within(published, 'the in-flight publish');
      await within(ended, 'endAsync');
      expect(sent.map((p) => p.cmd)).toEqual(['publish', 'disconnect']);
    });
  });

  describe('connectAsync', () => {
    it('resolves with a connected client', async () => {
      const f = fixture();
      const client = await within(connectAsync(f.aedes.url, QUICK), 'connectAsync');
      f.defer(() => client.endAsync(true));
      expect(client).toBeInstanceOf(MqttClient);
      expect(client.connected).toBe(true);
    });

    it('rejects with a TransportError carrying a code when nothing listens on the port', async () => {
      const port = await freePort();
      const error = await within(
        connectAsync(`mqtt://127.0.0.1:${port}`, QUICK).then(
          (client) => (client.end(true), new Error('connected')),
          (e: unknown) => e,
        ),
        'connectAsync to reject',
      );
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toMatchObject({ kind: 'ERR_TRANSPORT', errno: 'ECONNREFUSED' });
    });

    it('rejects with ERR_CONNECT_TIMEOUT when the broker never answers CONNECT, and ends the client', async () => {
      const f = fixture();
      f.aedes.broker.preConnect = () => undefined; // CONNECT is read, never answered
      const error = await within(
        connectAsync(f.aedes.url, { ...QUICK, connectTimeout: 200, reconnectPeriod: 10 }).then(
          (client) => (client.end(true), new Error('connected')),
          (e: unknown) => e,
        ),
        'connectAsync to reject',
      );
      expect(error).toMatchObject({ code: 'ERR_CONNECT_TIMEOUT' });
    });
  });

  describe('refused CONNACK', () => {
    it.each([4, 5])('reports a ConnackError with return code %i and stays offline instead of reconnecting', async (returnCode) => {
      const f = fixture();
      let attempts = 0;
      f.aedes.broker.authenticate = (_client, _username, _password, callback) => {
        attempts++;
        callback(Object.assign(new Error('refused by the test'), { returnCode }) as never, false);
      };
      const client = f.rx('in-memory', { reconnectPeriod: 10 });
      const events: string[] = [];
      for (const name of ['connect', 'close', 'offline', 'reconnect'] as const) client.on(name, () => events.push(name));
      const [error] = await once<[Error]>(client, 'error');
      expect(error).toBeInstanceOf(ConnackError);
      expect(error).toMatchObject({ kind: 'ERR_CONNACK', reasonCode: returnCode });
      await firstValueFrom(client.state$.pipe(filter((s) => s.status === 'offline'), timeout(HANG_DEADLINE_MS)));
      expect(events.filter((e) => e !== 'offline')).toEqual(['close']);
      expect(attempts).toBe(1);
      expect(client.reconnecting).toBe(false);
    });

    it('keeps reconnecting after a retryable refusal (server unavailable)', async () => {
      const f = fixture();
      let attempts = 0;
      f.aedes.broker.authenticate = (_client, _username, _password, callback) => {
        attempts++;
        if (attempts === 1) callback(Object.assign(new Error('busy'), { returnCode: 3 }) as never, false);
        else callback(null, true);
      };
      const client = f.rx('in-memory', { reconnectPeriod: 10 });
      const errors: unknown[] = [];
      client.on('error', (e) => errors.push(e));
      await firstValueFrom(client.state$.pipe(filter((s) => s.status === 'connected'), timeout(HANG_DEADLINE_MS)));
      expect(attempts).toBe(2);
      expect(errors).toMatchObject([{ kind: 'ERR_CONNACK', reasonCode: 3 }]);
    });

    it('rejects connectAsync with the ConnackError', async () => {
      const f = fixture();
      f.aedes.broker.authenticate = (_client, _username, _password, callback) =>
        callback(Object.assign(new Error('bad password'), { returnCode: 4 }) as never, false);
      const outcome = await within(
        connectAsync(f.aedes.url, { ...QUICK, reconnectPeriod: 10 }).then(
          (client) => (client.end(true), 'connected'),
          (e: unknown) => e,
        ),
        'connectAsync to reject',
      );
      expect(outcome).toBeInstanceOf(ConnackError);
      expect(outcome).toMatchObject({ reasonCode: 4 });
    });
  });
});
