import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { FileStore } from '../../lib/stores/file-store.js';
import { Store, type IStore, type StorePacket } from '../../lib/stores/store.js';
import { accepting } from '../helpers/scripted-broker.js';
import { flush, harness, strip } from '../connection/harness.js';

const base = { keepalive: 0, clean: false, clientId: 'durable', reconnectPeriod: 1000 };

function stored(messageId: number, qos: 1 | 2): StorePacket & IPublishPacket {
  return { cmd: 'publish', topic: 'a', payload: Buffer.from(`s${messageId}`), qos, retain: false, dup: false, messageId };
}

function filled(...packets: StorePacket[]): Store {
  const store = new Store();
  for (const packet of packets) store.put(packet);
  return store;
}

/** A harness whose broker keeps our session (sessionPresent) on every CONNECT. */
function resuming(outgoingStore: IStore, extra = {}) {
  return harness({ client: { ...base, outgoingStore, ...extra }, broker: { autoConnack: () => accepting({ sessionPresent: true }) } });
}

describe('a client resuming from its outgoingStore', () => {
  it('re-sends what the store holds right after CONNACK (DUP=1 publishes, PUBRELs) and empties it as acks arrive', async () => {
    const store = filled(stored(3, 1), { cmd: 'pubrel', messageId: 5 }, stored(4, 2));
    const h = await resuming(store);
    expect(strip(h.broker.last.received.slice(1))).toEqual([
      { cmd: 'publish', topic: 'a', payload: 's3', qos: 1, retain: false, dup: true, messageId: 3 },
      { cmd: 'pubrel', messageId: 5 },
      { cmd: 'publish', topic: 'a', payload: 's4', qos: 2, retain: false, dup: true, messageId: 4 },
    ]);
    h.broker.last.reply({ cmd: 'puback', messageId: 3 }, { cmd: 'pubcomp', messageId: 5 }, { cmd: 'pubrec', messageId: 4 });
    await flush();
    expect(store.size).toBe(1); // message 4 now waits as a PUBREL
    h.broker.last.reply({ cmd: 'pubcomp', messageId: 4 });
    await flush();
    expect(store.size).toBe(0);
    expect(h.errors()).toEqual([]);
  });

  it('reads the whole store before the first CONNECT, even a slow one', async () => {
    const stream = new PassThrough({ objectMode: true });
    const store = Object.assign(new Store(), { createStream: () => stream });
    const h = await resuming(store);
    expect(h.broker.connections).toHaveLength(0);
    stream.write(stored(1, 1));
    await flush();
    expect(h.broker.connections).toHaveLength(0);
    stream.end(stored(2, 1));
    await flush();
    expect(h.broker.last.packets('publish').map((p) => p.messageId)).toEqual([1, 2]);
  });

  it('gives new publishes ids the stored ones do not use, and sends them after the stored ones', async () => {
    const h = await harness({ client: { ...base, outgoingStore: filled(stored(1, 1)) }, broker: { autoConnack: () => accepting({ sessionPresent: true }) }, connect: false });
    h.client.connect();
    h.client.publish$('new', 'x', { qos: 1 }).subscribe();
    await flush();
    expect(h.broker.last.packets('publish').map((p) => [p.topic, p.messageId])).toEqual([['a', 1], ['new', 2]]);
  });

  it.each([
    ['errors', () => new Readable({ objectMode: true, read() { this.destroy(new Error('disk gone')); } })],
    ['throws', () => { throw new Error('disk gone'); }],
  ])('reports a store whose stream %s as an error event and connects anyway', async (_name, createStream) => {
    const store = Object.assign(new Store(), { createStream });
    const h = await resuming(store);
    expect(h.errors().map((e) => e.message)).toEqual(['disk gone']);
    expect(h.broker.connections).toHaveLength(1);
    expect(h.statuses()).toContain('connected');
  });

  it('also reads the stores reconnect() brings while the first ones are read, before the first CONNECT', async () => {
    const stream = new PassThrough({ objectMode: true });
    const slow = Object.assign(new Store(), { createStream: () => stream });
    const h = await resuming(slow);
    h.client.reconnect({ outgoingStore: filled(stored(2, 1)) });
    await flush();
    expect(h.broker.connections).toHaveLength(0);
    stream.end(stored(1, 1));
    await flush();
    expect(h.broker.connections).toHaveLength(1);
    expect(h.broker.last.packets('publish').map((p) => p.messageId)).toEqual([1, 2]);
  });

  it('does not connect when end() is called while the store is read, and connects with it on connect()', async () => {
    const stream = new PassThrough({ objectMode: true });
    const store = Object.assign(new Store(), { createStream: () => stream });
    const h = await resuming(store);
    await h.client.end();
    stream.end(stored(1, 1));
    await flush();
    expect(h.broker.connections).toHaveLength(0);
    h.client.connect();
    await flush();
    expect(h.broker.last.packets('publish').map((p) => p.messageId)).toEqual([1]);
  });
});

