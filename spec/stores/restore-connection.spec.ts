import { jest } from '@jest/globals';
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

  it('fires for a publish made offline once the FileStore has it, before any CONNACK, and sends it with DUP=0 at the CONNACK without putting it again', async () => {
    const store = new FileStore(dir);
    const puts = jest.spyOn(store, 'put');
    const h = await harness({ client: { ...base, outgoingStore: store }, broker: { autoConnack: false } });
    const log: string[] = [];
    publish(h, 'offline', 1, log);
    await flush();
    expect(log).toEqual(['stored:offline']);
    expect(store.entries().map((p) => [p.topic, p.messageId, p.dup])).toEqual([['offline', 1, false]]);
    h.broker.last.reply(accepting({ sessionPresent: true }));
    await flush();
    expect(h.broker.last.packets('publish').map((p) => [p.topic, p.messageId, p.dup])).toEqual([['offline', 1, false]]);
    expect(puts).toHaveBeenCalledTimes(1);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(log).toEqual(['stored:offline', 'acked:offline']);
    expect(store.size).toBe(0);
    store.close();
  });

  it('sends a publish made offline at the CONNACK only once its put (still under way) called back', async () => {
    const callbacks: Array<() => void> = [];
    const store = Object.assign(new Store(), {
      put(_packet: StorePacket, cb?: (error?: Error) => void) {
        callbacks.push(() => cb?.());
        return this;
      },
    });
    const h = await harness({ client: { ...base, outgoingStore: store }, broker: { autoConnack: false } });
    const log: string[] = [];
    publish(h, 'slow', 1, log);
    h.broker.last.reply(accepting());
    await flush();
    expect(h.broker.last.packets('publish')).toEqual([]);
    expect(callbacks).toHaveLength(1);
    callbacks[0]();
    await flush();
    expect(h.broker.last.packets('publish').map((p) => [p.topic, p.messageId, p.dup])).toEqual([['slow', 1, false]]);
    expect(log).toEqual(['stored:slow']);
  });

  it('fails a publish made offline with the store\'s own error when its put fails: it never fires, is never sent and holds no id', async () => {
    const refusal = new Error('store full');
    const store = Object.assign(new Store(), {
      put(_packet: StorePacket, cb?: (error?: Error) => void) {
        queueMicrotask(() => cb?.(refusal));
        return this;
      },
    });
    const h = await harness({ client: { ...base, outgoingStore: store }, broker: { autoConnack: false } });
    const log: string[] = [];
    let failure: unknown;
    h.client.publish('q1', 'x', { qos: 1, cbStorePut: () => log.push('stored') }, { resolve: () => log.push('acked'), reject: (error) => (failure = error) });
    await flush();
    expect(failure).toBe(refusal);
    h.broker.last.reply(accepting());
    await flush();
    expect(log).toEqual([]);
    expect(h.broker.last.packets('publish')).toEqual([]);
    expect(h.errors()).toEqual([]);
  });

  it('fires at once without an outgoingStore (the session is the store), and never for QoS 0', async () => {
    const h = await harness({ client: { ...base }, broker: { autoConnack: false } });
    const log: string[] = [];
    publish(h, 'q1', 1, log);
    publish(h, 'q0', 0, log);
    expect(log).toEqual(['stored:q1']);
  });

  it('fails the publish with the store\'s own error when its put fails, and neither sends it nor fires', async () => {
    const refusal = new Error('store full');
    const store = Object.assign(new Store(), {
      put(_packet: StorePacket, cb?: (error?: Error) => void) {
        cb?.(refusal);
        return this;
      },
    });
    const h = await harness({ client: { ...base, outgoingStore: store }, broker: { autoConnack: true } });
    const log: string[] = [];
    let failure: unknown;
    h.client.publish('q1', 'x', { qos: 1, cbStorePut: () => log.push('stored') }, { resolve: () => log.push('acked'), reject: (error) => (failure = error) });
    await flush();
    expect(failure).toBe(refusal);
    expect(log).toEqual([]);
    expect(h.broker.last.packets('publish')).toEqual([]);
    expect(h.errors()).toEqual([]);
  });
});

