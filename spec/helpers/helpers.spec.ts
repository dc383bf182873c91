// Smoke tests for the test helpers themselves, using MQTT.js as a known-good client.
import { EventEmitter } from 'node:events';
import { createConnection } from 'node:net';
import * as mqtt from 'mqtt';
import { NEVER, of, Subject } from 'rxjs';
import { duplexPair, startAedes, type AedesHandle } from './aedes.js';
import { describeMosquitto, startMosquitto } from './mosquitto.js';
import { collect, once } from './wait.js';

const clientOptions = { reconnectPeriod: 0, connectTimeout: 5000 };

async function connected(client: mqtt.MqttClient): Promise<mqtt.MqttClient> {
  if (!client.connected) await once(client, 'connect');
  return client;
}

async function roundTrip(client: mqtt.MqttClient, topic: string, payload: string): Promise<void> {
  await client.subscribeAsync(topic, { qos: 1 });
  const message = once<[string, Buffer]>(client, 'message');
  await client.publishAsync(topic, payload, { qos: 1 });
  const [receivedTopic, receivedPayload] = await message;
  expect(receivedTopic).toBe(topic);
  expect(receivedPayload.toString()).toBe(payload);
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('duplexPair', () => {
  test('carries bytes both ways', async () => {
    const [a, b] = duplexPair();
    const atB = once<[Buffer]>(b, 'data');
    a.write('ping');
    expect((await atB)[0].toString()).toBe('ping');
    const atA = once<[Buffer]>(a, 'data');
    b.write(Buffer.from('pong'));
    expect((await atA)[0].toString()).toBe('pong');
    a.destroy();
  });

  test('end() ends the peer and then both close', async () => {
    const [a, b] = duplexPair();
    b.resume();
    a.resume();
    const closes = Promise.all([once(a, 'close'), once(b, 'close')]);
    const ended = once(b, 'end');
    a.end();
    await ended;
    await closes;
  });

  test('destroy() on one side closes the other, without an error', async () => {
    const [a, b] = duplexPair();
    const closed = once<[boolean?]>(b, 'close');
    a.destroy();
    await closed;
    expect(b.destroyed).toBe(true);
    expect(b.errored).toBeNull();
  });
});

describe('wait helpers', () => {
  test('once resolves with the event arguments', async () => {
    const emitter = new EventEmitter();
    const fired = once(emitter, 'thing');
    emitter.emit('thing', 1, 'two');
    await expect(fired).resolves.toEqual([1, 'two']);
    expect(emitter.listenerCount('thing')).toBe(0);
    expect(emitter.listenerCount('error')).toBe(0);
  });

  test('once rejects clearly on timeout and on error', async () => {
    const emitter = new EventEmitter();
    await expect(once(emitter, 'never', { timeoutMs: 10 })).rejects.toThrow(
      'timed out after 10 ms waiting for EventEmitter to emit "never"',
    );
    const failing = once(emitter, 'never');
    emitter.emit('error', new Error('boom'));
    await expect(failing).rejects.toThrow('boom');
    expect(emitter.listenerCount('never')).toBe(0);
  });

  test('collect takes n emissions', async () => {
    await expect(collect(of(1, 2, 3, 4), 3)).resolves.toEqual([1, 2, 3]);
    const subject = new Subject<string>();
    const values = collect(subject, 2);
    subject.next('a');
    subject.next('b');
    await expect(values).resolves.toEqual(['a', 'b']);
    expect(subject.observed).toBe(false);
  });

  test('collect rejects on early completion and on timeout', async () => {
    await expect(collect(of(1), 2)).rejects.toThrow('completed after 1 of 2 emissions');
    const subject = new Subject<number>();
    const values = collect(subject, 2, 20);
    subject.next(1);
    await expect(values).rejects.toThrow('timed out after 20 ms with 1 of 2 emissions');
    await expect(collect(NEVER, 1, 10)).rejects.toThrow('timed out after 10 ms with 0 of 1 emissions');
  });
});

describe('aedes helper', () => {
  let aedes: AedesHandle;
  beforeAll(async () => {
    aedes = await startAedes();
  });
  afterAll(async () => {
    await aedes.close();
  });

  test('listens on a free loopback port', () => {
    expect(aedes.port).toBeGreaterThan(0);
    expect(aedes.url).toBe(`mqtt://127.0.0.1:${aedes.port}`);
  });

  test('MQTT.js round-trips over TCP', async () => {
    const client = await connected(mqtt.connect(aedes.url, clientOptions));
    try {
      await roundTrip(client, 'helpers/tcp', 'over tcp');
    } finally {
      await client.endAsync();
    }
  });

  test('MQTT.js round-trips over connectStream()', async () => {
    const client = await connected(new mqtt.MqttClient(() => aedes.connectStream(), clientOptions));
    try {
      await roundTrip(client, 'helpers/stream', 'in memory');
    } finally {
      await client.endAsync();
    }
  });

  test('close() disconnects TCP and in-memory clients', async () => {
    const own = await startAedes();
    const tcp = await connected(mqtt.connect(own.url, clientOptions));
    const memory = await connected(new mqtt.MqttClient(() => own.connectStream(), clientOptions));
    const closes = Promise.all([once(tcp, 'close'), once(memory, 'close')]);
    await own.close();
    await closes;
    await own.close(); // idempotent
    expect(() => own.connectStream()).toThrow('after close()');
    expect(await refusesConnections(own.port)).toBe(true);
    await Promise.all([tcp.endAsync(true), memory.endAsync(true)]);
  });
});

describeMosquitto('mosquitto helper', () => {
  test('starts on a free port and MQTT.js round-trips; stop() frees the port', async () => {
    const broker = await startMosquitto();
    try {
      expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
      const client = await connected(mqtt.connect(broker.url, clientOptions));
      try {
        await roundTrip(client, 'helpers/mosquitto', 'via mosquitto');
      } finally {
        await client.endAsync();
      }
    } finally {
      await broker.stop();
    }
    expect(await refusesConnections(broker.port)).toBe(true);
    await broker.stop(); // idempotent
  });

  test('restart() keeps a retained message when persistence is on', async () => {
    const broker = await startMosquitto({ persistence: true });
    try {
      const publisher = await connected(mqtt.connect(broker.url, clientOptions));
      await publisher.publishAsync('helpers/retained', 'kept', { qos: 1, retain: true });
      await publisher.endAsync();

      await broker.restart();

      const subscriber = await connected(mqtt.connect(broker.url, clientOptions));
      try {
        const message = once<[string, Buffer, mqtt.IPublishPacket]>(subscriber, 'message');
        await subscriber.subscribeAsync('helpers/retained', { qos: 1 });
        const [topic, payload, packet] = await message;
        expect(topic).toBe('helpers/retained');
        expect(payload.toString()).toBe('kept');
        expect(packet.retain).toBe(true);
      } finally {
        await subscriber.endAsync();
      }
    } finally {
      await broker.stop();
    }
  });

  test('kill9() drops connections and restart() brings the broker back', async () => {
    const broker = await startMosquitto();
    try {
      const client = await connected(mqtt.connect(broker.url, clientOptions));
      const closed = once(client, 'close');
      await broker.kill9();
      await closed;
      await client.endAsync(true);
      expect(await refusesConnections(broker.port)).toBe(true);

      await broker.restart();
      const again = await connected(mqtt.connect(broker.url, clientOptions));
      try {
        await roundTrip(again, 'helpers/after-crash', 'back');
      } finally {
        await again.endAsync();
      }
    } finally {
      await broker.stop();
    }
  });
});
