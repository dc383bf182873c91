/**
 * `IndexedDBStore`: a durable store for the browser, one IndexedDB database per store name.
 */
import { Readable } from 'node:stream';
import { StoreError } from '../errors.js';
import { callBack, writeChanges, type Change } from './indexeddb-batch.js';
import { OBJECT_STORE, SEQ_INDEX, openDatabase, restored, storeError, type Row } from './indexeddb-database.js';
import type { IStore, StoreCallback, StorePacket } from './store.js';

/** The options of an `IndexedDBStore`. */
export interface IndexedDBStoreOptions {
  /** The IndexedDB database's name. @default `rxmqtt-store:<name>` */
  databaseName?: string;
  /** The IndexedDB to use (`fake-indexeddb` in Node, a test double). @default globalThis.indexedDB */
  indexedDB?: IDBFactory;
}

/**
 * A durable, MQTT.js-compatible `Store` (`put`/`get`/`del`/`createStream`/`close`) kept in
 * IndexedDB: the browser's FileStore. As `outgoingStore` with `clean: false`, the in-flight QoS 1/2
 * publishes (and PUBRELs) survive a reload or a crashed tab: a client created again with the same
 * `clientId` and store resends them with DUP=1 and their original ids [MQTT-4.4.0-1]. As
 * `incomingStore` (another name) it keeps the inbound QoS 2 ids awaiting PUBREL, so a reloaded page
 * delivers none twice.
 *
 * Durability: the puts and dels of one turn go into one readwrite transaction with
 * `durability: 'strict'`, and their callbacks run once it has committed, each with its own error.
 * So `cbStorePut` means "in IndexedDB, on disk". A failure is a `StoreError`, a full quota a
 * `StoreQuotaError`: it reaches the put's callback, i.e. the publish's callback (the publish
 * fails) or the client's 'error' event; nothing is dropped without a word.
 *
 * Two stores on the same name (two tabs, or two clients in one page) share one database:
 * IndexedDB runs their transactions one after the other, so no write is torn or lost, but each
 * sees and resumes the other's packets. Use one name per client, as one `clientId` per client.
 *
 * A closed store reopens on its next use, as FileStore does: the client's `end()` closes its
 * stores, and a `reconnect()` with `clean: false` goes on using them.
 *
 * Node has no IndexedDB: pass one as the `indexedDB` option (e.g. the `fake-indexeddb` package);
 * without it the constructor throws a StoreError.
 *
 * @example
 * const client = mqtt.connect(url, {
 *   clientId: 'meter-7',
 *   clean: false,
 *   outgoingStore: new IndexedDBStore('meter-7-outgoing'),
 *   incomingStore: new IndexedDBStore('meter-7-incoming'),
 * });
 * client.publish('meter/7', reading, { qos: 1, cbStorePut: () => markAccepted(reading) });
 */
export class IndexedDBStore implements IStore {
  /** The IndexedDB database's name. */
  readonly databaseName: string;
  private readonly factory: IDBFactory;
  /** The open (or opening) database; undefined once closed or lost (the next use reopens it). */
  private database?: Promise<IDBDatabase>;
  /** Changes of this turn, written together once the database is open. */
  private batch?: Change[];
  /** Settles once every change handed to IndexedDB so far has called back. */
  private written: Promise<void> = Promise.resolve();

