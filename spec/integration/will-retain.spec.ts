// Retained messages and the last will, as the broker (aedes) and other clients observe them.
import type { Duplex } from 'node:stream';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { MqttClient, type IPublishPacket } from '../../lib/index.js';
import { HANG_DEADLINE_MS, once } from '../helpers/wait.js';
import { BINARY, connected, QUICK, subscribed, useAedes, within, type Fixture } from './support.js';

const WILL = { topic: 'will/sensor-1', payload: Buffer.from('sensor-1 vanished'), qos: 1 as const, retain: false };

/** An rxmqtt client with a will, over an in-memory stream the test can destroy. */
function clientWithWill(f: Fixture): { client: MqttClient; socket: () => Duplex } {
  let stream: Duplex | undefined;
  const client = new MqttClient(
    () => {
      stream = f.aedes.connectStream();
      return stream;
    },
    { ...QUICK, clientId: 'sensor-1', will: WILL },
  );
  f.defer(() => client.endAsync(true));
  return {
    client,
    socket: () => {
      if (!stream) throw new Error('not connected yet');
      return stream;
    },
  };
}

describe('retained messages and wills through aedes', () => {
  const fixture = useAedes();

  it('delivers a retained message to a subscriber that arrives later, flagged retain', async () => {
    const f = fixture();
    const publisher = await connected(f.rx());
    await publisher.publishAsync('retained/config', BINARY, { qos: 1, retain: true });
    await publisher.endAsync();

    const late = await connected(f.rx('tcp'));
    const message = await firstValueFrom(late.topic('retained/+', { qos: 1 }).pipe(timeout(HANG_DEADLINE_MS)));
    expect(message.topic).toBe('retained/config');
    expect(message.retain).toBe(true);
    expect(message.qos).toBe(1);
    expect(Buffer.compare(message.payload, BINARY)).toBe(0);
  });

  it('delivers a live message with retain false to a subscriber that was already there', async () => {
    const f = fixture();
    const subscriber = await connected(f.rx());
    const publisher = await connected(f.rx());
    const live = firstValueFrom(subscriber.messages$.pipe(timeout(HANG_DEADLINE_MS)));
    await subscribed(subscriber, subscriber.topic('retained/live'));
    await publisher.publishAsync('retained/live', 'now', { qos: 1, retain: true });
    expect(await live).toMatchObject({ topic: 'retained/live', retain: false });
  });

  it('clears a retained message with an empty retained publish', async () => {
    const f = fixture();
    const publisher = await connected(f.rx());
    await publisher.publishAsync('retained/cleared', 'old', { qos: 1, retain: true });
    await publisher.publishAsync('retained/cleared', '', { qos: 1, retain: true });
    await publisher.publishAsync('retained/kept', 'kept', { qos: 1, retain: true });

    const late = await connected(f.rx());
    const first = await firstValueFrom(late.topic('retained/#').pipe(timeout(HANG_DEADLINE_MS)));
    expect(first.topic).toBe('retained/kept');
  });

  it('publishes the will when the client socket is destroyed without DISCONNECT', async () => {
    const f = fixture();
    const watcher = await connected(f.rx());
    const will = firstValueFrom(watcher.topic('will/#', { qos: 1 }).pipe(timeout(HANG_DEADLINE_MS)));
    await firstValueFrom(watcher.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), timeout(HANG_DEADLINE_MS)));

    const { client, socket } = clientWithWill(f);
    await connected(client);
    socket().destroy();

    const message = await will;
    expect(message.topic).toBe(WILL.topic);
    expect(message.payload.toString()).toBe('sensor-1 vanished');
    expect(message.qos).toBe(1);
  });

  it('publishes the will on a forced end(), which sends no DISCONNECT', async () => {
    const f = fixture();
    const watcher = await connected(f.js());
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const will = once<[string, Buffer, IPublishPacket]>(watcher, 'message');
    const { client } = clientWithWill(f);
    await connected(client);
    await within(client.endAsync(true), 'a forced endAsync');
    const [topic, payload] = await will;
    expect(topic).toBe(WILL.topic);
    expect(payload.toString()).toBe('sensor-1 vanished');
  });

  it('does not publish the will on a clean end()', async () => {
    const f = fixture();
    const watcher = await connected(f.rx());
    const topics: string[] = [];
    await subscribed(watcher, watcher.topic('will/#'), (m) => topics.push(m.topic));
    await subscribed(watcher, watcher.topic('marker'), (m) => topics.push(m.topic));
    const brokerPublishes: string[] = [];
    let markerAtBroker!: () => void;
    const markerSeen = new Promise<void>((resolve) => (markerAtBroker = resolve));
    f.aedes.broker.on('publish', (packet, from) => {
      if (from) brokerPublishes.push(packet.topic);
      if (packet.topic === 'marker') markerAtBroker();
    });

    const { client } = clientWithWill(f);
    await connected(client);
    const gone = once(f.aedes.broker, 'clientDisconnect');
    await within(client.endAsync(), 'endAsync');
    await gone;
    // aedes publishes a will before it reports the disconnect: a marker published now arrives
    // after any will would have.
    const marker = firstValueFrom(watcher.topic('marker').pipe(timeout(HANG_DEADLINE_MS)));
    await connected(f.rx()).then((other) => other.publishAsync('marker', 'after', { qos: 1 }));
    await marker;
    await within(markerSeen, "aedes' publish event for the marker");
    expect(topics).toEqual(['marker']);
    expect(brokerPublishes).toEqual(['marker']);
  });
});
