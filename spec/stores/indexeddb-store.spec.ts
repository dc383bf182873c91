/**
 * IndexedDBStore in Node, on fake-indexeddb (a fresh in-memory IndexedDB per test): the Store
 * contract, the insertion order, Buffers, callbacks after the commit, typed errors, close and
 * reopen. The real browser (reload, quota) is in indexeddb-store.chromium.spec.ts.
 */
import { jest } from '@jest/globals';
import { IDBDatabase, IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import { StoreError, StoreQuotaError } from '../../lib/errors.js';
import { IndexedDBStore } from '../../lib/stores/indexeddb-store.js';
import { readStore } from '../../lib/stores/read-store.js';
import type { StorePacket } from '../../lib/stores/store.js';
import { within } from '../helpers/wait.js';

let factory: IDBFactory;
beforeEach(() => (factory = new IDBFactory()));
afterEach(() => jest.restoreAllMocks());

const store = (name = 'meter-7-outgoing') => new IndexedDBStore(name, { indexedDB: factory });

function publish(messageId: number, payload = `m${messageId}`): StorePacket {
  return { cmd: 'publish', topic: 't', payload: Buffer.from(payload), qos: 1, retain: false, dup: false, messageId };
}

/** `store.put` as a promise of its callback's error (undefined: stored). */
const put = (s: IndexedDBStore, packet: StorePacket) => new Promise<Error | undefined>((resolve) => s.put(packet, (error) => resolve(error ?? undefined)));
const del = (s: IndexedDBStore, messageId: number) =>
  new Promise<[Error | undefined, StorePacket | undefined]>((resolve) => s.del({ messageId }, (error, packet) => resolve([error ?? undefined, packet])));
const get = (s: IndexedDBStore, messageId: number) =>
  new Promise<[Error | undefined, StorePacket | undefined]>((resolve) => s.get({ messageId }, (error, packet) => resolve([error ?? undefined, packet])));
const closed = (s: IndexedDBStore) => new Promise<Error | null | undefined>((resolve) => s.close(resolve));

/** What the client would resume: the packets its createStream() gives, and the stream's error. */
function streamed(s: IndexedDBStore): Promise<{ packets: StorePacket[]; error?: Error }> {
  return within(new Promise((resolve) => readStore(s, (packets, error) => resolve({ packets, error }))), 'the store stream');
}

const ids = async (s: IndexedDBStore) => (await streamed(s)).packets.map((p) => p.messageId);

describe('IndexedDBStore', () => {
  it('streams the packets in insertion order: a put over a stored id keeps its place, a del removes it', async () => {
    const s = store();
    await Promise.all([put(s, publish(3)), put(s, publish(1)), put(s, publish(2))]);
    await put(s, { cmd: 'pubrel', messageId: 3 });
    expect(await ids(s)).toEqual([3, 1, 2]);
    expect((await streamed(s)).packets[0]).toEqual({ cmd: 'pubrel', messageId: 3 });
    const [error, removed] = await del(s, 1);
    expect(error).toBeUndefined();
    expect(removed).toEqual(publish(1));
    await put(s, publish(1));
    expect(await ids(s)).toEqual([3, 2, 1]);
  });

  it('gets a stored packet, and answers a get or del of an unknown id with "missing packet"', async () => {
    const s = store();
    await put(s, publish(5));
    expect(await get(s, 5)).toEqual([undefined, publish(5)]);
    expect((await get(s, 6))[0]?.message).toBe('missing packet');
    expect((await del(s, 6))[0]?.message).toBe('missing packet');
  });

  it('gives payloads and byte properties back as Buffers, and keeps only their own bytes (not the Buffer pool)', async () => {
    const s = store();
    const payload = Buffer.from('pooled');
    expect(payload.buffer.byteLength).toBeGreaterThan(payload.length); // a view into Node's 8 KB pool
    const packet = { ...publish(1), payload, properties: { correlationData: Buffer.from([1, 2, 3]), userProperties: { a: 'b' } } };
    await put(s, packet);
    const [back] = (await streamed(s)).packets as Array<typeof packet>;
    expect(Buffer.isBuffer(back.payload)).toBe(true);
    expect(Buffer.isBuffer(back.properties.correlationData)).toBe(true);
    expect(back).toEqual(packet);
    expect(back.payload.buffer.byteLength).toBe(payload.length);
  });

  it('calls back the puts of a turn once their one transaction has committed', async () => {
    const s = store();
    const log: string[] = [];
    const original = IDBDatabase.prototype.transaction;
    jest.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args: Parameters<typeof original>) {
      const transaction = original.apply(this, args);
      if (args[1] === 'readwrite') transaction.addEventListener('complete', () => log.push('committed'));
      return transaction;
    });
    s.put(publish(1), () => log.push('put 1'));
    s.put(publish(2), () => log.push('put 2'));
    await put(s, publish(3));
    expect(log).toEqual(['committed', 'put 1', 'put 2']);
  });

  it('reopens a closed store on its next use, after calling back the puts made before close()', async () => {
    const s = store();
    const log: string[] = [];
    s.put(publish(1), (error) => log.push(error ? error.message : 'put'));
    expect(await closed(s)).toBeNull();
    expect(log).toEqual(['put']);
    expect(await closed(s)).toBeNull(); // closing a closed store
    expect(await ids(s)).toEqual([1]);
    await put(s, publish(2));
    expect(await ids(store())).toEqual([1, 2]); // what a reloaded page finds
  });

  it('shares one database between two stores of the same name (as two tabs would)', async () => {
    const [a, b] = [store('shared'), store('shared')];
    await put(a, publish(1));
    await put(b, publish(2));
    expect(await ids(a)).toEqual([1, 2]);
    expect(await ids(store('other'))).toEqual([]);
  });
});

