/**
 * One connection shared by several "tabs" in Node: each tab is a client made by
 * `connect(url, { shared: acrossTabs(...) })`, talking over Node's BroadcastChannel, with an
 * in-memory election standing in for Web Locks; aedes in-process is the broker. What the broker
 * sees (connections, SUBSCRIBE/UNSUBSCRIBE, publishes) and what each tab receives are asserted.
 */
import type { AedesPublishPacket, Client as AedesClient, Subscription } from 'aedes';
import { filter, firstValueFrom, type Subscription as RxSubscription } from 'rxjs';
import { acrossTabs, connect, InvalidArgumentError, SharingUnsupportedError, type MqttClient, type MqttMessage } from '../../lib/index.js';
import type { Election } from '../../lib/sharing/election.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { memoryElection } from '../helpers/memory-election.js';
import { memoryLocks } from '../helpers/memory-locks.js';
import { within } from '../helpers/wait.js';
import { connected, outsideClient, received, waitFor } from '../helpers/shared-tabs.js';

let aedes: AedesHandle;
let election: Election;
const clients: MqttClient[] = [];
const streams: RxSubscription[] = [];
/** Client ids of every connection the broker accepted (the hub's, and the outside publisher's). */
let connections: string[];
let subscribes: string[];
let unsubscribes: string[];

beforeEach(async () => {
  aedes = await startAedes();
  election = memoryElection();
  connections = [];
  subscribes = [];
  unsubscribes = [];
  aedes.broker.on('client', (client: AedesClient) => connections.push(client.id));
  aedes.broker.on('subscribe', (subscriptions: Subscription[]) => subscribes.push(...subscriptions.map((s) => s.topic)));
  aedes.broker.on('unsubscribe', (topics: string[]) => unsubscribes.push(...topics));
});

afterEach(async () => {
  streams.splice(0).forEach((s) => s.unsubscribe());
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await aedes.close();
});

/** A tab: a client sharing the connection of client id `clientId`. */
function tab(clientId = 'dash', options: Record<string, unknown> = {}): MqttClient {
  const client = connect(aedes.url, { clientId, shared: acrossTabs({ election }), ...options });
  clients.push(client);
  return client;
}

const outsider = () => outsideClient(aedes.url, clients);


/** Resolves once the broker routed a client PUBLISH to `topic` with `payload`. */
function brokerGot(topic: string, payload: string): Promise<void> {
  return within(
    new Promise<void>((done) => {
      aedes.broker.on('publish', (packet: AedesPublishPacket, client: unknown) => {
        if (client && packet.topic === topic && packet.payload.toString() === payload) done();
      });
    }),
    `the broker to route ${topic}`,
  );
}


