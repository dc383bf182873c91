/**
 * The SUBSCRIBEs of topic() streams opened in one turn go out together (SubscribeQueue): counted
 * where the broker sees them (aedes' `subscribe` event, a scripted broker's packets), with each
 * stream still learning its own filter's outcome, and the packets cut as MQTT 5 requires: one per
 * Subscription Identifier, none over the broker's Maximum Packet Size.
 */
import type { Client as AedesClient, Subscription as AedesSubscription } from 'aedes';
import { SubackError, type MqttClient, type MqttMessage } from '../../lib/index.js';
import type { ISubscribePacket } from '../../lib/protocol/codec.js';
import { encodePacket } from '../../lib/protocol/codec.js';
import { HANG_DEADLINE_MS, within } from '../helpers/wait.js';
import { connected as scripted, flush, type Harness } from '../connection/harness.js';
import { connected, nextPackets, useAedes, type Fixture } from '../integration/support.js';

/** The filter lists of the SUBSCRIBE packets aedes receives from `client`. */
function brokerSubscribes(f: Fixture, client: MqttClient): string[][] {
  const seen: string[][] = [];
  f.aedes.broker.on('subscribe', (subs: AedesSubscription[], c: AedesClient) => {
    if (c.id === client.options.clientId) seen.push(subs.map((s) => s.topic));
  });
  return seen;
}

/** `n` filters (80% exact, 10% `+`, 10% `#`, as bench K3) and a topic matching each one only. */
function k3StyleFilters(n: number): { filters: string[]; topics: string[] } {
  const filters: string[] = [];
  const topics: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 10 === 8 ? 'p' : i % 10 === 9 ? 'h' : 'e';
    filters.push(kind === 'e' ? `k/e/${i}` : kind === 'p' ? `k/p/${i}/+` : `k/h/${i}/#`);
    topics.push(kind === 'e' ? `k/e/${i}` : kind === 'p' ? `k/p/${i}/x` : `k/h/${i}/x/y`);
  }
  return { filters, topics };
}

function suback(h: Harness, packet: ISubscribePacket, code = 0): void {
  h.broker.last.reply({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(() => code) });
}

describe('topic() SUBSCRIBEs of one turn (aedes)', () => {
  const fixture = useAedes();

  it('sends 10,000 streams opened in one turn in ceil(10,000 / subscribeBatchSize) SUBSCRIBEs, and each stream gets its messages', async () => {
    const f = fixture();
    const client = await connected(f.rx('in-memory', { subscribeBatchSize: 1000 }));
    const publisher = await connected(f.rx());
    const seen = brokerSubscribes(f, client);
    const { filters, topics } = k3StyleFilters(10_000);
    const received = new Array<string[]>(filters.length);
    let count = 0;
    let allIn!: () => void;
    const done = new Promise<void>((resolve) => (allIn = resolve));
    filters.forEach((filter, i) => {
      received[i] = [];
      client.topic(filter).subscribe((m: MqttMessage) => {
        received[i]!.push(m.topic);
        if (++count === filters.length) allIn();
      });
    });
    await nextPackets(client.packetsIn$, 'suback', 10);
    expect(seen.map((filtersOfPacket) => filtersOfPacket.length)).toEqual(new Array(10).fill(1000));
    expect(seen.flat().sort()).toEqual([...filters].sort());

    for (const topic of topics) publisher.publish(topic, 'm');
    await within(done, 'a message on every stream', HANG_DEADLINE_MS);
    // Each stream got the one message on its own topic, and no other.
    expect(received.every((topicsOfStream, i) => topicsOfStream.length === 1 && topicsOfStream[0] === topics[i])).toBe(true);
  });

  it('sends every filter of a turn in one SUBSCRIBE without subscribeBatchSize', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const seen = brokerSubscribes(f, client);
    for (const filter of ['a/1', 'a/+', 'b/#']) client.topic(filter).subscribe();
    await nextPackets(client.packetsIn$, 'suback');
    expect(seen).toEqual([['a/1', 'a/+', 'b/#']]);
  });

  it('errors only the streams of a filter the broker refuses; the others of the same SUBSCRIBE get their messages', async () => {
    const f = fixture();
    // aedes 1.x: authorizeSubscribe(null, null) answers that filter with 0x80 in the SUBACK.
    f.aedes.broker.authorizeSubscribe = (_client, sub, callback) => callback(null, sub.topic.startsWith('denied/') ? null : sub);
    const client = await connected(f.rx());
    const publisher = await connected(f.rx());
    const seen = brokerSubscribes(f, client);
    const errors: Error[] = [];
    const allowed: string[] = [];
    client.topic('denied/x').subscribe({ error: (e: Error) => errors.push(e) });
    client.topic('allowed/+').subscribe({ next: (m: MqttMessage) => allowed.push(m.payload.toString()), error: (e: Error) => errors.push(e) });
    client.topic('denied/x').subscribe({ error: (e: Error) => errors.push(e) });
    const [ack] = await nextPackets(client.packetsIn$, 'suback');
    expect(seen).toEqual([['denied/x', 'allowed/+']]);
    expect(ack).toMatchObject({ granted: [0x80, 0] });
    await flush();
    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toMatchObject({ kind: 'ERR_SUBACK', topic: 'denied/x', reasonCode: 0x80 });
    expect(errors[0]).toBeInstanceOf(SubackError);

    const delivered = nextPackets(client.packetsIn$, 'publish');
    await publisher.publishAsync('allowed/1', 'still routed', { qos: 1 });
    await delivered;
    expect(allowed).toEqual(['still routed']);
  });

  it('sends neither SUBSCRIBE nor UNSUBSCRIBE for a stream that leaves in the turn it opened', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const seen = brokerSubscribes(f, client);
    const sent: string[] = [];
    client.packetsOut$.subscribe((packet) => sent.push(packet.cmd));
    client.topic('gone').subscribe().unsubscribe();
    client.topic('kept').subscribe();
    await nextPackets(client.packetsIn$, 'suback');
    expect(seen).toEqual([['kept']]);
    expect(sent).toEqual(['subscribe']);
  });

  it('sends the SUBSCRIBE of a stream opened before a publish of the same turn first, so the stream receives it', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const sent: string[] = [];
    client.packetsOut$.subscribe((packet) => sent.push(packet.cmd));
    const echoed: string[] = [];
    client.topic('echo').subscribe((m: MqttMessage) => echoed.push(m.payload.toString()));
    client.publish('echo', 'own message', { qos: 1 });
    await nextPackets(client.packetsIn$, 'publish');
    expect(sent.slice(0, 2)).toEqual(['subscribe', 'publish']);
    expect(echoed).toEqual(['own message']);
  });

  it('keeps a subscribe() issued after topic() in the same turn after the stream\'s SUBSCRIBE', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const seen = brokerSubscribes(f, client);
    client.topic('first').subscribe();
    await client.subscribeAsync('second');
    expect(seen).toEqual([['first'], ['second']]);
  });

  it('subscribes a filter once, at the highest QoS asked for, when two streams of it open in one turn', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const sent: ISubscribePacket[] = [];
    client.packetsOut$.subscribe((packet) => packet.cmd === 'subscribe' && sent.push(packet));
    client.topic('q', { qos: 0 }).subscribe();
    client.topic('q', { qos: 2 }).subscribe();
    await nextPackets(client.packetsIn$, 'suback');
    expect(sent.map((packet) => packet.subscriptions)).toEqual([[{ topic: 'q', qos: 2 }]]);
  });
});

