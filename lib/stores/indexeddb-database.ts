/**
 * The IndexedDB side of `IndexedDBStore`: the schema, opening the database, and the packets as
 * they are kept (byte strings trimmed on the way in, Buffers again on the way out). The raw API, no
 * wrapper: the store is callback-based like MQTT.js's `Store`, so a promise layer would add bytes
 * to the bundle and hide the transaction lifetime this store relies on.
 *
 * Schema (version 1): one object store, `packets`, of rows `{ id, seq, packet }` keyed by `id` (the
 * packet's messageId), with a unique index on `seq`, the insertion order: a put over a stored id
 * keeps its `seq` (its place), as a Map does in MQTT.js's Store and as FileStore does.
 */
import { StoreError, StoreQuotaError, type StoreOperation } from '../errors.js';
import type { StorePacket } from './store.js';

export const OBJECT_STORE = 'packets';
export const SEQ_INDEX = 'seq';
const SCHEMA_VERSION = 1;

/** One stored packet: `seq` orders them, `id` finds them. */
export interface Row {
  id: number;
  seq: number;
  packet: StorePacket;
}

/**
 * Opens (creating if needed) the database `name`. Rejects with a StoreError if IndexedDB refuses
 * (a newer schema on disk, a security error, a tab holding an older version open that does not
 * let go). `lost` is called once if the connection goes away later (another tab upgrades the
 * database, the user clears the site's data): the store then reopens on its next use.
 */
export function openDatabase(factory: IDBFactory, name: string, lost: () => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, SCHEMA_VERSION);
    } catch (error) {
      return reject(storeError(name, 'open', error));
    }
    let settled = false;
    request.onupgradeneeded = () => {
      const objects = request.result.createObjectStore(OBJECT_STORE, { keyPath: 'id' });
      objects.createIndex(SEQ_INDEX, 'seq', { unique: true });
    };
    request.onsuccess = () => {
      const db = request.result;
      // Opened after we gave up on a blocked open: nobody uses it.
      if (settled) return db.close();
      settled = true;
      // Let another tab's newer schema in: close, and reopen on the next use.
      db.onversionchange = () => {
        db.close();
        lost();
      };
      db.onclose = lost;
      resolve(db);
    };
    request.onerror = () => {
      if (settled) return;
      settled = true;
      reject(storeError(name, 'open', request.error));
    };
    // Only while creating the schema: a tab holds the database open at an older version.
    request.onblocked = () => {
      if (settled) return;
      settled = true;
      reject(new StoreError(name, 'open', 'blocked by another tab that holds the database open at an older version'));
    };
  });
}

/** A DOMException (or anything thrown by IndexedDB) as a typed store error; quota has its own class. */
export function storeError(database: string, operation: StoreOperation, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  const name = (cause as { name?: unknown } | null | undefined)?.name;
  if (name === 'QuotaExceededError') return new StoreQuotaError(database, operation, cause);
  // The name only: a DataCloneError's message may describe the packet.
  const reason = typeof name === 'string' ? name : 'unknown error';
  return new StoreError(database, operation, `the ${operation} failed (${reason})`, cause ?? undefined);
}

/**
 * The packet as it is kept. Structured clone copies a typed array's whole ArrayBuffer, and Node's
 * Buffers (a payload made by `Buffer.from('...')`) are views into an 8 KB pool: such views are
 * copied to their own bytes first, or every stored message would weigh 8 KB.
 */
export function storable(packet: StorePacket): StorePacket {
  return mapBytes(packet, tight) as StorePacket;
}

/** The packet as the client expects it back: structured clone gives Uint8Arrays, payloads are Buffers. */
export function restored(packet: StorePacket): StorePacket {
  return mapBytes(packet, (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as StorePacket;
}

function tight(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** A copy of `value` with every Uint8Array replaced by `convert(it)` (plain objects and arrays walked). */
function mapBytes(value: unknown, convert: (bytes: Uint8Array) => Uint8Array): unknown {
  if (value instanceof Uint8Array) return convert(value);
  if (Array.isArray(value)) return value.map((item) => mapBytes(item, convert));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = mapBytes(item, convert);
  return copy;
}