describe('acrossTabs(): one connection for several clients', () => {
  it('throws a SharingUnsupportedError where there is no Web Locks API (Node) and no election is given', () => {
    expect(() => connect(aedes.url, { clientId: 'dash', shared: acrossTabs() })).toThrow(SharingUnsupportedError);
  });

  it('throws an InvalidArgumentError without a clientId or key: the tabs share one client id', () => {
    expect(() => connect(aedes.url, { shared: acrossTabs({ election }) })).toThrow(InvalidArgumentError);
  });

  it('opens one connection to the broker for two tabs, and each tab connects', async () => {
    const a = tab();
    const b = tab();
    await Promise.all([connected(a), connected(b)]);
    expect(connections).toEqual(['dash']);
    expect(a.options.clientId).toBe('dash');
  });

  it('sends one SUBSCRIBE for two tabs, delivers to both, and UNSUBSCRIBEs when the last tab leaves the filter', async () => {
    const a = tab();
    const b = tab();
    await Promise.all([connected(a), connected(b)]);
    const atA = received(a, 'news/1');
    const atB = received(b, 'news/1');
    await a.subscribeAsync('news/+', { qos: 1 });
    await b.subscribeAsync('news/+', { qos: 1 });
    expect(subscribes).toEqual(['news/+']);

    const publisher = await outsider();
    await publisher.publishAsync('news/1', 'one', { qos: 1 });
    await within(waitFor(() => atA.length === 1 && atB.length === 1), 'both tabs to receive');

    await a.unsubscribeAsync('news/+');
    await publisher.publishAsync('news/1', 'two', { qos: 1 });
    await within(waitFor(() => atB.length === 2), 'the remaining tab to receive');
    expect(unsubscribes).toEqual([]);
    expect(atA).toEqual(['one']);

    await b.unsubscribeAsync('news/+');
    await within(waitFor(() => unsubscribes.length === 1), 'the UNSUBSCRIBE');
    expect(unsubscribes).toEqual(['news/+']);
  });

  it('releases the filters of a tab that ends', async () => {
    const a = tab();
    const b = tab();
    await Promise.all([connected(a), connected(b)]);
    await b.subscribeAsync('alerts/#', { qos: 0 });
    await b.endAsync();
    await within(waitFor(() => unsubscribes.length === 1), 'the UNSUBSCRIBE');
    expect(unsubscribes).toEqual(['alerts/#']);
    expect(a.connected).toBe(true);
  });

  it('settles a publish in the tab that made it, once the broker acknowledged it; QoS 2 reaches the broker once', async () => {
    const a = tab();
    const b = tab();
    await Promise.all([connected(a), connected(b)]);
    const seen: string[] = [];
    aedes.broker.on('publish', (packet: AedesPublishPacket, client: unknown) => client && seen.push(`${packet.topic} ${packet.qos}`));
    const q1 = await b.publishAsync('out/1', 'x', { qos: 1 });
    const q2 = await a.publishAsync('out/2', 'y', { qos: 2 });
    expect(q1?.cmd).toBe('puback');
    expect(q2?.cmd).toBe('pubcomp');
    expect(seen).toEqual(['out/1 1', 'out/2 2']);
  });

  it('settles a tab publish only after the broker acknowledged the real one (the tab keeps it until then)', async () => {
    let release = (): void => undefined;
    const held = new Promise<void>((done) => (release = done));
    const authorizing = new Promise<void>((reached) => {
      aedes.broker.authorizePublish = (_client, packet, callback) => {
        if (packet.topic !== 'held') return callback(null);
        reached();
        void held.then(() => callback(null));
      };
    });
    const a = tab();
    const b = tab();
    await Promise.all([connected(a), connected(b)]);
    await b.subscribeAsync('elsewhere');
    let settled = false;
    const publish = a.publishAsync('held', 'x', { qos: 1 }).then(() => (settled = true));
    await within(authorizing, 'the broker to get the PUBLISH');
    // A SUBACK the hub answers alone (b holds the filter): a PUBACK sent at once would come first.
    await a.subscribeAsync('elsewhere');
    expect(settled).toBe(false);
    release();
    await within(publish, 'the publish to settle');
  });

  it('gives a tab joining a subscribed filter the retained messages the hub saw', async () => {
    const publisher = await outsider();
    await publisher.publishAsync('config/theme', 'dark', { qos: 1, retain: true });
    const a = tab();
    const b = tab();
    await Promise.all([connected(a), connected(b)]);
    const atA: string[] = [];
    streams.push(a.topic('config/#').subscribe((m) => atA.push(m.payload.toString())));
    await within(waitFor(() => atA.length === 1), 'the retained message at the first tab');
    const second = firstValueFrom(b.topic('config/#'));
    const message = await within(second, 'the retained message at the second tab');
    expect(message.payload.toString()).toBe('dark');
    expect(message.retain).toBe(true);
    expect(subscribes).toEqual(['config/#']);
  });

  it('leaves a message a tab had not acknowledged with the broker when the real connection drops: the tab gets it again', async () => {
    const a = tab('drop', { clean: false });
    const b = tab('drop', { clean: false });
    await Promise.all([connected(a), connected(b)]);
    const atA: string[] = [];
    const atB: string[] = [];
    streams.push(a.topic('jobs', { qos: 1 }).subscribe((m: MqttMessage) => atA.push(m.payload.toString())));
    // b takes the message but never acknowledges it: the hub cannot acknowledge it to the broker.
    streams.push(b.topic('jobs', { qos: 1, ack: 'manual' }).subscribe((m: MqttMessage) => atB.push(m.payload.toString())));
    await within(waitFor(() => subscribes.length === 1), 'the SUBSCRIBE');
    const publisher = await outsider();
    await publisher.publishAsync('jobs', 'job-1', { qos: 1 });
    await within(waitFor(() => atA.length === 1 && atB.length === 1), 'both tabs to get the job');
    // The broker drops the hub's connection (a network cut): the tabs are sent back to reconnect.
    const hubAtBroker = [...Object.values((aedes.broker as unknown as { clients: Record<string, AedesClient> }).clients)].find((c) => c.id === 'drop');
    (hubAtBroker as unknown as { conn: { destroy(): void } }).conn.destroy();
    await within(waitFor(() => atB.length === 2), 'the job again at the tab that had not acknowledged it', 10_000);
    expect(atB).toEqual(['job-1', 'job-1']);
  });

  it('drops the links of a tab that goes away without end() (its page closed or crashed): the other tabs keep receiving', async () => {
    const locks = memoryLocks();
    // The hub's real client stops reading once 3 messages wait for a tab's acknowledgement.
    const options = { maxUnackedMessages: 3 };
    const a = connect(aedes.url, { clientId: 'gone', shared: acrossTabs({ election, locks }), ...options });
    clients.push(a);
    await connected(a);
    const b = connect(aedes.url, { clientId: 'gone', shared: acrossTabs({ election, locks }), ...options });
    clients.push(b);
    await connected(b);
    const atA: string[] = [];
    const suback = within(new Promise((done) => b.on('packetreceive', (p: { cmd: string }) => p.cmd === 'suback' && done(p))), 'the SUBACK at the second tab');
    streams.push(a.topic('feed', { qos: 1 }).subscribe((m: MqttMessage) => atA.push(m.payload.toString())));
    // b stands for a page that is gone: it never acknowledges what the hub hands it.
    streams.push(b.topic('feed', { qos: 1, ack: 'manual' }).subscribe());
    await suback;
    // Its page goes away: the browser releases the lock it held while it lived (the first is a's).
    const tabLocks = locks.held().filter((name) => name.startsWith('rxmqtt:gone:tab:'));
    expect(tabLocks).toHaveLength(2);
    locks.crash(tabLocks[1]);
    const publisher = await outsider();
    const all = Array.from({ length: 10 }, (_, i) => `m${i + 1}`);
    for (const payload of all) await publisher.publishAsync('feed', payload, { qos: 1 });
    await within(waitFor(() => atA.length === all.length), 'every message at the tab still open');
    expect(atA).toEqual(all);
  });

  it('hands the connection over when the leading tab ends: no tab loses its topic() stream or a QoS 1 message', async () => {
    const options = { clean: false };
    const leader = tab('seq', options);
    await connected(leader);
    const b = tab('seq', options);
    const c = tab('seq', options);
    await Promise.all([connected(b), connected(c)]);
    const atB = new Set<string>();
    const atC = new Set<string>();
    const subacks = Promise.all([b, c].map((tabClient) => within(new Promise((done) => tabClient.on('packetreceive', (p: { cmd: string }) => p.cmd === 'suback' && done(p))), 'a SUBACK')));
    streams.push(b.topic('seq/in', { qos: 1 }).subscribe((m: MqttMessage) => atB.add(m.payload.toString())));
    streams.push(c.topic('seq/in', { qos: 1 }).subscribe((m: MqttMessage) => atC.add(m.payload.toString())));
    await subacks;
    expect(subscribes).toEqual(['seq/in']);
    const outside = await outsider();
    const fromTabs = new Set<string>();
    await outside.subscribeAsync('seq/out', { qos: 1 });
    outside.on('message', (_t: string, payload: Buffer) => fromTabs.add(payload.toString()));

    // Paced by what arrives, so that the leader ends with publishes in flight both ways.
    const N = 60;
    const sent: Promise<unknown>[] = [];
    for (let i = 1; i <= N; i++) {
      sent.push(outside.publishAsync('seq/in', String(i), { qos: 1 }));
      sent.push(c.publishAsync('seq/out', String(i), { qos: 1 }));
      if (i === N / 2) void leader.endAsync(true);
      else await within(waitFor(() => atB.has(String(i))), `message ${i} at a tab`);
    }
    await within(Promise.all(sent), 'every publish to settle');
    const all = Array.from({ length: N }, (_, i) => String(i + 1));
    await within(waitFor(() => all.every((n) => atB.has(n) && atC.has(n) && fromTabs.has(n))), 'every number at every tab', 20_000);
    expect(connections.filter((id) => id === 'seq').length).toBe(2);
  });
});

