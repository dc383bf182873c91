/**
 * `acrossTabs({ worker })` in Node: each "tab" is a client made by `connect()`, its channel one
 * end of a MessageChannel whose other end goes to a WorkerHub (what the SharedWorker script runs),
 * as a SharedWorker's `connect` event would hand it over; an in-memory Web Locks API stands in
 * for `navigator.locks`, in the tabs and in the worker. aedes in-process is the broker. What the
 * broker sees and what each tab's port carries are asserted.
 */
import type { AedesPublishPacket, Client as AedesClient, Subscription } from 'aedes';
import { acrossTabs, connect, InvalidArgumentError, type MqttClient } from '../../lib/index.js';
import type { ChannelMessage, ChannelPort } from '../../lib/sharing/channel-messages.js';
import { WorkerHub } from '../../lib/sharing/worker-hub.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { memoryLocks, type MemoryLocks } from '../helpers/memory-locks.js';
import { within } from '../helpers/wait.js';
import { connected, outsideClient, received, waitFor } from '../helpers/shared-tabs.js';

let aedes: AedesHandle;
let locks: MemoryLocks;
/** The worker of each name (one per sharing key, as the browser keeps one SharedWorker per name). */
let workers: Map<string, WorkerHub>;
/** Every message each tab's port received, by tab (in the order the tabs opened their ports). */
let heard: ChannelMessage[][];
let ports: MessagePort[];
/** The worker's ends of the ports each worker was handed. */
let workerPorts: Map<WorkerHub, MessagePort[]>;
const clients: MqttClient[] = [];
let connections: string[];
let disconnections: string[];
let subscribes: string[];
let unsubscribes: string[];

const globals = globalThis as { navigator?: unknown };
const navigatorBefore = globals.navigator;

beforeEach(async () => {
  aedes = await startAedes();
  locks = memoryLocks();
  globals.navigator = { locks };
  workers = new Map();
  heard = [];
  ports = [];
  workerPorts = new Map();
  connections = [];
  disconnections = [];
  subscribes = [];
  unsubscribes = [];
  aedes.broker.on('client', (client: AedesClient) => connections.push(client.id));
  aedes.broker.on('clientDisconnect', (client: AedesClient) => disconnections.push(client.id));
  aedes.broker.on('subscribe', (subscriptions: Subscription[]) => subscribes.push(...subscriptions.map((s) => s.topic)));
  aedes.broker.on('unsubscribe', (topics: string[]) => unsubscribes.push(...topics));
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  ports.forEach((port) => port.close());
  await aedes.close();
  globals.navigator = navigatorBefore;
});

/** `new SharedWorker(url, { name })`: a port to the worker of that name, started on first use. */
function openWorker(_url: string | URL, name: string): { port: ChannelPort } {
  let worker = workers.get(name);
  if (worker === undefined) workers.set(name, (worker = new WorkerHub(locks, name)));
  const { port1: tabSide, port2: workerSide } = new MessageChannel();
  ports.push(tabSide, workerSide);
  workerPorts.set(worker, [...(workerPorts.get(worker) ?? []), workerSide]);
  worker.connect(workerSide as unknown as ChannelPort);
  const messages: ChannelMessage[] = [];
  heard.push(messages);
  tabSide.addEventListener('message', (event) => messages.push((event as MessageEvent).data));
  return { port: tabSide as unknown as ChannelPort };
}

function tab(clientId = 'dash', options: Record<string, unknown> = {}): MqttClient {
  const client = connect(aedes.url, { clientId, shared: acrossTabs({ worker: '/rxmqtt-shared-worker.js', sharedWorker: openWorker }), ...options });
  clients.push(client);
  return client;
}

const outsider = () => outsideClient(aedes.url, clients);

/**
 * The SharedWorker `name` dies (its host process crashed): its ports go silent (the tabs are told
 * nothing), its socket to the broker is cut without a DISCONNECT (the broker keeps the session),
 * and the browser releases its lock. The next `new SharedWorker()` of that name starts a new one.
 * (The dead WorkerHub object is stopped too, so that it cannot reconnect as a real dead one cannot.)
 */