describe('topic() SUBSCRIBEs of one turn over MQTT 5 (scripted broker)', () => {
  it('sends one SUBSCRIBE per Subscription Identifier', async () => {
    const h = await scripted({ client: { protocolVersion: 5 } });
    for (const filter of ['a', 'b', 'c']) h.client.topic(filter).subscribe();
    await flush();
    const packets = h.broker.last.packets('subscribe');
    // [MQTT-3.8.2.1.2] the identifier is the packet's: filters with their own cannot share one.
    expect(packets.map((p) => [p.subscriptions.map((s) => s.topic), p.properties?.subscriptionIdentifier])).toEqual([
      [['a'], 1],
      [['b'], 2],
      [['c'], 3],
    ]);
  });

  it('sends the filters of a turn together, each with its own options, when the broker has no identifiers', async () => {
    const h = await scripted({
      client: { protocolVersion: 5 },
      broker: { autoConnack: { sessionPresent: false, reasonCode: 0, properties: { subscriptionIdentifiersAvailable: false } } },
    });
    h.client.topic('a', { qos: 1, nl: true }).subscribe();
    h.client.topic('b', { qos: 2 }).subscribe();
    await flush();
    const packets = h.broker.last.packets('subscribe');
    expect(packets.map((p) => p.subscriptions)).toEqual([
      [
        { topic: 'a', qos: 1, nl: true, rap: false, rh: 0 },
        { topic: 'b', qos: 2, nl: false, rap: false, rh: 0 },
      ],
    ]);
  });

  it('cuts the SUBSCRIBE of a turn so that no packet exceeds the broker\'s Maximum Packet Size, also when it resubscribes', async () => {
    const maximumPacketSize = 64;
    const properties = { subscriptionIdentifiersAvailable: false, maximumPacketSize };
    const h = await scripted({ client: { protocolVersion: 5, reconnectPeriod: 1000 }, broker: { autoConnack: { sessionPresent: false, reasonCode: 0, properties } } });
    const filters = Array.from({ length: 20 }, (_, i) => `sensors/${String(i).padStart(3, '0')}`);
    const errors: Error[] = [];
    for (const filter of filters) h.client.topic(filter).subscribe({ error: (e: Error) => errors.push(e) });
    await flush();
    const check = (packets: ISubscribePacket[]) => {
      expect(packets.length).toBeGreaterThan(1);
      for (const packet of packets) expect(encodePacket(packet, 5).length).toBeLessThanOrEqual(maximumPacketSize);
      expect(packets.flatMap((p) => p.subscriptions.map((s) => s.topic))).toEqual(filters);
    };
    const first = h.broker.last.packets('subscribe');
    check(first);
    for (const packet of first) suback(h, packet);
    await flush();
    expect(errors).toEqual([]);

    h.broker.last.close();
    await h.clock.advance(1000);
    check(h.broker.last.packets('subscribe'));
  });

  it('errors only the stream of a filter the CONNACK rules out, and subscribes the others of its turn', async () => {
    const h = await scripted({
      client: { protocolVersion: 5 },
      broker: { autoConnack: { sessionPresent: false, reasonCode: 0, properties: { subscriptionIdentifiersAvailable: false, wildcardSubscriptionAvailable: false } } },
    });
    const errors: string[] = [];
    for (const filter of ['x/1', 'x/+', 'x/2']) h.client.topic(filter).subscribe({ error: (e: Error & { capability?: string }) => errors.push(`${filter}: ${e.capability}`) });
    await flush();
    expect(errors).toEqual(['x/+: wildcardSubscriptionAvailable']);
    const subscribed = h.broker.last.packets('subscribe').flatMap((p) => p.subscriptions.map((s) => s.topic));
    expect(subscribed.sort()).toEqual(['x/1', 'x/2']);
  });
});
