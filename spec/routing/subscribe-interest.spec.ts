// subscribe() (the MQTT.js API) and topic() streams of the same filter share one broker
// subscription against aedes: either side letting go keeps it for the other, and UNSUBSCRIBE
// reaches the broker only once neither wants the filter.
import type { Client as AedesClient } from 'aedes';
import { filter, firstValueFrom } from 'rxjs';
import type { MqttClient, MqttMessage, Packet } from '../../lib/index.js';
import { collect } from '../helpers/wait.js';
import { connected, subscribed, useAedes } from '../integration/support.js';

describe('subscribe() and topic() of one filter', () => {
  const fixture = useAedes();

  /** The filters of each UNSUBSCRIBE the broker processed for `client`. */
  function brokerUnsubscribes(client: MqttClient): string[][] {
    const seen: string[][] = [];
    fixture().aedes.broker.on('unsubscribe', (filters: string[], c: AedesClient) => {
      if (c.id === client.options.clientId) seen.push([...filters]);
    });
    return seen;
  }

  /** The topics of the 'message' events `client` emits. */
  function messageEvents(client: MqttClient): string[] {
    const topics: string[] = [];
    client.on('message', (topic: string) => topics.push(topic));
    return topics;
  }

  async function setup() {
    const f = fixture();
    const client = await connected(f.rx());
    const publisher = await connected(f.rx());
    return { client, publisher };
  }

  it("keeps a topic() stream receiving after unsubscribe() of its filter, and stops only the 'message' event", async () => {
    const { client, publisher } = await setup();
    const unsubscribes = brokerUnsubscribes(client);
    const events = messageEvents(client);
    const streamed: string[] = [];
    await client.subscribeAsync('a', { qos: 1 });
    await client.subscribeAsync('other', { qos: 1 });
    const stream = await subscribed(client, client.topic('a', { qos: 1 }), (m: MqttMessage) => streamed.push(m.payload.toString()));

    const unsuback = await new Promise<Packet | undefined>((resolve, reject) =>
      client.unsubscribe('a', (error?: Error | null, packet?: Packet) => (error ? reject(error) : resolve(packet))),
    );
    expect(unsuback).toMatchObject({ cmd: 'unsuback' });

    const arrived = collect(client.messages$, 2);
    await publisher.publishAsync('a', 'still streamed', { qos: 1 });
    await publisher.publishAsync('other', 'still an event', { qos: 1 });
    await arrived;
    expect(streamed).toEqual(['still streamed']);
    expect(events).toEqual(['other']); // 'a' no longer reaches the MQTT.js API
    expect(unsubscribes).toEqual([]);

    stream.unsubscribe();
    await client.unsubscribeAsync('other'); // sent after the stream's UNSUBSCRIBE, so its ack follows it
    expect(unsubscribes).toEqual([['a'], ['other']]);
  });

  it("reports a message that a topic() stream's own filter also brought, when unsubscribe() let go of another filter matching it", async () => {
    const { client, publisher } = await setup();
    const events = messageEvents(client);
    await client.subscribeAsync('a/#', { qos: 1 });
    const wide = await subscribed(client, client.topic('a/#', { qos: 1 }));
    const narrow = await subscribed(client, client.topic('a/b', { qos: 1 }));
    await client.unsubscribeAsync('a/#'); // the wide stream keeps a/# at the broker

    const last = firstValueFrom(client.messages$.pipe(filter((m) => m.topic === 'a/c')));
    await publisher.publishAsync('a/b', 'also the narrow stream', { qos: 1 });
    await publisher.publishAsync('a/c', 'only the released filter', { qos: 1 });
    await last;
    // a/b came for the a/b stream too, so an MQTT.js client subscribed to a/b would report it; a/c only for a/#.
    expect(new Set(events)).toEqual(new Set(['a/b']));
    wide.unsubscribe();
    narrow.unsubscribe();
  });

  it('keeps subscribe() receiving after the topic() stream of its filter ends, until unsubscribe()', async () => {
    const { client, publisher } = await setup();
    const unsubscribes = brokerUnsubscribes(client);
    const events = messageEvents(client);
    const stream = await subscribed(client, client.topic('a', { qos: 1 }));
    await client.subscribeAsync('a', { qos: 1 });

    stream.unsubscribe();
    const arrived = collect(client.messages$, 1);
    await publisher.publishAsync('a', 'for subscribe()', { qos: 1 });
    await arrived;
    expect(events).toEqual(['a']);
    expect(unsubscribes).toEqual([]);

    await client.unsubscribeAsync('a');
    expect(unsubscribes).toEqual([['a']]);
  });
});