  /**
   * @param name Names the store: two stores (or two page loads) with the same name share one database.
   * @param options The database's name and the IndexedDB to use.
   */
  constructor(name: string, options: IndexedDBStoreOptions = {}) {
    this.databaseName = options.databaseName ?? `rxmqtt-store:${name}`;
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) throw new StoreError(this.databaseName, 'open', 'IndexedDB is not available here (in Node, pass one as the `indexedDB` option)');
    this.factory = factory;
  }

  /** Stores `packet` under its messageId (keeping its place if the id is stored); `cb` runs once it is committed. */
  put(packet: StorePacket, cb?: StoreCallback): this {
    this.change({ op: 'put', id: packet.messageId ?? 0, packet, cb });
    return this;
  }

  /** Removes the packet with `packet.messageId`; `cb` gets it once the removal is committed. */
  del(packet: StorePacket, cb?: StoreCallback): this {
    this.change({ op: 'del', id: packet.messageId ?? 0, cb });
    return this;
  }

  /** The stored packet with `packet.messageId` (after every put and del made before this call). */
  get(packet: StorePacket, cb: StoreCallback): this {
    this.read(
      'get',
      (objects) => objects.get(packet.messageId ?? 0),
      (row: Row | undefined) => (row ? cb(null, restored(row.packet)) : cb(new Error('missing packet'))),
      (error) => cb(error),
    );
    return this;
  }

  /** A readable (object mode) of the stored packets in insertion order; it errors with a StoreError if IndexedDB fails. */
  createStream(): Readable {
    const rows = new Promise<Row[]>((resolve, reject) => this.read('read', (objects) => objects.index(SEQ_INDEX).getAll(), resolve, reject));
    // Read at once (in order with the changes around it), consumed when the stream is: its failure is the stream's 'error'.
    rows.catch(noop);
    return Readable.from(
      (async function* () {
        for (const row of await rows) yield restored(row.packet);
      })(),
    );
  }

  /**
   * Closes the database once every put and del made before has called back; the packets stay for
   * the next store on this name, or for this one, which reopens on its next use. Never fails:
   * failed writes were reported to their own callbacks.
   */
  close(cb?: (error?: Error | null) => void): void {
    const database = this.database;
    this.database = undefined;
    this.batch = undefined;
    if (!database) return void cb?.(null);
    const closed = () => cb?.(null);
    this.written.then(() =>
      database.then((db) => {
        db.close();
        closed();
      }, closed),
    );
  }

  /** Queues a put or del for this turn's transaction (the first one of the turn schedules it). */
  private change(change: Change): void {
    if (this.batch) return void this.batch.push(change);
    const batch = (this.batch = [change]);
    this.written = Promise.all([this.written, this.whenOpen((db) => writeChanges(db, this.databaseName, batch), batch)]).then(noop);
  }

  /**
   * Runs `use` once the database is open and every change queued so far is in a transaction, or
   * fails the batch's callbacks with the opening's error. Resolves when `use` is done.
   */
  private whenOpen(use: (db: IDBDatabase) => Promise<void>, batch: Change[]): Promise<void> {
    return this.open().then(
      (db) => {
        // Later changes go into a new transaction, after this one.
        if (this.batch === batch) this.batch = undefined;
        return use(db);
      },
      (error: Error) => {
        if (this.batch === batch) this.batch = undefined;
        for (const change of batch) callBack(change, error);
      },
    );
  }

  /** One read in a readonly transaction, after the changes made before it. */
  private read<T>(operation: 'get' | 'read', request: (objects: IDBObjectStore) => IDBRequest, answer: (result: T) => void, fail: (error: Error) => void): void {
    // Changes made after this read go into a later transaction.
    this.batch = undefined;
    this.open().then((db) => {
      try {
        const asked = request(db.transaction(OBJECT_STORE, 'readonly').objectStore(OBJECT_STORE));
        asked.onsuccess = () => answer(asked.result as T);
        asked.onerror = () => fail(storeError(this.databaseName, operation, asked.error));
      } catch (error) {
        fail(storeError(this.databaseName, operation, error));
      }
    }, fail);
  }

  private open(): Promise<IDBDatabase> {
    if (this.database) return this.database;
    const opening = openDatabase(this.factory, this.databaseName, () => {
      if (this.database === opening) this.database = undefined;
    });
    this.database = opening;
    // A failed opening is not kept: the next use tries again.
    opening.catch(() => this.database === opening && (this.database = undefined));
    return opening;
  }
}

function noop(): void {}
