// `new MqttClient(streamBuilder, options)` as MQTT.js's: a stream builder that throws, manualConnect,
// writeCache: false, and the public `client.stream` (MQTT.js test/node/client.ts 'creating').
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import writeToStream from 'mqtt-packet/writeToStream.js';
import { connect, MqttClient } from '../../lib/index.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { QUICK } from '../helpers/clients.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';
import { once, within } from '../helpers/wait.js';

describe('new MqttClient(streamBuilder, options)', () => {
  let aedes: AedesHandle;
  const made: MqttClient[] = [];
  beforeAll(async () => {
    aedes = await startAedes();
  });
  afterEach(async () => {
    for (const client of made.splice(0)) await client.endAsync(true);
  });
  afterAll(() => aedes.close());

  const keep = (client: MqttClient) => {
    made.push(client);
    client.on('error', () => undefined);
    return client;
  };

  it('throws what the stream builder throws, from the constructor, and never calls it again', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const build = () => {
      calls++;
      throw new Error('break');
    };
    expect(() => new MqttClient(build, { reconnectPeriod: 1000, scheduler: clock.scheduler })).toThrow('break');
    await flush();
    await clock.advance(60_000);
    expect(calls).toBe(1);
  });

  it('with manualConnect, calls no stream builder until connect(), which then throws what it threw', async () => {
    let calls = 0;
    const client = keep(
      new MqttClient(
        () => {
          calls++;
          throw new Error('break');
        },
        { manualConnect: true, reconnectPeriod: 0 },
      ),
    );
    await flush();
    expect(calls).toBe(0);
    expect(() => client.connect()).toThrow('break');
    expect(calls).toBe(1);
  });

  it('connects on a later connect() once the stream builder stops throwing', async () => {
    let fail = true;
    const client = keep(
      new MqttClient(
        () => {
          if (fail) throw new Error('not yet');
          return aedes.connectStream();
        },
        { ...QUICK, manualConnect: true },
      ),
    );
    expect(() => client.connect()).toThrow('not yet');
    fail = false;
    client.connect();
    await once(client, 'connect');
    expect(client.connected).toBe(true);
  });

  it('reports a stream builder that throws at a reconnect as an error event, and keeps reconnecting', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const client = new MqttClient(
      () => {
        calls++;
        if (calls === 2) throw new Error('builder failed at the reconnect');
        return aedes.connectStream();
      },
      { reconnectPeriod: 1000, scheduler: clock.scheduler, keepalive: 0 },
    );
    made.push(client);
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.message));
    await once(client, 'connect');
    // Not once(): that helper fails on the 'error' event this test expects.
    const reconnected = new Promise((resolve) => client.once('connect', resolve));
    client.stream.destroy();
    await flush();
    await clock.advance(1000);
    await flush();
    await clock.advance(1000);
    await within(reconnected, 'the connection after the failed attempt');
    expect(errors).toEqual([expect.stringContaining('builder failed at the reconnect')]);
    expect(calls).toBe(3);
  });

  it('with writeCache: false, stops mqtt-packet number cache for the process, as MQTT.js does, and still publishes', async () => {
    expect(writeToStream.cacheNumbers).toBe(true);
    try {
      const client = keep(new MqttClient(() => aedes.connectStream(), { ...QUICK, writeCache: false }));
      expect(writeToStream.cacheNumbers).toBe(false);
      await once(client, 'connect');
      const received = new Promise<{ messageId?: number }>((resolve) => aedes.broker.once('publish', (packet) => packet.topic === 'wc/t' && resolve(packet)));
      await client.publishAsync('wc/t', 'x', { qos: 1 });
      expect((await received).messageId).toBeGreaterThan(0);
    } finally {
      writeToStream.cacheNumbers = true;
    }
  });

  it('exposes the stream builder duplex as client.stream; destroying it drops the connection, which comes back on a new one', async () => {
    const built: Duplex[] = [];
    const client = keep(
      new MqttClient(
        () => {
          built.push(aedes.connectStream());
          return built[built.length - 1];
        },
        { ...QUICK, reconnectPeriod: 1 },
      ),
    );
    expect(client.stream).toBe(built[0]);
    await once(client, 'connect');
    const events: string[] = [];
    client.on('close', () => events.push('close')).on('reconnect', () => events.push('reconnect'));
    client.stream.destroy();
    await once(client, 'connect');
    expect(events).toEqual(['close', 'reconnect']);
    expect(built).toHaveLength(2);
    expect(client.stream).toBe(built[1]);
  });

  it("exposes connect()'s TCP socket as client.stream, with its events", async () => {
    const client = keep(connect(aedes.url, { ...QUICK, reconnectPeriod: 1 }));
    expect(client.stream).toBeInstanceOf(Socket);
    const first = client.stream;
    await once(client, 'connect');
    const closed = once(first, 'close');
    first.destroy();
    await closed;
    await once(client, 'connect');
    expect(client.stream).toBeInstanceOf(Socket);
    expect(client.stream).not.toBe(first);
  });

  it('has no stream before the first connection attempt, as MQTT.js', () => {
    const client = keep(new MqttClient(() => aedes.connectStream(), { ...QUICK, manualConnect: true }));
    expect(client.stream).toBeUndefined();
  });
});