describe('cbStorePut with an outgoingStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rxmqtt-cbstoreput-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function publish(h: Awaited<ReturnType<typeof harness>>, topic: string, qos: 0 | 1 | 2, log: string[]) {
    h.client.publish(topic, 'x', { qos, cbStorePut: () => log.push(`stored:${topic}`) }, { resolve: () => log.push(`acked:${topic}`), reject: () => {} });
  }

  it('fires once the FileStore has the packet on disk (after its fsync), not when publish() is called', async () => {
    const store = new FileStore(dir);
    const h = await harness({ client: { ...base, outgoingStore: store }, broker: { autoConnack: true } });
    const log: string[] = [];
    publish(h, 'q1', 1, log);
    publish(h, 'q2', 2, log);
    expect(log).toEqual([]);
    expect(store.entries().map((p) => p.topic)).toEqual(['q1', 'q2']);
    await flush();
    expect(log).toEqual(['stored:q1', 'stored:q2']);
    store.close();
  });

  it('fires for a publish made offline only once it was sent and stored', async () => {
    const store = new FileStore(dir);
    const h = await harness({ client: { ...base, outgoingStore: store }, broker: { autoConnack: false } });
    const log: string[] = [];
    publish(h, 'offline', 1, log);
    await flush();
    expect(log).toEqual([]);
    expect(store.size).toBe(0);
    h.broker.last.reply(accepting());
    await flush();
    expect(log).toEqual(['stored:offline']);
    expect(store.size).toBe(1);
    store.close();
  });

  it('fires at once without an outgoingStore (the session is the store), and never for QoS 0', async () => {
    const h = await harness({ client: { ...base }, broker: { autoConnack: false } });
    const log: string[] = [];
    publish(h, 'q1', 1, log);
    publish(h, 'q0', 0, log);
    expect(log).toEqual(['stored:q1']);
  });

  it('reports a put that fails as an error event and does not fire', async () => {
    const store = Object.assign(new Store(), {
      put(_packet: StorePacket, cb?: (error?: Error) => void) {
        cb?.(new Error('store full'));
        return this;
      },
    });
    const h = await harness({ client: { ...base, outgoingStore: store }, broker: { autoConnack: true } });
    const log: string[] = [];
    publish(h, 'q1', 1, log);
    await flush();
    expect(log).toEqual([]);
    expect(h.errors().map((e) => e.message)).toEqual(['store full']);
  });
});

describe('a client restoring its incomingStore', () => {
  const inbound = (messageId: number, dup: boolean, payload = `in${messageId}`): StorePacket & IPublishPacket =>
    ({ cmd: 'publish', topic: 'a', payload: Buffer.from(payload), qos: 2, retain: false, dup, messageId });

  /** A client started on `incomingStore` against a broker that keeps (or lost) our session, and what it delivers. */
  async function started(incomingStore: IStore, sessionPresent: boolean) {
    const h = await harness({ client: { ...base, incomingStore }, broker: { autoConnack: () => accepting({ sessionPresent }) } });
    const delivered: string[] = [];
    h.client.messages$.subscribe((message) => delivered.push(message.payload.toString()));
    return { h, delivered };
  }

  it('answers a re-sent QoS 2 PUBLISH (DUP=1) of a stored id with PUBREC, without delivering it again', async () => {
    const store = filled(inbound(7, false, 'before the crash'));
    const { h, delivered } = await started(store, true);
    h.broker.last.reply(inbound(7, true, 'before the crash'));
    await flush();
    expect(delivered).toEqual([]);
    expect(strip(h.broker.last.received.slice(1))).toEqual([{ cmd: 'pubrec', messageId: 7 }]);
    h.broker.last.reply({ cmd: 'pubrel', messageId: 7 });
    await flush();
    expect(strip(h.broker.last.received.slice(2))).toEqual([{ cmd: 'pubcomp', messageId: 7 }]);
    expect(store.size).toBe(0);
    expect(h.errors()).toEqual([]);
  });

  it('reads a FileStore incomingStore back after a restart of the client', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxmqtt-incoming-'));
    try {
      const first = await started(new FileStore(dir), true);
      first.h.broker.last.reply(inbound(3, false, 'once'));
      await flush();
      expect(first.delivered).toEqual(['once']);
      expect(strip(first.h.broker.last.received.slice(1))).toEqual([{ cmd: 'pubrec', messageId: 3 }]);
      // The process "dies" here: no PUBREL, no end(); only the store's file stays.
      (first.h.client.options.incomingStore as FileStore).close();
      const store = new FileStore(dir);
      expect(store.entries().map((p) => p.messageId)).toEqual([3]);
      const second = await started(store, true);
      second.h.broker.last.reply(inbound(3, true, 'once'), { cmd: 'pubrel', messageId: 3 });
      await flush();
      expect(second.delivered).toEqual([]);
      expect(store.size).toBe(0);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stores an inbound QoS 2 message as its PUBREC goes out, not before (a held manual ack is delivered again after a crash)', async () => {
    const store = new Store();
    const h = await harness({ client: { ...base, incomingStore: store }, broker: { autoConnack: () => accepting({ sessionPresent: true }) } });
    const held: Array<{ ack(): void }> = [];
    h.client.topic('a', { ack: 'manual' }).subscribe((message) => held.push(message));
    await flush();
    h.broker.last.reply({ cmd: 'suback', messageId: h.broker.last.packets('subscribe')[0]!.messageId!, granted: [2] });
    h.broker.last.reply(inbound(4, false));
    await flush();
    expect(held).toHaveLength(1);
    expect(store.size).toBe(0);
    held[0]!.ack();
    await flush();
    expect(h.broker.last.packets('pubrec').map((p) => p.messageId)).toEqual([4]);
    expect(store.size).toBe(1);
  });

  it('empties the incomingStore when the broker lost the session, and delivers a PUBLISH reusing the id as new', async () => {
    const store = filled(inbound(7, false, 'old'));
    const { h, delivered } = await started(store, false);
    expect(store.size).toBe(0);
    h.broker.last.reply(inbound(7, false, 'new'));
    await flush();
    expect(delivered).toEqual(['new']);
  });
});