describe('IndexedDBStore failures', () => {
  it('throws a StoreError at construction where there is no IndexedDB (Node without the option)', () => {
    expect(() => new IndexedDBStore('x')).toThrow(StoreError);
    expect(() => new IndexedDBStore('x')).toThrow(expect.objectContaining({ code: 'ERR_STORE', operation: 'open' }));
  });

  it('fails every put of a transaction aborted for quota with a StoreQuotaError', async () => {
    const s = store();
    await put(s, publish(1));
    const original = IDBObjectStore.prototype.put;
    jest.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<typeof original>) {
      const request = original.apply(this, args);
      // Once the puts are written, fake-indexeddb's abort step: as a browser aborts a transaction
      // that exceeds the quota when it commits.
      const transaction = this.transaction as unknown as { _abort(name: string): void; error: DOMException | null };
      request.addEventListener('success', () => transaction.error ?? transaction._abort('QuotaExceededError'));
      return request;
    });
    const errors = await Promise.all([put(s, publish(2, 'secret-payload')), put(s, publish(3))]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(StoreQuotaError);
      expect(error).toMatchObject({ code: 'ERR_STORE_QUOTA', kind: 'ERR_STORE_QUOTA', operation: 'put', database: 'rxmqtt-store:meter-7-outgoing' });
      expect(error!.message).not.toContain('secret');
    }
    jest.restoreAllMocks();
    expect(await ids(s)).toEqual([1]);
  });

  it('fails alone a put whose packet cannot be stored (DataCloneError), without its payload in the message', async () => {
    const s = store();
    const results = await Promise.all([put(s, { ...publish(1, 'secret-payload'), notCloneable: () => 0 }), put(s, publish(2))]);
    expect(results[0]).toBeInstanceOf(StoreError);
    expect(results[0]).toMatchObject({ code: 'ERR_STORE', operation: 'put' });
    expect(results[0]!.message).toContain('DataCloneError');
    expect(results[0]!.message).not.toContain('secret');
    expect(results[1]).toBeUndefined();
    expect(await ids(s)).toEqual([2]);
  });

  it('fails puts and the stream with a StoreError when the database cannot be opened, and tries again on the next use', async () => {
    // A newer schema on disk: IndexedDB refuses to open it at version 1 (VersionError).
    await new Promise<void>((resolve) => {
      const request = factory.open('rxmqtt-store:newer', 2);
      request.onsuccess = () => (request.result.close(), resolve());
    });
    const s = store('newer');
    const error = await put(s, publish(1));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'ERR_STORE', operation: 'open' });
    expect((error as StoreError).message).toContain('VersionError');
    const read = await streamed(s);
    expect(read).toEqual({ packets: [], error: expect.objectContaining({ code: 'ERR_STORE', operation: 'open' }) });
    // The next use opens again (here: the newer database is gone).
    await new Promise<void>((resolve) => (factory.deleteDatabase('rxmqtt-store:newer').onsuccess = () => resolve()));
    expect(await put(s, publish(1))).toBeUndefined();
  });

  it('fails with a StoreError when IndexedDB throws at open (e.g. a SecurityError in an opaque origin)', async () => {
    jest.spyOn(factory, 'open').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    const error = await put(store(), publish(1));
    expect(error).toMatchObject({ code: 'ERR_STORE', operation: 'open', cause: expect.objectContaining({ name: 'SecurityError' }) });
  });
});