describe('end() with a FileStore', () => {
  it('closes it: the directory is free for the next store, which finds the publish end(true) failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxmqtt-end-closes-'));
    try {
      const h = await harness({ client: { ...base, outgoingStore: new FileStore(dir) }, broker: { autoConnack: true } });
      h.client.publish('kept', 'x', { qos: 1 }, { resolve: () => {}, reject: () => {} });
      await flush();
      await flush();
      expect(h.broker.last.packets('publish').map((p) => p.topic)).toEqual(['kept']);
      expect(await h.client.end({ force: true })).toBeUndefined();
      const next = new FileStore(dir); // StoreLockedError if the lock were still held
      expect(next.entries().map((p) => p.topic)).toEqual(['kept']);
      next.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an outgoingStore that calls back later', () => {
  /** A store whose put calls back on the next turn (setImmediate), failing the topics in `failing`. */
  function laterStore(failing: string[] = []) {
    const pending: Array<() => void> = [];
    const store = Object.assign(new Store(), {
      put(packet: StorePacket, cb?: (error?: Error | null) => void) {
        const fails = failing.includes(packet.topic as string);
        if (!fails) Store.prototype.put.call(store, packet);
        pending.push(() => cb?.(fails ? new Error(`cannot store ${String(packet.topic)}`) : null));
        return this;
      },
    });
    /** Runs the callbacks of the puts made so far. */
    const callBack = () => pending.splice(0).forEach((run) => run());
    return { store, callBack };
  }

  it('sends a QoS 1 PUBLISH only once the store called back, and what was published after it behind it', async () => {
    const { store, callBack } = laterStore();
    const h = await harness({ client: { ...base, outgoingStore: store }, broker: { autoConnack: true } });
    h.client.publish('stored', 'x', { qos: 1 }, { resolve: () => {}, reject: () => {} });
    h.client.publish('behind', 'y', { qos: 0 }, { resolve: () => {}, reject: () => {} });
    await flush();
    expect(h.broker.last.packets('publish')).toEqual([]);
    callBack();
    await flush();
    expect(h.broker.last.packets('publish').map((p) => p.topic)).toEqual(['stored', 'behind']);
  });

  it('fails only the publish its store refused, and sends the others in order', async () => {
    const { store, callBack } = laterStore(['refused']);
    const h = await harness({ client: { ...base, outgoingStore: store }, broker: { autoConnack: true } });
    const outcomes: string[] = [];
    for (const topic of ['first', 'refused', 'last']) {
      h.client.publish(topic, 'x', { qos: 1 }, { resolve: () => outcomes.push(`acked:${topic}`), reject: (error) => outcomes.push(error.message) });
    }
    await flush();
    callBack();
    await flush();
    expect(h.broker.last.packets('publish').map((p) => p.topic)).toEqual(['first', 'last']);
    expect(outcomes).toEqual(['cannot store refused']);
    expect(store.size).toBe(2);
  });

  it('writes nothing that waited for the store on the next connection before its CONNECT, and resends it after', async () => {
    const { store, callBack } = laterStore();
    const h = await harness({ client: { ...base, outgoingStore: store }, broker: { autoConnack: () => accepting({ sessionPresent: true }) } });
    const outcomes: string[] = [];
    h.client.publish('waits', 'x', { qos: 1 }, { resolve: () => outcomes.push('acked'), reject: (error) => outcomes.push(error.message) });
    h.client.publish('behind', 'y', { qos: 0 }, { resolve: () => outcomes.push('written'), reject: (error) => outcomes.push(error.message) });
    await flush();
    h.broker.last.close();
    await flush();
    expect(outcomes).toEqual(['Connection closed before the packet was written']);
    await h.clock.advance(1000);
    callBack();
    await flush();
    expect(h.broker.connections[0]?.commands).toEqual(['connect']);
    expect(h.broker.last.commands).toEqual(['connect', 'publish']);
    expect(strip(h.broker.last.packets('publish')).map((p) => [p.topic, p.dup])).toEqual([['waits', true]]);
  });
});
