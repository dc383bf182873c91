// Connection lifecycle against aedes: the offline queue before the first CONNACK and while
// reconnecting, in-flight publishes across a dropped connection, persistent sessions, and end()
// while reconnecting.
import type { IPublishPacket, QoS } from '../../lib/index.js';
import { filter, firstValueFrom, timeout, VirtualTimeScheduler } from 'rxjs';
import { connect, connectAsync, MqttClient } from '../../lib/index.js';
import { freePort } from '../helpers/mosquitto.js';
import { collect, HANG_DEADLINE_MS, once } from '../helpers/wait.js';
import { connected, dropFromBroker, record, subscribed, useAedes, within } from './support.js';

const payloads = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('connection lifecycle against aedes', () => {
  const fixture = useAedes();

  /** Holds every CONNACK until `release()` (aedes answers CONNECT once authenticate calls back). */
  function holdConnacks(f: ReturnType<typeof fixture>) {
    const waiting: Array<() => void> = [];
    let arrived!: () => void;
    const connectArrived = new Promise<void>((resolve) => (arrived = resolve));
    f.aedes.broker.authenticate = (client, _username, _password, callback) => {
      if (client.id === 'held') {
        waiting.push(() => callback(null, true));
        arrived();
      } else callback(null, true);
    };
    return { connectArrived, release: () => waiting.splice(0).forEach((go) => go()) };
  }

  it('sends publishes made before the first CONNACK after it, in the order they were made', async () => {
    const f = fixture();
    const subscriber = await connected(f.rx());
    const all = collect(subscriber.topic('queue/first', { qos: 2 }), 12);
    await firstValueFrom(subscriber.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), timeout(HANG_DEADLINE_MS)));

    const gate = holdConnacks(f);
    const client = f.rx('in-memory', { clientId: 'held' });
    const sent = record(f, client.packetsOut$);
    await within(gate.connectArrived, 'CONNECT at the broker');
    const qosOf = (i: number) => (i % 3) as QoS;
    const settled = payloads(12).map((payload, i) => client.publishAsync('queue/first', payload, { qos: qosOf(i) }));
    expect(client.state.status).toBe('connecting');
    expect(sent.map((p) => p.cmd)).toEqual(['connect']);

    gate.release();
    await within(Promise.all(settled), 'every queued publish to settle');
    // On the wire: every publish, in call order, each with its QoS.
    const publishes = sent.filter((p) => p.cmd === 'publish') as IPublishPacket[];
    expect(publishes.map((p) => [String(p.payload), p.qos])).toEqual(payloads(12).map((payload, i) => [payload, qosOf(i)]));
    // At the subscriber: all of them; MQTT orders messages per QoS level, so check each level.
    const received = await all;
    for (const qos of [0, 1, 2] as QoS[]) {
      const expected = payloads(12).filter((_, i) => qosOf(i) === qos);
      expect(received.filter((m) => m.qos === qos).map((m) => m.payload.toString())).toEqual(expected);
    }
  });

  it('delivers QoS 1 publishes queued before the first CONNACK to the subscriber in order', async () => {
    const f = fixture();
    const subscriber = await connected(f.js());
    await subscriber.subscribeAsync('queue/ordered', { qos: 1 });
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      subscriber.on('message', (_t, payload: Buffer) => received.push(payload.toString()) === 20 && resolve()),
    );
    const gate = holdConnacks(f);
    const client = f.rx('tcp', { clientId: 'held' });
    await within(gate.connectArrived, 'CONNECT at the broker');
    for (const payload of payloads(20)) client.publish('queue/ordered', payload, { qos: 1 });
    gate.release();
    await within(all, '20 messages');
    expect(received).toEqual(payloads(20));
  });

  it('sends publishes queued with manualConnect once connect() is called', async () => {
    const f = fixture();
    const subscriber = await connected(f.rx());
    const all = collect(subscriber.topic('queue/manual', { qos: 1 }), 3);
    await firstValueFrom(subscriber.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), timeout(HANG_DEADLINE_MS)));
    const client = f.rx('in-memory', { manualConnect: true });
    const settled = payloads(3).map((payload) => client.publishAsync('queue/manual', payload, { qos: 1 }));
    client.connect();
    await within(Promise.all(settled), 'the queued publishes');
    expect((await all).map((m) => m.payload.toString())).toEqual(payloads(3));
  });

  it('queues publishes made while reconnecting and sends them in order after the next CONNACK', async () => {
    const f = fixture();
    const subscriber = await connected(f.rx());
    const all = collect(subscriber.topic('queue/reconnect', { qos: 1 }), 10);
    await firstValueFrom(subscriber.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), timeout(HANG_DEADLINE_MS)));
    const client = await connected(f.rx('in-memory', { reconnectPeriod: 30 }));
    const offline = once(client, 'offline');
    dropFromBroker(f.aedes, client.options.clientId);
    await offline;
    expect(client.state.status).toBe('reconnecting');
    const sent = record(f, client.packetsOut$);
    const settled = payloads(10).map((payload) => client.publishAsync('queue/reconnect', payload, { qos: 1 }));
    await within(Promise.all(settled), 'the queued publishes');
    expect(sent.map((p) => p.cmd).filter((cmd) => cmd !== 'subscribe')).toEqual(['connect', ...Array(10).fill('publish')]);
    expect((await all).map((m) => m.payload.toString())).toEqual(payloads(10));
  });

  it('fails a QoS 0 publish made while offline when queueQoSZero is false', async () => {
    const f = fixture();
    const client = await connected(f.rx('in-memory', { queueQoSZero: false, reconnectPeriod: 1000 }));
    const offline = once(client, 'offline');
    dropFromBroker(f.aedes, client.options.clientId);
    await offline;
    await expect(within(client.publishAsync('queue/none', 'x'), 'publishAsync')).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });

  it('delivers a QoS 1 publish whose connection dropped before the PUBACK once, after reconnecting', async () => {
    const f = fixture();
    const subscriber = await connected(f.rx());
    const received: string[] = [];
    await subscribed(subscriber, subscriber.topic('inflight/x', { qos: 1 }), (m) => received.push(m.payload.toString()));
    const client = await connected(f.rx('in-memory', { reconnectPeriod: 20 }));
    let dropped = false;
    // The broker "loses" the first PUBLISH: it drops the connection instead of acknowledging it.
    f.aedes.broker.authorizePublish = (from, _packet, callback) => {
      if (!dropped && from?.id === client.options.clientId) {
        dropped = true;
        dropFromBroker(f.aedes, from.id);
      } else callback(null);
    };
    const sent = record(f, client.packetsOut$);
    const delivered = collect(subscriber.topic('inflight/x'), 1);
    const callbacks: unknown[] = [];
    await within(
      new Promise<void>((resolve) =>
        client.publish('inflight/x', 'survivor', { qos: 1 }, (error) => {
          callbacks.push(error ?? 'ok');
          resolve();
        }),
      ),
      'the publish callback',
    );
    await delivered;
    // A PUBACK for the resent id proves nothing else is pending; the callback ran once.
    expect(callbacks).toEqual(['ok']);
    expect(received).toEqual(['survivor']);
    const publishes = sent.filter((p) => p.cmd === 'publish') as IPublishPacket[];
    expect(publishes).toHaveLength(2);
    expect(publishes[1].messageId).toBe(publishes[0].messageId);
  });

  it('receives QoS 1 messages published while it was away when it comes back with clean: false', async () => {
    const f = fixture();
    const options = { clientId: 'persistent', clean: false };
    const first = await connected(f.rx('in-memory', options));
    await first.subscribeAsync('persistent/+', { qos: 1 });
    await first.endAsync();

    const publisher = await connected(f.rx());
    await publisher.publishAsync('persistent/a', 'while away', { qos: 1 });

    const again = f.rx('in-memory', options);
    const message = once<[string, Buffer, IPublishPacket]>(again, 'message');
    const [connack] = await once<[{ sessionPresent: boolean }]>(again, 'connect');
    expect(connack.sessionPresent).toBe(true);
    const [topic, payload] = await message;
    expect(topic).toBe('persistent/a');
    expect(payload.toString()).toBe('while away');
  });

  it('keeps a topic() stream of a clean: false session receiving across a drop, without resubscribing', async () => {
    const f = fixture();
    const client = await connected(f.rx('in-memory', { clientId: 'durable', clean: false, reconnectPeriod: 20 }));
    const publisher = await connected(f.rx());
    const received: string[] = [];
    await subscribed(client, client.topic('durable/+', { qos: 1 }), (m) => received.push(m.payload.toString()));
    const sent = record(f, client.packetsOut$);

    const offline = once(client, 'offline');
    dropFromBroker(f.aedes, 'durable');
    await offline;
    const missed = collect(client.topic('durable/+'), 2);
    await publisher.publishAsync('durable/a', 'while away', { qos: 1 });
    const [connack] = await once<[{ sessionPresent: boolean }]>(client, 'connect');
    expect(connack.sessionPresent).toBe(true);
    await publisher.publishAsync('durable/b', 'after', { qos: 1 });
    expect((await missed).map((m) => m.payload.toString())).toEqual(['while away', 'after']);
    expect(received).toEqual(['while away', 'after']);
    // The broker kept the subscription, so none was sent again.
    expect(sent.filter((p) => p.cmd === 'subscribe')).toEqual([]);
  });

  it('tries the next of several servers when one refuses the connection', async () => {
    const f = fixture();
    const dead = await freePort();
    const client = connect({
      servers: [
        { host: '127.0.0.1', port: dead },
        { host: '127.0.0.1', port: f.aedes.port },
      ],
      reconnectPeriod: 10,
      connectTimeout: HANG_DEADLINE_MS,
    });
    f.defer(() => client.endAsync(true));
    const errors: Array<{ code?: string }> = [];
    client.on('error', (error) => errors.push(error as { code?: string }));
    await firstValueFrom(client.state$.pipe(filter((s) => s.status === 'connected'), timeout(HANG_DEADLINE_MS)));
    expect(errors).toMatchObject([{ kind: 'ERR_TRANSPORT' }]);
    expect(client.state).toMatchObject({ status: 'connected', attempt: 2 });
  });

  it('ends a client that never connected at once, calling back and emitting end', async () => {
    const f = fixture();
    const client = f.rx('in-memory', { manualConnect: true });
    const order: string[] = [];
    client.on('end', () => order.push('end'));
    await within(new Promise<void>((resolve) => client.end(() => (order.push('callback'), resolve()))), 'end callback');
    await Promise.resolve();
    expect(order).toEqual(['end', 'callback']); // MQTT.js 5's order
    expect(client.state.status).toBe('closed');
  });

  it('rejects connectAsync without retries when the broker closes before CONNACK', async () => {
    const f = fixture();
    // aedes closes a connection whose CONNECT preConnect fails, without a CONNACK.
    f.aedes.broker.preConnect = (_client, _packet, callback) => callback(new Error('not today'), false);
    const outcome = await within(
      connectAsync(f.aedes.url, { reconnectPeriod: 10, connectTimeout: 3000 }, false).then(
        (client) => (client.end(true), 'connected'),
        (error: Error) => error,
      ),
      'connectAsync to reject',
    );
    expect(outcome).toBeInstanceOf(Error);
  });

  it('stops reconnecting when end() is called while waiting to reconnect', async () => {
    const f = fixture();
    // Timers run on a virtual clock, so "no reconnect ever fires" is checked by flushing it.
    const clock = new VirtualTimeScheduler(undefined, 60_000);
    let opened = 0;
    const client = new MqttClient(() => (opened++, f.aedes.connectStream()), { reconnectPeriod: 50, scheduler: clock });
    f.defer(() => client.endAsync(true));
    await connected(client);
    const offline = once(client, 'offline');
    dropFromBroker(f.aedes, client.options.clientId);
    await offline;
    expect(client.state).toMatchObject({ status: 'reconnecting', delayMs: 50 });

    const events: string[] = [];
    for (const name of ['reconnect', 'connect', 'end'] as const) client.on(name, () => events.push(name));
    await within(client.endAsync(), 'endAsync while reconnecting');
    clock.flush();
    expect(client.state.status).toBe('closed');
    expect(events).toEqual(['end']);
    expect(opened).toBe(1);
  });
});