async function killWorker(name: string, clientId: string): Promise<void> {
  const worker = workers.get(name)!;
  workers.delete(name);
  for (const port of workerPorts.get(worker) ?? []) port.close();
  const cut = new Promise<void>((done) => aedes.broker.once('clientDisconnect', () => done()));
  (aedes.broker as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients[clientId]!.conn.destroy();
  await within(cut, 'the broker to see the worker connection cut');
  await (worker as unknown as { hub?: { close(): Promise<void> } }).hub?.close();
  locks.crash(`${name}:worker`);
}




describe('acrossTabs({ worker }): the shared connection in a SharedWorker', () => {
  it('opens one connection for two tabs, sends one SUBSCRIBE, and delivers a message to both', async () => {
    const a = tab();
    const b = tab();
    await Promise.all([connected(a), connected(b)]);
    await a.subscribeAsync('news/+', { qos: 1 });
    await b.subscribeAsync('news/+', { qos: 1 });
    const atA = received(a, 'news/1');
    const atB = received(b, 'news/1');
    const publisher = await outsider();
    await publisher.publishAsync('news/1', 'one', { qos: 1 });
    await within(waitFor(() => atA.length === 1 && atB.length === 1), 'both tabs to receive');
    expect(connections.filter((id) => id === 'dash')).toEqual(['dash']);
    expect(subscribes).toEqual(['news/+']);
    expect(workers.size).toBe(1);
  });

  it('sends a tab only what is addressed to it: the other tab hears none of its link traffic', async () => {
    const a = tab();
    const b = tab();
    await Promise.all([connected(a), connected(b)]);
    const [atA, atB] = heard;
    const linksOf = (messages: ChannelMessage[]) => new Set(messages.flatMap((m) => (m.type === 'down' ? [m.link] : [])));
    const beforeAtB = atB!.length;
    await a.publishAsync('out/1', 'x', { qos: 1 });
    await a.subscribeAsync('mine');
    expect(atB!.length).toBe(beforeAtB);
    expect(linksOf(atA!).size).toBeGreaterThan(0);
    for (const link of linksOf(atA!)) expect(linksOf(atB!).has(link)).toBe(false);
  });

  it('settles a publish in the tab that made it with the broker answer; QoS 2 reaches the broker once', async () => {
    const a = tab();
    const b = tab();
    await Promise.all([connected(a), connected(b)]);
    const seen: string[] = [];
    aedes.broker.on('publish', (packet: AedesPublishPacket, client: unknown) => client && seen.push(`${packet.topic} ${packet.qos}`));
    expect((await b.publishAsync('out/1', 'x', { qos: 1 }))?.cmd).toBe('puback');
    expect((await a.publishAsync('out/2', 'y', { qos: 2 }))?.cmd).toBe('pubcomp');
    expect(seen).toEqual(['out/1 1', 'out/2 2']);
  });

  it('keeps the connection when the tab that connected first goes away without a word: the other tab gets every QoS 1 message', async () => {
    const first = tab('seq', { clean: false });
    await connected(first);
    const second = tab('seq', { clean: false });
    await connected(second);
    // The first tab takes the messages but never acknowledges them, as a tab that is gone would not.
    first.subscribe('seq/in', { qos: 1 });
    first.handleMessage = () => undefined;
    const atSecond = received(second, 'seq/in');
    await second.subscribeAsync('seq/in', { qos: 1 });
    const publisher = await outsider();
    await publisher.publishAsync('seq/in', '1', { qos: 1 });
    await within(waitFor(() => atSecond.length === 1), 'message 1 at the second tab');
    // The page of the first tab dies: the browser releases its lock, nothing else is said.
    const firstLock = locks.held().find((name) => name.includes(':tab:'))!;
    locks.crash(firstLock);
    for (let i = 2; i <= 20; i++) await publisher.publishAsync('seq/in', String(i), { qos: 1 });
    await within(waitFor(() => atSecond.length === 20), 'every message at the second tab');
    expect(atSecond).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
    expect(connections.filter((id) => id === 'seq')).toEqual(['seq']);
    expect(workers.get('rxmqtt:seq')!.size).toBe(1);
  });

  it('starts a new worker when the SharedWorker dies: both tabs reconnect through it and get every QoS 1 message', async () => {
    const a = tab('seq', { clean: false });
    await connected(a);
    const b = tab('seq', { clean: false });
    await connected(b);
    const atA = received(a, 'seq/in');
    const atB = received(b, 'seq/in');
    await a.subscribeAsync('seq/in', { qos: 1 });
    await b.subscribeAsync('seq/in', { qos: 1 });
    const publisher = await outsider();
    await publisher.publishAsync('seq/in', '1', { qos: 1 });
    await within(waitFor(() => atA.length === 1 && atB.length === 1), 'message 1 at both tabs');

    const dead = workers.get('rxmqtt:seq')!;
    const errors: Error[] = [];
    for (const client of [a, b]) client.on('error', (error) => errors.push(error));
    // (Not once(): it rejects on the 'error' each tab gets first.)
    const reconnected = Promise.all([a, b].map((client) => new Promise((done) => client.once('connect', done))));
    const all = Array.from({ length: 20 }, (_, i) => String(i + 1));
    // 2 to 10 are on their way to the worker when it dies, 11 to 20 come while the tabs have none.
    for (const n of all.slice(1, 10)) await publisher.publishAsync('seq/in', n, { qos: 1 });
    await killWorker('rxmqtt:seq', 'seq');
    for (const n of all.slice(10)) await publisher.publishAsync('seq/in', n, { qos: 1 });
    await within(reconnected, 'both tabs to reconnect');
    // QoS 1: a message may come twice, none may be missing.
    await within(waitFor(() => all.every((n) => atA.includes(n) && atB.includes(n))), 'every message at both tabs');
    expect(workers.get('rxmqtt:seq')).toBeInstanceOf(WorkerHub);
    expect(workers.get('rxmqtt:seq')).not.toBe(dead);
    expect(workers.get('rxmqtt:seq')!.size).toBe(2);
    // The dead worker's and the new one's (aedes's takeover may drop a new connection once).
    expect(connections.filter((id) => id === 'seq').length).toBeGreaterThanOrEqual(2);
    // Each tab was told, as for any dropped connection.
    expect(errors.map((e) => `${e.name}: ${e.message}`)).toEqual(['TransportError: the shared worker is gone', 'TransportError: the shared worker is gone']);
  });

  it('leaves the worker each time the client ends, reconnect() in between', async () => {
    const a = tab();
    await connected(a);
    await a.endAsync();
    await within(waitFor(() => disconnections.length === 1), 'the real connection to end');
    a.reconnect();
    await connected(a);
    await a.endAsync();
    await within(waitFor(() => disconnections.length === 2), 'the real connection to end again');
    expect(workers.get('rxmqtt:dash')!.size).toBe(0);
    expect(locks.held().filter((name) => name.includes(':tab:'))).toEqual([]);
  });

  it('serves its tabs, unwatched, when the browser refuses the worker its lock', async () => {
    const refusing = { request: (name: string, options: object, callback: () => Promise<unknown>) => (name.endsWith(':worker') ? Promise.reject(new Error('denied')) : locks.request(name, options, callback)) };
    workers.set('rxmqtt:dash', new WorkerHub(refusing, 'rxmqtt:dash'));
    const a = tab();
    await connected(a);
    expect(heard[0]!.some((m) => (m as { type: string }).type === 'watch-worker')).toBe(false);
    expect((await a.publishAsync('out/1', 'x', { qos: 1 }))?.cmd).toBe('puback');
  });

  it('ends the real connection when the last tab ends, and starts a new one for the next tab', async () => {
    const a = tab();
    await connected(a);
    await a.endAsync();
    await within(waitFor(() => disconnections.includes('dash')), 'the real connection to end');
    const b = tab();
    await connected(b);
    expect(connections.filter((id) => id === 'dash')).toEqual(['dash', 'dash']);
  });

  it('throws an InvalidArgumentError at connect() for an option function that cannot reach the worker', () => {
    expect(() => tab('dash', { transformWsUrl: (url: string) => url })).toThrow(InvalidArgumentError);
    expect(() => tab('dash', { reconnect: { shouldRetry: () => true } })).toThrow(/reconnect\.shouldRetry/);
    expect(workers.size).toBe(0);
  });

  it('connects the worker with the username and password the tab gave (they cross as data)', async () => {
    aedes.broker.authenticate = (_client, username, password, callback) => callback(null, username === 'u' && password?.toString() === 'secret');
    const a = tab('dash', { username: 'u', password: 'secret' });
    await connected(a);
    expect(connections).toEqual(['dash']);
  });
});
